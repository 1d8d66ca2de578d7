"""Mentorship: pairings, feedback notes, 1:1 notes with action items, growth goals.

Competency tags are stored as lists of competency keys of the ladder (validated against the
current published version when written), so a tag survives a new ladder version unchanged.
Notes keep the Markdown exactly as typed; it is rendered and sanitised on display.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..domain.statuses import AuthorRole, GoalStatus, Visibility
from ..extensions import Model
from .limits import at_most
from .once import creation_token_column
from .people import User

VISIBILITIES = Visibility.values()
AUTHOR_ROLES = AuthorRole.values()
GOAL_STATUSES = GoalStatus.values()
GOAL_STATUS_LABELS = GoalStatus.labels()

NOTE_MAX = 20000
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
ACTION_ITEM_MAX = 500
PARTICIPANTS_MAX = 300
UPDATE_MAX = 5000


class Mentorship(Model):
    """A mentor paired with a mentee; ending it sets `ended_on` and keeps the row as history."""

    __tablename__ = "mentorships"
    __table_args__ = (
        CheckConstraint("mentor_id <> mentee_id", name="not_own_mentor"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        # one open pairing per mentor and mentee (ended_on is set when a pairing ends or lapses)
        Index("uq_mentorships_open_pair", "mentor_id", "mentee_id", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    focus: Mapped[list] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    creation_token: Mapped[str | None] = creation_token_column()

    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="raise")
    mentee: Mapped[User] = relationship(foreign_keys=[mentee_id], lazy="raise")


class FeedbackNote(Model):
    """A manager's or mentor's note about an engineer, shared with them or private."""

    __tablename__ = "feedback_notes"
    __table_args__ = (
        CheckConstraint(f"visibility IN {VISIBILITIES}", name="visibility"),
        CheckConstraint(f"author_role IN {AUTHOR_ROLES}", name="author_role"),
        CheckConstraint("author_id <> subject_id", name="not_about_self"),
        at_most("body", NOTE_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE)
    body: Mapped[str] = mapped_column(Text)
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), onupdate=clock.now)
    lock_version: Mapped[int] = mapped_column(default=1)
    creation_token: Mapped[str | None] = creation_token_column()

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")

    __mapper_args__ = {"version_id_col": lock_version}


class OneOnOne(Model):
    """Notes of a 1:1 conversation with an engineer, with action items."""

    __tablename__ = "one_on_ones"
    __table_args__ = (
        CheckConstraint(f"visibility IN {VISIBILITIES}", name="visibility"),
        CheckConstraint(f"author_role IN {AUTHOR_ROLES}", name="author_role"),
        CheckConstraint("author_id <> subject_id", name="not_about_self"),
        at_most("notes", NOTE_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(String(PARTICIPANTS_MAX), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE)
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), onupdate=clock.now)
    lock_version: Mapped[int] = mapped_column(default=1)
    creation_token: Mapped[str | None] = creation_token_column()

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="one_on_one", lazy="raise", cascade="all, delete-orphan",
        order_by="ActionItem.position",
    )

    __mapper_args__ = {"version_id_col": lock_version}


class ActionItem(Model):
    """Something agreed in a 1:1; it can become a goal (then `goal_id` points at it)."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    one_on_one_id: Mapped[int] = mapped_column(ForeignKey("one_on_ones.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(ACTION_ITEM_MAX))
    done: Mapped[bool] = mapped_column(default=False)
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id", ondelete="SET NULL"), index=True)

    one_on_one: Mapped[OneOnOne] = relationship(back_populates="action_items", lazy="raise")


class Goal(Model):
    """A growth goal of an engineer, optionally linked to competencies, with a due date."""

    __tablename__ = "goals"
    __table_args__ = (CheckConstraint(f"status IN {GOAL_STATUSES}", name="status"),
                      at_most("description", DESCRIPTION_MAX))

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    competencies: Mapped[list] = mapped_column(JSON, default=list)
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=GoalStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), onupdate=clock.now)
    lock_version: Mapped[int] = mapped_column(default=1)
    creation_token: Mapped[str | None] = creation_token_column()

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="raise")
    updates: Mapped[list[GoalUpdate]] = relationship(
        back_populates="goal", lazy="raise", cascade="all, delete-orphan", order_by="GoalUpdate.id"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def status_label(self) -> str:
        return GOAL_STATUS_LABELS[self.status]


class GoalUpdate(Model):
    """Progress on a goal: a comment, a status change, or both."""

    __tablename__ = "goal_updates"
    __table_args__ = (
        CheckConstraint(f"status_to IS NULL OR status_to IN {GOAL_STATUSES}", name="status_to"),
        CheckConstraint(f"status_from IS NULL OR status_from IN {GOAL_STATUSES}", name="status_from"),
        at_most("body", UPDATE_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text, default="")
    status_from: Mapped[str | None] = mapped_column(String(16))
    status_to: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    creation_token: Mapped[str | None] = creation_token_column()

    goal: Mapped[Goal] = relationship(back_populates="updates", lazy="raise")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
