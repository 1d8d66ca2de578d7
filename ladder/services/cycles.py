"""Running review cycles: create, open (start everyone's reviews), completion, close, reopen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import aliased

from ..domain.cycles import ReviewState, completion, dates_problems
from ..domain.ladder_fit import Misfit, describe
from ..extensions import db
from ..models import FrameworkVersion, Review, ReviewCycle, ReviewCycleLadder, User
from . import audit
from . import reviews as review_service
from .ladders import load_version
from .placements import default_framework_id


class CycleError(ValueError):
    """A cycle action that cannot be done now, with the reason to show."""


@dataclass(frozen=True)
class CycleData:
    name: str
    framework_version_id: int  # the main ladder's version
    opens_on: date
    self_review_due: date
    manager_review_due: date
    closes_on: date
    other_version_ids: tuple[int, ...] = ()  # other ladders' versions the cycle also covers

    def columns(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "other_version_ids"}


def published_versions() -> list[FrameworkVersion]:
    """Versions a cycle may use, newest first (drafts are not finished ladders)."""
    return list(db.session.scalars(select(FrameworkVersion).where(FrameworkVersion.status == "published")
                                   .order_by(FrameworkVersion.published_at.desc(), FrameworkVersion.id.desc())))


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
    for version_id in (data.framework_version_id, *data.other_version_ids):
        version = db.session.get(FrameworkVersion, version_id)
        if version is None or not version.is_published:
            raise CycleError("Choose published ladder versions.")
        if version.framework_id in ladders:
            raise CycleError("Choose one version of each ladder: a person is reviewed on one version.")
        ladders.add(version.framework_id)


def create_cycle(data: CycleData) -> ReviewCycle:
    _check(data, None)
    cycle = ReviewCycle(status="draft", **data.columns())
    db.session.add(cycle)
    db.session.flush()
    _set_other_ladders(cycle, data.other_version_ids)
    return cycle


def other_version_ids(cycle: ReviewCycle) -> list[int]:
    return list(db.session.scalars(select(ReviewCycleLadder.framework_version_id)
                                   .where(ReviewCycleLadder.cycle_id == cycle.id)))


def _set_other_ladders(cycle: ReviewCycle, version_ids: tuple[int, ...]) -> None:
    db.session.execute(delete(ReviewCycleLadder).where(ReviewCycleLadder.cycle_id == cycle.id))
    db.session.add_all(ReviewCycleLadder(cycle_id=cycle.id, framework_version_id=v) for v in version_ids)
    db.session.flush()


def update_cycle(cycle: ReviewCycle, data: CycleData) -> None:
    """Rename or move dates; the ladder version is fixed once the cycle has opened."""
    if cycle.status == "closed":
        raise CycleError("A closed cycle cannot change.")
    if cycle.status != "draft" and (data.framework_version_id != cycle.framework_version_id
                                    or set(data.other_version_ids) != set(other_version_ids(cycle))):
        raise CycleError("The ladder versions cannot change once the cycle has opened: reviews are pinned to them.")
    _check(data, cycle)
    for key, value in data.columns().items():
        setattr(cycle, key, value)
    db.session.flush()
    if cycle.status == "draft":
        _set_other_ladders(cycle, data.other_version_ids)


def _reviewed_people(cycle: ReviewCycle) -> list[tuple[User, User, int]]:
    """The active people on the cycle's ladders who have a manager: each with that manager and
    the version they are reviewed on."""
    versions = review_service.cycle_versions(cycle)
    default_id = default_framework_id()
    manager = aliased(User)
    rows = db.session.execute(
        select(User, manager).join(manager, User.manager_id == manager.id)
        .where(User.is_active_account.is_(True), or_(User.framework_id.in_(list(versions)),
                                                     User.framework_id.is_(None)))
    ).all()
    reviewed = []
    for person, boss in rows:
        version_id = versions.get(person.framework_id if person.framework_id is not None else default_id)
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


def start_reviews(cycle: ReviewCycle) -> tuple[int, list[str]]:
    """Give everyone active on the cycle's ladder who has an active manager a draft self-review
    and manager review.

    Safe to run again (people added later get theirs); returns how many reviews were created
    and the people skipped: their manager is deactivated, or their level or track is not in the
    cycle's ladder version (a review of them could not be shown).
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
        for kind, author in (("self", person), ("manager", boss)):
            if (person.id, kind) not in existing:
                review_service.get_or_create_review(cycle, person, kind, author)
                created += 1
    return created, skipped


def open_cycle(cycle: ReviewCycle, *, actor: User | None) -> tuple[int, list[str]]:
    """Open a draft cycle and start everyone's reviews; only one cycle is open at a time.

    Refused, naming each of them, when anyone to be reviewed has a level or track the cycle's
    ladder version does not have.
    """
    if cycle.status != "draft":
        raise CycleError(f"{cycle.name} is already {cycle.status}.")
    other = review_service.open_cycle()
    if other is not None:
        raise CycleError(f"{other.name} is still open; close it before opening {cycle.name}.")
    unplaced = list(_misfits(_reviewed_people(cycle)).values())
    if unplaced:
        raise CycleError(describe(unplaced, "the ladder versions of this cycle"))
    cycle.status = "open"
    db.session.flush()
    created, skipped = start_reviews(cycle)
    audit.record(actor.id if actor else None, "cycle.open", "review_cycle", cycle.id, None,
                 {"reviews_created": created, "skipped": skipped})
    return created, skipped


def close_cycle(cycle: ReviewCycle, *, actor: User) -> None:
    """Close an open cycle: every review in it becomes read-only."""
    if cycle.status != "open":
        raise CycleError(f"Only an open cycle can be closed; {cycle.name} is {cycle.status}.")
    cycle.status = "closed"
    db.session.flush()
    audit.record(actor.id, "cycle.close", "review_cycle", cycle.id, None, {})


def completion_of(cycle: ReviewCycle, today: date):
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
        self_review = reviews.get((subject_id, "self"))
        manager_review = reviews.get((subject_id, "manager"))
        states.append(ReviewState(subject_id, name, manager_id, manager_name or "No manager",
                                  self_review.id if self_review else None, self_review.status if self_review else None,
                                  manager_review.id if manager_review else None,
                                  manager_review.status if manager_review else None))
    return completion(states, cycle.self_review_due, cycle.manager_review_due, today)


def reopen_review(review: Review, reason: str, *, actor: User) -> None:
    """Return one submitted review to draft, with the reason recorded (open cycles only)."""
    cycle = db.session.get(ReviewCycle, review.cycle_id)
    if cycle.status != "open":
        raise CycleError("Reviews of a cycle that is not open cannot be reopened.")
    if review.status == "draft":
        raise CycleError("This review is already a draft.")
    review_service.reopen(review, reason.strip(), actor=actor)
