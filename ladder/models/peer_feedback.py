"""Peer feedback: a colleague asked, within a review cycle, for feedback on chosen competencies.

One row per peer asked. The answers are kept on the row as {competency key: {"text", "rating"}}
(a rating is a level key of the cycle's ladder or "below", or absent): a draft is saved and
submitted as a whole, and the row's `lock_version` refuses a save made from a stale page.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..domain.statuses import PeerFeedbackStatus
from ..extensions import Model
from .limits import at_most
from .once import creation_token_column
from .people import User
from .reviews import ReviewCycle

PEER_FEEDBACK_STATUSES = PeerFeedbackStatus.values()
MAX_PEERS = 5
ANSWER_MAX = 5000
DECLINE_REASON_MAX = 1000


class PeerFeedbackRequest(Model):
    """Feedback on `subject` asked of `peer` by `requester` (the subject or a manager above them)."""

    __tablename__ = "peer_feedback_requests"
    __table_args__ = (
        UniqueConstraint("cycle_id", "subject_id", "peer_id"),
        CheckConstraint(f"status IN {PEER_FEEDBACK_STATUSES}", name="status"),
        CheckConstraint("peer_id <> subject_id", name="peer_not_subject"),
        CheckConstraint("status = 'answered' OR answered_at IS NULL", name="answered_at_when_answered"),
        CheckConstraint("status = 'declined' OR declined_at IS NULL", name="declined_at_when_declined"),
        at_most("decline_reason", DECLINE_REASON_MAX),
        # the peer's to-do: what is still asked of them
        Index("ix_peer_feedback_requests_peer_status", "peer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=PeerFeedbackStatus.REQUESTED)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), onupdate=clock.now)
    answered_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    # Only the first request of a set sent by one form carries the form's token (see services).
    creation_token: Mapped[str | None] = creation_token_column()

    cycle: Mapped[ReviewCycle] = relationship(lazy="raise")
    subject: Mapped[User] = relationship(foreign_keys=[subject_id], lazy="raise")
    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="raise")
    peer: Mapped[User] = relationship(foreign_keys=[peer_id], lazy="raise")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def status_label(self) -> str:
        return PeerFeedbackStatus.labels()[self.status]

    @property
    def is_open(self) -> bool:
        return self.status == PeerFeedbackStatus.REQUESTED
