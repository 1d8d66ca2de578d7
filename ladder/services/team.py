"""Team and organisation views, loaded with a bounded number of queries whatever the team size.

The org report filters, counts, sorts and pages in SQL, then computes readiness only for the
page it shows; the CSV streams the same selection in chunks, each with a fixed number of
queries. Only the readiness sorts need everyone's coverage first (computed in chunks too).
The team page is the same kind of selection (everyone below the manager), paged manager by
manager. A reporting tree is read once a request (`tree_groups`: its managers); the page then
selects people by their manager. The manager filter is a dropdown up to MANAGER_LIST_LIMIT
managers in scope and a text field above, so no page lists every manager of a large organisation.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..database import any_of
from ..domain.reviews import reviewed_rubric
from ..domain.statuses import MANAGER_REVIEW_DONE, SELF_REVIEW_DONE, ReviewKind, ReviewStatus
from ..domain.team import (
    COUNT_LIMIT,
    MANAGER_LIST_LIMIT,
    NOT_STARTED,
    SORTS,
    TARGET_KINDS,
    ManagerChoice,
    TeamFilter,
    TeamRow,
    choose_manager,
    groups_on_page,
    heat_table,
    is_late,
    names_containing,
    review_state,
    subtree_managers,
    targets_by_kind,
)
from ..extensions import db
from ..models import Review, ReviewCycle, User, Verdict
from .people import has_reports, report_tree
from .readiness import readiness_summaries
from .reviews import open_cycle

CHUNK = 500  # people per readiness batch in the CSV and the readiness sorts
READINESS_SORTS = tuple(TARGET_KINDS)


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

    def count(self, up_to: int | None = None) -> int:
        """How many people are selected (the reviews joined only when a filter reads them); with
        `up_to`, at most that many are counted."""
        selected = self._joined(select(User.id), reviews=self.reads_reviews).limit(up_to).subquery()
        return db.session.scalar(select(func.count()).select_from(selected)) or 0

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

    def page(self, sort: str, page: int, size: int, *, groups: list[tuple[int | None, str | None, int]] | None = None,
             with_heat: bool = False) -> list[TeamRow]:
        """One page in the chosen order; readiness is computed for that page only, except for
        the readiness sorts, which need everyone's coverage first (computed in chunks).
        With `groups` ((manager id, name, people) in page order, as `Scoped.groups`) people come
        manager by manager, in the chosen order within each group, and the page reads only the
        people of the groups it falls in: ordering a tree of thousands by manager name made
        PostgreSQL scan and hash the whole users table for every page."""
        group_order = None if groups is None else [manager_id for manager_id, _, _ in groups]
        if sort in READINESS_SORTS:
            ordered = self.readiness_order(sort, group_order)
            wanted = ordered[(page - 1) * size: page * size]
            by_id = {r[0].id: r for r in self._rows(self.statement.where(User.id.in_(wanted)))} if wanted else {}
            return self.rows((by_id[i] for i in wanted if i in by_id), with_heat=with_heat)
        offset = (page - 1) * size
        if groups is None:
            statement = self.statement.order_by(*_sql_order(sort))
        else:
            managers, offset = groups_on_page(groups, offset, size)
            if not managers:
                return []
            statement = self.statement.where(any_of(User.manager_id, managers, db.session.get_bind())).order_by(
                _BOSS.name, _BOSS.id, *_sql_order(sort))
        return self.rows(self._rows(statement.limit(size).offset(offset)), with_heat=with_heat)

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
    ladder_id: int | None


_PERSON_COLUMNS = (User.id, User.name, User.email, User.level_key, User.track_key, User.manager_id, User.ladder_id)


def _sql_order(sort: str) -> list:
    name = func.lower(User.name)
    if sort == "level":
        return [User.level_key, name, User.id]
    return [name, User.id]


_BOSS, _MINE, _THEIRS = aliased(User), aliased(Review), aliased(Review)  # built once: aliasing is not free
_MANAGER = aliased(User)  # the managers filter's own alias (the selection already joins _BOSS)


@dataclass(frozen=True)
class TreeGroup:
    """A manager in a reporting tree, with the people on the ladder who report to them directly."""

    manager_id: int
    name: str
    boss_id: int | None  # the manager's own manager: who is below whom, without another tree query
    people: int
    matching: int  # of them, those the filters (all but the manager filter) keep


@dataclass(frozen=True)
class Scoped:
    """A page's selection with its manager filter resolved: what the team page and the org
    report show around their rows."""

    selection: ReportSelection
    counted: int | None  # how many are selected, when the tree's groups said it (else counted on demand)
    choice: ManagerChoice
    options: list[tuple[int, str]] | None  # the dropdown's managers; None: a text field instead
    groups: list[tuple[int | None, str | None, int]]  # the team page's groups, in page order
    total: int  # the team page: everyone in the tree, whatever the filters
    count_limit: int | None = COUNT_LIMIT  # when not `counted`: count up to this many (None: all)

    @cached_property
    def count(self) -> int:
        """How many people are selected: a statement only for the admin's scope, and only when
        a page shows it (the CSV does not), counting at most `count_limit` + 1 (see `more_than_counted`)."""
        if self.counted is not None:
            return self.counted
        return self.selection.count(None if self.count_limit is None else self.count_limit + 1)

    @property
    def more_than_counted(self) -> bool:
        """Whether the admin's selection holds more than `count_limit` people: the page then says
        "more than" and pages on without a last page."""
        return self.counted is None and self.count_limit is not None and self.count > self.count_limit


def tree_groups(viewer: User, top_id: int, chosen: TeamFilter, today: date) -> tuple[list[TreeGroup], ReportSelection]:
    """Every manager of someone below `top_id`, in name order, with how many report to them
    directly and how many of those the filters keep: the one query that reads the tree (a
    recursive CTE); the page then selects people by their manager (`_by_managers`, from the
    selection returned with the groups: the open cycle is not read twice).
    Without filters the groups are counted from the tree alone, which reads only an index
    (`report_tree`); a filter joins each person's row (and reviews) to decide who it keeps.
    Each group's names are scalar subqueries, not a join: PostgreSQL guesses thousands of rows
    out of the recursive query and hashed the whole users table for a team of 55."""
    within = _selection(viewer, _IN_TREE, replace(chosen, manager_id=None), today)
    filters = within.conditions[_SCOPE_CONDITIONS:]
    statement = _groups_statement(within) if filters else _UNFILTERED_GROUPS
    rows = db.session.execute(statement, {"top_id": top_id}).all()
    return [TreeGroup(*row) for row in rows], within


def _groups_statement(within: ReportSelection | None) -> Select[int, str, int | None, int, int]:
    """The groups of `tree_groups`: per manager in the tree (`top_id` bound), how many report to
    them and how many of those `within`'s filters keep (all of them without a selection)."""
    filters = within.conditions[_SCOPE_CONDITIONS:] if within else ()
    kept = case((and_(*filters), 1), else_=0) if filters else db.literal(1)
    members = select(_TREE.c.manager_id, kept.label("kept")).where(_TREE.c.on_ladder.is_(True))
    if within and filters:
        members = replace(within, conditions=())._joined(members.join(User, User.id == _TREE.c.id),
                                                         reviews=within.reads_reviews)
    selected = members.subquery()
    groups = (select(selected.c.manager_id, func.count().label("people"), func.sum(selected.c.kept).label("kept"))
              .group_by(selected.c.manager_id).subquery())
    name = select(_MANAGER.name).where(_MANAGER.id == groups.c.manager_id).scalar_subquery()
    boss = select(_MANAGER.manager_id).where(_MANAGER.id == groups.c.manager_id).scalar_subquery()
    return select(groups.c.manager_id, name, boss, groups.c.people, groups.c.kept).order_by(name, groups.c.manager_id)


# Built once, the tree's root bound as `top_id`: building the recursive CTE and the grouping
# cost 2.6 ms of CPU a request for the team page of 55 people, about what running them costs.
# `_IN_TREE` is the scope of the selection `tree_groups` returns; the pages never run it as it
# is (`_by_managers` puts the managers in its place), and a statement that did would fail for
# want of `top_id`, not read the wrong people.
_TREE = report_tree(bindparam("top_id"))
_IN_TREE = User.id.in_(select(_TREE.c.id))
_UNFILTERED_GROUPS = _groups_statement(None)


def team_view(manager: User, chosen: TeamFilter, typed: str | None, today: date) -> Scoped | None:
    """Everyone below a manager, directly or not, manager by manager, with the team page's
    filters. The manager filter means that manager's whole team and only offers managers of
    the viewer's own tree: one outside it is ignored. None for someone without reports on a ladder."""
    groups, within = tree_groups(manager, manager.id, chosen, today)
    if not groups:
        return None
    managers = [(group.manager_id, group.name) for group in groups]
    choice = choice_among(managers, chosen.manager_id, typed)
    if choice.manager_id is not None:
        below = subtree_managers({group.manager_id: group.boss_id for group in groups}, choice.manager_id)
        groups_shown = [group for group in groups if group.manager_id in below]
    else:
        groups_shown = groups
    shown_groups = [group for group in groups_shown if group.matching]
    shown: list[tuple[int | None, str | None, int]] = [(g.manager_id, g.name, g.matching) for g in shown_groups]
    selection = _by_managers(within, [group.manager_id for group in shown_groups],
                             replace(chosen, manager_id=choice.manager_id))
    return Scoped(selection, sum(people for _, _, people in shown), choice, dropdown_of(managers), shown,
                  sum(group.people for group in groups))


def report_view(viewer: User, chosen: TeamFilter, typed: str | None, today: date, *,
                exact_count: bool = False) -> Scoped | None:
    """The org report's selection with every filter in SQL; None if the viewer has no report.
    An admin's scope is everyone (a plain predicate: bounded queries find the managers), counted
    up to COUNT_LIMIT unless `exact_count`; anyone else's is their tree, read once
    (`tree_groups`), which counts it exactly. The manager filter means that manager's direct
    reports, and a manager outside the scope is ignored."""
    if viewer.is_admin:
        return _everyone_view(viewer, chosen, typed, today, count_limit=None if exact_count else COUNT_LIMIT)
    if not has_reports(viewer.id):
        return None
    groups, within = tree_groups(viewer, viewer.id, chosen, today)
    managers = [(group.manager_id, group.name) for group in groups]
    choice = choice_among(managers, chosen.manager_id, typed)
    kept = [group for group in groups
            if group.matching and choice.manager_id in (None, group.manager_id)]
    selection = _by_managers(within, [group.manager_id for group in kept],
                             replace(chosen, manager_id=choice.manager_id))
    return Scoped(selection, sum(group.matching for group in kept), choice, dropdown_of(managers), [], 0)


def _everyone_view(viewer: User, chosen: TeamFilter, typed: str | None, today: date, *,
                   count_limit: int | None) -> Scoped:
    """The admin's report: the first MANAGER_LIST_LIMIT + 1 managers decide between the
    dropdown and the text field; a search or a chosen manager is one more bounded query."""
    options = every_manager_if_few(MANAGER_LIST_LIMIT)
    if options is not None:
        choice = choice_among(options, chosen.manager_id, typed)
    else:
        options = None
        choice = choose_manager(chosen.manager_id, typed, _manager_named,
                                lambda text, limit: managers_of_everyone(limit, containing=text))
    selection = _selection(viewer, User.is_active_account, replace(chosen, manager_id=choice.manager_id), today)
    return Scoped(selection, None, choice, options, [], 0, count_limit)


# Who makes someone a manager in the admin's scope: a report active and on the ladder.
_COUNTED_REPORT = (User.is_active_account, User.on_ladder.is_(True))


def managers_of_everyone(limit: int, *, containing: str = "", only: int | None = None) -> list[tuple[int, str]]:
    """Managers of someone active on the ladder, (id, name) in name order, at most `limit`:
    walks `ix_users_name_order` and stops at the limit (each manager checked through
    `ix_users_manager_id`), so its cost follows the limit, not the organisation."""
    has_report = exists(select(User.id).where(User.manager_id == _MANAGER.id, *_COUNTED_REPORT))
    statement = select(_MANAGER.id, _MANAGER.name).where(has_report)
    if containing:
        statement = statement.where(func.lower(_MANAGER.name).contains(containing.lower(), autoescape=True))
    if only is not None:
        statement = statement.where(_MANAGER.id == only)
    statement = statement.order_by(func.lower(_MANAGER.name), _MANAGER.id).limit(limit)
    return [(manager_id, name) for manager_id, name in db.session.execute(statement).all()]


def every_manager_if_few(limit: int) -> list[tuple[int, str]] | None:
    """Every manager of someone active on the ladder, (id, name) in name order, when there are
    at most `limit`; None when there are more. One statement that reads the first `limit` + 1
    managers in `ix_users_reports`' order (distinct, stopping there), then names and sorts only
    those. Walking everyone in name order until 101 managers were found read 917 people at
    50,000 (1.9 ms against 0.7), a cost that grew with the people who manage no one."""
    few = (select(User.manager_id).where(User.manager_id.is_not(None), *_COUNTED_REPORT)
           .distinct().limit(limit + 1).cte("few"))
    rows = db.session.execute(select(_MANAGER.id, _MANAGER.name).join(few, few.c.manager_id == _MANAGER.id)
                              .order_by(func.lower(_MANAGER.name), _MANAGER.id)).all()
    return [(manager_id, name) for manager_id, name in rows] if len(rows) <= limit else None


def _manager_named(manager_id: int) -> str | None:
    """A manager's name, if they manage someone active on the ladder (the admin's scope)."""
    return next((name for _, name in managers_of_everyone(1, only=manager_id)), None)


def dropdown_of(managers: list[tuple[int, str]]) -> list[tuple[int, str]] | None:
    """The managers in scope as the filter's dropdown, or None: over MANAGER_LIST_LIMIT, a
    text field instead (hundreds of options are a long page to render and to scroll)."""
    return managers if len(managers) <= MANAGER_LIST_LIMIT else None


def choice_among(managers: list[tuple[int, str]], chosen_id: int | None, typed: str | None) -> ManagerChoice:
    """The manager filter when every manager in scope is already loaded (no query): the team
    page, a director's report, calibration."""
    names = dict(managers)
    return choose_manager(chosen_id, typed, names.get, lambda text, limit: names_containing(managers, text, limit))


def _by_managers(within: ReportSelection, manager_ids: list[int], shown: TeamFilter) -> ReportSelection:
    """The people of a tree's selection who report directly to these managers, with its
    filters: the same people as the tree (everyone in a tree reports to someone in it, or to its top)."""
    return replace(within, chosen=shown,
                   conditions=(any_of(User.manager_id, manager_ids, db.session.get_bind()), *within.conditions[1:]))


_SCOPE_CONDITIONS = 2  # a selection's conditions begin with its scope and "on a ladder", then the filters


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


__all__ = ["NOT_STARTED", "PersonRow", "ReportSelection", "Scoped", "TreeGroup", "report_view", "team_view",
           "tree_groups"]
