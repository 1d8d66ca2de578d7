"""What a person owes, with due dates: their self-review, their reports' reviews, acknowledgements,
overdue goals, mentees waiting for a 1:1 (plain data in, a sorted list out; `today` is passed)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from .notifications import due_phrase
from .statuses import MANAGER_REVIEW_DONE, SELF_REVIEW_DONE, ReviewStatus

ONE_ON_ONE_EVERY = timedelta(weeks=6)
# Keyed by stored status strings (a `ReviewStatus` is one), as the rows give them.
STATES: dict[str | None, str] = {None: "not started", ReviewStatus.DRAFT: "draft",
                                 ReviewStatus.SUBMITTED: "submitted, not shared"}


@dataclass(frozen=True)
class CycleDates:
    name: str
    self_review_due: date
    manager_review_due: date


@dataclass(frozen=True)
class ReportReviews:
    """A direct report's reviews in the open cycle (statuses are None when not started)."""

    subject_id: int
    subject_name: str
    self_status: str | None
    manager_review_id: int | None
    manager_status: str | None


@dataclass(frozen=True)
class SharedReview:
    review_id: int
    cycle_name: str


@dataclass(frozen=True)
class OpenGoal:
    goal_id: int
    title: str
    due_on: date


@dataclass(frozen=True)
class Mentee:
    person_id: int
    name: str
    paired_on: date
    last_one_on_one: date | None


@dataclass(frozen=True)
class PeerFeedbackAsk:
    """Peer feedback asked of the person, not yet submitted or declined."""

    subject_name: str
    due_on: date
    link: tuple[str, dict]
    started: bool = False  # a draft answer is saved


@dataclass(frozen=True)
class TodoItem:
    text: str
    link: tuple[str, dict]
    due_on: date | None = None
    state: str | None = None
    overdue: bool = False
    notes: tuple[str, ...] = field(default=())


def _due(text: str, due: date, today: date, link: tuple[str, dict], state: str | None = None,
         notes: tuple[str, ...] = ()) -> TodoItem:
    return TodoItem(f"{text} is {due_phrase(due, today)}", link, due, state, due < today, notes)


def todo_items(*, today: date, cycle: CycleDates | None, self_status: str | None, owes_self_review: bool,
               reports: list[ReportReviews], shared: list[SharedReview], goals: list[OpenGoal],
               mentees: list[Mentee], peer_feedback: Sequence[PeerFeedbackAsk] = ()) -> list[TodoItem]:
    """Everything the person still has to do; overdue first, then soonest due, then the rest."""
    items: list[TodoItem] = []
    if cycle is not None:
        items += _review_items(today, cycle, self_status, owes_self_review, reports)
    for ask in peer_feedback:
        items.append(_due(f"Feedback on {ask.subject_name}", ask.due_on, today, ask.link,
                          STATES[ReviewStatus.DRAFT] if ask.started else None))
    for review in shared:
        items.append(TodoItem(f"Acknowledge your manager's review ({review.cycle_name})",
                              ("reviews.show", {"review_id": review.review_id})))
    items += _mentorship_items(today, goals, mentees)
    return sorted(items, key=lambda i: (not i.overdue, i.due_on or date.max, i.text))


def _review_items(today: date, cycle: CycleDates, self_status: str | None, owes_self_review: bool,
                  reports: list[ReportReviews]) -> list[TodoItem]:
    """The open cycle's reviews: one's own self-review, and each report's manager review."""
    items = []
    if owes_self_review and self_status not in SELF_REVIEW_DONE:
        items.append(_due("Your self-review", cycle.self_review_due, today, ("reviews.my_self_review", {}),
                          STATES[self_status]))
    for r in reports:
        if r.manager_status in MANAGER_REVIEW_DONE and r.manager_status != ReviewStatus.SUBMITTED:
            continue
        link = ("reviews.manager_review", {"user_id": r.subject_id})
        notes = ("their self-review is submitted",) if r.self_status in SELF_REVIEW_DONE else ()
        if r.manager_status == ReviewStatus.SUBMITTED:
            items.append(TodoItem(f"Share your review with {r.subject_name}", ("reviews.show",
                                  {"review_id": r.manager_review_id}), state=STATES[ReviewStatus.SUBMITTED]))
        else:
            items.append(_due(f"Your review of {r.subject_name}", cycle.manager_review_due, today, link,
                              STATES[r.manager_status], notes))
    return items


def _mentorship_items(today: date, goals: list[OpenGoal], mentees: list[Mentee]) -> list[TodoItem]:
    """Goals past their date, and mentees without a recent 1:1."""
    items = []
    for goal in goals:
        if goal.due_on < today:
            items.append(_due(f"Your goal \u201c{goal.title}\u201d", goal.due_on, today,
                              ("mentorship.goal", {"goal_id": goal.goal_id})))
    for mentee in mentees:
        due = (mentee.last_one_on_one or mentee.paired_on) + ONE_ON_ONE_EVERY
        if due <= today:
            text = (f"No 1:1 with {mentee.name} since {mentee.last_one_on_one.strftime('%d %b %Y')}"
                    if mentee.last_one_on_one else f"No 1:1 with {mentee.name} yet")
            items.append(TodoItem(text, ("mentorship.new_one_on_one", {"user_id": mentee.person_id}), due,
                                  overdue=True))
    return items
