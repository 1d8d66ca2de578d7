"""Pure rules of mentorship: who sees notes, goals and the timeline; active pairings; overdue goals."""
from datetime import date, datetime

import pytest

from ladder.domain import permissions as p
from ladder.domain.mentorship import TimelineEntry, clean_tags, filter_timeline, is_active_mentorship, is_overdue
from ladder.domain.permissions import Relation

from ..factories import ADMIN, MANAGER, MENTOR, NOBODY, ROLES, SELF, SKIP


@pytest.mark.parametrize("visibility, author_role, allowed", [
    ("shared", "mentor", {"self", "manager", "skip", "mentor"}),
    ("shared", "manager", {"self", "manager", "skip", "mentor"}),
    ("private", "mentor", set()),  # only its author (checked below)
    ("private", "manager", {"manager", "skip"}),
])
def test_note_visibility_by_role(visibility, author_role, allowed):
    for name, rel in ROLES.items():
        assert p.can_view_note(rel, visibility=visibility,
                               author_role=author_role, is_author=False) == (name in allowed), name
        assert p.can_view_note(rel, visibility=visibility, author_role=author_role, is_author=True)


def test_goals_and_timeline_for_engineer_chain_and_mentor_never_admin():
    assert [p.can_view_growth(r) for r in ROLES.values()] == [True, True, True, True, False, False]
    assert p.can_edit_goals(MENTOR) and not p.can_edit_goals(ADMIN)


def test_mentor_never_sees_ratings_reviews_or_verdicts():
    assert not p.can_view_self_review(MENTOR, "submitted")
    assert not p.can_view_manager_review(MENTOR, "shared")
    assert not p.can_view_readiness(MENTOR) and not p.can_view_verdicts(MENTOR)
    assert p.can_view_verdicts(SELF) and p.can_view_verdicts(SKIP)


def test_who_writes_notes_and_in_which_role():
    assert p.note_author_role(MANAGER) == "manager"
    assert p.note_author_role(Relation(is_manager=True, is_mentor=True)) == "manager"
    assert p.note_author_role(MENTOR) == "mentor"
    assert not p.can_write_note(SELF) and not p.can_write_note(ADMIN)
    assert p.can_edit_note(MENTOR, is_author=True) and not p.can_edit_note(MANAGER, is_author=False)
    assert not p.can_edit_note(NOBODY, is_author=True)  # a former mentor can no longer edit


def test_pairings_managed_by_admins_and_the_chain():
    assert p.can_manage_mentorships(ADMIN) and p.can_manage_mentorships(SKIP)
    assert not p.can_manage_mentorships(MENTOR) and not p.can_manage_mentorships(SELF)
    assert p.can_view_mentorships(MENTOR) and p.can_view_mentorships(SELF) and not p.can_view_mentorships(NOBODY)


TODAY = date(2026, 11, 20)


@pytest.mark.parametrize("due_on, status, overdue", [
    (date(2026, 11, 19), "open", True),
    (date(2026, 11, 19), "in_progress", True),
    (date(2026, 11, 19), "done", False),
    (date(2026, 11, 19), "dropped", False),
    (date(2026, 11, 20), "open", False),  # due today is not late yet
    (None, "open", False),
])
def test_overdue_by_date_and_status(due_on, status, overdue):
    assert is_overdue(due_on, status, TODAY) is overdue


@pytest.mark.parametrize("starts, ends, ended, active", [
    (date(2026, 1, 1), None, None, True),
    (date(2026, 12, 1), None, None, False),  # not started
    (date(2026, 1, 1), date(2026, 11, 20), None, True),
    (date(2026, 1, 1), date(2026, 11, 19), None, False),  # past its end date
    (date(2026, 1, 1), None, date(2026, 11, 20), False),  # ended today: access stops now
])
def test_active_mentorship(starts, ends, ended, active):
    assert is_active_mentorship(starts, ends, ended, TODAY) is active


def test_timeline_filters_and_sorts_newest_first():
    a = TimelineEntry("goal", datetime(2026, 1, 1), "A", competencies=("security",))
    b = TimelineEntry("feedback", datetime(2026, 3, 1), "B", competencies=("security", "mentoring"))
    c = TimelineEntry("feedback", datetime(2026, 2, 1), "C")
    assert [e.title for e in filter_timeline([a, b, c])] == ["B", "C", "A"]
    assert [e.title for e in filter_timeline([a, b, c], kind="feedback")] == ["B", "C"]
    assert [e.title for e in filter_timeline([a, b, c], competency="security")] == ["B", "A"]
    assert [e.title for e in filter_timeline([a, b, c], kind="goal", competency="mentoring")] == []


def test_tags_keep_ladder_order_without_duplicates_or_unknown_keys():
    assert clean_tags(["b", "x", "a", "b"], ["a", "b", "c"]) == ["a", "b"]
