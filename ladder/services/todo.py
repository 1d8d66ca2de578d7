"""The home page's to-do list: a fixed handful of queries, whatever the number of reports."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ..domain import todo as rules
from ..domain.statuses import OPEN_GOAL_STATUSES, ReviewKind, ReviewStatus
from ..extensions import db
from ..models import Goal, Mentorship, OneOnOne, Review, ReviewCycle, User
from .cycles import held_cycles_query
from .peer_feedback import peer_requests_owed
from .people import active_mentorships_clause

_OWN, _THEIRS = aliased(Review), aliased(Review)  # built once: aliasing is not free


def _reports(cycle: ReviewCycle, manager_id: int) -> list[rules.ReportReviews]:
    own, theirs = _OWN, _THEIRS
    rows = db.session.execute(
        select(User.id, User.name, theirs.status, own.id, own.status)
        .outerjoin(theirs, and_(theirs.subject_id == User.id, theirs.cycle_id == cycle.id,
                                theirs.kind == ReviewKind.SELF))
        .outerjoin(own, and_(own.subject_id == User.id, own.cycle_id == cycle.id, own.kind == ReviewKind.MANAGER))
        .where(User.manager_id == manager_id, User.is_active_account.is_(True), User.on_ladder.is_(True))
        .order_by(User.name, User.id)
    ).all()
    return [rules.ReportReviews(*row) for row in rows]


def todo_for(user: User, today: date, cycle: ReviewCycle | None, own: Review | None) -> list[rules.TodoItem]:
    """What the person owes today, with due dates and links; `cycle` is the open cycle and
    `own` the person's self-review in it, which the home page has already read."""
    dates = self_status = None
    reports: list[rules.ReportReviews] = []
    owes_self_review = False
    if cycle is not None:
        dates = rules.CycleDates(cycle.name, cycle.self_review_due, cycle.manager_review_due)
        self_status = own.status if own else None
        owes_self_review = user.on_ladder and (own is not None or user.manager_id is not None)
        reports = _reports(cycle, user.id)
    shared = [rules.SharedReview(*row) for row in db.session.execute(
        select(Review.id, ReviewCycle.name).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .where(Review.subject_id == user.id, Review.kind == ReviewKind.MANAGER, Review.status == ReviewStatus.SHARED,
               Review.acknowledged_at.is_(None), Review.cycle_id.not_in(held_cycles_query(user.id)))
        .order_by(Review.shared_at))]
    goals = [rules.OpenGoal(goal_id, title, due_on) for goal_id, title, due_on in db.session.execute(
        select(Goal.id, Goal.title, Goal.due_on)
        .where(Goal.owner_id == user.id, Goal.status.in_(OPEN_GOAL_STATUSES), Goal.due_on < today))
        if due_on is not None]  # always, given the filter; the column is nullable
    last = (select(func.max(OneOnOne.held_on)).where(OneOnOne.subject_id == Mentorship.mentee_id,
                                                     OneOnOne.author_id == user.id).scalar_subquery())
    mentees = [rules.Mentee(*row) for row in db.session.execute(
        select(User.id, User.name, Mentorship.starts_on, last).join(User, User.id == Mentorship.mentee_id)
        .where(Mentorship.mentor_id == user.id, active_mentorships_clause(today)))]
    peer_feedback = [rules.PeerFeedbackAsk(request.subject.name, request.due_on,
                                           ("peer_feedback.show", {"request_id": request.id}),
                                           started=bool(request.answers))
                     for request in peer_requests_owed(user)]
    return rules.todo_items(today=today, cycle=dates, self_status=self_status, owes_self_review=owes_self_review,
                            reports=reports, shared=shared, goals=goals, mentees=mentees, peer_feedback=peer_feedback)
