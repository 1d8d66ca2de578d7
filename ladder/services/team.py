"""Team and organisation views, loaded with a bounded number of queries whatever the team size.

The org report filters, counts, sorts and pages in SQL, then computes readiness only for the
page it shows; the CSV streams the same selection in chunks, each with a fixed number of
queries. Only the readiness sorts need everyone's coverage first (computed in chunks too).
The team page is the same kind of selection (everyone below the manager), paged manager by
manager.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..domain.reviews import reviewed_rubric
from ..domain.statuses import MANAGER_REVIEW_DONE, SELF_REVIEW_DONE, ReviewKind, ReviewStatus
from ..domain.team import (
    NOT_STARTED,
    SORTS,
    TARGET_KINDS,
    TeamFilter,
    TeamRow,
    heat_table,
    is_late,
    review_state,
    targets_by_kind,
)
from ..extensions import db
from ..models import Review, ReviewCycle, User, Verdict
from .people import has_reports, report_ids_query
from .readiness import readiness_summaries
from .reviews import open_cycle

CHUNK = 500  # people per readiness batch in the CSV and the readiness sorts
READINESS_SORTS = tuple(TARGET_KINDS)


def scope_condition(viewer: User) -> SQLColumnExpression[bool] | None:
    """Who the viewer's org report covers, as a WHERE condition; None when there is no report.
    (For an admin a plain predicate, not an IN over everyone: the report's page then reads
    `ix_users_name_order` in order and stops after one page.)"""
    if viewer.is_admin:
        return User.is_active_account
    if not has_reports(viewer.id):
        return None
    return User.id.in_(report_ids_query(viewer.id))


@dataclass
class ReportSelection:
    """A selection of people as SQL (the org report's filters, or a team): the people, their
    review states in the open cycle and their manager's name, in one query."""

    viewer: User
    chosen: TeamFilter
    today: date
    cycle: ReviewCycle | None
    conditions: tuple  # the filters, as WHERE conditions on users (and on the reviews when `reads_reviews`)
    reads_reviews: bool  # whether a condition reads the open cycle's review statuses

    def _joined(self, statement: Select[*tuple[Any, ...]], *, reviews: bool) -> Select[*tuple[Any, ...]]:
        """`statement` with the open cycle's self and manager reviews joined (when asked) and the filters."""
        if reviews and self.cycle is not None:
            mine, theirs, cycle_id = _MINE, _THEIRS, self.cycle.id
            statement = (
                statement
                .outerjoin(mine, and_(mine.subject_id == User.id, mine.cycle_id == cycle_id,
                                      mine.kind == ReviewKind.SELF))
                .outerjoin(theirs, and_(theirs.subject_id == User.id, theirs.cycle_id == cycle_id,
                                        theirs.kind == ReviewKind.MANAGER)))
        return statement.where(*self.conditions)

    @cached_property
    def extras(self) -> tuple:
        """The columns the report shows next to a person: self and manager review status, manager's name."""
        if self.cycle is None:
            return db.null().label("self_status"), db.null().label("manager_status"), _BOSS.name
        return _MINE.status, _THEIRS.status, _BOSS.name

    @cached_property
    def statement(self) -> Select[*tuple[Any, ...]]:
        """SELECT a person's columns, self status, manager status, manager name for everyone
        selected (plain columns, not ORM users: see `PersonRow`)."""
        return (self._joined(select(*_PERSON_COLUMNS, *self.extras), reviews=True)
                .outerjoin(_BOSS, _BOSS.id == User.manager_id))

    def _rows(self, statement: Select[*tuple[Any, ...]]) -> list[tuple]:
        """(PersonRow, self status, manager status, manager name) for each row of the statement."""
        return _person_rows(db.session.execute(statement).all())

    def groups(self) -> list[tuple[int | None, str | None, int]]:
        """(manager id, manager name, how many people) for each manager of the selection, in
        the managers' name order: one query (the selection grouped by manager, then each
        group's manager name looked up by id); the reviews are joined only when a filter reads
        them (SQLite does not drop unused outer joins).

        The name is a scalar subquery, not a join: PostgreSQL guesses thousands of rows out of
        the recursive team query and so hashed the whole users table for a team of 55 (a
        sequential scan of 50,000 people, 46 ms of the team page's 74 ms query at 50,000)."""
        selected = self._joined(select(User.manager_id), reviews=self.reads_reviews).subquery()
        groups = select(selected.c.manager_id, func.count().label("people")).group_by(selected.c.manager_id).subquery()
        name = select(_MANAGER.name).where(_MANAGER.id == groups.c.manager_id).scalar_subquery()
        return [(manager_id, manager_name, people) for manager_id, manager_name, people in db.session.execute(
            select(groups.c.manager_id, name, groups.c.people).order_by(name, groups.c.manager_id)).all()]

    def count_and_managers(self) -> tuple[int, list[tuple[int, str]]]:
        """How many people are selected, and their managers (id, name) for the filter, in name order."""
        rows = self.groups()
        return sum(n for _, _, n in rows), [(boss_id, name) for boss_id, name, _ in rows
                                         if boss_id is not None and name is not None]

    def rows(self, people_rows: Iterable[tuple[Any, ...]], *, with_heat: bool = False) -> list[TeamRow]:
        """A row for each (person, self status, manager status, manager name) given, in their
        order: review states and lateness in the open cycle, readiness toward both tracks,
        verdicts, and the heatmap's values when asked (only the team page shows them)."""
        people_rows = list(people_rows)
        readiness = readiness_summaries([person for person, *_ in people_rows], viewer_id=self.viewer.id)
        cycle, viewer_id = self.cycle, self.viewer.id
        rows = []
        for person, self_state, manager_state, manager_name in people_rows:
            entry = readiness[person.id]
            rubric = entry.loaded.rubric if entry.loaded and with_heat else None
            if rubric:
                table, ratings = heat_table(rubric, person.level_key), entry.ratings
            rows.append(TeamRow(
                person=person,
                manager_name=manager_name or "",
                is_direct=person.manager_id == viewer_id,
                self_status=review_state(self_state),
                manager_status=review_state(manager_state),
                self_late=cycle is not None and is_late(self_state, cycle.self_review_due, self.today,
                                                        done=SELF_REVIEW_DONE),
                manager_late=cycle is not None and is_late(manager_state, cycle.manager_review_due, self.today,
                                                           done=MANAGER_REVIEW_DONE),
                targets=targets_by_kind(entry.results, person.track_key),
                verdicts=entry.verdicts,
                source=entry.source,
                heat={c.key: table.get(rating) if (rating := ratings.get(c.key)) is not None else None
                      for c in reviewed_rubric(rubric, person.level_key, person.track_key).competencies}
                if rubric else {},
            ))
        return rows

    def page(self, sort: str, page: int, size: int, *, group_order: list[int | None] | None = None,
             with_heat: bool = False) -> list[TeamRow]:
        """One page in the chosen order; readiness is computed for that page only, except for
        the readiness sorts, which need everyone's coverage first (computed in chunks).
        With `group_order` (manager ids, as `groups()` lists them) people come manager by
        manager, in the chosen order within each manager's group."""
        if sort in READINESS_SORTS:
            ordered = self.readiness_order(sort, group_order)
            wanted = ordered[(page - 1) * size: page * size]
            by_id = {r[0].id: r for r in self._rows(self.statement.where(User.id.in_(wanted)))} if wanted else {}
            return self.rows((by_id[i] for i in wanted if i in by_id), with_heat=with_heat)
        order = _sql_order(sort) if group_order is None else [_BOSS.name, _BOSS.id, *_sql_order(sort)]
        return self.rows(self._rows(self.statement.order_by(*order).limit(size).offset((page - 1) * size)),
                         with_heat=with_heat)

    def readiness_order(self, sort: str, group_order: list[int | None] | None = None) -> list[int]:
        """Everyone's id, most ready first (ties in name order), from chunked bulk readiness;
        manager by manager when a group order is given."""
        key, reverse = SORTS[sort]
        scored: list[tuple[Any, int | None, int]] = []
        for chunk in self.chunks("name"):
            scored.extend((key(row), row.person.manager_id, row.person.id) for row in self.rows(chunk))
        # sorted() is stable, also with reverse=True: equal coverages keep the name order
        scored.sort(key=lambda entry: entry[0], reverse=reverse)
        if group_order is not None:
            position = {manager_id: index for index, manager_id in enumerate(group_order)}
            scored.sort(key=lambda entry: position.get(entry[1], len(position)))
        return [person_id for _, _, person_id in scored]

    def chunks(self, sort: str) -> Iterator[list]:
        """The selection in order, CHUNK people at a time (readiness is computed per chunk),
        read CHUNK rows at a time from the database: holding everyone's row for the whole
        download took the CSV's worker +51 MB at 50,000 people."""
        statement = self.statement.order_by(*_sql_order(sort)).execution_options(yield_per=CHUNK)
        for part in db.session.execute(statement).partitions():
            yield _person_rows(part)


def _person_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    width = len(_PERSON_COLUMNS)
    return [(PersonRow(*row[:width]), *row[width:]) for row in rows]


@dataclass(frozen=True, slots=True)
class PersonRow:
    """The columns of a person that the team page, the report and the CSV use: plain rows, so
    a large selection does not fill the session's identity map with ORM objects."""

    id: int
    name: str
    email: str
    level_key: str
    track_key: str
    manager_id: int | None
    framework_id: int | None


_PERSON_COLUMNS = (User.id, User.name, User.email, User.level_key, User.track_key, User.manager_id, User.framework_id)


def team_selection(manager: User, chosen: TeamFilter, today: date) -> ReportSelection:
    """Everyone below a manager, directly or not, with the team page's filters in SQL. The
    manager filter means that manager's whole team (their reports, direct or not): the caller
    must have checked that this manager is in the viewer's own tree (see `team_managers`)."""
    top = manager.id if chosen.manager_id is None else chosen.manager_id
    return _selection(manager, User.id.in_(report_ids_query(top)), replace(chosen, manager_id=None), today,
                      shown=chosen)


def team_managers(manager: User, today: date) -> list[tuple[int | None, str | None, int]]:
    """The managers in someone's tree (themselves included) with how many people report to
    each directly: the team page's groups and manager filter. Empty for someone without reports."""
    return team_selection(manager, TeamFilter(), today).groups()


def _sql_order(sort: str) -> list:
    name = func.lower(User.name)
    if sort == "level":
        return [User.level_key, name, User.id]
    return [name, User.id]


_BOSS, _MINE, _THEIRS = aliased(User), aliased(Review), aliased(Review)  # built once: aliasing is not free
_MANAGER = aliased(User)  # the managers filter's own alias (the selection already joins _BOSS)


def report_selection(viewer: User, chosen: TeamFilter, today: date) -> ReportSelection | None:
    """The org report's selection with every filter applied in SQL; None if the viewer has no report."""
    scope = scope_condition(viewer)
    if scope is None:
        return None
    return _selection(viewer, scope, chosen, today)


def _selection(viewer: User, scope: SQLColumnExpression[bool], chosen: TeamFilter, today: date, *,
               shown: TeamFilter | None = None) -> ReportSelection:
    """A selection within `scope` (a WHERE condition) with every filter of `chosen` in SQL;
    `shown` is the filter the page shows, when it differs from the one applied."""
    cycle = open_cycle()
    mine, theirs = _MINE, _THEIRS
    conditions = [scope, User.on_ladder.is_(True)]  # people without a ladder role have no readiness to show
    if chosen.scope == "direct":
        conditions.append(User.manager_id == viewer.id)
    elif chosen.scope == "indirect":
        conditions.append(or_(User.manager_id != viewer.id, User.manager_id.is_(None)))
    if chosen.level:
        conditions.append(User.level_key == chosen.level)
    if chosen.track:
        conditions.append(User.track_key == chosen.track)
    if chosen.manager_id is not None:
        conditions.append(User.manager_id == chosen.manager_id)
    if chosen.verdict:
        later = aliased(Verdict)
        latest = aliased(Verdict)
        conditions.append(exists(
            select(latest.id).where(
                latest.subject_id == User.id, latest.verdict == chosen.verdict,
                ~exists(select(later.id).where(
                    later.subject_id == latest.subject_id, later.target_level_key == latest.target_level_key,
                    or_(later.created_at > latest.created_at,
                        and_(later.created_at == latest.created_at, later.id > latest.id)))))))
    status_conditions = []
    if cycle is None:
        if chosen.status == "late":
            conditions.append(db.false())
    elif chosen.status == "self-not-submitted":
        status_conditions.append(or_(mine.status.is_(None), mine.status == ReviewStatus.DRAFT))
    elif chosen.status == "manager-not-shared":
        status_conditions.append(or_(theirs.status.is_(None), theirs.status != ReviewStatus.SHARED))
    elif chosen.status == "late":
        self_late = and_(db.literal(today > cycle.self_review_due),
                         or_(mine.status.is_(None), mine.status.not_in(SELF_REVIEW_DONE)))
        manager_late = and_(db.literal(today > cycle.manager_review_due),
                            or_(theirs.status.is_(None), theirs.status.not_in(MANAGER_REVIEW_DONE)))
        status_conditions.append(or_(self_late, manager_late))
    return ReportSelection(viewer, shown or chosen, today, cycle, (*conditions, *status_conditions),
                           bool(status_conditions))


__all__ = ["NOT_STARTED", "PersonRow", "ReportSelection", "report_selection", "scope_condition", "team_managers",
           "team_selection"]
