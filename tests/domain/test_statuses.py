"""Statuses as types: each member is the string stored today, with its label."""
from ladder.domain.statuses import (
    MANAGER_REVIEW_DONE,
    CycleStatus,
    GoalStatus,
    PeerFeedbackStatus,
    ReviewKind,
    ReviewStatus,
    VerdictValue,
)
from ladder.models.reviews import REVIEW_KINDS, VERDICTS


def test_a_member_is_its_stored_string():
    assert ReviewKind.SELF == "self" and ReviewKind("manager") is ReviewKind.MANAGER
    assert f"{ReviewStatus.SHARED}" == "shared" and {"draft": 1}[CycleStatus.DRAFT] == 1
    assert "submitted" in MANAGER_REVIEW_DONE and "draft" not in MANAGER_REVIEW_DONE


def test_the_allowed_values_come_from_the_enums_as_plain_strings():
    assert REVIEW_KINDS == ("self", "manager") and type(REVIEW_KINDS[0]) is str
    assert GoalStatus.values() == ("open", "in_progress", "done", "dropped")
    assert f"kind IN {REVIEW_KINDS}" == "kind IN ('self', 'manager')"  # as the check constraint is written


def test_labels():
    assert ReviewKind.SELF.label == "Self-review" and GoalStatus.IN_PROGRESS.label == "In progress"
    assert PeerFeedbackStatus.REQUESTED.label == "Waiting for an answer"
    assert VERDICTS == VerdictValue.labels() and VERDICTS["ready_now"] == "Ready now"
