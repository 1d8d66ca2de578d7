"""The home page's to-do list: a fixed handful of queries, whatever the number of reports."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import aliased

from ..domain import todo as rules
from ..domain.statuses import ReviewKind, ReviewStatus
from ..extensions import db
from ..models import Goal, Review, ReviewCycle, User
from .cycles import VIEWER, held_cycles_query
from .mentorship import PersonSummary
from .peer_feedback import peer_requests_owed


def _report_reviews() -> Select[int, str, str, int, str]:
    """The direct reports (bound as manager_id) on a ladder, with their self-review's status and
    the manager review's id and status in the cycle bound as cycle_id."""
    own, theirs = aliased(Review), aliased(Review)
    return (select(User.id, User.name, theirs.status, own.id, own.status)
            .outerjoin(theirs, and_(theirs.subject_id == User.id, theirs.cycle_id == bindparam("cycle_id"),
                                    theirs.kind == ReviewKind.SELF))
            .outerjoin(own, and_(own.subject_id == User.id, own.cycle_id == bindparam("cycle_id"),
                                 own.kind == ReviewKind.MANAGER))
            .where(User.manager_id == bindparam("manager_id"), User.is_active_account.is_(True),
                   User.on_ladder.is_(True))
            .order_by(User.name, User.id))


# The home page's statements, built once (building them took a fifth of the page's CPU).
_REPORT_REVIEWS = _report_reviews()
_TO_ACKNOWLEDGE = (  # manager reviews shared with the person (bound as viewer) and not yet acknowledged
    select(Review.id, ReviewCycle.name).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
    .where(Review.subject_id == VIEWER, Review.kind == ReviewKind.MANAGER, Review.status == ReviewStatus.SHARED,
           Review.acknowledged_at.is_(None), Review.cycle_id.not_in(held_cycles_query(VIEWER)))
    .order_by(Review.shared_at))


def todo_for(user: User, today: date, cycle: ReviewCycle | None, own: Review | None, *,
             open_goals: list[Goal], mentees: list[PersonSummary]) -> list[rules.TodoItem]:
    """What the person owes today, with due dates and links. The home page has already read the
    rest: `cycle` is the open cycle, `own` the person's self-review in it, `open_goals` their open
    goals and `mentees` their active mentees, each with their last 1:1 with this mentor."""
    dates = self_status = None
    reports: list[rules.ReportReviews] = []
    owes_self_review = False
    if cycle is not None:
        dates = rules.CycleDates(cycle.name, cycle.self_review_due, cycle.manager_review_due)
        self_status = own.status if own else None
        owes_self_review = user.on_ladder and (own is not None or user.manager_id is not None)
        reports = [rules.ReportReviews(*row) for row in db.session.execute(
            _REPORT_REVIEWS, {"manager_id": user.id, "cycle_id": cycle.id})]
    shared = [rules.SharedReview(*row) for row in db.session.execute(_TO_ACKNOWLEDGE, {"viewer": user.id})]
    overdue = [rules.OpenGoal(goal.id, goal.title, goal.due_on) for goal in open_goals
               if goal.due_on is not None and goal.due_on < today]
    mentored = [rules.Mentee(summary.person.id, summary.person.name, summary.mentorship.starts_on,
                             summary.last_one_on_one) for summary in mentees if summary.mentorship is not None]
    peer_feedback = [rules.PeerFeedbackAsk(request.subject.name, request.due_on,
                                           ("peer_feedback.show", {"request_id": request.id}),
                                           started=bool(request.answers))
                     for request in peer_requests_owed(user)]
    return rules.todo_items(today=today, cycle=dates, self_status=self_status, owes_self_review=owes_self_review,
                            reports=reports, shared=shared, goals=overdue, mentees=mentored,
                            peer_feedback=peer_feedback)
