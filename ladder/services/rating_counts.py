"""Calibration's rating counts per person, counted by the database and kept on the manager review.

A finished manager review's ratings below, at and above the person's level, and the
manager-minus-self rank differences over the competencies the submitted self-review rated too
(`RatingCounts`). They change only when one of the person's two reviews of the cycle is submitted
or reopened, so `keep_counts` stores them on the manager review then, and the calibration page
sums one row a person instead of counting every rating; reviews finished before they were kept
are counted from their ratings by `counts_by_subject`, the same statement.
"""
from __future__ import annotations

from dataclasses import astuple

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.orm import aliased

from ..domain.calibration import RatingCounts
from ..domain.statuses import REVIEW_DONE, ReviewKind
from ..extensions import db
from ..models import Level, Rating, Review, ReviewCycle

KEPT = (Review.rated_below, Review.rated_at, Review.rated_above, Review.self_gap_sum, Review.self_gaps)

_CURRENT = aliased(Level)


def counts_by_subject(review_ids: list[int]) -> dict[int, RatingCounts]:
    """Per person, the counts over these finished reviews (a manager review and the person's
    submitted self-review, if any): one statement, a row per person, whatever the number of
    ratings. A rating's rank is its level's; "below" is one under the person's level. Reviews are
    named by id: joining a scope's tree to every rating let PostgreSQL pick a nested loop per rating
    on fresh tables."""
    if not review_ids:
        return {}
    rank = case((Rating.below_current, _CURRENT.rank - 1), else_=Level.rank)
    manager = Review.kind == ReviewKind.MANAGER
    per_competency = (
        select(Review.subject_id.label("subject_id"), func.max(case((manager, rank))).label("mine"),
               func.max(case((~manager, rank))).label("theirs"),
               func.max(case((manager, _CURRENT.rank))).label("level"))
        .select_from(Rating).join(Review, Review.id == Rating.review_id)
        .join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .join(_CURRENT, and_(_CURRENT.version_id == func.coalesce(Review.ladder_version_id,
                                                                  ReviewCycle.ladder_version_id),
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
        select(per_competency.c.subject_id, count(mine < level), count(mine == level), count(mine > level),
               func.sum(case((rated_by_both, mine - theirs), else_=0)), count(rated_by_both))
        .group_by(per_competency.c.subject_id)
    ).all()
    return {subject_id: RatingCounts(*(int(n or 0) for n in figures)) for subject_id, *figures in rows}


def keep_counts(review: Review) -> None:
    """Recount the person's manager review of this cycle after `review` (either of the two) was
    submitted or reopened: the counts if the manager review is finished, else NULL (two
    statements, and one more to count)."""
    rows = db.session.execute(select(Review.id, Review.kind, Review.status).where(
        Review.cycle_id == review.cycle_id, Review.subject_id == review.subject_id)).all()
    finished = {kind: review_id for review_id, row_kind, status in rows
                for kind, statuses in REVIEW_DONE.items() if row_kind == kind and status in statuses}
    counts: tuple = (None,) * len(KEPT)
    if ReviewKind.MANAGER in finished:
        counts = astuple(counts_by_subject(list(finished.values())).get(review.subject_id, RatingCounts()))
    db.session.execute(
        update(Review).where(Review.cycle_id == review.cycle_id, Review.subject_id == review.subject_id,
                             Review.kind == ReviewKind.MANAGER)
        .values({column.key: value for column, value in zip(KEPT, counts, strict=True)}))
