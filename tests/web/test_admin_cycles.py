"""Cycles: create with ordered dates, open (everyone's reviews start), completion, close, reopen."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ladder import clock
from ladder.domain.cycles import ReviewState, completion
from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import AuditEntry, Review, ReviewCycle
from ladder.services.reviews import ReviewLocked, save_entries

from ..factories import make_review

pytestmark = pytest.mark.dates


def cycle_form(ladder, **overrides):
    data = {"name": "2027 H1", "framework_version_id": str(ladder.version_id), "opens_on": "2027-01-04",
            "self_review_due": "2027-01-18", "manager_review_due": "2027-02-01", "closes_on": "2027-02-15"}
    data.update(overrides)
    return data


def test_completion_groups_by_manager_and_marks_late_reviews():
    states = [ReviewState(1, "Al", 10, "Mo", 1, "submitted", 2, "draft"),
              ReviewState(2, "Bea", 10, "Mo", 3, "draft", 4, None),
              ReviewState(3, "Cy", 11, "Max", 5, "submitted", 6, "shared")]
    groups = completion(states, date(2027, 1, 18), date(2027, 2, 1), today=date(2027, 1, 20))
    assert [g.manager_name for g in groups] == ["Mo", "Max"]  # most late first
    mo = groups[0]
    assert mo.late == 1 and [r.state.subject_name for r in mo.rows] == ["Bea", "Al"]
    assert mo.rows[0].self_late and not mo.rows[0].manager_late  # manager reviews not due yet
    assert groups[1].done == 1
    later = completion(states, date(2027, 1, 18), date(2027, 2, 1), today=date(2027, 2, 2))
    assert later[0].late == 2


def test_create_validates_date_order_and_defaults_to_the_latest_published_version(client, org, ladder):
    client.login("admin@example.com")
    page = client.get("/admin/cycles/new").get_data(as_text=True)
    assert f'<option selected value="{ladder.version_id}">' in page
    response = client.post_form("/admin/cycles/new",
                                cycle_form(ladder, self_review_due="2026-12-01", closes_on="2027-01-20"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Self-reviews cannot be due before the cycle opens." in page
    assert "The cycle cannot close before manager reviews are due." in page
    assert 'value="2027 H1"' in page
    response = client.post_form("/admin/cycles/new", cycle_form(ladder, name="2026 H2"))
    assert "already a cycle named" in response.get_data(as_text=True)
    response = client.post_form("/admin/cycles/new", cycle_form(ladder))
    assert response.status_code == 302
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == "2027 H1"))
    assert cycle.status == "draft" and cycle.ladder_version_id == ladder.version_id


def test_open_starts_a_self_and_manager_review_for_everyone_with_a_manager(client, org, ladder):
    org.cycle.status = "closed"
    org.peer.is_active_account = False
    db.session.commit()
    client.login("admin@example.com")
    client.post_form("/admin/cycles/new", cycle_form(ladder))
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == "2027 H1"))
    response = client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}",
                                follow_redirects=True)
    assert "2027 H1 is open. 10 reviews started." in response.get_data(as_text=True)
    reviews = db.session.scalars(select(Review).where(Review.cycle_id == cycle.id)).all()
    # manager, other manager, engineer, outsider, mentor (peer is deactivated; director and admin have no manager)
    assert len(reviews) == 10
    engineer_reviews = {r.kind: r for r in reviews if r.subject_id == org.engineer.id}
    assert engineer_reviews["self"].author_id == org.engineer.id
    assert engineer_reviews["manager"].author_id == org.manager.id
    assert all(r.status == "draft" for r in reviews)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.open")).actor_id == org.admin.id
    page = client.get(f"/admin/cycles/{cycle.id}").get_data(as_text=True)
    assert "0 of 2 complete" in page  # the manager's two reports


def test_only_one_cycle_is_open_at_a_time(client, org, ladder):
    client.login("admin@example.com")
    client.post_form("/admin/cycles/new", cycle_form(ladder))
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == "2027 H1"))
    response = client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}",
                                follow_redirects=True)
    assert "2026 H2 is still open; close it before opening 2027 H1." in response.get_data(as_text=True)
    assert db.session.get(ReviewCycle, cycle.id).status == "draft"


def test_completion_shows_who_is_late(client, org, ladder):
    org.cycle.self_review_due = clock.today() - timedelta(days=1)
    org.cycle.opens_on = clock.today() - timedelta(days=10)
    make_review(org.cycle, org.engineer, status="draft")
    make_review(org.cycle, org.peer, status="submitted")
    db.session.commit()
    client.login("admin@example.com")
    page = client.get(f"/admin/cycles/{org.cycle.id}").get_data(as_text=True)
    assert "1 late" in page
    engineer_row = page.split("Engineer</th>")[1].split("</tr>")[0]
    assert "Late" in engineer_row


def test_close_makes_reviews_read_only(client, org, ladder):
    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    client.login("admin@example.com")
    client.post_form(f"/admin/cycles/{org.cycle.id}/close", {}, token_from=f"/admin/cycles/{org.cycle.id}")
    assert db.session.get(ReviewCycle, org.cycle.id).status == "closed"
    review = db.session.get(Review, review.id)
    try:
        save_entries(review, {"system-design": Entry("senior", "")}, actor=org.engineer,
                     expected_lock_version=review.lock_version)
    except ReviewLocked:
        pass
    else:
        raise AssertionError("a closed cycle's review was saved")


def test_reopen_a_single_submitted_review_with_a_recorded_reason(client, org, ladder):
    review = make_review(org.cycle, org.engineer, status="submitted")
    other = make_review(org.cycle, org.peer, status="submitted")
    db.session.commit()
    client.login("admin@example.com")
    path = f"/admin/reviews/{review.id}/reopen"
    response = client.post_form(path, {"reason": ""})
    assert response.status_code == 422
    response = client.post_form(path, {"reason": "Rated the wrong competency by mistake."})
    assert response.status_code == 302
    assert db.session.get(Review, review.id).status == "draft"
    assert db.session.get(Review, other.id).status == "submitted"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.reopen"))
    assert entry.changes["reason"] == "Rated the wrong competency by mistake." and entry.actor_id == org.admin.id
