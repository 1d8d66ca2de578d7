"""Readiness loaded for many people at once (lists) and for one person's page (explained)."""
from datetime import date

import pytest
from sqlalchemy import select

from ladder.domain.readiness import Readiness, ReadinessSummary
from ladder.extensions import db
from ladder.models import User, Verdict
from ladder.services.readiness import readiness_for, readiness_summaries
from ladder.services.reviews import reopen, save_entries, submit

from ..factories import make_cycle, make_review, make_user, rate_all

pytestmark = pytest.mark.dates


def _verdict(subject, author, target, verdict, rationale):
    db.session.add(Verdict(subject_id=subject.id, author_id=author.id, target_level_key=target,
                           verdict=verdict, rationale=rationale))
    db.session.flush()


def test_summaries_use_the_latest_usable_review_and_the_latest_verdict(org, ladder):
    past = make_cycle(ladder.version_id, name="2026 H1", status="closed", opens_on=date(2026, 5, 1))
    make_review(past, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="self", status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.peer, kind="self", status="draft", entries=rate_all(ladder, 3), loaded=ladder)
    _verdict(org.engineer, org.manager, "staff", "not_yet", "First look.")
    _verdict(org.engineer, org.manager, "staff", "ready_now", "Second look.")
    db.session.commit()

    entries = readiness_summaries([org.engineer, org.peer])

    engineer = entries[org.engineer.id]
    assert engineer.source == "self"  # the current cycle's submitted self-review beats last cycle's
    target, staff = engineer.results[0]
    assert isinstance(staff, ReadinessSummary) and target.level.key == "staff"
    assert staff.percent == 0 and staff.source == "self"  # rated at Senior everywhere
    assert engineer.verdicts["staff"].verdict == "ready_now" and engineer.verdicts["staff"].label
    peer = entries[org.peer.id]
    assert peer.source is None and all(result is None or result.source is None for _, result in peer.results)


def test_summaries_cost_the_same_statements_for_two_people_and_for_sixty(org, ladder, count_queries):
    people = [make_user(f"eng{i}@example.com", manager=org.manager) for i in range(60)]
    for person in people:
        make_review(org.cycle, person, kind="self", status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    people = list(db.session.scalars(select(User).where(User.id.in_([p.id for p in people]))))  # as pages load them
    readiness_summaries(people[:1])  # the published ladder is loaded once per process
    with count_queries() as few:
        readiness_summaries(people[:2])
    with count_queries() as many:
        entries = readiness_summaries(people)
    assert few.count == many.count <= 4
    assert all(entries[p.id].results[0][1].percent == 100 for p in people)


def test_the_person_page_gets_gaps_explained_and_the_review_it_goes_on(org, ladder):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()

    entry = readiness_for(org.engineer)

    assert entry.review.id == review.id and entry.cycle.name == org.cycle.name
    _, staff = entry.results[0]
    assert isinstance(staff, Readiness) and staff.gaps and staff.source == "manager"
    assert staff.percent == readiness_summaries([org.engineer])[org.engineer.id].results[0][1].percent


def test_a_submitted_reviews_ratings_are_read_once_until_it_is_reopened_and_changed(org, ladder, count_queries):
    review = make_review(org.cycle, org.engineer, kind="self", status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    assert readiness_summaries([org.engineer])[org.engineer.id].results[0][1].percent == 0
    with count_queries() as again:
        entry = readiness_summaries([org.engineer])[org.engineer.id]
    assert again.reading("ratings") == 0 and entry.results[0][1].percent == 0
    with pytest.raises(TypeError):
        entry.ratings["system-design"] = "staff"  # shared by every request of the process: read-only

    reopen(review, "Rated too low.", actor=org.admin)
    save_entries(review, rate_all(ladder, 3), actor=org.engineer, expected_lock_version=review.lock_version)
    submit(review, actor=org.engineer)
    db.session.commit()

    with count_queries() as changed:
        entry = readiness_summaries([org.engineer])[org.engineer.id]
    assert changed.reading("ratings") == 1 and entry.results[0][1].percent == 100  # rated at Staff now
