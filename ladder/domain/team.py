"""Rules behind team views: review states, lateness, heatmap values, sorting and manager groups."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from .readiness import Readiness, Target, rating_rank
from .rubric import Rubric
from .statuses import BELOW_CURRENT

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
    rank = rating_rank(rubric, rating, current)
    return None if rank is None else rank - current.rank


def heat_table(rubric: Rubric, level_key: str) -> dict[str, int | None]:
    """`heat` for every possible rating of someone at `level_key` (built once per rubric and
    level): the team page needs it for every cell of the heatmap. Empty for an unknown level.
    On a points ladder a cell is the points of the milestone reached, whatever the level."""
    return rubric.derived("heat", level_key, lambda: _heat_table(rubric, level_key))


def _heat_table(rubric: Rubric, level_key: str) -> dict[str, int | None]:
    if rubric.rule.is_points:
        points: dict[str, int | None] = {m.key: rubric.rule.points_of(m.key) for m in rubric.rule.milestones}
        points[BELOW_CURRENT] = 0
        return points
    return {} if not rubric.has_level(level_key) else {
        rating: heat(rubric, level_key, rating) for rating in (*rubric.rank_of, BELOW_CURRENT)}


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

    def verdict_for(self, kind: str) -> Any:
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


# How each sort orders team rows: (the row's sort key, whether descending).
SORTS: dict[str, tuple[Callable[[TeamRow], Any], bool]] = {
    "name": (lambda row: row.person.name.lower(), False),
    "level": (lambda row: (row.person.level_key, row.person.name.lower()), False),
    "next": (lambda row: row.coverage("next"), True),
    "move": (lambda row: row.coverage("move"), True),
}


@dataclass(frozen=True)
class ManagerGroup:
    """The people of one page who report to one manager, and where the group sits in the
    whole selection (it may begin on an earlier page or go on to the next)."""

    manager_id: int | None
    manager_name: str
    people: int  # in the whole selection, not only on this page
    rows: list[TeamRow]
    continued: bool  # the group began on an earlier page
    continues: bool  # the group goes on to the next page


def page_groups(groups: list[tuple[int | None, str | None, int]],
                rows: list[TeamRow], offset: int) -> list[ManagerGroup]:
    """A page's rows (in group order) cut into manager groups. `groups` is (manager id, name,
    people) for the whole selection in the order the pages follow; `offset` is how many people
    the earlier pages hold."""
    starts, position = {}, 0
    for manager_id, name, people in groups:
        starts[manager_id] = (position, name or "", people)
        position += people
    out: list[ManagerGroup] = []
    for row in rows:
        manager_id = row.person.manager_id
        if out and out[-1].manager_id == manager_id:
            out[-1].rows.append(row)
            continue
        start, name, people = starts.get(manager_id, (offset, row.manager_name, 0))
        out.append(ManagerGroup(manager_id, name, people, [row], continued=start < offset,
                                continues=False))
    end = offset + len(rows)
    return [replace(group, continues=starts.get(group.manager_id, (0, "", 0))[0] + group.people > end)
            for group in out]


def groups_on_page(groups: list[tuple[int | None, str | None, int]], offset: int,
                   size: int) -> tuple[list[int | None], int]:
    """The managers whose groups a page of `size` people from `offset` falls in (in page order),
    and how many of their people come before the page. `groups` is as for `page_groups`: with
    each group's size known, a page reads only its own managers' people, not the whole tree's."""
    managers: list[int | None] = []
    first: int | None = None  # where the first of those groups starts
    position = 0
    for manager_id, _, people in groups:
        if people and position + people > offset and position < offset + size:
            first = position if first is None else first
            managers.append(manager_id)
        position += people
    return managers, offset - first if first is not None else 0


# The manager filter. Up to MANAGER_LIST_LIMIT managers in the viewer's scope it is a dropdown
# of all of them; above, a text field: the managers whose name contains the text, at most
# MANAGER_MATCH_LIMIT of them offered (the page's cost then does not follow the number of managers).
MANAGER_LIST_LIMIT = 100
MANAGER_MATCH_LIMIT = 20
MANAGER_TEXT_LIMIT = 100  # characters of a typed name kept

# The admin's report counts everyone it selects up to this many, then says "more than" and
# offers the exact count on demand: counting 50,000 people read the whole users table on every
# page, and a cap of 10,000 still read 10,001 rows (3 ms of a 30 ms page at 50,000 people).
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class ManagerChoice:
    """What the manager filter applies and shows: the manager chosen (id, name), or the text
    typed and the managers it matches when it names several (or none)."""

    manager: tuple[int, str] | None = None
    typed: str = ""
    matches: tuple[tuple[int, str], ...] = ()
    more: bool = False  # more managers match than `matches` holds

    @property
    def manager_id(self) -> int | None:
        return self.manager[0] if self.manager else None


def choose_manager(chosen_id: int | None, typed: str | None,
                   named: Callable[[int], str | None],
                   matching: Callable[[str, int], list[tuple[int, str]]]) -> ManagerChoice:
    """The manager filter from the URL: `manager` (an id) and `manager_name` (the text field,
    absent when the page showed a dropdown). The id holds while the text is absent or still
    the manager's name; otherwise the text is searched: one match (or one exact name) is
    chosen, several are offered. `named(id)` is a manager's name if they are in the viewer's
    scope; `matching(text, limit)` the managers in scope whose name contains the text, in name order."""
    if chosen_id is not None:
        name = named(chosen_id)
        if name is not None and (typed is None or typed.strip().lower() == name.lower()):
            return ManagerChoice(manager=(chosen_id, name), typed=name)
    text = " ".join((typed or "").split())[:MANAGER_TEXT_LIMIT]
    if not text:
        return ManagerChoice()
    found = matching(text, MANAGER_MATCH_LIMIT + 1)
    exact = [match for match in found if match[1].lower() == text.lower()]
    if len(found) == 1 or len(exact) == 1:
        manager = found[0] if len(found) == 1 else exact[0]
        return ManagerChoice(manager=manager, typed=manager[1])
    return ManagerChoice(typed=text, matches=tuple(found[:MANAGER_MATCH_LIMIT]), more=len(found) > MANAGER_MATCH_LIMIT)


def names_containing(managers: list[tuple[int, str]], text: str, limit: int) -> list[tuple[int, str]]:
    """`matching` for a list of managers already loaded: those whose name contains the text."""
    text = text.lower()
    return [manager for manager in managers if text in manager[1].lower()][:limit]


def subtree_managers(bosses: dict[int, int | None], top: int) -> set[int]:
    """`top` and every manager below them, from each manager's own manager (`bosses`)."""
    below: dict[int | None, list[int]] = {}
    for manager_id, boss_id in bosses.items():
        below.setdefault(boss_id, []).append(manager_id)
    found, waiting = {top}, [top]
    while waiting:
        for manager_id in below.get(waiting.pop(), []):
            if manager_id not in found:
                found.add(manager_id)
                waiting.append(manager_id)
    return found
