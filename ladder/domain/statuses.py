"""Every status, kind and role the database stores, as one `StrEnum` each, with the words pages
show for it.

A member is its stored string (`ReviewKind.SELF == "self"`), so rows, JSON, audit entries and
templates comparing with plain strings are unchanged; the allowed-value tuples of the check
constraints are derived from the enums (`values()`), so a new value is added in one place.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    """A stored string with its label: `DRAFT = "draft", "Draft"`."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored strings, in order (plain strings: a check constraint is written from them)."""
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict[str, str]:
        """{stored string: label}, in order: menus and tables of values."""
        return {member.value: member.label for member in cls}


class CycleStatus(Labelled):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ReviewKind(Labelled):
    SELF = "self", "Self-review"
    MANAGER = "manager", "Manager review"


class ReviewStatus(Labelled):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SHARED = "shared", "Shared"


SELF_REVIEW_DONE = (ReviewStatus.SUBMITTED,)
MANAGER_REVIEW_DONE = (ReviewStatus.SUBMITTED, ReviewStatus.SHARED)  # shared is later than submitted
REVIEW_DONE = {ReviewKind.SELF: SELF_REVIEW_DONE, ReviewKind.MANAGER: MANAGER_REVIEW_DONE}


class VerdictValue(Labelled):
    """A manager's judgement of readiness toward a target level."""

    READY_NOW = "ready_now", "Ready now"
    READY_6_MONTHS = "ready_6_months", "Ready within 6 months"
    READY_12_MONTHS = "ready_12_months", "Ready within 12 months"
    NOT_YET = "not_yet", "Not yet"
    NOT_PURSUING = "not_pursuing", "Not pursuing"


class VersionStatus(Labelled):
    """A ladder version: a draft being edited, or published (immutable)."""

    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Visibility(Labelled):
    """Who reads a feedback note or 1:1: shared with the engineer, or private to the writers."""

    SHARED = "shared", "Shared with the engineer"
    PRIVATE = "private", "Private"


class AuthorRole(Labelled):
    """The role in which a note or 1:1 was written."""

    MANAGER = "manager", "Manager"
    MENTOR = "mentor", "Mentor"


class GoalStatus(Labelled):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_GOAL_STATUSES = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)


class PeerFeedbackStatus(Labelled):
    REQUESTED = "requested", "Waiting for an answer"
    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined"


BELOW_CURRENT = "below"  # the rating value for "below current level" (a rating is otherwise a level key)
