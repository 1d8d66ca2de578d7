"""Calibration of one cycle over the viewer's scope, in a fixed number of queries.

Reads one row a person of the cycle in the scope, with what their finished reviews keep (readiness
toward each target, and the manager review's rating counts: the distributions are sums of those),
then for reviews finished before either was kept, the counts (one GROUP BY in the database) and the
ratings of the readiness source (one), and the cycle's verdicts as plain columns (one); readiness
is the cycle's own manager review's (submitted or shared: calibration happens before sharing),
else the submitted self-review's. The figures themselves are `ladder.domain.calibration`.
"""
from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import astuple, dataclass, field, replace
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Select,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.orm import aliased

from ..database import one_of
from ..domain import calibration as rules
from ..domain.calibration import (
    CalibrationFilter,
    Distribution,
    LevelTrackGroup,
    RatingCounts,
    VerdictCase,
    VerdictTally,
)
from ..domain.readiness import readiness_targets
from ..domain.rubric import Rubric
from ..domain.statuses import REVIEW_DONE, ReviewKind
from ..domain.team import ManagerChoice
from ..extensions import db
from ..models import Review, ReviewCycle, User, Verdict
from . import audit
from .ladders import LoadedVersion, load_version
from .people import has_reports, report_tree
from .rating_counts import KEPT, counts_by_subject
from .readiness import ratings_by_review
from .team import choice_among, dropdown_of


class CalibrationError(ValueError):
    """A calibration change that cannot be made, with the reason to show."""


def calibrates_everyone(viewer: User) -> bool | None:
    """Whom the viewer calibrates: everyone (True: admins), their reporting tree (False: anyone
    with reports), or nobody (None: engineers and mentors)."""
    if viewer.is_admin:
        return True
    return False if has_reports(viewer.id) else None


def _members(root: int | BindParameter[int] | None) -> FromClause:
    """Rows of id, name, manager_id and on_ladder: everyone (no root), or the tree below a root
    (`report_tree`: read from an index alone)."""
    if root is None:
        return select(User.id, User.name, User.manager_id, User.on_ladder).subquery("members")
    return report_tree(root)


def scope_condition(viewer: User) -> ColumnElement[bool] | None:
    """Whom the viewer calibrates (`calibrates_everyone`), as a WHERE condition on users (None: nobody)."""
    everyone = calibrates_everyone(viewer)
    if everyone is None:
        return None
    return true() if everyone else User.id.in_(select(report_tree(viewer.id).c.id))


def in_scope(viewer: User, subject_id: int) -> bool:
    condition = scope_condition(viewer)
    return condition is not None and db.session.scalar(
        select(User.id).where(User.id == subject_id, condition)) is not None


Figures = list  # [coverage, bar, meets the bar] toward one target, as kept on a review


@dataclass
class Calibration:
    cycle: ReviewCycle
    loaded: LoadedVersion
    chosen: CalibrationFilter  # the filters applied: a manager outside the scope is dropped
    org: Distribution
    managers: list[Distribution]
    groups: list[LevelTrackGroup]
    flagged_managers: set[int]
    choice: ManagerChoice  # the manager filter as chosen or typed
    manager_options: list[tuple[int, str]] | None  # the filter's dropdown; None: a text field instead
    people: int
    targets: list[str] = field(default_factory=list)  # target level keys present, for the filter
    # the people the filters keep, in page order (by name), each with their targets' figures in order
    ordered: list[tuple[int, _Person, list[tuple[str, Figures]]]] = field(default_factory=list, repr=False)
    verdicts: dict[tuple[int, str], tuple[int, str, str | None]] = field(default_factory=dict, repr=False)

    @cached_property
    def case_count(self) -> int:
        """People and targets the filters keep: the rows of the cases table."""
        return sum(len(targets) for _, _, targets in self.ordered)

    def cases(self, start: int = 0, stop: int | None = None) -> list[VerdictCase]:
        """The cases table's rows from `start` to `stop` (by name, then target), built only for those:
        the groups and flags are counted without them."""
        stop = self.case_count if stop is None else min(stop, self.case_count)
        found: list[VerdictCase] = []
        position = 0
        for subject_id, person, targets in self.ordered:
            if position >= stop:
                break
            if position + len(targets) <= start:
                position += len(targets)
                continue
            rated = person.source is not None
            for target_key, (coverage, bar, meets_bar) in targets:
                if start <= position < stop:
                    latest_id, latest, original = self.verdicts.get((subject_id, target_key), _NO_VERDICT)
                    found.append(VerdictCase(subject_id, person.name, person.manager_id, person.level, person.track,
                                             target_key, latest, latest_id, coverage if rated else None, bar,
                                             meets_bar, original))
                position += 1
        return found


_NO_VERDICT = (None, None, None)
_NO_VERDICTS: dict[str, str] = {}  # the verdicts of a person who has none (read, never written)


def calibration_of(cycle: ReviewCycle, viewer: User, chosen: CalibrationFilter,
                   typed_manager: str | None = None) -> Calibration | None:
    """Everything the calibration page shows for this viewer; None if they calibrate nobody.
    The organisation's distribution covers the whole scope; the filters narrow the rest. The
    manager filter is an id (the dropdown) or, over MANAGER_LIST_LIMIT managers, the text typed
    (`typed_manager`), resolved among the managers in scope."""
    scope_is_everyone = calibrates_everyone(viewer)
    if scope_is_everyone is None:
        return None
    loaded = load_version(cycle.ladder_version_id)
    people, manager_names, everyone = _people(cycle, loaded, viewer, scope_is_everyone)
    in_scope = sorted(manager_names.items(), key=lambda pair: pair[1].lower())
    choice = choice_among(in_scope, chosen.manager_id, typed_manager)
    chosen = replace(chosen, manager_id=choice.manager_id)
    per_manager, counts = _per_manager(people)
    org, managers = rules.distributions(per_manager, counts, manager_names)
    if chosen.manager_id is not None:
        managers = [d for d in managers if d.manager_id == chosen.manager_id]
    kept = people if chosen.keeps_everyone else {
        sid: p for sid, p in people.items() if chosen.keeps_person(p.manager_id, p.level, p.track)}
    verdicts = _verdicts(cycle, kept) if kept else {}
    ordered, tally = _tally(kept, _readiness(kept), verdicts, chosen)
    return Calibration(cycle, loaded, chosen, org, managers, tally.groups([lv.key for lv in loaded.rubric.levels]),
                       tally.all_ready_now_managers(), choice, dropdown_of(in_scope), everyone, _targets(people),
                       ordered, verdicts)


def _tally(people: dict[int, _Person], figures: dict[int, dict[str, Figures]],
           verdicts: dict[tuple[int, str], tuple[int, str, str | None]],
           chosen: CalibrationFilter) -> tuple[list[tuple[int, _Person, list[tuple[str, Figures]]]], VerdictTally]:
    """Each person's verdict toward each target the filters keep, next to readiness from the cycle's
    manager review, else the self-review: counted into the groups and flags, and listed in page
    order (the people sorted by name, then their targets) for the page's rows."""
    tally = VerdictTally()
    ordered = []
    shown: dict[tuple[str, ...], list[str]] = {}  # a person's targets -> those the filter keeps, in order
    latest: dict[int, dict[str, str]] = {}  # person -> target -> verdict: most people have none
    for (subject_id, target_key), (_, value, _) in verdicts.items():
        latest.setdefault(subject_id, {})[target_key] = value
    for subject_id, person in sorted(people.items(), key=lambda item: (item[1].name.lower(), item[0])):
        of_person = figures[subject_id]
        if (kept_keys := shown.get(keys := tuple(of_person))) is None:
            kept_keys = shown[keys] = [key for key in sorted(keys) if chosen.keeps_target(key)]
        if not kept_keys:
            continue
        targets = [(key, of_person[key]) for key in kept_keys]
        tally.add(subject_id, person.manager_id, person.level, person.track, targets,
                  latest.get(subject_id, _NO_VERDICTS), person.source_review is not None)
        ordered.append((subject_id, person, targets))
    return ordered, tally


def _targets(people: dict[int, _Person]) -> list[str]:
    """The target levels present, for the filter: once per ladder version, level and track, not
    per person (2,500 people asked for their targets cost 10 ms)."""
    placed = {(p.loaded.version_id, p.level, p.track): p.rubric for p in people.values()}
    return sorted({t.level.key for (_, level, track), rubric in placed.items()
                   for t in readiness_targets(rubric, level, track) if t.level})


def _per_manager(people: dict[int, _Person]) -> tuple[dict[int | None, int], dict[int | None, RatingCounts]]:
    """People and rating counts per manager (None: no manager): the counts kept on each manager
    review, summed as plain numbers (a RatingCounts a person cost more than the sums); those of
    reviews finished before they were kept, counted by the database."""
    per_manager: dict[int | None, int] = {}
    sums: dict[int | None, list[int]] = {}
    unkept = [review_id for p in people.values() if p.counts is None and p.manager_review
              for review_id in (p.manager_review, p.self_review) if review_id]
    counted = {subject_id: astuple(figures) for subject_id, figures in counts_by_subject(unkept).items()}
    for subject_id, person in people.items():
        manager_id = person.manager_id
        per_manager[manager_id] = per_manager.get(manager_id, 0) + 1
        figures = person.counts if person.counts is not None else counted.get(subject_id)
        if figures is not None:
            if (total := sums.get(manager_id)) is None:
                sums[manager_id] = list(figures)
            else:
                for index, value in enumerate(figures):
                    total[index] += value
    return per_manager, {manager_id: RatingCounts(*total) for manager_id, total in sums.items()}


@dataclass(slots=True)
class _Person:
    """One person of the cycle in scope, as calibration reads them (one row each)."""

    name: str
    manager_id: int | None
    level: str
    track: str
    loaded: LoadedVersion  # the ladder version their review is on
    manager_review: int | None  # the finished manager review's id
    self_review: int | None  # the submitted self-review's id
    readiness: dict | None  # kept on the source review (the manager's, else the self-review)
    counts: tuple[int, ...] | None  # RatingCounts' figures, kept on the manager review (None: none, or not kept)

    @property
    def rubric(self) -> Rubric:
        return self.loaded.rubric

    @property
    def source_review(self) -> int | None:
        return self.manager_review or self.self_review

    @property
    def source(self) -> str | None:
        """Which finished review readiness is computed from: the manager's, else the self-review."""
        return "manager" if self.manager_review else ("self" if self.self_review else None)


_TREE_ROOT: BindParameter[int] = bindparam("tree_root")
_CYCLE: BindParameter[int] = bindparam("cycle_id")


@cache
def _people_statement(everyone: bool, per_person: bool) -> Select[Any]:
    """The row-a-person statement of `_people` over everyone (admins) or a manager's tree (bound
    as tree_root), for the cycle bound as cycle_id: built once, not on each request (building it
    and the tree's CTE cost 3.4 ms of CPU). Everyone in scope is a row, reviewed or not; the
    kept readiness is read in the grouping, as text.

    `per_person` (a tree on PostgreSQL): each person's reviews are looked up by person, in a
    LATERAL subquery (OFFSET 0, so that PostgreSQL does not flatten it into a plain join). The
    planner guesses a tree's size from the average team (2,258 people for a manager of 55 at
    10,000), and on that guess it hashed every review of the cycle for one manager's page (15,015
    rows, 14.6 against 0.7 ms); the larger the organisation, the more it read, until the cycle was
    large enough for the plan to change. SQLite has no LATERAL; its planner walks the people."""
    members = _members(None if everyone else _TREE_ROOT)
    member = members.c
    reviews: FromClause
    if not per_person:
        review, reviews = Review, Review.__table__
        joined_on = and_(Review.subject_id == member.id, Review.cycle_id == _CYCLE)
    else:
        reviews = (select(Review).where(Review.subject_id == member.id, Review.cycle_id == _CYCLE)
                   .offset(0).lateral("person_reviews"))
        review, joined_on = aliased(Review, reviews), true()
    done = {kind: and_(review.kind == kind, review.status.in_(statuses)) for kind, statuses in REVIEW_DONE.items()}
    finished_manager_review = func.max(case((done[ReviewKind.MANAGER], review.id)))
    # one review of each kind a person and cycle (a unique constraint): the max is that review's;
    # readiness is the finished manager review's if there is one, else the submitted self-review's
    kept_readiness_of = {kind: func.max(case((done[kind], cast(review.readiness, Text)))) for kind in done}
    source_readiness = case((finished_manager_review.is_not(None), kept_readiness_of[ReviewKind.MANAGER]),
                            else_=kept_readiness_of[ReviewKind.SELF])
    return (select(member.id, member.name, member.manager_id, member.on_ladder, func.count(review.id),
                   func.max(review.subject_level_key), func.max(review.subject_track_key),
                   func.max(review.ladder_version_id), finished_manager_review,
                   func.max(case((done[ReviewKind.SELF], review.id))), source_readiness,
                   *(func.max(case((done[ReviewKind.MANAGER], getattr(review, column.key)))) for column in KEPT))
            .select_from(members)
            .outerjoin(reviews, joined_on)
            .group_by(member.id, member.name, member.manager_id, member.on_ladder))


def _people(cycle: ReviewCycle, loaded: LoadedVersion, viewer: User,
            scope_is_everyone: bool) -> tuple[dict[int, _Person], dict[int, str], int]:
    """The people of the cycle in the viewer's scope (`calibrates_everyone`) whom their review's ladder
    places (level and track), with their finished reviews and what is kept on them; the managers'
    names; and how many people have a review of the cycle at all (one statement, a row per person
    in scope: `_people_statement`). The managers' names come from the rows (the viewer's own from
    the viewer), not looked up a row (8,001 buffer reads for a tree of 2,885), and a manager's tree
    carries the names in its index (`report_tree`). Run on the session's connection (Core): plain
    columns need none of the ORM's row loading, which cost 2.5 ms of CPU for 2,540 rows."""
    per_person = not scope_is_everyone and db.session.get_bind().dialect.name == "postgresql"
    rows = db.session.connection().execute(
        _people_statement(scope_is_everyone, per_person),
        {"cycle_id": cycle.id} if scope_is_everyone else {"cycle_id": cycle.id, "tree_root": viewer.id}).all()
    names = {viewer.id: viewer.name} | {row[0]: row[1] for row in rows}
    people: dict[int, _Person] = {}
    manager_names: dict[int, str] = {}
    kept_readiness: list[tuple[_Person, str]] = []
    placed: dict[tuple[int | None, str, str], LoadedVersion | None] = {}  # None: the ladder has no such place
    everyone = 0
    for (subject_id, name, manager_id, on_ladder, reviews, level_key, track_key, version_id, manager_review,
         self_review, readiness, *kept) in rows:
        if not (on_ladder and reviews):
            continue
        everyone += 1
        if manager_id is not None:
            manager_names[manager_id] = names[manager_id]
        # each person is calibrated on their review's ladder version (the cycle's, or their own
        # ladder's), asked once per version, level and track rather than once per person
        if (place := (version_id, level_key, track_key)) not in placed:
            on = load_version(version_id) if version_id else loaded
            placed[place] = on if on.rubric.has_level(level_key) and on.rubric.has_track(track_key) else None
        if (reviewed_on := placed[place]) is not None:
            people[subject_id] = _Person(name, manager_id, level_key, track_key, reviewed_on, manager_review,
                                         self_review, None, tuple(kept) if kept[0] is not None else None)
            if readiness is not None:
                kept_readiness.append((people[subject_id], readiness))
    # the kept readiness read as text and parsed in one go: a JSON parse per row was half the
    # CPU of this function for 500 people
    for (someone, _), figures in zip(kept_readiness, json.loads(f"[{','.join(text for _, text in kept_readiness)}]"),
                                    strict=True):
        someone.readiness = figures
    return people, manager_names, everyone


def _readiness(people: dict[int, _Person]) -> dict[int, dict[str, Figures]]:
    """Per person, [coverage, bar, meets the bar] toward each target, from their source review: as
    kept at submission, else computed from the ratings (reviews submitted before it was kept: one
    statement for all of them)."""
    unkept = {p.source_review: p.loaded for p in people.values() if p.readiness is None and p.source_review}
    ratings = ratings_by_review(list(unkept), unkept)
    unrated: dict[tuple[int, str, str], dict[str, Figures]] = {}  # from nothing: the same for a ladder, level and track
    figures = {}
    for subject_id, person in people.items():
        if person.readiness is not None:
            figures[subject_id] = person.readiness
        elif person.source_review:
            figures[subject_id] = rules.readiness_figures(person.rubric, person.level, person.track,
                                                          ratings[person.source_review], person.source)
        else:
            placed = (person.loaded.version_id, person.level, person.track)
            if placed not in unrated:
                unrated[placed] = rules.readiness_figures(person.rubric, person.level, person.track, {}, None)
            figures[subject_id] = unrated[placed]
    return figures


def _verdicts(cycle: ReviewCycle, subject_ids: Collection[int]) -> dict[tuple[int, str], tuple[int, str, str | None]]:
    """Per person and target, the latest verdict of the cycle (id and value) and, if calibration
    changed it, the value it replaced (one query, plain columns). The people are those already
    read, bound as one value (`one_of`), not the scope walked again; on the connection, as `_people`."""
    rows = db.session.connection().execute(
        select(Verdict.id, Verdict.subject_id, Verdict.target_level_key, Verdict.verdict, Verdict.calibrated_from_id)
        .where(Verdict.cycle_id == cycle.id, one_of(Verdict.subject_id, subject_ids, db.session.get_bind()))
        .order_by(Verdict.created_at, Verdict.id)).all()
    values = {verdict_id: value for verdict_id, _, _, value, _ in rows}
    return {(subject_id, target): (verdict_id, value, values.get(replaced) if replaced is not None else None)
            for verdict_id, subject_id, target, value, replaced in rows}


def adjust_verdict(original: Verdict, verdict: str, note: str, *, actor: User) -> Verdict:
    """Change a verdict in calibration: the manager's verdict stays as it was; a new verdict
    records the value, who changed it and why (the note), pointing at the one it replaces."""
    if verdict == original.verdict:
        raise CalibrationError("Choose a different verdict: this one is already recorded.")
    row = Verdict(subject_id=original.subject_id, author_id=actor.id, cycle_id=original.cycle_id,
                  target_level_key=original.target_level_key, verdict=verdict, rationale=note,
                  computed_coverage=original.computed_coverage, calibrated_from_id=original.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor.id, "verdict.calibrate", "verdict", row.id, original.subject_id,
                 {"target": original.target_level_key, "verdict": [original.verdict, verdict], "note": note})
    return row
