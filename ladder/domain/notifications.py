"""What people are told about, and when: notification kinds, where each one links, which
due-date reminders are owed on a given day, and the email back-off (plain data, no clock)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from .statuses import MANAGER_REVIEW_DONE, SELF_REVIEW_DONE


class Kind(StrEnum):
    """Every kind of notification; stored as these strings (a CHECK constraint lists them)."""

    CYCLE_OPENED = "cycle_opened"
    SELF_REVIEW_DUE_SOON = "self_review_due_soon"
    SELF_REVIEW_OVERDUE = "self_review_overdue"
    MANAGER_REVIEW_DUE_SOON = "manager_review_due_soon"
    MANAGER_REVIEW_OVERDUE = "manager_review_overdue"
    SELF_REVIEW_SUBMITTED = "self_review_submitted"
    REVIEW_SHARED = "review_shared"
    REVIEW_RELEASED = "review_released"
    REVIEW_ACKNOWLEDGED = "review_acknowledged"
    FEEDBACK_SHARED = "feedback_shared"
    PEER_FEEDBACK_REQUESTED = "peer_feedback_requested"  # no producer yet: peer feedback is not built
    GOAL_OVERDUE = "goal_overdue"


# Reminders about a review that stop mattering once it is submitted (withdrawn then).
REVIEW_REMINDERS = (Kind.SELF_REVIEW_DUE_SOON, Kind.SELF_REVIEW_OVERDUE,
                    Kind.MANAGER_REVIEW_DUE_SOON, Kind.MANAGER_REVIEW_OVERDUE)

EMAIL_PREFERENCES = {"immediately": "Immediately", "daily": "Once a day (a digest)", "off": "Never (only in Ladder)"}
EMAIL_STATES = ("pending", "sent", "skipped")
RECORD_TYPES = ("review", "review_cycle", "feedback_note", "goal", "user")

DUE_SOON_DAYS = 3


def link_of(kind: str, record_type: str, record_id: int, subject_id: int | None) -> tuple[str, dict]:
    """The page a notification is about, as (endpoint, url_for values)."""
    if record_type == "review_cycle":
        return "admin.cycle", {"cycle_id": record_id}
    if kind in (Kind.CYCLE_OPENED, Kind.SELF_REVIEW_DUE_SOON, Kind.SELF_REVIEW_OVERDUE):
        return "reviews.my_self_review", {}
    if kind in (Kind.MANAGER_REVIEW_DUE_SOON, Kind.MANAGER_REVIEW_OVERDUE):
        return "reviews.manager_review", {"user_id": subject_id}
    if record_type == "review":
        return "reviews.show", {"review_id": record_id}
    if record_type == "feedback_note":
        return "mentorship.note", {"note_id": record_id}
    if record_type == "goal":
        return "mentorship.goal", {"goal_id": record_id}
    return "main.home", {}


def due_phrase(due: date, today: date) -> str:
    """"due in 3 days", "due tomorrow", "due today", "overdue by 2 days"."""
    days = (due - today).days
    if days > 1:
        return f"due in {days} days"
    if days == 1:
        return "due tomorrow"
    if days == 0:
        return "due today"
    return f"overdue by {-days} day{'s' if days != -1 else ''}"


@dataclass(frozen=True)
class CycleReviewState:
    """One person's reviews in the open cycle, as the reminder rules need them."""

    subject_id: int
    subject_name: str
    manager_id: int | None
    self_review_id: int | None
    self_status: str | None
    manager_review_id: int | None
    manager_status: str | None


@dataclass(frozen=True)
class Reminder:
    recipient_id: int
    kind: Kind
    record_type: str
    record_id: int
    subject_id: int
    dedupe_key: str
    message: str


def review_reminders(cycle_id: int, cycle_name: str, self_due: date, manager_due: date,
                     states: list[CycleReviewState], today: date) -> list[Reminder]:
    """Reminders owed today: a self-review due within three days or overdue (to its author), a
    manager review likewise (to the manager). Submitted reviews are owed nothing. Each reminder's
    dedupe key makes it arrive once, however often this runs."""
    reminders = []
    self_kind = _reminder_kind(self_due, today, Kind.SELF_REVIEW_DUE_SOON, Kind.SELF_REVIEW_OVERDUE)
    manager_kind = _reminder_kind(manager_due, today, Kind.MANAGER_REVIEW_DUE_SOON, Kind.MANAGER_REVIEW_OVERDUE)
    for s in states:
        if self_kind and s.self_review_id and s.self_status not in SELF_REVIEW_DONE:
            reminders.append(Reminder(
                s.subject_id, self_kind, "review", s.self_review_id, s.subject_id,
                f"{self_kind}:{cycle_id}",
                f"Your self-review for {cycle_name} is {due_phrase(self_due, today)}."))
        if manager_kind and s.manager_id and s.manager_review_id and s.manager_status not in MANAGER_REVIEW_DONE:
            reminders.append(Reminder(
                s.manager_id, manager_kind, "review", s.manager_review_id, s.subject_id,
                f"{manager_kind}:{cycle_id}:{s.subject_id}",
                f"Your review of {s.subject_name} for {cycle_name} is {due_phrase(manager_due, today)}."))
    return reminders


def _reminder_kind(due: date, today: date, soon: Kind, overdue: Kind) -> Kind | None:
    if today > due:
        return overdue
    if (due - today).days <= DUE_SOON_DAYS:
        return soon
    return None


@dataclass(frozen=True)
class OverdueGoal:
    goal_id: int
    owner_id: int
    title: str
    due_on: date


def goal_reminders(goals: list[OverdueGoal]) -> list[Reminder]:
    """One reminder per overdue goal and due date (a new due date that passes reminds again)."""
    return [Reminder(g.owner_id, Kind.GOAL_OVERDUE, "goal", g.goal_id, g.owner_id,
                     f"{Kind.GOAL_OVERDUE}:{g.goal_id}:{g.due_on.isoformat()}",
                     f"Your goal \u201c{g.title}\u201d was due {g.due_on.strftime('%d %b %Y')}.")
            for g in goals]


def next_attempt(attempts: int, now: datetime) -> datetime:
    """When to try an email again after `attempts` failures: 1, 2, 4 ... minutes, at most 6 hours.
    It is never given up: the message waits in the outbox until the mail server takes it."""
    return now + timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))
