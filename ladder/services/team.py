"""Team and organisation views, loaded with a bounded number of queries whatever the team size.

The org report filters, counts, sorts and pages in SQL, then computes readiness only for the
page it shows; the CSV streams the same selection in chunks, each with a fixed number of
queries. Only the readiness sorts need everyone's coverage first (computed in chunks too).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..domain.team import NOT_STARTED, SORTS, TeamFilter, TeamRow, heat_table, is_late, review_state
from ..extensions import db
from ..models import Review, ReviewCycle, User, Verdict
from .people import has_reports, report_ids_query
from .readiness import readiness_summaries
from .reviews import open_cycle

CHUNK = 500  # people per readiness batch in the CSV and the readiness sorts
READINESS_SORTS = ("staff", "management")


def scope_condition(viewer: User):
    """Who the viewer's org report covers, as a WHERE condition; None when there is no report.
    (For an admin a plain predicate, not an IN over everyone: the report's page then reads
    `ix_users_name_order` in order and stops after one page.)"""
    if viewer.is_admin:
        return User.is_active_account
    if not has_reports(viewer.id):
        return None
    return User.id.in_(report_ids_query(viewer.id))


def team_rows(viewer: User, people: list, today: date, *, cycle: ReviewCycle | None | bool = False,
              states: dict[tuple[int, str], str] | None = None,
              manager_names: dict[int, str] | None = None, with_heat: bool = True) -> list[TeamRow]:
    """A row per person: review states in the open cycle, lateness, readiness, verdicts, heatmap.

    Callers that already know the open cycle, the review states or the managers' names pass
    them in, so a page costs the same fixed number of queries whatever its size. Only the team
    page shows the heatmap; other callers skip its values (`with_heat=False`).
    """
    if not people:
        return []
    ids = [p.id for p in people]
    if manager_names is None:
        known = {p.id: p.name for p in people} | {viewer.id: viewer.name}
        missing = {p.manager_id for p in people if p.manager_id and p.manager_id not in known}
        if missing:
            known.update(db.session.execute(select(User.id, User.name).where(User.id.in_(missing))).tuples())
        manager_names = known
    if cycle is False:
        cycle = open_cycle()
    if states is None:
        states = {}
        if cycle is not None:
            for subject_id, kind, status in db.session.execute(
                select(Review.subject_id, Review.kind, Review.status)
                .where(Review.cycle_id == cycle.id, Review.subject_id.in_(ids))
            ).all():
                states[(subject_id, kind)] = status
    readiness = readiness_summaries(people)
    rows = []
    for person in people:
        entry = readiness[person.id]
        self_state, manager_state = states.get((person.id, "self")), states.get((person.id, "manager"))
        rubric = entry.loaded.rubric if entry.loaded and with_heat else None
        if rubric:
            table, ratings = heat_table(rubric, person.level_key), entry.ratings
        rows.append(TeamRow(
            person=person,
            manager_name=manager_names.get(person.manager_id, "") if person.manager_id else "",
            is_direct=person.manager_id == viewer.id,
            self_status=review_state(self_state),
            manager_status=review_state(manager_state),
            self_late=bool(cycle) and is_late(self_state, cycle.self_review_due, today, done=("submitted",)),
            manager_late=bool(cycle) and is_late(manager_state, cycle.manager_review_due, today,
                                                 done=("submitted", "shared")),
            targets={target.track_key: (target, result) for target, result in entry.results},
            verdicts=entry.verdicts,
            source=entry.source,
            heat={c.key: table.get(ratings.get(c.key)) for c in rubric.competencies} if rubric else {},
        ))
    return rows


@dataclass
class ReportSelection:
    """The filtered org report as SQL: the people, their review states and manager's name."""

    viewer: User
    chosen: TeamFilter
    today: date
    cycle: ReviewCycle | None
    conditions: tuple  # the filters, as WHERE conditions on users (and on the reviews when `reads_reviews`)
    reads_reviews: bool  # whether a condition reads the open cycle's review statuses

    def _joined(self, statement, *, reviews: bool):
        """`statement` with the open cycle's self and manager reviews joined (when asked) and the filters."""
        if reviews and self.cycle is not None:
            mine, theirs, cycle_id = _MINE, _THEIRS, self.cycle.id
            statement = (
                statement
                .outerjoin(mine, and_(mine.subject_id == User.id, mine.cycle_id == cycle_id, mine.kind == "self"))
                .outerjoin(theirs, and_(theirs.subject_id == User.id, theirs.cycle_id == cycle_id,
                                        theirs.kind == "manager")))
        return statement.where(*self.conditions)

    @cached_property
    def extras(self) -> tuple:
        """The columns the report shows next to a person: self and manager review status, manager's name."""
        if self.cycle is None:
            return db.null().label("self_status"), db.null().label("manager_status"), _BOSS.name
        return _MINE.status, _THEIRS.status, _BOSS.name

    @cached_property
    def statement(self):
        """SELECT a person's columns, self status, manager status, manager name for everyone
        selected (plain columns, not ORM users: see `PersonRow`)."""
        return (self._joined(select(*_PERSON_COLUMNS, *self.extras), reviews=True)
                .outerjoin(_BOSS, _BOSS.id == User.manager_id))

    def _rows(self, statement) -> list[tuple]:
        """(PersonRow, self status, manager status, manager name) for each row of the statement."""
        return [(PersonRow(*row[:6]), *row[6:]) for row in db.session.execute(statement).all()]

    def count_and_managers(self) -> tuple[int, list[tuple[int, str]]]:
        """How many people are selected, and their managers (id, name) for the filter, in name
        order: one query (the selection grouped by manager, then the managers' names joined to
        the groups); the reviews are joined only when a filter reads them (SQLite does not
        drop unused outer joins)."""
        selected = self._joined(select(User.manager_id), reviews=self.reads_reviews).subquery()
        groups = select(selected.c.manager_id, func.count().label("people")).group_by(selected.c.manager_id).subquery()
        boss = _MANAGER
        rows = db.session.execute(
            select(boss.id, boss.name, groups.c.people).select_from(groups)
            .outerjoin(boss, boss.id == groups.c.manager_id).order_by(boss.name, boss.id)).all()
        return sum(n for _, _, n in rows), [(boss_id, name) for boss_id, name, _ in rows if boss_id is not None]

    def rows(self, people_rows) -> list[TeamRow]:
        """Full rows (readiness included) for some of the selected people, in their order."""
        people, states, names = [], {}, {self.viewer.id: self.viewer.name}
        for person, self_status, manager_status, manager_name in people_rows:
            people.append(person)
            if self_status:
                states[(person.id, "self")] = self_status
            if manager_status:
                states[(person.id, "manager")] = manager_status
            if person.manager_id:
                names[person.manager_id] = manager_name or ""
        return team_rows(self.viewer, people, self.today, cycle=self.cycle, states=states, manager_names=names,
                         with_heat=False)

    def page(self, sort: str, page: int, size: int) -> list[TeamRow]:
        """One page in the chosen order; readiness is computed for that page only, except for
        the readiness sorts, which need everyone's coverage first (computed in chunks)."""
        if sort in READINESS_SORTS:
            ordered = self.readiness_order(sort)
            wanted = ordered[(page - 1) * size: page * size]
            by_id = {r[0].id: r for r in self._rows(self.statement.where(User.id.in_(wanted)))} if wanted else {}
            return self.rows(by_id[i] for i in wanted if i in by_id)
        return self.rows(self._rows(self.statement.order_by(*_sql_order(sort)).limit(size).offset((page - 1) * size)))

    def readiness_order(self, sort: str) -> list[int]:
        """Everyone's id, most ready first (ties in name order), from chunked bulk readiness."""
        key, reverse = SORTS[sort]
        scored = []
        for chunk in self.chunks("name"):
            scored.extend((key(row), row.person.id) for row in self.rows(chunk))
        # sorted() is stable, also with reverse=True: equal coverages keep the name order
        return [person_id for _, person_id in sorted(scored, key=lambda pair: pair[0], reverse=reverse)]

    def chunks(self, sort: str) -> Iterator[list]:
        """The selection in order, CHUNK people at a time (readiness is computed per chunk)."""
        rows = self._rows(self.statement.order_by(*_sql_order(sort)))
        for start in range(0, len(rows), CHUNK):
            yield rows[start:start + CHUNK]


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


_PERSON_COLUMNS = (User.id, User.name, User.email, User.level_key, User.track_key, User.manager_id)


def team_of(manager: User) -> list[PersonRow]:
    """Everyone below a manager, directly or not, in name order (one query)."""
    return [PersonRow(*row) for row in db.session.execute(
        select(*_PERSON_COLUMNS).where(User.id.in_(report_ids_query(manager.id))).order_by(User.name, User.id)).all()]


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
    cycle = open_cycle()
    mine, theirs = _MINE, _THEIRS
    conditions = [scope]
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
        status_conditions.append(or_(mine.status.is_(None), mine.status == "draft"))
    elif chosen.status == "manager-not-shared":
        status_conditions.append(or_(theirs.status.is_(None), theirs.status != "shared"))
    elif chosen.status == "late":
        self_late = and_(db.literal(today > cycle.self_review_due),
                         or_(mine.status.is_(None), mine.status.not_in(("submitted",))))
        manager_late = and_(db.literal(today > cycle.manager_review_due),
                            or_(theirs.status.is_(None), theirs.status.not_in(("submitted", "shared"))))
        status_conditions.append(or_(self_late, manager_late))
    return ReportSelection(viewer, chosen, today, cycle, (*conditions, *status_conditions), bool(status_conditions))


__all__ = ["NOT_STARTED", "PersonRow", "ReportSelection", "report_selection", "scope_condition", "team_of", "team_rows"]
