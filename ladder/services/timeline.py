"""An engineer's timeline: everything about their growth in date order, cleared per viewer.

Each kind of record is collected only if the viewer may see it (the same permission rules as
the record's own page), so a mentor's timeline never holds a review, a rating or a verdict.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain import permissions
from ..domain.mentorship import TimelineEntry, filter_timeline, is_overdue
from ..domain.permissions import Relation
from ..domain.reviews import below_current_label
from ..domain.statuses import ReviewKind, ReviewStatus
from ..extensions import db
from ..models import (
    Competency,
    Goal,
    GoalUpdate,
    Level,
    Mentorship,
    Rating,
    Review,
    ReviewCycle,
    User,
    Verdict,
)
from ..models.mentorship import GOAL_STATUS_LABELS
from ..models.reviews import VERDICTS
from . import mentorship as service
from .cycles import held_cycle_ids
from .ladders import current_rubric
from .reviews import version_of


def _day(value: date) -> datetime:
    return datetime.combine(value, time()) if not isinstance(value, datetime) else value


def _visible_reviews(subject: User, rel: Relation, held: set[int]) -> list[tuple[Review, str]]:
    """(review, cycle name) of the subject's finished reviews the viewer may read, oldest first."""
    rows = db.session.execute(
        select(Review, ReviewCycle.name, ReviewCycle.opens_on).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .where(Review.subject_id == subject.id, Review.status != ReviewStatus.DRAFT)
        .order_by(ReviewCycle.opens_on, Review.id)
    ).all()
    visible = []
    for review, cycle_name, _opens in rows:
        if review.kind == ReviewKind.SELF:
            allowed = permissions.can_view_self_review(rel, review.status)
        else:
            allowed = permissions.can_view_manager_review(rel, review.status, held=review.cycle_id in held)
        if allowed:
            visible.append((review, cycle_name))
    return visible


def _rating_labels(reviews: list[Review]) -> dict[int, dict[str, tuple[str, str]]]:
    """{review id: {competency key: (competency name, rating as read)}}, in one query; the
    below-level rating as each review's ladder words it (on a points ladder, no milestone yet)."""
    below_labels = {review.id: below_current_label(version_of(review).rubric) for review in reviews}
    ratings: dict[int, dict[str, tuple[str, str]]] = {}
    for review_id, key, name, level_name, below in db.session.execute(
        select(Rating.review_id, Competency.key, Competency.name, Level.name, Rating.below_current)
        .join(Competency, Competency.id == Rating.competency_id)
        .outerjoin(Level, Level.id == Rating.level_id)
        .where(Rating.review_id.in_(list(below_labels)))
    ):
        label = below_labels[review_id] if below else level_name
        if label:
            ratings.setdefault(review_id, {})[key] = (name, label)
    return ratings


def _review_entries(subject: User, rel: Relation, held: set[int]) -> list[TimelineEntry]:
    visible = _visible_reviews(subject, rel, held)
    if not visible:
        return []
    ratings = _rating_labels([r for r, _ in visible])
    entries: list[TimelineEntry] = []
    previous: dict[str, dict[str, tuple[str, str]]] = {}
    for review, cycle_name in visible:
        mine = ratings.get(review.id, {})
        before = previous.get(review.kind)
        changed = []
        if before is not None:
            changed = [(key, f"{name}: {before[key][1]} → {label}") for key, (name, label) in mine.items()
                       if key in before and before[key][1] != label]
        previous[review.kind] = mine
        what = "Self-review" if review.kind == ReviewKind.SELF else "Manager review"
        shared = review.kind == ReviewKind.MANAGER and review.status == ReviewStatus.SHARED and review.shared_at
        when = review.shared_at if shared else review.submitted_at
        if when is None:
            continue
        entries.append(TimelineEntry(
            kind="review", when=when, title=f"{what} {'shared' if shared else 'submitted'} ({cycle_name})",
            link=("reviews.show", "review_id", review.id),
            competencies=tuple(key for key, _ in changed),
            lines=tuple(text for _, text in changed)))
    return entries


def _verdict_entries(subject: User, rel: Relation, held: set[int]) -> list[TimelineEntry]:
    if not permissions.can_view_verdicts(rel):
        return []
    rows = db.session.scalars(select(Verdict).where(Verdict.subject_id == subject.id)
                              .options(selectinload(Verdict.author)).order_by(Verdict.created_at))
    loaded = current_rubric()

    def level_name(key: str) -> str:
        return loaded.rubric.level(key).name if loaded and loaded.rubric.has_level(key) else key

    return [TimelineEntry(kind="verdict", when=v.created_at,
                          title=f"Verdict toward {level_name(v.target_level_key)}: "
                                f"{VERDICTS[v.verdict]} (by {v.author.name})",
                          body=v.rationale) for v in rows if permissions.can_view_verdict(rel, held=v.cycle_id in held)]


def _goal_entries(subject: User, rel: Relation, today: date) -> list[TimelineEntry]:
    if not permissions.can_view_growth(rel):
        return []
    goals = {g.id: g for g in db.session.scalars(select(Goal).where(Goal.owner_id == subject.id))}
    entries = [TimelineEntry(kind="goal", when=g.created_at, title=f"Goal set: {g.title}",
                             link=("mentorship.goal", "goal_id", g.id), competencies=tuple(g.competencies or ()),
                             overdue=is_overdue(g.due_on, g.status, today))
               for g in goals.values()]
    if goals:
        for update in db.session.scalars(select(GoalUpdate).where(GoalUpdate.goal_id.in_(list(goals)))
                                         .options(selectinload(GoalUpdate.author))):
            goal = goals[update.goal_id]
            who = update.author.name if update.author else "someone"
            if update.status_to:
                title = f"Goal {GOAL_STATUS_LABELS[update.status_to].lower()}: {goal.title} (by {who})"
            else:
                title = f"Progress on goal: {goal.title} (by {who})"
            entries.append(TimelineEntry(kind="goal", when=update.created_at, title=title, body=update.body or None,
                                         link=("mentorship.goal", "goal_id", goal.id),
                                         competencies=tuple(goal.competencies or ())))
    return entries


def _mentorship_entries(subject: User) -> list[TimelineEntry]:
    entries = []
    for m in db.session.scalars(select(Mentorship).where(Mentorship.mentee_id == subject.id)
                                .options(selectinload(Mentorship.mentor))):
        entries.append(TimelineEntry(kind="mentorship", when=_day(m.starts_on),
                                     title=f"Mentorship with {m.mentor.name} started",
                                     competencies=tuple(m.focus or ())))
        if m.ended_on:
            entries.append(TimelineEntry(kind="mentorship", when=_day(m.ended_on),
                                         title=f"Mentorship with {m.mentor.name} ended",
                                         competencies=tuple(m.focus or ())))
    return entries


def timeline(subject: User, viewer: User, rel: Relation, today: date, *, kind: str | None = None,
             competency: str | None = None) -> list[TimelineEntry]:
    """Everything about the subject's growth the viewer may see, newest first, filtered."""
    entries: list[TimelineEntry] = []
    held = held_cycle_ids(subject.id) if rel.is_self else set()
    if not kind or kind == "review":
        entries += _review_entries(subject, rel, held)
    if not kind or kind == "verdict":
        entries += _verdict_entries(subject, rel, held)
    if not kind or kind == "feedback":
        entries += [TimelineEntry(kind="feedback", when=n.created_at,
                                  title=f"Feedback from {n.author.name}", body=n.body, visibility=n.visibility,
                                  link=("mentorship.note", "note_id", n.id), competencies=tuple(n.competencies or ()))
                    for n in service.visible_notes(subject.id, viewer.id, rel)]
    if not kind or kind == "one_on_one":
        entries += [TimelineEntry(kind="one_on_one", when=_day(o.held_on), title=f"1:1 with {o.author.name}",
                                  body=o.notes, visibility=o.visibility,
                                  link=("mentorship.one_on_one", "one_on_one_id", o.id),
                                  competencies=tuple(o.competencies or ()),
                                  lines=tuple(("☑ " if a.done else "☐ ") + a.text for a in o.action_items))
                    for o in service.visible_one_on_ones(subject.id, viewer.id, rel)]
    if not kind or kind == "goal":
        entries += _goal_entries(subject, rel, today)
    if not kind or kind == "mentorship":
        entries += _mentorship_entries(subject)
    return filter_timeline(entries, kind=kind, competency=competency)
