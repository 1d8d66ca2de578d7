"""Pure rules of mentorship: active pairings, overdue goals, competency tags, the timeline."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from .statuses import OPEN_GOAL_STATUSES

TIMELINE_KINDS = {
    "review": "Reviews",
    "verdict": "Verdicts",
    "feedback": "Feedback",
    "one_on_one": "1:1s",
    "goal": "Goals",
    "mentorship": "Mentorship",
}


def is_active_mentorship(starts_on: date, ends_on: date | None, ended_on: date | None, today: date) -> bool:
    """A pairing counts (gives the mentor access) from its start date until its end date, and
    not at all once someone has ended it."""
    if ended_on is not None:
        return False
    return starts_on <= today and (ends_on is None or ends_on >= today)


def is_goal_open(status: str) -> bool:
    return status in OPEN_GOAL_STATUSES


def is_overdue(due_on: date | None, status: str, today: date) -> bool:
    """Past its due date and still open or in progress (done or dropped goals are never late)."""
    return due_on is not None and is_goal_open(status) and due_on < today


def unknown_competencies(keys: Iterable[str], known: Iterable[str]) -> list[str]:
    """The tags that are not competencies of the ladder, in the order given."""
    known = set(known)
    return [k for k in keys if k not in known]


def clean_tags(keys: Iterable[str], known: Sequence[str]) -> list[str]:
    """Tags in ladder order, without duplicates or keys the ladder does not have."""
    wanted = set(keys)
    return [k for k in known if k in wanted]


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened in an engineer's growth, already cleared for the viewer."""

    kind: str
    when: datetime
    title: str
    link: tuple | None = None  # (endpoint, argument name, id) for url_for in the template
    competencies: tuple[str, ...] = ()
    body: str | None = None  # Markdown, rendered by the template
    visibility: str | None = None
    lines: tuple[str, ...] = field(default=())
    overdue: bool = False


def filter_timeline(entries: Iterable[TimelineEntry], *, kind: str | None = None,
                    competency: str | None = None) -> list[TimelineEntry]:
    """Entries of one kind and/or tagged with one competency, newest first."""
    chosen = [e for e in entries
              if (not kind or e.kind == kind) and (not competency or competency in e.competencies)]
    return sorted(chosen, key=lambda e: (e.when, e.kind, e.title), reverse=True)
