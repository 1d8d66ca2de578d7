"""Pure rules of peer feedback: who may ask, answer and read; what a request and an answer need;
how answers are shown with and without names."""
from datetime import date

import pytest

from ladder.domain import permissions as p
from ladder.domain.peer_feedback import (
    Answer,
    RequestAsked,
    answer_problems,
    answers_by_competency,
    applicable_competencies,
    request_problems,
)
from ladder.domain.permissions import LoggedRecord
from ladder.domain.rubric import default_rubric_path, load_rubric

from ..factories import ADMIN, MENTOR, NOBODY, ROLES, SELF, SKIP, shape

TODAY = date(2026, 12, 1)


def test_the_engineer_and_their_chain_ask_nobody_else():
    assert {name for name, rel in ROLES.items() if p.can_request_peer_feedback(rel)} == {"self", "manager", "skip"}


def test_a_request_is_opened_by_its_peer_and_the_chain_never_a_mentor_or_admin():
    assert {name for name, rel in ROLES.items() if p.can_view_peer_request(rel, is_peer=False)} == {"manager", "skip"}
    assert all(p.can_view_peer_request(rel, is_peer=True) for rel in ROLES.values())


def test_only_the_peer_answers_and_only_until_submitted_or_declined():
    assert p.can_answer_peer_request(is_peer=True, status="requested")
    assert not p.can_answer_peer_request(is_peer=True, status="answered")
    assert not p.can_answer_peer_request(is_peer=True, status="declined")
    assert not p.can_answer_peer_request(is_peer=False, status="requested")


@pytest.mark.parametrize("review_status, readers", [
    (None, {"manager", "skip"}),
    ("draft", {"manager", "skip"}),
    ("submitted", {"manager", "skip"}),
    ("shared", {"self", "manager", "skip"}),
])
def test_answers_are_read_by_the_chain_and_by_the_engineer_once_the_manager_review_is_shared(review_status, readers):
    assert {name for name, rel in ROLES.items()
            if p.can_read_peer_answers(rel, manager_review_status=review_status)} == readers


def test_names_are_hidden_from_the_engineer_only_when_the_cycle_says_so():
    assert p.shows_peer_names(SELF, anonymous=False)
    assert not p.shows_peer_names(SELF, anonymous=True)
    assert p.shows_peer_names(SKIP, anonymous=True)


def test_the_engineer_follows_the_requests_they_made_the_chain_follows_all():
    assert p.can_follow_peer_request(SELF, is_requester=True)
    assert not p.can_follow_peer_request(SELF, is_requester=False)
    assert p.can_follow_peer_request(SKIP, is_requester=False)
    assert not p.can_follow_peer_request(MENTOR, is_requester=False)
    assert not p.can_follow_peer_request(ADMIN, is_requester=False)


def test_audit_values_of_a_request_follow_the_request_page_rule():
    record = LoggedRecord(is_author=False)
    readers = {name for name, rel in ROLES.items() if p.can_read_logged_record("peer_feedback_request", rel, record)}
    assert readers == {"manager", "skip"}
    assert p.can_read_logged_record("peer_feedback_request", NOBODY, LoggedRecord(is_author=True))
    assert not p.can_read_logged_record("peer_feedback_request", SKIP, None)


def test_only_competencies_of_the_track_from_the_persons_level_apply():
    rubric = load_rubric(default_rubric_path())
    ic = {c.key for c in applicable_competencies(rubric, "ic", "senior")}
    management = {c.key for c in applicable_competencies(rubric, "management", "em")}
    assert "system-design" in ic and "people-management" not in ic
    assert "people-management" in management


def asked(**overrides) -> RequestAsked:
    values = {"subject_id": 1, "peer_ids": [2, 3], "competency_keys": ["a"], "due_on": date(2026, 12, 10),
              "already_asked": frozenset(), "still_counting": 0, "active_ids": frozenset(range(1, 10))}
    return RequestAsked(**{**values, **overrides})


def problems(**overrides) -> dict:
    return request_problems(asked(**overrides), ["a", "b"], today=TODAY, closes_on=date(2026, 12, 31), max_peers=5)


def test_a_valid_request_has_no_problems():
    assert problems() == {}


@pytest.mark.parametrize("overrides, field, message", [
    ({"peer_ids": []}, "peers", "at least one"),
    ({"peer_ids": [1, 2]}, "peers", "leave out the person"),
    ({"peer_ids": [2, 99]}, "peers", "from the list"),
    ({"already_asked": frozenset({3})}, "peers", "already asked"),
    ({"peer_ids": [2, 3, 4, 5, 6, 7]}, "peers", "at most 5"),
    ({"still_counting": 4}, "peers", "1 more can be asked"),
    ({"competency_keys": []}, "competencies", "at least one"),
    ({"competency_keys": ["a", "people-management"]}, "competencies", "apply to this person"),
    ({"due_on": None}, "due_on", "Give a due date"),
    ({"due_on": TODAY}, "due_on", "in the future"),
    ({"due_on": date(2027, 1, 5)}, "due_on", "before the cycle closes"),
])
def test_request_limits(overrides, field, message):
    assert message in problems(**overrides)[field]


def test_declined_requests_free_their_place():
    assert problems(peer_ids=[2, 3, 4, 5, 6], still_counting=0) == {}


def test_a_draft_may_be_partial_a_submit_needs_every_answer_and_ratings_must_be_offered():
    allowed = {"a": ["below", "senior"], "b": ["below", "senior"]}
    assert answer_problems({"a": Answer("Good.")}, allowed, submitting=False) == {}
    assert set(answer_problems({"a": Answer("Good.")}, allowed, submitting=True)) == {"b"}
    assert answer_problems({"a": Answer("x", "principal-ish")}, allowed, submitting=False) == {
        "a": "Choose one of the listed levels."}


def test_answers_are_grouped_by_competency_with_names_or_sorted_without():
    answered = [("Zoe", ["b", "a"], {"a": {"text": "zeta", "rating": "senior"}, "b": {"text": "bee", "rating": None}}),
                ("Abe", ["a"], {"a": {"text": "alpha", "rating": None}})]
    named = answers_by_competency(answered, ["a", "b"], show_names=True)
    assert [key for key, _ in named] == ["a", "b"]
    assert [(a.author, a.text) for a in named[0][1]] == [("Zoe", "zeta"), ("Abe", "alpha")]
    hidden = answers_by_competency(answered, ["a", "b"], show_names=False)
    assert [(a.author, a.text) for a in hidden[0][1]] == [(None, "alpha"), (None, "zeta")]


def test_on_a_points_ladder_a_peer_is_offered_milestones_and_no_milestone_yet():

    from ladder.domain.peer_feedback import rating_choices

    points = shape("points")
    choices = rating_choices(points, points.competency("mobile"), "ic", "SE")
    assert choices[1][1] == "No milestone yet" and "Below current level" not in str(choices)
