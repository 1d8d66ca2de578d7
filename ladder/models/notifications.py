"""Notifications (the in-app list and the email outbox in one table) and single-use sign-in links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..domain.notifications import EMAIL_STATES, RECORD_TYPES, Kind
from ..extensions import Model

LINK_PURPOSES = ("invite", "reset")
MESSAGE_MAX = 300


class Notification(Model):
    """Something a person is told about, written in the same transaction as its cause.

    `dedupe_key` makes each notification exist once per recipient however often its cause is
    replayed; the email columns make the row its own outbox entry (pending until sent).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient_id", "dedupe_key"),
        CheckConstraint(f"kind IN {tuple(k.value for k in Kind)}", name="kind"),
        CheckConstraint(f"record_type IN {RECORD_TYPES}", name="record_type"),
        CheckConstraint(f"email_state IN {EMAIL_STATES}", name="email_state"),
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),  # the unread count, every page
        Index("ix_notifications_outbox", "email_state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int]
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(MESSAGE_MAX))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    read_at: Mapped[datetime | None]
    email_state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    email_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class SignInLink(Model):
    """An invitation or password-reset link: only a hash of its random token is kept, and it
    works once, before `expires_at`."""

    __tablename__ = "sign_in_links"
    __table_args__ = (CheckConstraint(f"purpose IN {LINK_PURPOSES}", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
