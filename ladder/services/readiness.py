"""Readiness for many people at once, with a bounded number of queries.

Pages that show readiness (a person, a team, the org report, the CSV) all go through
`readiness_for_people`, which loads every review and rating it needs in a fixed number of
statements, whatever the number of people.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from ..domain.readiness import BELOW_CURRENT, Readiness, Target, compute_readiness, readiness_targets
from ..extensions import db
from ..models import Rating, Review, ReviewCycle, User, Verdict
from .ladders import LoadedVersion, current_rubric, load_version


@dataclass
class PersonReadiness:
    """Readiness of one person toward the target on every track, and what it is based on."""

    person: User
    source: str | None  # "manager", "self" or None
    review: Review | None
    cycle: ReviewCycle | None
    loaded: LoadedVersion | None
    ratings: dict[str, str | None] = field(default_factory=dict)
    results: list[tuple[Target, Readiness | None]] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # latest per target level key

    def for_track(self, track_key: str) -> tuple[Target, Readiness | None] | None:
        return next((pair for pair in self.results if pair[0].track_key == track_key), None)


def _latest_sources(subject_ids) -> dict[int, tuple[Review, ReviewCycle]]:
    """Per person, the latest shared manager review, else the latest submitted self-review.

    One query; a window function keeps only each person's winner (later cycles first, within
    a cycle a shared manager review before the self-review), so only those rows are loaded.
    `subject_ids` is a list of ids or a subquery selecting them.
    """
    ranked = (
        select(Review.id.label("id"), func.row_number().over(
            partition_by=Review.subject_id,
            order_by=(ReviewCycle.opens_on.desc(), case((Review.kind == "manager", 1), else_=0).desc(),
                      Review.id.desc()),
        ).label("place"))
        .join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .where(Review.subject_id.in_(subject_ids),
               ((Review.kind == "manager") & (Review.status == "shared"))
               | ((Review.kind == "self") & (Review.status == "submitted")))
        .subquery()
    )
    rows = db.session.execute(
        select(Review, ReviewCycle).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .join(ranked, ranked.c.id == Review.id).where(ranked.c.place == 1)
    ).all()
    return {review.subject_id: (review, cycle) for review, cycle in rows}


def ratings_by_review(review_ids: list[int], loaded_by_review: dict[int, LoadedVersion]) -> dict[int, dict[str, str | None]]:
    """Ratings of many reviews as {review id: {competency key: level key or "below"}} (one query)."""
    result: dict[int, dict[str, str | None]] = {rid: {} for rid in review_ids}
    if not review_ids:
        return result
    # Core columns, not ORM attributes: plain tuples, without the ORM's per-row handling (profiled)
    table = Rating.__table__
    rows = db.session.execute(
        select(table.c.review_id, table.c.competency_id, table.c.level_id, table.c.below_current)
        .where(table.c.review_id.in_(review_ids))
    )
    for review_id, competency_id, level_id, below in rows:
        loaded = loaded_by_review[review_id]
        value = BELOW_CURRENT if below else loaded.level_keys.get(level_id)
        result[review_id][loaded.competency_keys[competency_id]] = value
    return result


def latest_verdicts(subject_ids: list[int]) -> dict[int, dict[str, Verdict]]:
    """The latest verdict per person and target level (one query)."""
    out: dict[int, dict[str, Verdict]] = {sid: {} for sid in subject_ids}
    for verdict in db.session.scalars(
        select(Verdict).where(Verdict.subject_id.in_(subject_ids)).order_by(Verdict.created_at, Verdict.id)
    ):
        out[verdict.subject_id][verdict.target_level_key] = verdict
    return out


def readiness_for_people(people: list[User]) -> dict[int, PersonReadiness]:
    """Readiness toward every track's target for each person, in a bounded number of queries."""
    ids = [p.id for p in people]
    if not ids:
        return {}
    sources = _latest_sources(ids)
    loaded_by_review = {review.id: load_version(cycle.framework_version_id) for review, cycle in sources.values()}
    ratings = ratings_by_review(list(loaded_by_review), loaded_by_review)
    verdicts = latest_verdicts(ids)
    fallback = current_rubric()
    out = {}
    for person in people:
        review, cycle = sources.get(person.id, (None, None))
        loaded = loaded_by_review[review.id] if review else fallback
        entry = PersonReadiness(person, review.kind if review else None, review, cycle, loaded,
                                ratings.get(review.id, {}) if review else {}, verdicts=verdicts[person.id])
        if loaded is not None and loaded.rubric.has_level(person.level_key) and loaded.rubric.has_track(person.track_key):
            rubric = loaded.rubric
            for target in readiness_targets(rubric, person.level_key, person.track_key):
                result = None
                if target.level is not None:
                    result = compute_readiness(rubric, person.level_key, target.level.key, entry.ratings, entry.source)
                entry.results.append((target, result))
        out[person.id] = entry
    return out


def readiness_for(person: User) -> PersonReadiness:
    return readiness_for_people([person])[person.id]


@dataclass
class HistoryPoint:
    """Readiness in one past or current cycle, from the review readiness would have used then."""

    cycle: ReviewCycle
    source: str  # "manager" or "self"
    results: dict[str, Readiness | None]  # per track key, toward today's target on that track


def readiness_history(person: User, targets: list[Target]) -> list[HistoryPoint]:
    """Readiness toward today's targets in every cycle the person has a usable review, oldest
    first: a shared manager review, else a submitted self-review (what readiness uses), so the
    history shows nothing the person page would hide. Three statements, whatever the number of cycles."""
    rows = db.session.execute(
        select(Review, ReviewCycle).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .where(Review.subject_id == person.id,
               ((Review.kind == "manager") & (Review.status == "shared"))
               | ((Review.kind == "self") & (Review.status == "submitted")))
        .order_by(ReviewCycle.opens_on, Review.id)
    ).all()
    per_cycle: dict[int, tuple[Review, ReviewCycle]] = {}
    for review, cycle in rows:
        if cycle.id not in per_cycle or review.kind == "manager":
            per_cycle[cycle.id] = (review, cycle)
    loaded_by_review = {review.id: load_version(cycle.framework_version_id) for review, cycle in per_cycle.values()}
    ratings = ratings_by_review(list(loaded_by_review), loaded_by_review)
    history = []
    for review, cycle in per_cycle.values():
        rubric = loaded_by_review[review.id].rubric
        results: dict[str, Readiness | None] = {}
        for target in targets:
            usable = (target.level is not None and rubric.has_level(target.level.key)
                      and rubric.has_level(review.subject_level_key))
            results[target.track_key] = compute_readiness(
                rubric, review.subject_level_key, target.level.key, ratings[review.id], review.kind) if usable else None
        history.append(HistoryPoint(cycle, review.kind, results))
    return history
