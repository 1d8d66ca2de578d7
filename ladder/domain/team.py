"""Rules behind team views: review states, lateness, heatmap values, filtering and sorting."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .readiness import BELOW_CURRENT, Readiness, Target, rating_rank
from .rubric import Rubric

NOT_STARTED = "not started"


def review_state(status: str | None) -> str:
    return status or NOT_STARTED


def is_late(status: str | None, due: date, today: date, *, done: tuple[str, ...]) -> bool:
    """A review is late when its due date has passed and it has not reached a done status."""
    return today > due and (status or NOT_STARTED) not in done


def heat(rubric: Rubric, level_key: str, rating: str | None) -> int | None:
    """A rating relative to the person's level: -1 below, 0 at, +1 and +2 above; None unrated."""
    if rating is None or not rubric.has_level(level_key):
        return None
    current = rubric.level(level_key)
    return rating_rank(rubric, rating, current) - current.rank


def heat_table(rubric: Rubric, level_key: str) -> dict[str, int]:
    """`heat` for every possible rating of someone at `level_key` (built once per rubric and
    level): the team page needs it for every cell of the heatmap. Empty for an unknown level."""
    tables = rubric.memo.setdefault("heat", {})
    table = tables.get(level_key)
    if table is None:
        table = tables[level_key] = {} if not rubric.has_level(level_key) else {
            rating: heat(rubric, level_key, rating) for rating in (*rubric.rank_of, BELOW_CURRENT)}
    return table


# The kinds of readiness target a ladder declares, as list pages show them (one column each):
# the next level on the person's own track, and a move to another track (a transition).
TARGET_KINDS = {"next": "Toward the next level", "move": "Toward another track"}


def targets_by_kind(results: list[tuple[Target, Any]], track_key: str) -> dict[str, tuple[Target, Any]]:
    """A person's readiness results by target kind (the first move when a ladder declares several)."""
    out: dict[str, tuple[Target, Any]] = {}
    for target, result in results:
        out.setdefault("next" if target.track_key == track_key else "move", (target, result))
    return out


@dataclass
class TeamRow:
    """One report as the team page and the org report show them."""

    person: Any  # ladder.models.User
    manager_name: str
    is_direct: bool
    self_status: str
    manager_status: str
    self_late: bool
    manager_late: bool
    targets: dict[str, tuple[Target, Readiness | None]]  # by target kind (TARGET_KINDS)
    verdicts: dict[str, Any]  # latest Verdict per target level key
    source: str | None
    heat: dict[str, int | None]  # by competency key

    def target(self, kind: str) -> tuple[Target, Readiness | None] | None:
        return self.targets.get(kind)

    def coverage(self, kind: str) -> float:
        pair = self.targets.get(kind)
        return pair[1].coverage if pair and pair[1] and pair[1].source else -1.0

    def verdict_for(self, kind: str):
        pair = self.targets.get(kind)
        return self.verdicts.get(pair[0].level.key) if pair and pair[0].level else None


@dataclass(frozen=True)
class TeamFilter:
    scope: str = "all"  # all / direct / indirect
    level: str = ""
    track: str = ""
    status: str = ""  # "", "self-not-submitted", "manager-not-shared", "late"
    manager_id: int | None = None
    verdict: str = ""


STATUS_FILTERS = {
    "": "Any status",
    "self-not-submitted": "Self-review not submitted",
    "manager-not-shared": "Manager review not shared",
    "late": "Late",
}


def matches(row: TeamRow, f: TeamFilter) -> bool:
    """Whether a row passes every filter a person chose."""
    if f.scope == "direct" and not row.is_direct or f.scope == "indirect" and row.is_direct:
        return False
    if f.level and row.person.level_key != f.level or f.track and row.person.track_key != f.track:
        return False
    if f.manager_id is not None and row.person.manager_id != f.manager_id:
        return False
    if f.verdict and f.verdict not in {v.verdict for v in row.verdicts.values()}:
        return False
    if f.status == "self-not-submitted" and row.self_status not in (NOT_STARTED, "draft"):
        return False
    if f.status == "manager-not-shared" and row.manager_status == "shared":
        return False
    if f.status == "late" and not (row.self_late or row.manager_late):
        return False
    return True


SORTS = {
    "name": (lambda row: row.person.name.lower(), False),
    "level": (lambda row: (row.person.level_key, row.person.name.lower()), False),
    "next": (lambda row: row.coverage("next"), True),
    "move": (lambda row: row.coverage("move"), True),
}


def sort_rows(rows: list[TeamRow], key: str) -> list[TeamRow]:
    """Rows in the chosen order (readiness sorts put the most ready first)."""
    func, reverse = SORTS.get(key, SORTS["name"])
    return sorted(rows, key=func, reverse=reverse)
