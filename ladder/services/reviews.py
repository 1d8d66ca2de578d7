"""Reviews over the session: finding them, saving what people typed, status changes."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import clock
from ..domain import reviews as rules
from ..domain.calibration import readiness_figures
from ..domain.notifications import Kind
from ..domain.reviews import Entry
from ..domain.rubric import Rubric
from ..domain.statuses import BELOW_CURRENT, CycleStatus, ReviewKind, ReviewStatus
from ..extensions import db
from ..models import (
    LadderVersion,
    Rating,
    Review,
    ReviewAnswer,
    ReviewCycle,
    ReviewCycleLadder,
    ReviewQuestion,
    User,
)
from ..unit_of_work import StaleRecord
from . import audit
from . import notifications as notification_service
from .ladders import LoadedVersion, load_version
from .people import relation
from .placements import ladder_id_of
from .rating_counts import keep_counts


class ReviewLocked(Exception):
    """The review is not a draft (or its cycle is closed), so it cannot change."""


class NotInCycle(Exception):
    """The person has no ladder role, their ladder is not in the cycle, or their level or track
    is not in its version."""


_OPEN_CYCLE = (select(ReviewCycle).where(ReviewCycle.status == CycleStatus.OPEN)
               .order_by(ReviewCycle.opens_on.desc()).limit(1))


def open_cycle() -> ReviewCycle | None:
    """The cycle people are working in now (the most recent open one; the statement is built
    once: most pages ask)."""
    return db.session.scalar(_OPEN_CYCLE)


def cycle_or_latest(cycle_id: int | None, cycles: list[ReviewCycle]) -> ReviewCycle | None:
    """The cycle asked for, else the open one, else the latest of `cycles` (the person's, newest
    first: `cycles_with_reviews`, which the page lists too)."""
    if cycle_id is not None:
        return db.session.get(ReviewCycle, cycle_id)
    return next((c for c in cycles if c.is_open), cycles[0] if cycles else None)


def cycles_with_reviews(subject_id: int) -> list[ReviewCycle]:
    """Cycles in which the person has a review, newest first."""
    return list(db.session.scalars(
        select(ReviewCycle).where(ReviewCycle.id.in_(select(Review.cycle_id).where(Review.subject_id == subject_id)))
        .order_by(ReviewCycle.opens_on.desc())
    ))


def find_review(cycle_id: int, subject_id: int, kind: str) -> Review | None:
    return db.session.scalar(select(Review).where(
        Review.cycle_id == cycle_id, Review.subject_id == subject_id, Review.kind == kind))


def reviews_of(subject_id: int, cycle_ids: Collection[int]) -> dict[tuple[int, str], Review]:
    """A person's reviews in these cycles, by cycle id and kind: one query for a page that shows
    both kinds of a cycle, or every cycle of a history."""
    return {(review.cycle_id, review.kind): review for review in db.session.scalars(
        select(Review).where(Review.subject_id == subject_id, Review.cycle_id.in_(cycle_ids)))}


def cycle_versions(cycle: ReviewCycle) -> dict[int, int]:
    """The versions a cycle reviews people on, by ladder id: its own and the other ladders'."""
    rows = db.session.execute(
        select(LadderVersion.ladder_id, LadderVersion.id).where(
            (LadderVersion.id == cycle.ladder_version_id)
            | LadderVersion.id.in_(select(ReviewCycleLadder.ladder_version_id)
                                      .where(ReviewCycleLadder.cycle_id == cycle.id)))).all()
    return dict(rows)


def version_for(cycle: ReviewCycle, person: User) -> int | None:
    """The version a person is reviewed on in a cycle: their ladder's, if the cycle covers it."""
    ladder_id = ladder_id_of(person)
    return cycle_versions(cycle).get(ladder_id) if ladder_id is not None else None


# The lock version a form carries for a review that is not started: the first save stores the
# review (lock version 1), so a form opened before someone else's first save is refused as stale.
NOT_STARTED_LOCK = 0


def unsaved_review(cycle: ReviewCycle, subject: User, kind: str, author: User) -> Review:
    """A review that is not started, on the subject's ladder version: its form shows it empty,
    and nothing is stored until its first save (opening a page never writes). NotInCycle when
    the cycle does not cover the subject."""
    version_id = version_for(cycle, subject) if subject.on_ladder else None
    if version_id is None or load_version(version_id).rubric.placement_problem(subject.level_key, subject.track_key):
        raise NotInCycle()
    return Review(cycle_id=cycle.id, subject_id=subject.id, author_id=author.id, kind=kind, status=ReviewStatus.DRAFT,
                  subject_level_key=subject.level_key, subject_track_key=subject.track_key,
                  ladder_version_id=version_id, lock_version=NOT_STARTED_LOCK)


def review_or_unsaved(cycle: ReviewCycle, subject: User, kind: str, author: User) -> Review:
    """The subject's review of this kind in the cycle, or a not-started one (not stored)."""
    return find_review(cycle.id, subject.id, kind) or unsaved_review(cycle, subject, kind, author)


def get_or_create_review(cycle: ReviewCycle, subject: User, kind: str, author: User) -> Review:
    """The subject's review of this kind in the cycle, stored as an empty draft if needed
    (opening a cycle starts everyone's reviews this way); NotInCycle when the cycle does not
    cover them."""
    review = find_review(cycle.id, subject.id, kind)
    if review is None:
        review = unsaved_review(cycle, subject, kind, author)
        db.session.add(review)
        db.session.flush()
    return review


def is_started(review: Review) -> bool:
    return review.id is not None


def _store_first_save(review: Review) -> None:
    """Store a not-started review on its first save. Two first saves racing meet the unique
    (cycle, subject, kind) constraint: the loser is told the review was saved elsewhere."""
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        raise StaleRecord() from None


def _stored_value(rating: Rating, level_keys: dict[int, str]) -> str | None:
    """A stored rating as a form's value: below the current level, a level's key, or none."""
    if rating.below_current:
        return BELOW_CURRENT
    return level_keys.get(rating.level_id) if rating.level_id is not None else None


def entries_of(review: Review, loaded: LoadedVersion) -> dict[str, Entry]:
    """What has been saved in a review, keyed by competency key (nothing, if not started)."""
    return entries_by_review([review], loaded)[review.id]


def entries_by_review(reviews: Collection[Review], loaded: LoadedVersion) -> dict[int, dict[str, Entry]]:
    """`entries_of` for reviews on one ladder version (a person's self and manager reviews of a
    cycle), by review id, in one query."""
    entries: dict[int, dict[str, Entry]] = {review.id: {} for review in reviews}
    started = [review.id for review in reviews if is_started(review)]
    if not started:
        return entries
    competency_keys, level_keys = loaded.competency_keys, loaded.level_keys
    for rating in db.session.scalars(select(Rating).where(Rating.review_id.in_(started))):
        entries[rating.review_id][competency_keys[rating.competency_id]] = _entry(rating, level_keys)
    return entries


def _entry(rating: Rating, level_keys: dict[int, str]) -> Entry:
    """A stored rating as the form's entry: its value and its evidence."""
    return Entry(_stored_value(rating, level_keys), rating.evidence)


@dataclass(frozen=True)
class Stored:
    """A review's ratings (by competency id) and answers (by question id) as read once in a
    request: the form shows them and the save compares with and changes these same rows. Read
    again for the save, they cost two of a draft save's twelve statements and returned the same
    objects (the session's identity map); a save made after someone else's still fails on the
    review's version."""

    ratings: dict[int, Rating]
    answers: dict[int, ReviewAnswer]


def stored_of(review: Review, *, with_answers: bool) -> Stored:
    """What a review holds (nothing, if not started); its answers only when asked (a cycle
    without questions has none to read)."""
    if not is_started(review):
        return Stored({}, {})
    ratings = {rating.competency_id: rating
               for rating in db.session.scalars(select(Rating).where(Rating.review_id == review.id))}
    answers = {answer.question_id: answer for answer in db.session.scalars(
        select(ReviewAnswer).where(ReviewAnswer.review_id == review.id))} if with_answers else {}
    return Stored(ratings, answers)


def entries_in(stored: Stored, loaded: LoadedVersion) -> dict[str, Entry]:
    """`entries_of` from rows already read."""
    competency_keys, level_keys = loaded.competency_keys, loaded.level_keys
    return {competency_keys[competency_id]: _entry(rating, level_keys)
            for competency_id, rating in stored.ratings.items()}


def questions_for(review: Review) -> list[ReviewQuestion]:
    """The questions the review's cycle asks in this kind of review, in order."""
    return list(db.session.scalars(select(ReviewQuestion).where(
        ReviewQuestion.cycle_id == review.cycle_id,
        ReviewQuestion.kind == review.kind).order_by(ReviewQuestion.position)))


def answered(review: Review) -> list[tuple[str, str]]:
    """(question, answer) for every question of the review, to show it read-only (one query)."""
    return answered_by_review([review])[review.id]


def answered_by_review(reviews: Collection[Review]) -> dict[int, list[tuple[str, str]]]:
    """`answered` for a person's reviews of one cycle (at most one of each kind), by review id, in
    one query: a question belongs to one kind, so it meets the answer of that kind's review."""
    by_kind = {review.kind: review.id for review in reviews}
    if len(by_kind) != len(reviews) or len({(review.cycle_id, review.subject_id) for review in reviews}) > 1:
        raise ValueError("answered_by_review takes one person's reviews of one cycle, one of each kind")
    found: dict[int, list[tuple[str, str]]] = {review_id: [] for review_id in by_kind.values()}
    if not reviews:
        return found
    cycle_id = next(iter(reviews)).cycle_id
    for kind, prompt, body in db.session.execute(
            select(ReviewQuestion.kind, ReviewQuestion.prompt, ReviewAnswer.body)
            .outerjoin(ReviewAnswer, (ReviewAnswer.question_id == ReviewQuestion.id)
                       & ReviewAnswer.review_id.in_(list(by_kind.values())))
            .where(ReviewQuestion.cycle_id == cycle_id, ReviewQuestion.kind.in_(list(by_kind)))
            .order_by(ReviewQuestion.position)):
        found[by_kind[kind]].append((prompt, body or ""))
    return found


def _answer_changes(stored: Stored, answers: dict[int, str]) -> list[tuple[int, ReviewAnswer | None, str]]:
    """(question id, the stored answer if any, the new text) for every answer that differs."""
    existing = stored.answers
    return [(question_id, existing.get(question_id), body) for question_id, body in answers.items()
            if (existing[question_id].body if question_id in existing else "") != body]


def _save_answers(review: Review, answers: dict[int, str], stored: Stored) -> list[int]:
    """Store the answers typed (keyed by the ids of `questions_for(review)`); the ids that changed."""
    changes = _answer_changes(stored, answers)
    for question_id, answer, body in changes:
        if answer is not None:
            answer.body = body
        else:
            db.session.add(ReviewAnswer(review_id=review.id, question_id=question_id, body=body))
    return [question_id for question_id, _, _ in changes]


def version_id_of(review: Review) -> int:
    """The version a review is made on (reviews from before several ladders: their cycle's)."""
    if review.ladder_version_id is not None:
        return review.ladder_version_id
    return db.session.get_one(ReviewCycle, review.cycle_id).ladder_version_id


def version_of(review: Review) -> LoadedVersion:
    return load_version(version_id_of(review))


def rubric_of(review: Review, loaded: LoadedVersion) -> Rubric:
    """What the review rates: the competencies of its version that apply to its subject."""
    return rules.reviewed_rubric(loaded.rubric, review.subject_level_key, review.subject_track_key)


def _rating_changes(stored: Stored, loaded: LoadedVersion, entries: dict[str, Entry]) -> list[tuple]:
    """(key, competency id, the stored rating if any, (rating, evidence) before, after) for every
    entry that differs from what is stored."""
    existing = stored.ratings
    changes = []
    for key, entry in entries.items():
        competency_id = loaded.competency_ids[key]
        rating = existing.get(competency_id)
        before = (_stored_value(rating, loaded.level_keys), rating.evidence) if rating else (None, "")
        after = (entry.rating or None, entry.evidence)
        if before != after:
            changes.append((key, competency_id, rating, before, after))
    return changes


def already_stored(review: Review, entries: dict[str, Entry], expected_lock_version: int,
                   answers: dict[int, str] | None = None, stored: Stored | None = None) -> bool:
    """A save from an older version of the page that would change nothing: the retry of a save
    that was stored but whose answer was lost (the connection died after the commit). Answering
    it with the current version is safe whatever happened in between, since what is stored is
    exactly what the page sends; a save that would change anything stays a conflict. `stored`:
    the review's rows if already read in this request."""
    if not is_started(review) or expected_lock_version >= review.lock_version:
        return False
    stored = stored if stored is not None else stored_of(review, with_answers=bool(answers))
    return not _rating_changes(stored, version_of(review), entries) and not _answer_changes(stored, answers or {})


def _apply_ratings(review: Review, entries: dict[str, Entry], loaded: LoadedVersion,
                   stored: Stored) -> tuple[dict, list[dict]]:
    """Change the review's stored ratings to `entries`: (what changed per competency, for the
    audit; the rows of new ratings, to insert in one statement)."""
    changes = {}
    new_rows = []
    for key, competency_id, rating, before, after in _rating_changes(stored, loaded, entries):
        entry = entries[key]
        level_id = loaded.level_ids[entry.rating] if entry.rating and entry.rating != BELOW_CURRENT else None
        values = {"below_current": entry.rating == BELOW_CURRENT, "evidence": entry.evidence, "level_id": level_id}
        if rating is None:
            new_rows.append({"review_id": review.id, "competency_id": competency_id, **values})
        else:
            for name, value in values.items():
                setattr(rating, name, value)
        changes[key] = audit.rating_parts([field for field, changed in (("level_id", before[0] != after[0]),
                                                                       ("evidence", before[1] != after[1])) if changed])
    return changes, new_rows


def save_entries(review: Review, entries: dict[str, Entry], *, actor: User, expected_lock_version: int,
                 answers: dict[int, str] | None = None, stored: Stored | None = None) -> None:
    """Store a draft's ratings, evidence and answers to the cycle's questions, refusing a save
    made from a stale page (unless it is already stored: a retry, see `already_stored`).
    `stored`: the review's rows as the form read them in this request (else read here)."""
    cycle = db.session.get_one(ReviewCycle, review.cycle_id)
    if not review.is_editable or cycle.status == CycleStatus.CLOSED:
        raise ReviewLocked()
    stored = stored if stored is not None else stored_of(review, with_answers=bool(answers))
    if review.lock_version != expected_lock_version:
        if already_stored(review, entries, expected_lock_version, answers, stored):
            return
        raise StaleRecord()
    if not is_started(review):
        _store_first_save(review)
    changes, new_rows = _apply_ratings(review, entries, version_of(review), stored)
    answered_ids = _save_answers(review, answers or {}, stored)
    if answered_ids:
        changes["answers to questions"] = {"changed": sorted(answered_ids)}
    review.updated_at = clock.now()  # always bump lock_version, so the other tab learns of this save
    try:
        db.session.flush()  # changed ratings: one batched UPDATE; the review's version check
    except StaleDataError:  # another save committed between our read and our write
        raise StaleRecord() from None
    if new_rows:
        # One INSERT for every new rating (the unit of work would send one per row on SQLite, to
        # read each new id back); render_nulls keeps rows with and without a level in one batch.
        db.session.execute(insert(Rating).execution_options(render_nulls=True), new_rows)
    if changes:
        audit.record(actor.id, "review.save", "review", review.id, review.subject_id, changes)


def submit_problems(review: Review, entries: dict[str, Entry]) -> dict[str, str]:
    loaded = version_of(review)
    return rules.submit_errors(rubric_of(review, loaded), review.subject_track_key, review.subject_level_key, entries)


def readiness_kept(review: Review) -> dict[str, list]:
    """What the submitted ratings give toward each target, kept for calibration (the ratings,
    version, level and track of a submitted review no longer change)."""
    from .readiness import ratings_by_review  # here: readiness imports this module (through cycles)

    loaded = version_of(review)
    ratings = ratings_by_review([review.id], {review.id: loaded})[review.id]
    return readiness_figures(loaded.rubric, review.subject_level_key, review.subject_track_key, ratings, review.kind)


def submit(review: Review, *, actor: User) -> None:
    """Submit a complete draft; it becomes read-only."""
    if not review.is_editable:
        raise ReviewLocked()
    readiness = readiness_kept(review)  # reads the ratings: before the status changes, so one flush records it
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = clock.now()
    review.readiness = readiness
    db.session.flush()
    keep_counts(review)
    audit.record(actor.id, "review.submit", "review", review.id, review.subject_id, {"status": ["draft", "submitted"]})
    notification_service.withdraw_reminders(review)
    if review.kind == ReviewKind.SELF:
        subject = db.session.get_one(User, review.subject_id)
        cycle = db.session.get_one(ReviewCycle, review.cycle_id)
        notification_service.notify(
            subject.manager_id, Kind.SELF_REVIEW_SUBMITTED, review, rel=notification_service.DIRECT_MANAGER,
            actor_id=actor.id, message=f"{subject.name} submitted their self-review for {cycle.name}.")


def share(review: Review, *, actor: User) -> None:
    """Show a submitted manager review to the engineer."""
    if review.kind != ReviewKind.MANAGER or review.status != ReviewStatus.SUBMITTED:
        raise ReviewLocked()
    review.status = ReviewStatus.SHARED
    review.shared_at = clock.now()
    db.session.flush()
    audit.record(actor.id, "review.share", "review", review.id, review.subject_id, {"status": ["submitted", "shared"]})
    cycle = db.session.get_one(ReviewCycle, review.cycle_id)
    notification_service.notify(review.subject_id, Kind.REVIEW_SHARED, review, rel=notification_service.SELF,
                                actor_id=actor.id, message=f"{actor.name} shared your {cycle.name} review with you.")


def acknowledge(review: Review, comment: str, *, actor: User) -> None:
    review.acknowledged_at = clock.now()
    review.acknowledgement = comment
    db.session.flush()
    audit.record(actor.id, "review.acknowledge", "review", review.id, review.subject_id)
    author = db.session.get_one(User, review.author_id)
    notification_service.notify(author.id, Kind.REVIEW_ACKNOWLEDGED, review,
                                rel=relation(author, db.session.get_one(User, review.subject_id)), actor_id=actor.id,
                                message=f"{actor.name} acknowledged your review.")


def reopen(review: Review, reason: str, *, actor: User) -> None:
    """Return a submitted review to draft: an explicit, recorded action."""
    before = review.status
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.readiness = None
    review.shared_at = None
    db.session.flush()
    keep_counts(review)
    audit.record(actor.id, "review.reopen", "review", review.id, review.subject_id,
                 {"status": [before, "draft"], "reason": reason})
