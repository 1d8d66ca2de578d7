"""Calibration of one cycle over the viewer's scope, in a fixed number of queries.

Reads every review of the cycle in the scope (one statement), the ratings of the finished ones
(one), and the cycle's verdicts (one); readiness is computed from the cycle's own manager
review (submitted or shared: calibration happens before sharing), else the submitted
self-review. The figures themselves are `ladder.domain.calibration`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..domain import calibration as rules
from ..domain.calibration import CalibrationFilter, Distribution, LevelTrackGroup, RatedPerson, VerdictCase
from ..domain.readiness import rating_rank, readiness_targets, summarize_readiness
from ..domain.statuses import REVIEW_DONE
from ..extensions import db
from ..models import Review, ReviewCycle, User, Verdict
from . import audit
from .ladders import LoadedVersion, load_version
from .people import has_reports, report_ids_query
from .readiness import ratings_by_review


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
    people, manager_names, finished = _people_in_scope(cycle, condition, loaded)
    ratings = ratings_by_review(list(finished), finished)
    verdicts = _verdicts(cycle, list(people))

    rated, cases = [], []
    for subject_id, person in people.items():
        level_key, track_key, rubric = person["level"], person["track"], person["rubric"]
        if not (rubric.has_level(level_key) and rubric.has_track(track_key)):
            continue
        current = rubric.level(level_key)
        own = {kind: ratings[rid] for kind, rid in person["reviews"].items()}
        rated.append(RatedPerson(subject_id, person["manager_id"], current.rank,
                                 _ranks(rubric, own.get("manager", {}), current),
                                 _ranks(rubric, own.get("self", {}), current)))
        if chosen.keeps_person(person["manager_id"], level_key, track_key):
            cases += _cases_of(subject_id, person, own, chosen, verdicts)
    org, managers = rules.distributions(rated, manager_names)
    if chosen.manager_id is not None:
        managers = [d for d in managers if d.manager_id == chosen.manager_id]
    cases.sort(key=lambda c: (c.subject_name.lower(), c.target_key))
    contradictions = {(c.subject_id, c.target_key): why for c in cases if (why := rules.contradiction(c))}
    return Calibration(cycle, loaded, org, managers, cases,
                       rules.by_level_and_track(cases, [lv.key for lv in loaded.rubric.levels]),
                       rules.all_ready_now_managers(cases), contradictions,
                       sorted(manager_names.items(), key=lambda pair: pair[1].lower()), len(people),
                       _targets_present(people))


def _people_in_scope(cycle: ReviewCycle, condition, loaded: LoadedVersion
                     ) -> tuple[dict[int, dict], dict[int, str], dict[int, LoadedVersion]]:
    """(the people reviewed in the cycle within the scope, their managers' names, the version of
    each finished review), in one query."""
    rows = db.session.execute(
        select(Review.id, Review.kind, Review.status, Review.subject_level_key, Review.subject_track_key,
               Review.framework_version_id, User.id, User.name, User.manager_id, _BOSS.name)
        .join(User, User.id == Review.subject_id).outerjoin(_BOSS, _BOSS.id == User.manager_id)
        .where(Review.cycle_id == cycle.id, User.on_ladder.is_(True), condition)
    ).all()
    people: dict[int, dict] = {}
    manager_names: dict[int, str] = {}
    finished: dict[int, LoadedVersion] = {}
    for review_id, kind, status, level_key, track_key, version_id, subject_id, name, manager_id, manager_name in rows:
        # each person is calibrated on their review's ladder version (the cycle's, or their own ladder's)
        reviewed_on = load_version(version_id) if version_id else loaded
        person = people.setdefault(subject_id, {"name": name, "manager_id": manager_id, "level": level_key,
                                                "track": track_key, "reviews": {}, "rubric": reviewed_on.rubric})
        if manager_id is not None:
            manager_names[manager_id] = manager_name
        if status in REVIEW_DONE[kind]:
            person["reviews"][kind] = review_id
            finished[review_id] = reviewed_on
    return people, manager_names, finished


def _cases_of(subject_id: int, person: dict, own: dict[str, dict], chosen: CalibrationFilter,
              verdicts: dict) -> list[VerdictCase]:
    """One person's promotion cases, a target each (those the filter keeps)."""
    level_key, track_key, rubric = person["level"], person["track"], person["rubric"]
    source = "manager" if "manager" in own else ("self" if "self" in own else None)
    cases = []
    for target in readiness_targets(rubric, level_key, track_key):
        if target.level is None or not chosen.keeps_target(target.level.key):
            continue
        summary = summarize_readiness(rubric, level_key, target.level.key, own.get(source, {}), source)
        latest, original = verdicts.get((subject_id, target.level.key), (None, None))
        cases.append(VerdictCase(
            subject_id, person["name"], person["manager_id"], level_key, track_key, target.level.key,
            latest.verdict if latest else None, latest.id if latest else None,
            summary.coverage if source else None, summary.bar.min_coverage, summary.meets_bar,
            original.verdict if original else None))
    return cases


def _targets_present(people: dict[int, dict]) -> list[str]:
    """The target level keys anyone in scope has, for the filter."""
    return sorted({t.level.key for p in people.values() if p["rubric"].has_level(p["level"])
                   and p["rubric"].has_track(p["track"])
                   for t in readiness_targets(p["rubric"], p["level"], p["track"]) if t.level})


def _ranks(rubric, ratings: dict[str, str | None], current) -> dict[str, int]:
    ranks = {key: rating_rank(rubric, value, current) for key, value in ratings.items()}
    return {key: rank for key, rank in ranks.items() if rank is not None}


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
