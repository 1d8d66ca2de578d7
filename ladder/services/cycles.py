"""Running review cycles: create, open (start everyone's reviews), completion, close, reopen,
and the results a cycle holds until they are released (per team or for the whole cycle)."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import BindParameter, ColumnElement, Select, SQLColumnExpression, bindparam, delete, exists, or_, select
from sqlalchemy.orm import aliased

from .. import clock
from ..domain.cycles import ManagerGroup, ReviewState, completion, dates_problems
from ..domain.ladder_fit import Misfit, describe
from ..domain.notifications import Kind
from ..domain.statuses import CycleStatus, ReviewKind, ReviewStatus, VersionStatus
from ..extensions import db
from ..models import (
    LadderVersion,
    ReleasedSubject,
    ResultRelease,
    Review,
    ReviewCycle,
    ReviewCycleLadder,
    ReviewQuestion,
    User,
    Verdict,
)
from ..models.reviews import DEFAULT_QUESTIONS, REVIEW_KINDS
from . import audit
from . import notifications as notification_service
from . import reviews as review_service
from .ladders import load_version
from .people import report_ids
from .placements import default_ladder_id

logger = logging.getLogger(__name__)


class CycleError(ValueError):
    """A cycle action that cannot be done now, with the reason to show."""


@dataclass(frozen=True)
class CycleData:
    name: str
    ladder_version_id: int  # the main ladder's version
    opens_on: date
    self_review_due: date
    manager_review_due: date
    closes_on: date
    hold_results: bool = False
    peer_feedback_anonymous: bool = False
    other_version_ids: tuple[int, ...] = ()  # other ladders' versions the cycle also covers

    def columns(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "other_version_ids"}


def published_versions() -> list[LadderVersion]:
    """Versions a cycle may use, newest first (drafts are not finished ladders)."""
    return list(db.session.scalars(select(LadderVersion).where(LadderVersion.status == VersionStatus.PUBLISHED)
                                   .order_by(LadderVersion.published_at.desc(), LadderVersion.id.desc())))


NAME_MAX = 120


def _check(data: CycleData, cycle: ReviewCycle | None) -> None:
    if not data.name or len(data.name) > NAME_MAX:
        raise CycleError(f"Give the cycle a name of 1 to {NAME_MAX} characters.")
    problems = dates_problems(data.opens_on, data.self_review_due, data.manager_review_due, data.closes_on)
    if problems:
        raise CycleError(" ".join(problems))
    other = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == data.name))
    if other is not None and other is not cycle:
        raise CycleError(f"There is already a cycle named {data.name!r}.")
    ladders = set()
    for version_id in (data.ladder_version_id, *data.other_version_ids):
        version = db.session.get(LadderVersion, version_id)
        if version is None or not version.is_published:
            raise CycleError("Choose published ladder versions.")
        if version.ladder_id in ladders:
            raise CycleError("Choose one version of each ladder: a person is reviewed on one version.")
        ladders.add(version.ladder_id)


Questions = dict[str, list[str]]  # review kind -> prompts, in order


def create_cycle(data: CycleData, questions: Questions | None = None) -> ReviewCycle:
    """A draft cycle, asking the given questions (by default: overall summary, strengths,
    growth areas, in the self-review and in the manager review)."""
    _check(data, None)
    cycle = ReviewCycle(status=CycleStatus.DRAFT, **data.columns())
    db.session.add(cycle)
    db.session.flush()
    set_questions(cycle, questions or {kind: list(DEFAULT_QUESTIONS) for kind in REVIEW_KINDS})
    _set_other_ladders(cycle, data.other_version_ids)
    return cycle


def other_version_ids(cycle: ReviewCycle) -> list[int]:
    return list(db.session.scalars(select(ReviewCycleLadder.ladder_version_id)
                                   .where(ReviewCycleLadder.cycle_id == cycle.id)))


def _set_other_ladders(cycle: ReviewCycle, version_ids: tuple[int, ...]) -> None:
    db.session.execute(delete(ReviewCycleLadder).where(ReviewCycleLadder.cycle_id == cycle.id))
    db.session.add_all(ReviewCycleLadder(cycle_id=cycle.id, ladder_version_id=v) for v in version_ids)
    db.session.flush()


def questions_of(cycle_id: int) -> Questions:
    """The prompts a cycle asks, per review kind, in order."""
    out: Questions = {kind: [] for kind in REVIEW_KINDS}
    for question in db.session.scalars(select(ReviewQuestion).where(ReviewQuestion.cycle_id == cycle_id)
                                       .order_by(ReviewQuestion.kind, ReviewQuestion.position)):
        out[question.kind].append(question.prompt)
    return out


def set_questions(cycle: ReviewCycle, questions: Questions) -> None:
    """Replace a draft cycle's questions (no review exists before it opens, so no answer is lost)."""
    if cycle.status != CycleStatus.DRAFT:
        raise CycleError("Questions can change only while the cycle is a draft: reviews answer them once it opens.")
    existing = {(q.kind, q.position): q for q in db.session.scalars(
        select(ReviewQuestion).where(ReviewQuestion.cycle_id == cycle.id))}
    for kind, prompts in questions.items():
        for position, prompt in enumerate(prompts):
            question = existing.pop((kind, position), None)
            if question is None:
                db.session.add(ReviewQuestion(cycle_id=cycle.id, kind=kind, position=position, prompt=prompt))
            else:
                question.prompt = prompt
    for question in existing.values():
        db.session.delete(question)
    db.session.flush()


def update_cycle(cycle: ReviewCycle, data: CycleData, questions: Questions | None = None) -> None:
    """Rename or move dates; the ladder version is fixed once the cycle has opened, and the
    questions (when given) can change only while it is a draft."""
    if cycle.status == CycleStatus.CLOSED:
        raise CycleError("A closed cycle cannot change.")
    if cycle.status != CycleStatus.DRAFT and (data.ladder_version_id != cycle.ladder_version_id
                                    or set(data.other_version_ids) != set(other_version_ids(cycle))):
        raise CycleError("The ladder versions cannot change once the cycle has opened: reviews are pinned to them.")
    if data.hold_results != cycle.hold_results and (
            cycle.released_at is not None
            or db.session.scalar(select(ResultRelease.id).where(ResultRelease.cycle_id == cycle.id).limit(1))):
        raise CycleError("Results have been released: holding them again is not possible.")
    _check(data, cycle)
    if questions is not None and questions != questions_of(cycle.id):
        set_questions(cycle, questions)
    for key, value in data.columns().items():
        setattr(cycle, key, value)
    db.session.flush()
    if cycle.status == CycleStatus.DRAFT:
        _set_other_ladders(cycle, data.other_version_ids)


def _reviewed_people(cycle: ReviewCycle) -> list[tuple[User, User, int]]:
    """The active people with a ladder role on the cycle's ladders who have a manager: each with
    that manager and the version they are reviewed on."""
    versions = review_service.cycle_versions(cycle)
    default_id = default_ladder_id()
    manager = aliased(User)
    rows = db.session.execute(
        select(User, manager).join(manager, User.manager_id == manager.id)
        .where(User.is_active_account.is_(True), User.on_ladder.is_(True),
               or_(User.ladder_id.in_(list(versions)), User.ladder_id.is_(None)))
    ).all()
    reviewed: list[tuple[User, User, int]] = []
    for person, boss in rows:
        ladder_id = person.ladder_id if person.ladder_id is not None else default_id
        version_id = versions.get(ladder_id) if ladder_id is not None else None
        if version_id is not None:
            reviewed.append((person, boss, version_id))
    return reviewed


def _misfits(people: list[tuple[User, User, int]]) -> dict[int, Misfit]:
    """By person id, everyone whose level or track is not in the version they would be reviewed on."""
    found = {}
    for person, _, version_id in people:
        problem = load_version(version_id).rubric.placement_problem(person.level_key, person.track_key)
        if problem:
            found[person.id] = Misfit(person.name, person.email, problem)
    return found


def start_reviews(cycle: ReviewCycle, *, actor_id: int | None = None) -> tuple[int, list[str]]:
    """Give everyone active on the cycle's ladder with a ladder role and an active manager a draft
    self-review and manager review, and tell them the cycle is open.

    Safe to run again (people added later get theirs, nobody is told twice); returns how many
    reviews were created and the people skipped: their manager is deactivated, or their level or
    track is not in the cycle's ladder version (a review of them could not be shown).
    """
    people = _reviewed_people(cycle)
    unplaced = _misfits(people)
    existing = {(r.subject_id, r.kind) for r in db.session.scalars(select(Review).where(Review.cycle_id == cycle.id))}
    created, skipped = 0, []
    for person, boss, _ in people:
        if person.id in unplaced:
            skipped.append(str(unplaced[person.id]))
            continue
        if not boss.is_active_account:
            skipped.append(f"{person.name} ({person.email}): their manager is deactivated")
            continue
        for kind, author in ((ReviewKind.SELF, person), (ReviewKind.MANAGER, boss)):
            if (person.id, kind) not in existing:
                review_service.get_or_create_review(cycle, person, kind, author)
                created += 1
    notification_service.cycle_opened(cycle, actor_id=actor_id)
    return created, skipped


def open_cycle(cycle: ReviewCycle, *, actor: User | None) -> tuple[int, list[str]]:
    """Open a draft cycle and start everyone's reviews; only one cycle is open at a time.

    Refused, naming each of them, when anyone to be reviewed has a level or track the cycle's
    ladder version does not have.
    """
    if cycle.status != CycleStatus.DRAFT:
        raise CycleError(f"{cycle.name} is already {cycle.status}.")
    other = review_service.open_cycle()
    if other is not None:
        raise CycleError(f"{other.name} is still open; close it before opening {cycle.name}.")
    unplaced = list(_misfits(_reviewed_people(cycle)).values())
    if unplaced:
        raise CycleError(describe(unplaced, "the ladder versions of this cycle"))
    cycle.status = CycleStatus.OPEN
    db.session.flush()
    created, skipped = start_reviews(cycle, actor_id=actor.id if actor else None)
    audit.record(actor.id if actor else None, "cycle.open", "review_cycle", cycle.id, None,
                 {"reviews_created": created, "skipped": skipped})
    return created, skipped


def close_cycle(cycle: ReviewCycle, *, actor: User) -> None:
    """Close an open cycle: every review in it becomes read-only."""
    if cycle.status != CycleStatus.OPEN:
        raise CycleError(f"Only an open cycle can be closed; {cycle.name} is {cycle.status}.")
    cycle.status = CycleStatus.CLOSED
    db.session.flush()
    audit.record(actor.id, "cycle.close", "review_cycle", cycle.id, None, {})


def completion_of(cycle: ReviewCycle, today: date) -> list[ManagerGroup]:
    """Per manager: who has submitted what, who is late."""
    manager = aliased(User)
    people = db.session.execute(
        select(User.id, User.name, manager.id, manager.name)
        .join(Review, Review.subject_id == User.id).outerjoin(manager, User.manager_id == manager.id)
        .where(Review.cycle_id == cycle.id).distinct()
    ).all()
    reviews = {(r.subject_id, r.kind): r for r in db.session.scalars(select(Review).where(Review.cycle_id == cycle.id))}
    states = []
    for subject_id, name, manager_id, manager_name in people:
        self_review = reviews.get((subject_id, ReviewKind.SELF))
        manager_review = reviews.get((subject_id, ReviewKind.MANAGER))
        states.append(ReviewState(subject_id, name, manager_id, manager_name or "No manager",
                                  self_review.id if self_review else None, self_review.status if self_review else None,
                                  manager_review.id if manager_review else None,
                                  manager_review.status if manager_review else None))
    return completion(states, cycle.self_review_due, cycle.manager_review_due, today)


def reopen_review(review: Review, reason: str, *, actor: User) -> None:
    """Return one submitted review to draft, with the reason recorded (open cycles only)."""
    cycle = db.session.get_one(ReviewCycle, review.cycle_id)
    if cycle.status != CycleStatus.OPEN:
        raise CycleError("Reviews of a cycle that is not open cannot be reopened.")
    if review.status == ReviewStatus.DRAFT:
        raise CycleError("This review is already a draft.")
    review_service.reopen(review, reason.strip(), actor=actor)


# --- Holding results until they are released ------------------------------------------------

VIEWER: BindParameter[int] = bindparam("viewer")  # the signed-in person, in statements that hide what is held from them


def held_cycles_query(subject_id: int | BindParameter[int]) -> Select[int]:
    """SELECT the ids of cycles whose results are still held from this person (an id or a bind
    parameter): the cycle holds results, is not released as a whole, nor for them with their team."""
    held = aliased(ReviewCycle)
    return select(held.id).where(
        held.hold_results.is_(True), held.released_at.is_(None),
        ~exists().where(ReleasedSubject.cycle_id == held.id, ReleasedSubject.subject_id == subject_id))


def held_from_viewer(subject_column: SQLColumnExpression[int],
                     cycle_column: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """SQL: a manager review's or verdict's row is about the viewer (bind "viewer") and its cycle
    still holds their results, so the viewer may not see it. Pass viewer 0 to hide nothing."""
    return ((subject_column == VIEWER) & cycle_column.is_not(None)
            & cycle_column.in_(held_cycles_query(VIEWER)))


def held_cycle_ids(subject_id: int) -> set[int]:
    """Cycles whose manager reviews and verdicts this person may not see yet (one query)."""
    return set(db.session.scalars(held_cycles_query(subject_id)))


def release_subject_ids(cycle: ReviewCycle, manager: User | None) -> list[int]:
    """Who a release would show results to: a manager's whole tree, or everyone with a review or
    a verdict in the cycle; without those already released."""
    if manager is not None:
        candidates = set(report_ids(manager.id))
    else:
        candidates = set(db.session.scalars(select(Review.subject_id).where(Review.cycle_id == cycle.id)))
        candidates |= set(db.session.scalars(select(Verdict.subject_id).where(Verdict.cycle_id == cycle.id)))
    released = set(db.session.scalars(select(ReleasedSubject.subject_id).where(ReleasedSubject.cycle_id == cycle.id)))
    return sorted(candidates - released)


def release_results(cycle: ReviewCycle, *, actor: User, manager: User | None) -> ResultRelease:
    """Show a held cycle's manager reviews and verdicts to the engineers: everyone's (`manager`
    None: an admin's release of the whole cycle) or one manager's tree. Recorded; never undone."""
    if not cycle.hold_results:
        raise CycleError(f"{cycle.name} does not hold results: engineers see them once shared.")
    if cycle.released_at is not None:
        raise CycleError(f"The results of {cycle.name} are already released.")
    subject_ids = release_subject_ids(cycle, manager)
    if manager is not None and not subject_ids:
        raise CycleError("Everyone in your team already has their results.")
    release = ResultRelease(cycle_id=cycle.id, released_by_id=actor.id, manager_id=manager.id if manager else None,
                            released_at=clock.now(), people_count=len(subject_ids))
    db.session.add(release)
    db.session.flush()
    if manager is None:
        cycle.released_at = release.released_at
    else:
        db.session.add_all(ReleasedSubject(cycle_id=cycle.id, subject_id=sid,
                                           release_id=release.id) for sid in subject_ids)
    db.session.flush()
    audit.record(actor.id, "cycle.release", "review_cycle", cycle.id, None,
                 {"scope": "cycle" if manager is None else f"team of user {manager.id}", "people": len(subject_ids)})
    results_released(cycle, subject_ids)
    return release


def releases_of(cycle: ReviewCycle) -> list[tuple[ResultRelease, str, str | None]]:
    """Every release of a cycle, oldest first, with who released and whose team (None: everyone)."""
    manager = aliased(User)
    return [(release, name, team) for release, name, team in db.session.execute(
        select(ResultRelease, User.name, manager.name).join(User, User.id == ResultRelease.released_by_id)
        .outerjoin(manager, manager.id == ResultRelease.manager_id)
        .where(ResultRelease.cycle_id == cycle.id).order_by(ResultRelease.released_at, ResultRelease.id))]


def results_released(cycle: ReviewCycle, subject_ids: list[int]) -> None:
    """Called once per release with the people who can now read their manager review and
    verdicts: tells each of them, inside the releasing request's transaction, so the news commits
    with the release (sharing in a held cycle told them nothing)."""
    logger.info("results of cycle %s released to %d people", cycle.id, len(subject_ids))
    shared: Iterable[Review] = db.session.scalars(select(Review).where(
        Review.cycle_id == cycle.id, Review.kind == ReviewKind.MANAGER, Review.status == ReviewStatus.SHARED,
        Review.subject_id.in_(subject_ids))) if subject_ids else []
    for review in shared:
        notification_service.notify(review.subject_id, Kind.REVIEW_RELEASED, review, rel=notification_service.SELF,
                                    message=f"Your {cycle.name} review and verdicts are released: "
                                            "you can read them now.")
