"""Review cycles, self and manager reviews, ratings and promotion verdicts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..domain.statuses import CycleStatus, ReviewKind, ReviewStatus, VerdictValue
from ..extensions import Model
from .ladder import Competency, Level
from .limits import at_most
from .once import creation_token_column
from .people import User

CYCLE_STATUSES = CycleStatus.values()
REVIEW_KINDS = ReviewKind.values()
REVIEW_STATUSES = ReviewStatus.values()
VERDICTS = VerdictValue.labels()

EVIDENCE_MAX = 5000
RATIONALE_MAX = 5000
ANSWER_MAX = 5000
PROMPT_MAX = 300  # as ladder.domain.cycles.PROMPT_MAX
DEFAULT_QUESTIONS = ("Overall summary", "Strengths", "Growth areas")


class ReviewCycle(Model):
    """A review period on one ladder version (its main ladder) and, through
    `ReviewCycleLadder`, the versions of other ladders it also covers: each person is reviewed
    on their own ladder's version."""

    __tablename__ = "review_cycles"
    __table_args__ = (
        CheckConstraint(f"status IN {CYCLE_STATUSES}", name="status"),
        CheckConstraint(
            "opens_on <= self_review_due AND self_review_due <= manager_review_due"
            " AND manager_review_due <= closes_on",
            name="dates_ordered",
        ),
        Index("ix_review_cycles_status_opens_on", "status", "opens_on"),  # the open cycle, every page
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    ladder_version_id: Mapped[int] = mapped_column(
        "framework_version_id", ForeignKey("framework_versions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=CycleStatus.DRAFT)
    opens_on: Mapped[date] = mapped_column(Date)
    self_review_due: Mapped[date] = mapped_column(Date)
    manager_review_due: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    # "hold results until released": shared manager reviews and verdicts stay hidden from the
    # engineer until released (for the whole cycle: released_at; per team: ReleasedSubject rows)
    hold_results: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    released_at: Mapped[datetime | None]
    # Whether the engineer reads peer feedback without the names of who wrote it.
    peer_feedback_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    @property
    def is_open(self) -> bool:
        return self.status == CycleStatus.OPEN

    @property
    def is_held(self) -> bool:
        """Whether results are held for at least some people (not yet released for the whole cycle)."""
        return self.hold_results and self.released_at is None


class ResultRelease(Model):
    """One release of a held cycle's results: who, when, and for whom (a manager's tree, or
    the whole cycle when `manager_id` is empty). Releases are never undone."""

    __tablename__ = "result_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), index=True)
    released_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    released_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    people_count: Mapped[int] = mapped_column(default=0)


class ReleasedSubject(Model):
    """A person whose results in a held cycle were released with a team release."""

    __tablename__ = "released_subjects"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("result_releases.id", ondelete="CASCADE"), index=True)


class ReviewQuestion(Model):
    """A free-text question a cycle asks in the self-review or the manager review, in order."""

    __tablename__ = "review_questions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "kind", "position"),
        CheckConstraint(f"kind IN {REVIEW_KINDS}", name="kind"),
        at_most("prompt", PROMPT_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)


class ReviewAnswer(Model):
    """The answer to one of the cycle's questions in one review (saved with its ratings)."""

    __tablename__ = "review_answers"
    __table_args__ = (
        UniqueConstraint("review_id", "question_id"),
        at_most("body", ANSWER_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("review_questions.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, default="")


class ReviewCycleLadder(Model):
    """Another ladder's version a cycle covers (beyond its main `ladder_version_id`)."""

    __tablename__ = "review_cycle_ladders"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id", ondelete="CASCADE"), primary_key=True)
    ladder_version_id: Mapped[int] = mapped_column(
        "framework_version_id", ForeignKey("framework_versions.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class Review(Model):
    """A self-review or a manager review of one person in one cycle.

    `lock_version` is SQLAlchemy's optimistic lock: a save made from a stale page is refused
    instead of overwriting what somebody else (or another tab) saved in between.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("cycle_id", "subject_id", "kind"),
        CheckConstraint(f"kind IN {REVIEW_KINDS}", name="kind"),
        CheckConstraint(f"status IN {REVIEW_STATUSES}", name="status"),
        CheckConstraint("kind = 'manager' OR status <> 'shared'", name="only_manager_shared"),
        CheckConstraint("kind = 'manager' OR author_id = subject_id", name="self_by_subject"),
        CheckConstraint("kind = 'self' OR author_id <> subject_id", name="manager_not_subject"),
        at_most("acknowledgement", EVIDENCE_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("review_cycles.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.DRAFT)
    subject_level_key: Mapped[str] = mapped_column(String(64))
    subject_track_key: Mapped[str] = mapped_column(String(64))
    # The version the review is made on: the subject's ladder in the cycle (NULL in reviews made
    # before cycles covered several ladders: the cycle's own version, see `version_id_of`).
    ladder_version_id: Mapped[int | None] = mapped_column(
        "framework_version_id", ForeignKey("framework_versions.id", ondelete="RESTRICT"), index=True
    )
    submitted_at: Mapped[datetime | None]
    shared_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledgement: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now(), onupdate=clock.now)
    lock_version: Mapped[int] = mapped_column(default=1)
    # What the ratings give toward each target, {target level key: [coverage, bar, meets the bar]},
    # kept when the review is submitted so calibration reads a few numbers a person, not every
    # rating; NULL while a draft (and for reviews submitted before 0019: computed from the ratings).
    # Deferred: only calibration reads it (selecting the column itself), so other pages load reviews
    # without it and keep working on a database still at 0018 while 0019 is being applied.
    readiness: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    # A finished manager review's ratings below, at and above the person's level, and the
    # manager-minus-self rank differences (sum and how many) over the competencies the submitted
    # self-review rated too: calibration's distributions, kept so it sums a row a person instead of
    # counting every rating (ladder/services/rating_counts.py). NULL on self-reviews, drafts and
    # (until 0020's backfill) older reviews. Deferred, as readiness, for a database still at 0019.
    rated_below: Mapped[int | None] = mapped_column(deferred=True)
    rated_at: Mapped[int | None] = mapped_column(deferred=True)
    rated_above: Mapped[int | None] = mapped_column(deferred=True)
    self_gap_sum: Mapped[int | None] = mapped_column(deferred=True)
    self_gaps: Mapped[int | None] = mapped_column(deferred=True)

    cycle: Mapped[ReviewCycle] = relationship(lazy="raise")
    subject: Mapped[User] = relationship(foreign_keys=[subject_id], lazy="raise")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")
    ratings: Mapped[list[Rating]] = relationship(
        back_populates="review", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_editable(self) -> bool:
        return self.status == ReviewStatus.DRAFT


class Rating(Model):
    """One competency's rating in a review: a level of the pinned ladder, or below current."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("review_id", "competency_id"),
        CheckConstraint(
            "NOT (level_id IS NOT NULL AND below_current)", name="one_rating_value"
        ),
        at_most("evidence", EVIDENCE_MAX),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="RESTRICT"), index=True
    )
    level_id: Mapped[int | None] = mapped_column(ForeignKey("levels.id", ondelete="RESTRICT"), index=True)
    below_current: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="ratings", lazy="raise")
    competency: Mapped[Competency] = relationship(lazy="raise")
    level: Mapped[Level | None] = relationship(lazy="raise")


class Verdict(Model):
    """A manager's promotion-readiness judgement; every one is kept, so history is readable."""

    __tablename__ = "verdicts"
    __table_args__ = (
        CheckConstraint(f"verdict IN {tuple(VERDICTS)}", name="verdict"),
        at_most("rationale", RATIONALE_MAX),
        # the latest verdict per person and target level (readiness, the report's verdict filter)
        Index("ix_verdicts_subject_target_created", "subject_id", "target_level_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("review_cycles.id", ondelete="SET NULL"), index=True)
    target_level_key: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    computed_coverage: Mapped[float | None]
    # set when the verdict was changed in calibration: the manager's original stays as it was
    calibrated_from_id: Mapped[int | None] = mapped_column(ForeignKey("verdicts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    creation_token: Mapped[str | None] = creation_token_column()

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict]
