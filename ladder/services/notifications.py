"""Notifications over the session: written with the change that causes them (same transaction,
once per dedupe key), read and marked read in the app, and claimed and emailed by `ladder notify`.

Nobody is told about a record they may not see: `notify` asks the permission rules with the
recipient's relation to the record's person, and drops the notification when the answer is no.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from .. import clock
from ..database import affected_rows
from ..domain import notifications as rules
from ..domain import permissions
from ..domain.notifications import Kind, Reminder
from ..domain.permissions import Relation
from ..domain.statuses import OPEN_GOAL_STATUSES, CycleStatus, ReviewKind
from ..extensions import db
from ..models import FeedbackNote, Goal, Notification, Review, ReviewCycle, User
from ..models.notifications import MESSAGE_MAX
from . import mail

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
SELF = Relation(is_self=True)
# What a notification can be about.
Notified = Review | FeedbackNote | Goal | ReviewCycle
DIRECT_MANAGER = Relation(is_manager=True, is_direct_manager=True)


# --- writing ---------------------------------------------------------------------------------

def _record_facts(record: Notified) -> tuple[str, int | None]:
    """The record type stored with a notification, and whom the record is about."""
    if isinstance(record, Review):
        return "review", record.subject_id
    if isinstance(record, FeedbackNote):
        return "feedback_note", record.subject_id
    if isinstance(record, Goal):
        return "goal", record.owner_id
    if isinstance(record, ReviewCycle):
        return "review_cycle", None
    raise TypeError(f"Ladder does not notify about {type(record).__name__}")


def may_see(recipient_id: int, rel: Relation, record: Notified) -> bool:
    """Whether the recipient may read the record itself (the rules of domain.permissions)."""
    if isinstance(record, Review):
        if record.kind == ReviewKind.SELF:
            return permissions.can_view_self_review(rel, record.status)
        from .cycles import held_cycle_ids  # cycles notifies when it opens: imported here, not at the top

        held = rel.is_self and record.cycle_id in held_cycle_ids(recipient_id)
        return permissions.can_view_manager_review(rel, record.status, held=held)
    if isinstance(record, FeedbackNote):
        return permissions.can_view_note(rel, visibility=record.visibility, author_role=record.author_role,
                                         is_author=record.author_id == recipient_id)
    if isinstance(record, Goal):
        return permissions.can_view_growth(rel)
    if isinstance(record, ReviewCycle):
        return rel.is_admin
    return False


def notify(recipient_id: int | None, kind: Kind, record: Notified, *, rel: Relation, message: str,
           dedupe_key: str | None = None, actor_id: int | None = None) -> bool:
    """Tell one person about a record, in the current transaction; returns whether it was written.

    Nothing is written for nobody, for the person who caused it, for a deactivated account, for
    someone who may not see the record, or when the same (recipient, dedupe key) exists already.
    """
    if recipient_id is None or recipient_id == actor_id or not may_see(recipient_id, rel, record):
        return False
    recipient = db.session.get(User, recipient_id)
    if recipient is None or not recipient.is_active_account:
        return False
    record_type, subject_id = _record_facts(record)
    return _insert([_row(recipient_id, kind, record_type, record.id, subject_id, message,
                         dedupe_key or f"{kind}:{record_type}:{record.id}")]) > 0


def _row(recipient_id: int, kind: Kind, record_type: str, record_id: int, subject_id: int | None,
         message: str, dedupe_key: str) -> dict:
    return {"recipient_id": recipient_id, "kind": str(kind), "record_type": record_type, "record_id": record_id,
            "subject_id": subject_id, "message": message[:MESSAGE_MAX], "dedupe_key": dedupe_key,
            "email_state": "pending", "email_attempts": 0, "created_at": clock.now()}


def _insert(rows: list[dict]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: a notification that exists already (or that a
    concurrent `ladder notify` is writing) is not written twice, and nothing fails."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(Notification).on_conflict_do_nothing(index_elements=["recipient_id", "dedupe_key"])
                 .returning(Notification.id))
    return len(db.session.connection().execute(statement, rows).all())  # the new ones only


def withdraw_reminders(review: Review) -> None:
    """A review was submitted: its due/overdue reminders that were not emailed yet never will be."""
    db.session.execute(
        update(Notification).where(Notification.record_type == "review", Notification.record_id == review.id,
                                   Notification.kind.in_([str(k) for k in rules.REVIEW_REMINDERS]),
                                   Notification.email_state == "pending")
        .values(email_state="skipped", read_at=func.coalesce(Notification.read_at, clock.now())))


def cycle_opened(cycle: ReviewCycle, *, actor_id: int | None) -> int:
    """Everyone whose self-review the cycle started is told, in one statement; so are other admins."""
    due = cycle.self_review_due.strftime("%d %b %Y")
    reviews = db.session.scalars(
        select(Review).join(User, User.id == Review.subject_id)
        .where(Review.cycle_id == cycle.id, Review.kind == ReviewKind.SELF, User.is_active_account.is_(True))).all()
    rows = [_row(r.subject_id, Kind.CYCLE_OPENED, "review", r.id, r.subject_id,
                 f"{cycle.name} is open: your self-review is due {due}.", f"{Kind.CYCLE_OPENED}:{cycle.id}")
            for r in reviews if may_see(r.subject_id, SELF, r)]
    admins = db.session.scalars(select(User.id).where(User.is_admin.is_(True), User.is_active_account.is_(True),
                                                      User.id != (actor_id or 0)))
    rows += [_row(admin_id, Kind.CYCLE_OPENED, "review_cycle", cycle.id, None,
                  f"{cycle.name} was opened; self-reviews are due {due}.", f"{Kind.CYCLE_OPENED}:admin:{cycle.id}")
             for admin_id in admins]
    return _insert(rows)


# --- reminders (ladder notify) ---------------------------------------------------------------

def _cycle_states(cycle: ReviewCycle) -> list[rules.CycleReviewState]:
    self_review, manager_review = aliased(Review), aliased(Review)
    rows = db.session.execute(
        select(User.id, User.name, User.manager_id, self_review.id, self_review.status,
               manager_review.id, manager_review.status, manager_review.author_id)
        .outerjoin(self_review, and_(self_review.subject_id == User.id, self_review.cycle_id == cycle.id,
                                     self_review.kind == ReviewKind.SELF))
        .outerjoin(manager_review, and_(manager_review.subject_id == User.id, manager_review.cycle_id == cycle.id,
                                        manager_review.kind == ReviewKind.MANAGER))
        .where(User.is_active_account.is_(True), or_(self_review.id.is_not(None), manager_review.id.is_not(None)))
    ).all()
    return [rules.CycleReviewState(subject_id, name, author_id or manager_id, self_id, self_status,
                                   manager_id_review, manager_status)
            for subject_id, name, manager_id, self_id, self_status, manager_id_review, manager_status, author_id
            in rows]


def _reminder_visible(reminder: Reminder, statuses: dict[int, tuple[str, str]]) -> bool:
    """The reminder's recipient may see its record: their own review or goal, or as the
    subject's manager the manager review they write."""
    rel = SELF if reminder.recipient_id == reminder.subject_id else DIRECT_MANAGER
    if reminder.record_type == "goal":
        return permissions.can_view_growth(rel)
    kind, status = statuses[reminder.record_id]
    allowed = permissions.can_view_self_review if kind == ReviewKind.SELF else permissions.can_view_manager_review
    return allowed(rel, status)


def create_due_reminders(today: date) -> int:
    """Write every reminder owed today (self and manager reviews due soon or overdue in the open
    cycle, overdue goals); each exists once per dedupe key, so running again adds nothing."""
    reminders: list[Reminder] = []
    statuses: dict[int, tuple[str, str]] = {}
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.status == CycleStatus.OPEN)
                              .order_by(ReviewCycle.opens_on.desc()).limit(1))
    if cycle is not None:
        states = _cycle_states(cycle)
        for s in states:
            if s.self_review_id and s.self_status:
                statuses[s.self_review_id] = (ReviewKind.SELF, s.self_status)
            if s.manager_review_id and s.manager_status:
                statuses[s.manager_review_id] = (ReviewKind.MANAGER, s.manager_status)
        reminders += rules.review_reminders(cycle.id, cycle.name, cycle.self_review_due, cycle.manager_review_due,
                                            states, today)
    goals = db.session.execute(
        select(Goal.id, Goal.owner_id, Goal.title, Goal.due_on).join(User, User.id == Goal.owner_id)
        .where(Goal.status.in_(OPEN_GOAL_STATUSES), Goal.due_on < today, User.is_active_account.is_(True))
    ).all()
    reminders += rules.goal_reminders([rules.OverdueGoal(goal_id, owner_id, title, due_on)
                                       for goal_id, owner_id, title, due_on in goals
                                       if due_on is not None])  # always, given the filter
    active = set(db.session.scalars(select(User.id).where(User.is_active_account.is_(True))))
    return _insert([_row(r.recipient_id, r.kind, r.record_type, r.record_id, r.subject_id, r.message, r.dedupe_key)
                    for r in reminders if r.recipient_id in active and _reminder_visible(r, statuses)])


# --- reading ---------------------------------------------------------------------------------

_NAVIGATION_STATE = select(
    exists().where(User.manager_id == bindparam("user_id")),
    select(func.count(Notification.id)).where(Notification.recipient_id == bindparam("user_id"),
                                              Notification.read_at.is_(None)).scalar_subquery(),
)


def navigation_state(user_id: int) -> tuple[bool, int]:
    """Whether the person has reports, and how many notifications they have not read: one
    statement, built once, as every page's navigation asks."""
    row = db.session.execute(_NAVIGATION_STATE, {"user_id": user_id}).one()
    return bool(row[0]), int(row[1])


def notifications_of(user_id: int, page: int = 1) -> tuple[list[Notification], int]:
    """One page of a person's notifications, newest first, and how many there are."""
    total = db.session.execute(select(func.count(Notification.id))
                               .where(Notification.recipient_id == user_id)).scalar_one()
    rows = db.session.scalars(select(Notification).where(Notification.recipient_id == user_id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return list(rows), total


def own_notification(notification_id: int, user_id: int) -> Notification | None:
    """A notification of this person (anyone else's is as good as absent)."""
    return db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.recipient_id == user_id))


def mark_read(notification: Notification, now: datetime) -> None:
    if notification.read_at is None:
        notification.read_at = now
        db.session.flush()


def mark_all_read(user_id: int, now: datetime) -> int:
    result = db.session.execute(update(Notification).where(Notification.recipient_id == user_id,
                                                           Notification.read_at.is_(None)).values(read_at=now))
    return affected_rows(result)


def link(notification: Notification) -> tuple[str, dict]:
    return rules.link_of(notification.kind, notification.record_type, notification.record_id,
                         notification.subject_id)


_WAITING = (Notification.email_state == "pending") & (User.notification_email != "off")


def waiting_count() -> int:
    """Emails waiting in the outbox (pending, for people who want email)."""
    return db.session.execute(select(func.count(Notification.id)).join(User, User.id == Notification.recipient_id)
                              .where(_WAITING)).scalar_one()


def outbox(limit: int = 200) -> tuple[list[tuple[Notification, User]], int]:
    """Emails waiting to go out (what would be sent, when no mail server is set), oldest first."""
    rows = db.session.execute(select(Notification, User).join(User, User.id == Notification.recipient_id)
                              .where(_WAITING).order_by(Notification.id).limit(limit)).all()
    return [(notification, user) for notification, user in rows], waiting_count()


# --- emailing (ladder notify) ----------------------------------------------------------------

@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0


def skip_unwanted() -> int:
    """Pending emails of people who turned email off, or who are deactivated, are not sent."""
    unwanted = select(User.id).where(or_(User.notification_email == "off", User.is_active_account.is_(False)))
    result = db.session.execute(update(Notification).where(Notification.email_state == "pending",
                                                           Notification.recipient_id.in_(unwanted))
                                .values(email_state="skipped"))
    return affected_rows(result)


def _due(now: datetime) -> ColumnElement[bool]:
    return (Notification.email_state == "pending") & or_(Notification.next_attempt_at.is_(None),
                                                         Notification.next_attempt_at <= now)


def claim_immediate(now: datetime, limit: int) -> list[tuple[Notification, User]]:
    """Lock a batch of due emails for people who want them at once. On PostgreSQL, FOR UPDATE
    SKIP LOCKED: a concurrent `ladder notify` takes other rows, so no email goes out twice."""
    rows = db.session.execute(
        select(Notification, User).join(User, User.id == Notification.recipient_id)
        .where(_due(now), User.notification_email == "immediately", User.is_active_account.is_(True))
        .order_by(Notification.id).limit(limit)
        .with_for_update(skip_locked=True, of=Notification)).all()
    return [(notification, user) for notification, user in rows]


def claim_digest_recipients(now: datetime, today: date, limit: int) -> list[User]:
    """Lock people who want a daily digest, have not had one today and have something waiting."""
    waiting = exists().where(Notification.recipient_id == User.id, _due(now))
    return list(db.session.scalars(
        select(User).where(User.notification_email == "daily", User.is_active_account.is_(True),
                           or_(User.digest_sent_on.is_(None), User.digest_sent_on < today), waiting)
        .order_by(User.id).limit(limit).with_for_update(skip_locked=True, of=User)))


def digest_items(user: User, now: datetime) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.recipient_id == user.id, _due(now))
                                   .order_by(Notification.id).with_for_update(skip_locked=True)))


def _message_context(notification: Notification) -> dict:
    endpoint, values = link(notification)
    return {"message": notification.message, "url": mail.absolute_url(endpoint, **values),
            "created_at": notification.created_at}


def _failed(notifications: list[Notification], error: Exception, now: datetime) -> None:
    for n in notifications:
        n.email_attempts += 1
        n.next_attempt_at = rules.next_attempt(n.email_attempts, now)
        n.last_error = f"{type(error).__name__}: {error}"[:300]


def _sent(notifications: list[Notification], now: datetime) -> None:
    for n in notifications:
        n.email_state, n.emailed_at, n.last_error = "sent", now, None


def deliver(claimed: list[tuple[Notification, User]], now: datetime) -> Delivery:
    """Email each claimed notification over one connection; a failure keeps it pending with a
    later next attempt (back-off), so nothing is lost while the mail server is down."""
    done = Delivery()
    if not claimed:
        return done
    settings = mail.absolute_url("account.notification_settings")
    unsent = list(claimed)
    try:
        with mail.connection() as conn:
            while unsent:
                notification, user = unsent[0]
                message = mail.build_message(user.email, "notification", notification.message, person=user,
                                             settings_url=settings, **_message_context(notification))
                message.connection = conn
                try:
                    message.send()
                except mail.MAIL_ERRORS as error:  # refused or cut off: this one waits
                    _failed([notification], error, now)
                    done.failed += 1
                else:
                    _sent([notification], now)
                    done.sent += 1
                unsent.pop(0)
    except mail.MAIL_ERRORS as error:  # the server is down: every unsent one waits
        logger.warning("mail server unavailable: %s", error)
        _failed([n for n, _ in unsent], error, now)
        done.failed += len(unsent)
    db.session.flush()
    return done


def deliver_digest(user: User, items: list[Notification], now: datetime, today: date) -> Delivery:
    """One email with everything waiting for a person who chose a daily digest."""
    if not items:
        return Delivery()
    subject = f"Ladder: {len(items)} update{'s' if len(items) != 1 else ''} for you"
    message = mail.build_message(user.email, "digest", subject, person=user,
                                 settings_url=mail.absolute_url("account.notification_settings"),
                                 items=[_message_context(n) for n in items])
    try:
        mail.send_all([message])
    except mail.MAIL_ERRORS as error:
        _failed(items, error, now)
        db.session.flush()
        return Delivery(failed=len(items))
    _sent(items, now)
    user.digest_sent_on = today
    db.session.flush()
    return Delivery(sent=len(items))
