"""Small builders for test records; they add and flush, the test decides when to commit."""
from __future__ import annotations

from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from config import TestingConfig
from ladder import clock
from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import Rating, Review, ReviewCycle, User

PASSWORD = "correct horse battery"
_HASH: list[str] = []


def password_hash() -> str:
    """One scrypt hash shared by every test user, at the testing cost: every sign-in checks it."""
    if not _HASH:
        _HASH.append(generate_password_hash(PASSWORD, method=TestingConfig.PASSWORD_HASH_METHOD))
    return _HASH[0]


def make_user(email: str, level: str = "senior", track: str = "ic", *, manager: User | None = None,
              admin: bool = False, name: str | None = None) -> User:
    user = User(email=email, name=name or email.split("@")[0].replace(".", " ").title(),
                level_key=level, track_key=track, is_admin=admin,
                manager_id=manager.id if manager else None, password_hash=password_hash())
    db.session.add(user)
    db.session.flush()
    return user


def make_cycle(version_id: int, *, name: str = "2026 H2", status: str = "open",
               opens_on: date | None = None) -> ReviewCycle:
    """A cycle opened a week ago (by the app's clock) unless told otherwise: self-reviews due in a
    week, manager reviews in three, closing in five; nothing is late yet."""
    opens_on = opens_on or clock.today() - timedelta(days=7)
    cycle = ReviewCycle(name=name, framework_version_id=version_id, status=status, opens_on=opens_on,
                        self_review_due=opens_on + timedelta(days=14),
                        manager_review_due=opens_on + timedelta(days=28),
                        closes_on=opens_on + timedelta(days=42))
    db.session.add(cycle)
    db.session.flush()
    return cycle


def make_review(cycle: ReviewCycle, subject: User, *, kind: str = "self", author: User | None = None,
                status: str = "draft", entries: dict[str, Entry] | None = None, loaded=None) -> Review:
    review = Review(cycle_id=cycle.id, subject_id=subject.id, author_id=(author or subject).id, kind=kind,
                    status=status, subject_level_key=subject.level_key, subject_track_key=subject.track_key,
                    framework_version_id=loaded.version_id if loaded else None)
    db.session.add(review)
    db.session.flush()
    for key, entry in (entries or {}).items():
        db.session.add(Rating(review_id=review.id, competency_id=loaded.competency_ids[key],
                              level_id=None if entry.rating in (None, "below") else loaded.level_ids[entry.rating],
                              below_current=entry.rating == "below", evidence=entry.evidence))
    db.session.flush()
    return review


def rate_all(loaded, rank: int, evidence: str = "Shipped the thing.") -> dict[str, Entry]:
    """Every competency rated at the level of `rank` it has (rank 0 means "below current")."""
    rubric = loaded.rubric
    entries = {}
    for competency in rubric.competencies:
        found = rubric.expectation_at_rank(competency, rank, competency.tracks[0]) if rank else None
        entries[competency.key] = Entry(found[0].key if found else "below", evidence)
    return entries
