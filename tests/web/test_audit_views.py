"""Browsing the audit log (admins) and the log of changes to one's own records (everyone)."""
import re

from sqlalchemy import select

from ladder.extensions import db
from ladder.models import AuditEntry, Review
from ladder.services import audit

from ..factories import make_review


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


def test_the_log_groups_a_page_by_record_with_field_names_in_words_fifty_a_page(client, org):
    for title in ("One", "Two", "Three"):
        with audit.acting_as(org.admin.id):
            org.engineer.title = title
            db.session.commit()
    with audit.acting_as(org.admin.id):
        org.peer.manager_id = org.director.id
        db.session.commit()
    for i in range(60):
        audit.record(org.admin.id, "test.bulk", "test", i)
    db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/audit?entity=user&actor=admin@example.com&action=user.update").get_data(as_text=True)
    headings = re.findall(r'<h2 id="record-\d+" class="audit-record-title">(.*?)</h2>', page, re.S)
    assert [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in headings] == [
        f"User #{org.peer.id} about Peer · 1 change", f"User #{org.engineer.id} about Engineer · 3 changes"]
    assert "<dt>Title</dt>" in page and "<dt>Manager</dt>" in page and "<dt>manager_id</dt>" not in page
    first = client.get("/admin/audit?action=test.bulk").get_data(as_text=True)
    assert first.count('class="audit-record"') == 50 and "page 1 of 2" in first


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
    assert "<dt>Level</dt>" in page and "staff" in page
    assert f"review #{self_review.id}" in page
    assert f"review #{draft.id}" not in page  # the manager review is not shared yet
    assert "private" not in page  # someone else's note about them
    draft.status = "shared"
    db.session.commit()
    assert f"review #{draft.id}" in client.get("/account/history").get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "review"))
    assert all(e.subject_id is not None for e in entries)


# --- Every page that shows entries applies the record's own visibility rule -------------------

def test_admin_reads_no_draft_private_note_or_one_on_one_content_under_any_filter(client, org, ladder):
    from ..services.test_audit import SECRETS, write_private_things

    note, one_on_one, review = write_private_things(org, ladder)
    # rows written before the log stopped keeping text (and before migration 0011 scrubbed them)
    db.session.add_all([AuditEntry(actor_id=org.mentor.id, action="legacy.edit", entity_type=entity_type,
                                   entity_id=entity_id, subject_id=org.engineer.id,
                                   changes={field: ["LEGACY-SECRET-BEFORE", "LEGACY-SECRET-AFTER"]})
                        for entity_type, entity_id, field in (("feedback_note", note.id, "body"),
                                                              ("one_on_one", one_on_one.id, "notes"),
                                                              ("review", review.id, "evidence"))])
    db.session.commit()
    client.login("admin@example.com")
    for query in ("", "?entity=feedback_note", "?entity=one_on_one", "?entity=action_item", "?entity=review",
                  "?subject=engineer@example.com", "?subject=engineer@example.com&entity=review",
                  "?actor=mentor@example.com", "?action=note", "?action=legacy", "?action=review.save"):
        page = client.get(f"/admin/audit{query}").get_data(as_text=True)
        for secret in (*SECRETS, "LEGACY-SECRET"):
            assert secret not in page, (query, secret)
    page = client.get("/admin/audit?entity=feedback_note").get_data(as_text=True)
    assert "note.edit" in page and "body" in page and "not shown" in page  # who changed which field, and when
    # the records themselves are out of the admin's reach, and so are their values in the log
    assert client.get(f"/notes/{note.id}").status_code == 404
    assert client.get(f"/reviews/{review.id}").status_code == 404


def test_entries_show_values_to_whoever_may_read_the_record(client, org, ladder):
    with audit.acting_as(org.manager.id):
        org.engineer.title = "Tech lead"
        db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/audit?entity=user").get_data(as_text=True)
    assert "Tech lead" in page  # people are the admin's records


def test_engineer_history_after_a_shared_review_shows_no_draft_wording(client, org, ladder):
    from ..factories import lock_version
    from .test_manager_review import form_data

    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    page = client.get(path).get_data(as_text=True)
    client.post_form(path, {"lock_version": lock_version(page), "action": "save", "rating-system-design": "staff",
                            "evidence-system-design": "PRIVATE DRAFT THOUGHT about the engineer"})
    page = client.get(path).get_data(as_text=True)
    assert client.post_form(path, {**form_data(ladder, 2), "lock_version": lock_version(page),
                                   "action": "submit", "confirm_submit": "y"}).status_code == 302
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    client.post_form(f"/reviews/{review.id}/share", {"confirm": "y"}, token_from=f"/reviews/{review.id}")
    assert db.session.get(Review, review.id).status == "shared"
    client.logout()
    client.login("engineer@example.com")
    page = client.get("/account/history").get_data(as_text=True)
    assert "PRIVATE DRAFT THOUGHT" not in page
    assert "review.save" not in page and "system-design" not in page  # not how the draft was written
    assert "review.share" in page and f'href="/reviews/{review.id}"' in page  # the final values are on the review
    assert "Seen in the ledger project." in client.get(f"/reviews/{review.id}").get_data(as_text=True)


def test_history_hides_entries_about_records_the_person_may_not_read(client, org, ladder):
    from ..services.test_audit import write_private_things

    write_private_things(org, ladder)
    client.login("engineer@example.com")
    page = client.get("/account/history").get_data(as_text=True)
    assert "note.create" not in page and "one_on_one" not in page and "action_item" not in page
    assert "review.save" in page  # their own draft, as they wrote it (sizes, never the text)
