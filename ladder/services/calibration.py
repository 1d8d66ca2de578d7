"""Calibration of one cycle over the viewer's scope, in a fixed number of queries.

Reads every review of the cycle in the scope (one statement), the ratings per manager counted
by the database (one GROUP BY: every rating is not read into Python), the ratings of each
person's readiness source (one), and the cycle's verdicts (one); readiness is computed from the
cycle's own manager review (submitted or shared: calibration happens before sharing), else the
submitted self-review. The figures themselves are `ladder.domain.calibration`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..domain import calibration as rules
from ..domain.calibration import CalibrationFilter, Distribution, LevelTrackGroup, RatingCounts, VerdictCase
from ..domain.readiness import readiness_targets, summarize_readiness
from ..extensions import db
from ..models import Level, Rating, Review, ReviewCycle, Track, User, Verdict
from . import audit
from .ladders import LoadedVersion, load_version
from .people import has_reports, report_ids_query
from .readiness import ratings_by_review

FINISHED = {"self": ("submitted",), "manager": ("submitted", "shared")}


class CalibrationError(ValueError):
    """A calibration change that cannot be made, with the reason to show."""


def scope_condition(viewer: User):
    """Whom the viewer calibrates, as a WHERE condition on users: admins everyone, anyone with
    reports their tree; None for everyone else (engineers and mentors: no calibration)."""
    if viewer.is_admin:
        return db.true()
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
    org, managers = rules.distributions(per_manager, _rating_counts(cycle, condition), manager_names)
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


def _people(cycle: ReviewCycle, condition, loaded: LoadedVersion) -> tuple[dict[int, dict], dict[int, str], int]:
    """The people of the cycle in scope whom their review's ladder places (level and track), with
    the finished review readiness is computed from; the managers' names; and how many people
    have a review of the cycle at all (one statement)."""
    rows = db.session.execute(
        select(Review.id, Review.kind, Review.status, Review.subject_level_key, Review.subject_track_key,
               Review.framework_version_id, User.id, User.name, User.manager_id, _BOSS.name)
        .join(User, User.id == Review.subject_id).outerjoin(_BOSS, _BOSS.id == User.manager_id)
        .where(Review.cycle_id == cycle.id, User.on_ladder.is_(True), condition)
    ).all()
    people: dict[int, dict] = {}
    manager_names: dict[int, str] = {}
    for review_id, kind, status, level_key, track_key, version_id, subject_id, name, manager_id, manager_name in rows:
        # each person is calibrated on their review's ladder version (the cycle's, or their own ladder's)
        reviewed_on = load_version(version_id) if version_id else loaded
        person = people.setdefault(subject_id, {"name": name, "manager_id": manager_id, "level": level_key,
                                                "track": track_key, "reviews": {}, "rubric": reviewed_on.rubric})
        if manager_id is not None:
            manager_names[manager_id] = manager_name
        if status in FINISHED[kind]:
            person["reviews"][kind] = (review_id, reviewed_on)
    placed = {sid: p for sid, p in people.items() if p["rubric"].has_level(p["level"]) and p["rubric"].has_track(p["track"])}
    return placed, manager_names, len(people)


def _cases(cycle: ReviewCycle, people: dict[int, dict], chosen: CalibrationFilter) -> list[VerdictCase]:
    """Each person's verdict toward each target next to readiness computed from the cycle's manager
    review, else the self-review (the ratings of those reviews and the verdicts: two statements)."""
    sources = {sid: _source(p["reviews"]) for sid, p in people.items()}
    read = dict(p["reviews"][kind] for sid, p in people.items() if (kind := sources[sid]))
    ratings = ratings_by_review(list(read), read)
    verdicts = _verdicts(cycle, list(people))
    cases = []
    for subject_id, person in people.items():
        level_key, track_key, rubric, source = person["level"], person["track"], person["rubric"], sources[subject_id]
        own = ratings[person["reviews"][source][0]] if source else {}
        for target in readiness_targets(rubric, level_key, track_key):
            if target.level is None or not chosen.keeps_target(target.level.key):
                continue
            summary = summarize_readiness(rubric, level_key, target.level.key, own, source)
            latest, original = verdicts.get((subject_id, target.level.key), (None, None))
            cases.append(VerdictCase(
                subject_id, person["name"], person["manager_id"], level_key, track_key, target.level.key,
                latest.verdict if latest else None, latest.id if latest else None,
                summary.coverage if source else None, summary.bar.min_coverage, summary.meets_bar,
                original.verdict if original else None))
    cases.sort(key=lambda c: (c.subject_name.lower(), c.target_key))
    return cases


def _source(reviews: dict[str, tuple]) -> str | None:
    """Which finished review readiness is computed from: the manager's, else the self-review."""
    return "manager" if "manager" in reviews else ("self" if "self" in reviews else None)


_SELF, _MANAGER = aliased(Review), aliased(Review)
_SELF_RATING, _MANAGER_RATING = aliased(Rating), aliased(Rating)
_CURRENT, _SELF_LEVEL, _MANAGER_LEVEL = aliased(Level), aliased(Level), aliased(Level)


def _rank(rating, level):
    """A rating's rank: its level's, or one under the person's level for "below" (NULL: unrated)."""
    return case((rating.below_current, _CURRENT.rank - 1), else_=level.rank)


def _rating_counts(cycle: ReviewCycle, condition) -> dict[int | None, RatingCounts]:
    """Per manager (None: people without one), the finished manager reviews' ratings below, at
    and above each person's level, and the manager-minus-self gaps over competencies the
    submitted self-review rated too: one GROUP BY, whatever the number of ratings. People whose
    level or track their review's ladder lacks are left out, as on the rest of the page."""
    version_id = func.coalesce(_MANAGER.framework_version_id, cycle.framework_version_id)
    mine, theirs = _rank(_MANAGER_RATING, _MANAGER_LEVEL), _rank(_SELF_RATING, _SELF_LEVEL)
    rated_by_both = and_(mine.is_not(None), theirs.is_not(None))

    def count(when) -> object:
        return func.sum(case((when, 1), else_=0))

    rows = db.session.execute(
        select(User.manager_id, count(mine < _CURRENT.rank), count(mine == _CURRENT.rank), count(mine > _CURRENT.rank),
               func.sum(case((rated_by_both, mine - theirs), else_=0)), count(rated_by_both))
        .select_from(_MANAGER_RATING)
        .join(_MANAGER, _MANAGER.id == _MANAGER_RATING.review_id)
        .join(User, User.id == _MANAGER.subject_id)
        .join(_CURRENT, and_(_CURRENT.version_id == version_id, _CURRENT.key == _MANAGER.subject_level_key))
        .outerjoin(_MANAGER_LEVEL, _MANAGER_LEVEL.id == _MANAGER_RATING.level_id)
        .outerjoin(_SELF, and_(_SELF.cycle_id == cycle.id, _SELF.subject_id == _MANAGER.subject_id,
                               _SELF.kind == "self", _SELF.status.in_(FINISHED["self"])))
        .outerjoin(_SELF_RATING, and_(_SELF_RATING.review_id == _SELF.id,
                                      _SELF_RATING.competency_id == _MANAGER_RATING.competency_id))
        .outerjoin(_SELF_LEVEL, _SELF_LEVEL.id == _SELF_RATING.level_id)
        .where(_MANAGER.cycle_id == cycle.id, _MANAGER.kind == "manager", _MANAGER.status.in_(FINISHED["manager"]),
               User.on_ladder.is_(True), condition,
               or_(_MANAGER_RATING.below_current, _MANAGER_RATING.level_id.is_not(None)),
               exists().where(Track.version_id == version_id, Track.key == _MANAGER.subject_track_key))
        .group_by(User.manager_id)
    ).all()
    return {manager_id: RatingCounts(*(int(n or 0) for n in figures)) for manager_id, *figures in rows}


def _verdicts(cycle: ReviewCycle, subject_ids: list[int]) -> dict[tuple[int, str], tuple[Verdict, Verdict | None]]:
    """Per person and target, the latest verdict of the cycle and, if calibration changed it,
    the verdict it replaced (one query)."""
    if not subject_ids:
        return {}
    rows = list(db.session.scalars(select(Verdict).where(Verdict.cycle_id == cycle.id, Verdict.subject_id.in_(subject_ids))
                                   .order_by(Verdict.created_at, Verdict.id)))
    by_id = {v.id: v for v in rows}
    latest = {(v.subject_id, v.target_level_key): v for v in rows}
    return {key: (v, by_id.get(v.calibrated_from_id)) for key, v in latest.items()}


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
