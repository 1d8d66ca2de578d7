"""Factories for test records (people, cycles, reviews, mentorship, peer feedback); they add and flush,
the test decides when to commit."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from werkzeug.security import generate_password_hash

from config import TestingConfig
from ladder import clock
from ladder.domain.permissions import Relation
from ladder.domain.reviews import Entry
from ladder.domain.rubric import load_rubric
from ladder.extensions import db
from ladder.models import (
    ActionItem,
    FeedbackNote,
    Goal,
    Mentorship,
    OneOnOne,
    PeerFeedbackRequest,
    Rating,
    Review,
    ReviewCycle,
    User,
)

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
    cycle = ReviewCycle(name=name, ladder_version_id=version_id, status=status, opens_on=opens_on,
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
                    ladder_version_id=loaded.version_id if loaded else None)
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


def make_mentorship(mentor: User, mentee: User, *, focus=("system-design",), starts_on: date | None = None,
                    ends_on: date | None = None) -> Mentorship:
    m = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, focus=list(focus),
                   starts_on=starts_on or clock.today() - timedelta(days=30), ends_on=ends_on)
    db.session.add(m)
    db.session.flush()
    return m


def make_note(author: User, subject: User, body: str, *, role: str, visibility: str = "shared",
              competencies=(), created_at: datetime | None = None) -> FeedbackNote:
    note = FeedbackNote(author_id=author.id, subject_id=subject.id, author_role=role, body=body,
                        visibility=visibility, competencies=list(competencies))
    if created_at:
        note.created_at = note.updated_at = created_at
    db.session.add(note)
    db.session.flush()
    return note


def make_one_on_one(author: User, subject: User, notes: str, *, role: str, visibility: str = "shared",
                    held_on: date | None = None, items=(), competencies=()) -> OneOnOne:
    record = OneOnOne(author_id=author.id, subject_id=subject.id, author_role=role, notes=notes,
                      visibility=visibility, held_on=held_on or clock.today() - timedelta(days=3),
                      participants=f"{author.name}, {subject.name}", competencies=list(competencies))
    db.session.add(record)
    db.session.flush()
    for position, text in enumerate(items):
        db.session.add(ActionItem(one_on_one_id=record.id, position=position, text=text))
    db.session.flush()
    return record


def make_goal(owner: User, title: str, *, by: User | None = None, status: str = "open", due_on: date | None = None,
              competencies=()) -> Goal:
    goal = Goal(owner_id=owner.id, created_by_id=(by or owner).id, title=title, status=status, due_on=due_on,
                competencies=list(competencies))
    db.session.add(goal)
    db.session.flush()
    return goal


def make_peer_request(cycle, subject, peer, *, requester=None, competencies=("system-design",),
                      status="requested", answers=None, due_in_days=7, decline_reason=None) -> PeerFeedbackRequest:
    request = PeerFeedbackRequest(
        cycle_id=cycle.id, subject_id=subject.id, requester_id=(requester or subject).id, peer_id=peer.id,
        competencies=list(competencies), due_on=clock.today() + timedelta(days=due_in_days), status=status,
        answers=answers or {}, decline_reason=decline_reason,
        answered_at=clock.now() if status == "answered" else None,
        declined_at=clock.now() if status == "declined" else None)
    db.session.add(request)
    db.session.flush()
    return request


# A small format-1 ladder: two tracks sharing a junior level, one competency.
MINIMAL = """\
format: 1
key: tiny
name: Tiny ladder
levels:
  - {key: junior, name: Junior, rank: 1}
  - {key: senior, name: Senior, rank: 2}
  - {key: lead, name: Lead, rank: 3}
tracks:
  - {key: ic, name: IC, levels: [junior, senior]}
  - {key: management, name: Management, levels: [junior, lead]}
areas:
  - key: craft
    name: Craft
    competencies:
      - key: coding
        name: Coding
        tracks: [ic]
        expectations:
          junior: Writes code.
          senior: Writes code others build on.
"""

SHAPES = Path(__file__).parent / "ladders"
SHAPE_NAMES = ["nine-tracks", "numbered-specialisms", "role-ladders", "points"]


def shape(name):
    """A ladder file in the shape of a real framework (tests/ladders/)."""
    return load_rubric(SHAPES / f"{name}.yaml")


def form_for(ladder, rank: int, evidence: str = "Evidence.") -> dict:
    """A review form's fields with every competency rated at `rank`."""
    data = {}
    for key, entry in rate_all(ladder, rank, evidence).items():
        data[f"rating-{key}"] = entry.rating
        data[f"evidence-{key}"] = entry.evidence
    return data


def lock_version(page: str) -> str:
    """The stale-edit check's hidden value on a form page."""
    return re.search(r'id="lock_version" name="lock_version" type="hidden" value="(\d+)"', page).group(1)


# How a viewer relates to a person, for the pure permission rules: one of each kind.
SELF = Relation(is_self=True)
MANAGER = Relation(is_manager=True, is_direct_manager=True)
SKIP = Relation(is_manager=True)
MENTOR = Relation(is_mentor=True)
ADMIN = Relation(is_admin=True)
NOBODY = Relation()
ROLES = {"self": SELF, "manager": MANAGER, "skip": SKIP, "mentor": MENTOR, "admin": ADMIN, "nobody": NOBODY}
