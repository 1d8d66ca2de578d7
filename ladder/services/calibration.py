"""Calibration of one cycle over the viewer's scope, in a fixed number of queries.

Reads every review of the cycle in the scope (one statement), the ratings per manager counted
by the database (one GROUP BY: every rating is not read into Python), the ratings of each
person's readiness source (one), and the cycle's verdicts (one); readiness is computed from the
cycle's own manager review (submitted or shared: calibration happens before sharing), else the
submitted self-review. The figures themselves are `ladder.domain.calibration`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import aliased

from ..domain import calibration as rules
from ..domain.calibration import CalibrationFilter, Distribution, LevelTrackGroup, RatingCounts, VerdictCase
from ..domain.readiness import readiness_targets
from ..domain.statuses import REVIEW_DONE
from ..extensions import db
from ..models import Level, Rating, Review, ReviewCycle, User, Verdict
from . import audit
from .ladders import LoadedVersion, load_version
from .people import has_reports, report_ids_query
from .readiness import ratings_by_review


class CalibrationError(ValueError):
    """A calibration change that cannot be made, with the reason to show."""


def scope_condition(viewer: User) -> ColumnElement[bool] | None:
    """Whom the viewer calibrates, as a WHERE condition on users: admins everyone, anyone with
    reports their tree; None for everyone else (engineers and mentors: no calibration)."""
    if viewer.is_admin:
        return true()
    if has_reports(viewer.id):
        return User.id.in_(report_ids_query(viewer.id))
    return None


def in_scope(viewer: User, subject_id: int) -> bool:
    condition = scope_condition(viewer)
    return condition is not None and db.session.scalar(
        select(User.id).where(User.id == subject_id, condition)) is not None


@dataclass
class Calibration:
    cycle: ReviewCycle
    loaded: LoadedVersion
    org: Distribution
    managers: list[Distribution]
    cases: list[VerdictCase]
    groups: list[LevelTrackGroup]
    flagged_managers: set[int]
    contradictions: dict[tuple[int, str], str]  # (subject id, target key) -> why
    manager_choices: list[tuple[int, str]]  # every manager in scope, for the filter
    people: int
    targets: list[str] = field(default_factory=list)  # target level keys present, for the filter


_BOSS = aliased(User)


def calibration_of(cycle: ReviewCycle, viewer: User, chosen: CalibrationFilter) -> Calibration | None:
    """Everything the calibration page shows for this viewer; None if they calibrate nobody.
    The organisation's distribution covers the whole scope; the filters narrow the rest."""
    condition = scope_condition(viewer)
    if condition is None:
        return None
    loaded = load_version(cycle.framework_version_id)
    people, manager_names, everyone = _people(cycle, condition, loaded)
    per_manager: dict[int | None, int] = {}
    for person in people.values():
        per_manager[person["manager_id"]] = per_manager.get(person["manager_id"], 0) + 1
    org, managers = rules.distributions(per_manager, _rating_counts(cycle, people), manager_names)
    if chosen.manager_id is not None:
        managers = [d for d in managers if d.manager_id == chosen.manager_id]
    cases = _cases(cycle, {sid: p for sid, p in people.items()
                           if chosen.keeps_person(p["manager_id"], p["level"], p["track"])}, chosen)
    contradictions = {(c.subject_id, c.target_key): why for c in cases if (why := rules.contradiction(c))}
    return Calibration(cycle, loaded, org, managers, cases,
                       rules.by_level_and_track(cases, [lv.key for lv in loaded.rubric.levels]),
                       rules.all_ready_now_managers(cases), contradictions,
                       sorted(manager_names.items(), key=lambda pair: pair[1].lower()), everyone,
                       sorted({t.level.key for p in people.values()
                               for t in readiness_targets(p["rubric"], p["level"], p["track"]) if t.level}))


def _people(cycle: ReviewCycle, condition: ColumnElement[bool],
            loaded: LoadedVersion) -> tuple[dict[int, dict], dict[int, str], int]:
    """The people of the cycle in scope whom their review's ladder places (level and track), with
    the finished review readiness is computed from; the managers' names; and how many people
    have a review of the cycle at all (one statement)."""
    rows = db.session.execute(
        select(Review.id, Review.kind, Review.status, Review.subject_level_key, Review.subject_track_key,
               Review.framework_version_id, Review.readiness, User.id, User.name, User.manager_id, _BOSS.name)
        .join(User, User.id == Review.subject_id).outerjoin(_BOSS, _BOSS.id == User.manager_id)
        .where(Review.cycle_id == cycle.id, User.on_ladder.is_(True), condition)
    ).all()
    people: dict[int, dict] = {}
    manager_names: dict[int, str] = {}
    for (review_id, kind, status, level_key, track_key, version_id, kept,
         subject_id, name, manager_id, manager_name) in rows:
        # each person is calibrated on their review's ladder version (the cycle's, or their own ladder's)
        reviewed_on = load_version(version_id) if version_id else loaded
        person = people.setdefault(subject_id, {"name": name, "manager_id": manager_id, "level": level_key,
                                                "track": track_key, "reviews": {}, "rubric": reviewed_on.rubric})
        if manager_id is not None:
            manager_names[manager_id] = manager_name
        if status in REVIEW_DONE[kind]:
            person["reviews"][kind] = (review_id, reviewed_on, kept)
    placed = {sid: p for sid, p in people.items()
              if p["rubric"].has_level(p["level"]) and p["rubric"].has_track(p["track"])}
    return placed, manager_names, len(people)


def _cases(cycle: ReviewCycle, people: dict[int, dict], chosen: CalibrationFilter) -> list[VerdictCase]:
    """Each person's verdict toward each target next to readiness from the cycle's manager review,
    else the self-review: as kept at submission, else computed from the ratings (reviews
    submitted before it was kept: one statement for all of them), and the verdicts (one)."""
    figures = _readiness(people)
    verdicts = _verdicts(cycle, list(people))
    cases = []
    for subject_id, person in people.items():
        source = _source(person["reviews"])
        for target_key, (coverage, bar, meets_bar) in figures[subject_id].items():
            if not chosen.keeps_target(target_key):
                continue
            latest, original = verdicts.get((subject_id, target_key), (None, None))
            cases.append(VerdictCase(
                subject_id, person["name"], person["manager_id"], person["level"], person["track"], target_key,
                latest.verdict if latest else None, latest.id if latest else None,
                coverage if source else None, bar, meets_bar, original.verdict if original else None))
    cases.sort(key=lambda c: (c.subject_name.lower(), c.target_key))
    return cases


def _readiness(people: dict[int, dict]) -> dict[int, dict[str, list]]:
    """Per person, [coverage, bar, meets the bar] toward each target, from their source review."""
    sources = {sid: p["reviews"][kind] for sid, p in people.items() if (kind := _source(p["reviews"]))}
    unkept = {review_id: loaded for review_id, loaded, kept in sources.values() if kept is None}
    ratings = ratings_by_review(list(unkept), unkept)
    figures = {}
    for subject_id, person in people.items():
        review_id, _, kept = sources.get(subject_id, (None, None, None))
        figures[subject_id] = kept if kept is not None else rules.readiness_figures(
            person["rubric"], person["level"], person["track"], ratings.get(review_id, {}),
            _source(person["reviews"]))
    return figures


def _source(reviews: dict[str, tuple]) -> str | None:
    """Which finished review readiness is computed from: the manager's, else the self-review."""
    return "manager" if "manager" in reviews else ("self" if "self" in reviews else None)


_CURRENT = aliased(Level)


def _rating_counts(cycle: ReviewCycle, people: dict[int, dict]) -> dict[int | None, RatingCounts]:
    """Per manager (None: people without one), the finished manager reviews' ratings below, at
    and above each person's level, and the manager-minus-self gaps over competencies the
    submitted self-review rated too: counted by the database (one statement, a row per manager),
    whatever the number of ratings. A rating's rank is its level's; "below" is one under the
    person's level. The reviews are named by id, as everywhere on this page: joining the scope's
    tree to every rating let PostgreSQL pick a nested loop per rating on fresh tables."""
    review_ids = [review_id for person in people.values() for review_id, *_ in person["reviews"].values()]
    if not review_ids:
        return {}
    rank = case((Rating.below_current, _CURRENT.rank - 1), else_=Level.rank)
    manager = Review.kind == "manager"
    per_competency = (
        select(Review.subject_id.label("subject_id"), func.max(case((manager, rank))).label("mine"),
               func.max(case((~manager, rank))).label("theirs"),
               func.max(case((manager, _CURRENT.rank))).label("level"))
        .select_from(Rating).join(Review, Review.id == Rating.review_id)
        .join(_CURRENT, and_(_CURRENT.version_id == func.coalesce(Review.framework_version_id,
                                                                  cycle.framework_version_id),
                             _CURRENT.key == Review.subject_level_key))
        .outerjoin(Level, Level.id == Rating.level_id)
        .where(Rating.review_id.in_(review_ids))
        .group_by(Review.subject_id, Rating.competency_id)
    ).subquery()
    mine, theirs, level = per_competency.c.mine, per_competency.c.theirs, per_competency.c.level
    rated_by_both = and_(mine.is_not(None), theirs.is_not(None))

    def count(when: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((when, 1), else_=0))

    rows = db.session.execute(
        select(User.manager_id, count(mine < level), count(mine == level), count(mine > level),
               func.sum(case((rated_by_both, mine - theirs), else_=0)), count(rated_by_both))
        .join(per_competency, per_competency.c.subject_id == User.id).group_by(User.manager_id)
    ).all()
    return {manager_id: RatingCounts(*(int(n or 0) for n in figures)) for manager_id, *figures in rows}


def _verdicts(cycle: ReviewCycle, subject_ids: list[int]) -> dict[tuple[int, str], tuple[Verdict, Verdict | None]]:
    """Per person and target, the latest verdict of the cycle and, if calibration changed it,
    the verdict it replaced (one query)."""
    if not subject_ids:
        return {}
    rows = list(db.session.scalars(select(Verdict).where(Verdict.cycle_id == cycle.id,
                                                         Verdict.subject_id.in_(subject_ids))
                                   .order_by(Verdict.created_at, Verdict.id)))
    by_id = {v.id: v for v in rows}
    latest = {(v.subject_id, v.target_level_key): v for v in rows}
    return {key: (v, by_id.get(v.calibrated_from_id) if v.calibrated_from_id is not None else None)
            for key, v in latest.items()}


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
