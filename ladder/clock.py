"""The one clock: every "now" and "today" in Ladder is read here, so that tests can set it.

Times are naive UTC, as the database stores them. Nothing else in `ladder/` calls
`date.today()` or `datetime.now()`; domain code takes `today` as a parameter instead.

Tests either freeze the clock at a moment (`frozen_at`) or shift it (`shift_by`, `shifted_by`;
the suite runs as if it were a year later that way); production never touches either.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current moment, naive UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def today() -> date:
    """The current date in UTC."""
    return now().date()


def epoch_seconds() -> int:
    """The current moment as whole seconds since 1970 (for timestamps kept in the session)."""
    return int(now().replace(tzinfo=UTC).timestamp())


def freeze(moment: datetime | date | None) -> None:
    """Stop the clock at `moment` (a date means its midnight); None lets it run again."""
    global _frozen
    if isinstance(moment, date) and not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    _frozen = moment


def shift_by(offset: timedelta) -> None:
    """Run the clock `offset` away from the real time (still moving); zero undoes it."""
    global _offset
    _offset = offset


@contextmanager
def shifted_by(offset: timedelta) -> Iterator[None]:
    """Move the running clock `offset` further for a block, then restore the previous shift."""
    previous = _offset
    shift_by(previous + offset)
    try:
        yield
    finally:
        shift_by(previous)


@contextmanager
def frozen_at(moment: datetime | date) -> Iterator[None]:
    """Freeze the clock for a block, then restore whatever it was."""
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)
