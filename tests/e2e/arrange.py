"""Arrange the state a journey starts from, through the services (run inside `live_server.run`).

Journeys stay independent of each other: each module gets a fresh demo database and arranges
what earlier steps of the product would have produced, instead of relying on another test.
"""
from __future__ import annotations

from sqlalchemy import select

from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import User
from ladder.services import reviews as review_service


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def complete_and_submit_self_review(email: str) -> int:
    """Rate every competency the person left open at their own level and submit; returns the review id."""
    person = user(email)
    cycle = review_service.open_cycle()
    review = review_service.get_or_create_review(cycle, person, "self", person)
    entries = review_service.entries_of(review, review_service.version_of(review))
    rubric = review_service.version_of(review).rubric
    for competency in rubric.competencies:
        if competency.key not in entries or not entries[competency.key].rating:
            entries[competency.key] = Entry(person.level_key, "Did what my level expects.")
    review_service.save_entries(review, entries, actor=person, expected_lock_version=review.lock_version)
    review_service.submit(review, actor=person)
    return review.id


def share_manager_review(email: str, *, rating: str | None = None, evidence: str = "Seen in our 1:1s.") -> int:
    """The direct manager rates every competency (at the person's level by default), submits and shares."""
    person = user(email)
    manager = db.session.get(User, person.manager_id)
    review = review_service.get_or_create_review(review_service.open_cycle(), person, "manager", manager)
    rubric = review_service.version_of(review).rubric
    entries = {c.key: Entry(rating or person.level_key, evidence) for c in rubric.competencies}
    review_service.save_entries(review, entries, actor=manager, expected_lock_version=review.lock_version)
    review_service.submit(review, actor=manager)
    review_service.share(review, actor=manager)
    return review.id
