"""Who may see and do what, as plain rules over a viewer's relation to a person.

Views never decide access themselves: they load a record through a helper that builds the
`Relation` and asks one of these functions, and answer 404 when the answer is no.
"""
from __future__ import annotations

from dataclasses import dataclass

from .statuses import AuthorRole, PeerFeedbackStatus, ReviewKind, ReviewStatus, Visibility


@dataclass(frozen=True)
class Relation:
    """How a viewer relates to the person a record is about."""

    is_self: bool = False
    is_manager: bool = False  # anywhere above the person in the reporting tree
    is_direct_manager: bool = False
    is_mentor: bool = False
    is_admin: bool = False


def can_view_profile(rel: Relation) -> bool:
    return rel.is_self or rel.is_manager or rel.is_mentor or rel.is_admin


def can_view_self_review(rel: Relation, status: str | None) -> bool:
    """The author always; managers only once it is submitted (drafts are private)."""
    return rel.is_self or (rel.is_manager and status != ReviewStatus.DRAFT)


def can_edit_self_review(rel: Relation, status: str) -> bool:
    return rel.is_self and status == ReviewStatus.DRAFT


def can_view_manager_review(rel: Relation, status: str | None, *, held: bool = False) -> bool:
    """The management chain always; the engineer once it is shared and, when its cycle holds
    results until released, once they are released for them (`held` says they are not yet)."""
    return rel.is_manager or (rel.is_self and status == ReviewStatus.SHARED and not held)


def can_write_manager_review(rel: Relation) -> bool:
    return rel.is_direct_manager


def can_view_readiness(rel: Relation) -> bool:
    """Ratings-derived, so never for mentors or admins outside the chain."""
    return rel.is_self or rel.is_manager


def can_record_verdict(rel: Relation) -> bool:
    return rel.is_manager


def can_acknowledge(rel: Relation, status: str) -> bool:
    return rel.is_self and status == ReviewStatus.SHARED


@dataclass(frozen=True)
class LoggedRecord:
    """What the visibility rules need to know about a record an audit entry is about."""

    kind: str | None = None  # reviews
    status: str | None = None
    visibility: str | None = None  # notes and 1:1s (and their action items)
    author_role: str | None = None
    is_author: bool = False  # notes: the viewer wrote it; peer feedback: the viewer is the peer asked
    held: bool = False  # a manager review or verdict its cycle still holds from the viewer


def can_read_logged_record(entity_type: str, rel: Relation, record: LoggedRecord | None) -> bool:
    """Whether a viewer may read the values an audit entry records: exactly when they may read
    the record itself, as it stands now (a review once visible to them, a note by the note
    rules, ...). `record` is None for a record since deleted, whose values nobody reads. Records
    about nobody (cycles, ladder versions) are the administrators'."""
    if entity_type == "user":
        return can_view_profile(rel)
    if entity_type == "review":
        if record is None:
            return False
        if record.kind == ReviewKind.SELF:
            return can_view_self_review(rel, record.status)
        return can_view_manager_review(rel, record.status, held=record.held)
    if entity_type in ("feedback_note", "one_on_one", "action_item"):
        return record is not None and can_view_note(rel, visibility=record.visibility, author_role=record.author_role,
                                                    is_author=record.is_author)
    if entity_type in ("goal", "goal_update"):
        return can_view_growth(rel)
    if entity_type == "verdict":
        return can_view_verdict(rel, held=record is not None and record.held)
    if entity_type == "mentorship":
        return can_view_mentorships(rel)
    if entity_type == "peer_feedback_request":  # who was asked is itself hidden when a cycle is anonymous
        return record is not None and can_view_peer_request(rel, is_peer=record.is_author)
    return entity_type in ADMIN_RECORDS and rel.is_admin  # any other kind: field names only


# Records about nobody in particular, which administrators manage.
ADMIN_RECORDS = frozenset({"review_cycle", "framework", "framework_version"})


# --- Mentorship: notes, 1:1s, goals, the timeline ---------------------------------------------

def can_view_growth(rel: Relation) -> bool:
    """Goals and the timeline: the engineer, their management chain and their mentors.
    Admins outside the chain see nothing of it."""
    return rel.is_self or rel.is_manager or rel.is_mentor


def can_edit_goals(rel: Relation) -> bool:
    """The engineer, their managers and their mentors create goals and post progress."""
    return can_view_growth(rel)


def can_write_note(rel: Relation) -> bool:
    """Feedback and 1:1 notes are written by a manager (anywhere in the chain) or a mentor."""
    return rel.is_manager or rel.is_mentor


def note_author_role(rel: Relation) -> str | None:
    """The role a note is written in; a manager who also mentors writes as a manager."""
    if rel.is_manager:
        return AuthorRole.MANAGER
    if rel.is_mentor:
        return AuthorRole.MENTOR
    return None


def can_view_note(rel: Relation, *, visibility: str | None, author_role: str | None, is_author: bool) -> bool:
    """Shared notes: the engineer, their managers and mentors. Private notes: the author, and
    for a manager's note the engineer's management chain (never a mentor's private note)."""
    if is_author:
        return True
    if visibility == Visibility.SHARED:
        return rel.is_self or rel.is_manager or rel.is_mentor
    return author_role == AuthorRole.MANAGER and rel.is_manager


def can_edit_note(rel: Relation, *, is_author: bool) -> bool:
    """Only the author, and only while they still manage or mentor the engineer."""
    return is_author and can_write_note(rel)


def can_view_mentorships(rel: Relation) -> bool:
    """Either side of a pairing, the mentee's management chain and admins."""
    return rel.is_self or rel.is_manager or rel.is_mentor or rel.is_admin


def can_manage_mentorships(rel: Relation) -> bool:
    """Admins and the mentee's management chain pair and end mentorships."""
    return rel.is_admin or rel.is_manager


def can_view_verdicts(rel: Relation) -> bool:
    """Verdicts are part of readiness: the engineer and their chain, never mentors."""
    return can_view_readiness(rel)


def can_view_verdict(rel: Relation, *, held: bool = False) -> bool:
    """One verdict: as `can_view_verdicts`, but the engineer waits while its cycle holds results."""
    return can_view_verdicts(rel) and not (rel.is_self and held)


# --- Peer feedback ----------------------------------------------------------------------------

def can_request_peer_feedback(rel: Relation) -> bool:
    """The engineer asks for feedback on themselves, or anyone in their management chain does."""
    return rel.is_self or rel.is_manager


def subject_may_read_peer_feedback(manager_review_status: str | None, *, held: bool = False) -> bool:
    """When the engineer may read the peer feedback of a cycle: once the manager review of that
    cycle is shared with them and, in a cycle that holds results, released to them."""
    return manager_review_status == ReviewStatus.SHARED and not held


def can_view_peer_request(rel: Relation, *, is_peer: bool) -> bool:
    """One request with its answers and the peer's name: the peer asked and the subject's
    management chain. The engineer reads answers grouped by competency instead (names as the
    cycle says); mentors and admins read none."""
    return is_peer or rel.is_manager


def can_answer_peer_request(*, is_peer: bool, status: str) -> bool:
    """Only the peer asked, and only until they submit or decline."""
    return is_peer and status == PeerFeedbackStatus.REQUESTED


def can_read_peer_answers(rel: Relation, *, manager_review_status: str | None, held: bool = False) -> bool:
    """A subject's peer feedback of a cycle, all answers: the management chain always, the
    engineer once allowed (subject_may_read_peer_feedback)."""
    return rel.is_manager or (rel.is_self and subject_may_read_peer_feedback(manager_review_status, held=held))


def shows_peer_names(rel: Relation, *, anonymous: bool) -> bool:
    """Who wrote which answer: the management chain always; the engineer unless the cycle hides names."""
    return rel.is_manager or not anonymous


def can_follow_peer_request(rel: Relation, *, is_requester: bool) -> bool:
    """Who was asked, whether they answered or declined (and why): the management chain, and the
    engineer for the requests they made themselves."""
    return rel.is_manager or (rel.is_self and is_requester)
