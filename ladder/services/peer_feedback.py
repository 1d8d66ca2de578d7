"""Peer feedback over the session: asking colleagues, their answers and declines, and what each
viewer is shown. Visibility is decided by ladder.domain.permissions; these functions return
only what the viewer may see."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..domain import peer_feedback as rules
from ..domain import permissions
from ..domain.permissions import Relation
from ..domain.rubric import Rubric
from ..domain.statuses import CycleStatus, ReviewKind
from ..extensions import db
from ..models import PeerFeedbackRequest, Review, ReviewCycle, User
from ..models.peer_feedback import MAX_PEERS, PeerFeedbackStatus
from ..unit_of_work import StaleRecord
from .cycles import held_cycle_ids
from .ladders import LoadedVersion, load_version
from .reviews import version_for


class RequestRefused(ValueError):
    """A request set that cannot be made; `problems` holds a message per form field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class AnswerRefused(ValueError):
    """Answers that cannot be saved or submitted; `problems` holds a message per competency."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def peer_feedback_requested(request: PeerFeedbackRequest) -> None:
    """Called once for every request made, after it is stored: notifications (in the app and by
    email) plug in here."""


def applicable_keys(loaded: LoadedVersion, subject: User) -> list[str]:
    return [c.key for c in rules.applicable_competencies(loaded.rubric, subject.track_key, subject.level_key)]


def colleagues(subject: User) -> list[User]:
    """Who may be asked: every active person but the subject, by name."""
    return list(db.session.scalars(select(User).where(User.id != subject.id, User.is_active_account.is_(True))
                                   .order_by(User.name, User.id)))


def requests_about(cycle_id: int, subject_id: int) -> list[PeerFeedbackRequest]:
    """A subject's requests in a cycle, oldest first, with the people on them loaded."""
    return list(db.session.scalars(
        select(PeerFeedbackRequest).where(PeerFeedbackRequest.cycle_id == cycle_id,
                                          PeerFeedbackRequest.subject_id == subject_id)
        .options(joinedload(PeerFeedbackRequest.peer), joinedload(PeerFeedbackRequest.requester))
        .order_by(PeerFeedbackRequest.id)))


def version_of(cycle: ReviewCycle, subject: User) -> LoadedVersion:
    """The ladder version a subject's peer feedback is asked and read on: the one their reviews
    in the cycle use (their own ladder's), the cycle's main version if it does not cover them."""
    return load_version(version_for(cycle, subject) or cycle.ladder_version_id)


def request_feedback(cycle: ReviewCycle, subject: User, *, requester: User, peer_ids: list[int],
                     competencies: list[str], due_on: date | None, today: date,
                     creation_token: str | None = None) -> list[PeerFeedbackRequest]:
    """Ask each peer for feedback on the subject. The first request of the set carries the form's
    one-shot token, so a form sent twice makes one set (ladder.once.create_once)."""
    if not cycle.is_open:
        raise RequestRefused({"peers": "Peer feedback can be asked while a review cycle is open."})
    existing = requests_about(cycle.id, subject.id)
    active = frozenset(db.session.scalars(select(User.id).where(User.is_active_account.is_(True))))
    loaded = version_of(cycle, subject)
    applicable = applicable_keys(loaded, subject)
    asked = rules.RequestAsked(
        subject_id=subject.id, peer_ids=list(dict.fromkeys(peer_ids)), competency_keys=competencies, due_on=due_on,
        already_asked=frozenset(r.peer_id for r in existing),
        still_counting=sum(1 for r in existing if r.status != PeerFeedbackStatus.DECLINED), active_ids=active)
    problems = rules.request_problems(asked, applicable, today=today, closes_on=cycle.closes_on, max_peers=MAX_PEERS)
    if problems:
        raise RequestRefused(problems)
    ordered = [key for key in applicable if key in set(competencies)]
    made = []
    for index, peer_id in enumerate(asked.peer_ids):
        made.append(PeerFeedbackRequest(
            cycle_id=cycle.id, subject_id=subject.id, requester_id=requester.id, peer_id=peer_id,
            competencies=ordered, due_on=due_on, status=PeerFeedbackStatus.REQUESTED, answers={},
            creation_token=creation_token if index == 0 else None))
    db.session.add_all(made)
    db.session.flush()
    for request in made:
        peer_feedback_requested(request)
    return made


def rating_options(request: PeerFeedbackRequest,
                   loaded: LoadedVersion, subject: User) -> dict[str, list[tuple[str, str]]]:
    """Rating choices per asked competency, on the ladder of the request's cycle."""
    rubric = loaded.rubric
    known = {c.key for c in rubric.competencies}
    return {key: rules.rating_choices(rubric, rubric.competency(key), subject.track_key, subject.level_key)
            for key in request.competencies if key in known}


def save_answers(request: PeerFeedbackRequest, answers: dict[str, rules.Answer], *, options: dict,
                 expected_lock_version: int | None, submit: bool) -> None:
    """Save a draft of the peer's answers, or submit them (then they are read-only). A save made
    from a stale page, or after the request was submitted or declined, is refused."""
    if expected_lock_version != request.lock_version or not request.is_open:
        raise StaleRecord()
    allowed = {key: [value for value, _ in choices if value] for key, choices in options.items()}
    problems = rules.answer_problems(answers, allowed, submitting=submit)
    if problems:
        raise AnswerRefused(problems)
    request.answers = {key: answers.get(key, rules.Answer("")).as_data() for key in options}
    if submit:
        request.status = PeerFeedbackStatus.ANSWERED
        request.answered_at = clock.now()
    request.updated_at = clock.now()
    db.session.flush()


def decline(request: PeerFeedbackRequest, reason: str, *, expected_lock_version: int | None) -> None:
    """The peer says no, optionally why; the requester and the manager see it. A draft is dropped."""
    if expected_lock_version != request.lock_version or not request.is_open:
        raise StaleRecord()
    request.status = PeerFeedbackStatus.DECLINED
    request.decline_reason = reason or None
    request.declined_at = clock.now()
    request.answers = {}
    db.session.flush()


_OWED = (select(PeerFeedbackRequest).join(ReviewCycle, ReviewCycle.id == PeerFeedbackRequest.cycle_id)
         .where(PeerFeedbackRequest.peer_id == bindparam("peer_id"),
                PeerFeedbackRequest.status == PeerFeedbackStatus.REQUESTED, ReviewCycle.status == CycleStatus.OPEN)
         .options(joinedload(PeerFeedbackRequest.subject))
         .order_by(PeerFeedbackRequest.due_on, PeerFeedbackRequest.id))  # every home page: built once


def peer_requests_owed(person: User) -> list[PeerFeedbackRequest]:
    """Feedback asked of a person and not yet answered or declined, in open cycles, soonest due
    first (for their to-do list)."""
    return list(db.session.scalars(_OWED, {"peer_id": person.id}))


def _manager_review_status(cycle_id: int, subject_id: int) -> str | None:
    return db.session.scalar(select(Review.status).where(
        Review.cycle_id == cycle_id, Review.subject_id == subject_id, Review.kind == ReviewKind.MANAGER))


@dataclass
class PeerFeedbackSection:
    """What the peer feedback section of a person's pages shows one viewer for one cycle."""

    cycle: ReviewCycle
    followed: list[PeerFeedbackRequest] = field(default_factory=list)  # who was asked, status, declines
    answers: list | None = None  # by competency; None while the viewer may not read them
    rubric: Rubric | None = None  # the cycle's ladder, to name competencies and ratings of the answers
    show_names: bool = True  # False: who answered is not shown either (a decline still is)
    can_request: bool = False
    waiting_for_review: bool = False  # the engineer: answers exist, the manager review is not shared (or released) yet


def section_for(subject: User, viewer: User, rel: Relation, cycle: ReviewCycle | None) -> PeerFeedbackSection | None:
    """The peer feedback of a subject in a cycle as this viewer may see it (None: nothing to show)."""
    if cycle is None or not (rel.is_self or rel.is_manager):
        return None
    requests = requests_about(cycle.id, subject.id)
    section = PeerFeedbackSection(cycle=cycle, can_request=cycle.is_open and permissions.can_request_peer_feedback(rel),
                                  show_names=permissions.shows_peer_names(rel, anonymous=cycle.peer_feedback_anonymous))
    section.followed = [r for r in requests
                        if permissions.can_follow_peer_request(rel, is_requester=r.requester_id == viewer.id)]
    answered = [r for r in requests if r.status == PeerFeedbackStatus.ANSWERED]
    # what the engineer may read waits on their manager review; the chain reads regardless
    only_subject = rel.is_self and not rel.is_manager
    held = only_subject and cycle.id in held_cycle_ids(subject.id)
    status = _manager_review_status(cycle.id, subject.id) if only_subject else None
    if permissions.can_read_peer_answers(rel, manager_review_status=status, held=held):
        loaded = version_of(cycle, subject)
        section.rubric = loaded.rubric
        section.answers = rules.answers_by_competency(
            [(r.peer.name, r.competencies, r.answers) for r in answered],
            [c.key for c in loaded.rubric.competencies], show_names=section.show_names)
    else:
        section.waiting_for_review = bool(answered)
    if not (section.followed or section.answers or section.can_request or section.waiting_for_review):
        return None
    return section
