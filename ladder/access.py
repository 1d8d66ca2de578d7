"""Load a record and check the viewer may see it, in one step: missing or forbidden is a 404.

Every view loads people and reviews through these helpers, so a view cannot forget the
visibility rules of ladder.domain.permissions.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from .domain import permissions
from .domain.permissions import Relation
from .domain.statuses import ReviewKind
from .extensions import db
from .models import FeedbackNote, Goal, Mentorship, OneOnOne, PeerFeedbackRequest, Review, User
from .services.cycles import held_cycle_ids
from .services.people import relation


def person_or_404(user_id: int,
                  allowed: Callable[[Relation], bool] = permissions.can_view_profile) -> tuple[User, Relation]:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    rel = relation(current_user, person)
    if not allowed(rel):
        abort(404)
    return person, rel


def held_for_viewer(rel: Relation, subject_id: int) -> set[int]:
    """The cycles whose manager reviews and verdicts this viewer may not see yet: only the
    engineer waits for a release, so for anyone else nothing (and no query)."""
    return held_cycle_ids(subject_id) if rel.is_self else set()


def review_or_404(review_id: int) -> tuple[Review, Relation]:
    """A review the current user may read: self-reviews once visible, manager reviews once
    shared (and released, when their cycle holds results)."""
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    subject = db.session.get_one(User, review.subject_id)
    rel = relation(current_user, subject)
    if review.kind == ReviewKind.SELF:
        allowed = permissions.can_view_self_review(rel, review.status)
    else:
        allowed = permissions.can_view_manager_review(
            rel, review.status, held=review.cycle_id in held_for_viewer(rel, subject.id))
    if not allowed:
        abort(404)
    return review, rel


def require_admin() -> None:
    """Administration is invisible to everyone else: a 404, as for any record they may not see."""
    if not (current_user.is_authenticated and current_user.is_admin and current_user.is_active):
        abort(404)


# --- mentorship records -----------------------------------------------------------------------

def _subject_relation(subject_id: int) -> tuple[User, Relation]:
    subject = db.session.get_one(User, subject_id)
    return subject, relation(current_user, subject)


def _written_record_or_404(model, record_id: int):
    """A feedback note or 1:1 the current user may read: both follow the note rules."""
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    subject, rel = _subject_relation(record.subject_id)
    if not permissions.can_view_note(rel, visibility=record.visibility, author_role=record.author_role,
                                     is_author=record.author_id == current_user.id):
        abort(404)
    return record, subject, rel


def note_or_404(note_id: int):
    """A feedback note the current user may read, with its subject and the viewer's relation."""
    return _written_record_or_404(FeedbackNote, note_id)


def one_on_one_or_404(one_on_one_id: int):
    """A 1:1 note the current user may read (same rules as feedback notes)."""
    return _written_record_or_404(OneOnOne, one_on_one_id)


def goal_or_404(goal_id: int):
    """A goal the current user may see: its owner, their managers and their mentors."""
    goal = db.session.get(Goal, goal_id)
    if goal is None:
        abort(404)
    owner, rel = _subject_relation(goal.owner_id)
    if not permissions.can_view_growth(rel):
        abort(404)
    return goal, owner, rel


def mentorship_or_404(mentorship_id: int):
    """A pairing the current user may see: either side, the mentee's chain, admins."""
    mentorship = db.session.get(Mentorship, mentorship_id)
    if mentorship is None:
        abort(404)
    mentee, rel = _subject_relation(mentorship.mentee_id)
    if not (permissions.can_view_mentorships(rel) or mentorship.mentor_id == current_user.id):
        abort(404)
    return mentorship, mentee, rel


def peer_request_or_404(request_id: int):
    """A peer feedback request the current user may open: the peer asked and the subject's
    management chain (the engineer reads answers on their own pages, names as the cycle says)."""
    feedback_request = db.session.get(PeerFeedbackRequest, request_id)
    if feedback_request is None:
        abort(404)
    subject, rel = _subject_relation(feedback_request.subject_id)
    if not permissions.can_view_peer_request(rel, is_peer=feedback_request.peer_id == current_user.id):
        abort(404)
    return feedback_request, subject, rel
