"""Browsing the audit log (admins) and the log of changes to one's own records (everyone)."""
from sqlalchemy import select

from ladder.extensions import db
from ladder.models import AuditEntry
from ladder.services import audit

from .builders import make_review


def test_admins_filter_the_log_by_actor_subject_type_action_and_date(client, org):
    with audit.acting_as(org.admin.id):
        org.engineer.title = "Staff-ish"
        db.session.commit()
    with audit.acting_as(org.manager.id):
        org.peer.title = "Peer title"
        db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/audit?actor=admin@example.com&entity=user").get_data(as_text=True)
    assert "Staff-ish" in page and "Peer title" not in page
    page = client.get("/admin/audit?subject=peer@example.com&action=user.update").get_data(as_text=True)
    assert "Peer title" in page and "Staff-ish" not in page and "1 entry" in page
    page = client.get("/admin/audit?since=2999-01-01").get_data(as_text=True)
    assert "0 entries" in page
    page = client.get("/admin/audit?since=yesterday&actor=ghost@example.com").get_data(as_text=True)
    assert "is not a date" in page and "Nobody has the email ghost@example.com" in page


def test_the_log_is_paginated(client, org):
    for i in range(60):
        audit.record(org.admin.id, "test.bulk", "test", i)
    db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/audit?action=test.bulk").get_data(as_text=True)
    assert "60 entries" in page and "page 1 of 2" in page and "Older" in page
    assert "page 2 of 2" in client.get("/admin/audit?action=test.bulk&page=2").get_data(as_text=True)


def test_engineers_see_changes_to_their_own_records_but_not_unshared_manager_reviews(client, org):
    with audit.acting_as(org.admin.id):
        org.engineer.level_key = "staff"
        db.session.commit()
    self_review = make_review(org.cycle, org.engineer)
    draft = make_review(org.cycle, org.engineer, kind="manager", author=org.manager)
    make_review(org.cycle, org.peer)
    db.session.commit()
    audit.record(org.manager.id, "mentorship.note", "note", 1, org.engineer.id, {"text": "private"})
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get("/account/history").get_data(as_text=True)
    assert "level_key" in page and "staff" in page
    assert f"review #{self_review.id}" in page
    assert f"review #{draft.id}" not in page  # the manager review is not shared yet
    assert "private" not in page  # someone else's note about them
    draft.status = "shared"
    db.session.commit()
    assert f"review #{draft.id}" in client.get("/account/history").get_data(as_text=True)
    assert all(e.subject_id is not None for e in db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "review")))
