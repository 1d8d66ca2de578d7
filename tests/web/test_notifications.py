"""Notifications in the app: written with the change that causes them, once; shown to their
recipient only (list, unread count, mark read by POST with CSRF); never about a record the
recipient may not see; each links to its page."""
import re

import pytest
from sqlalchemy import func, select

from ladder.extensions import db
from ladder.models import Notification, Review

from ..factories import form_for, lock_version, make_review, rate_all

pytestmark = pytest.mark.dates


def notifications_of(user):
    return db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                              .order_by(Notification.id)).all()


def unread_badge(page: str) -> str | None:
    match = re.search(r'class="badge badge-warn unread-count">(\d+)<', page)
    return match.group(1) if match else None


def submit_self_review(client, ladder):
    page = client.get("/reviews/self").get_data(as_text=True)
    return client.post_form("/reviews/self", {"lock_version": lock_version(page), "action": "submit",
                                              "confirm_submit": "y", **form_for(ladder, 2, "Shipped it.")})


def test_a_submitted_self_review_notifies_the_manager_once_with_a_link_only_they_can_open(client, org, ladder):
    client.login("engineer@example.com")
    assert submit_self_review(client, ladder).status_code == 302
    review = db.session.scalar(select(Review).where(Review.subject_id == org.engineer.id))
    [notification] = notifications_of(org.manager)
    assert notification.message == "Engineer submitted their self-review for 2026 H2."
    assert notifications_of(org.engineer) == [] and notifications_of(org.director) == []
    client.logout()

    client.login("manager@example.com")
    home = client.get("/").get_data(as_text=True)
    assert unread_badge(home) == "1"
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'href="/reviews/{review.id}">Engineer submitted their self-review' in page
    assert client.get(f"/reviews/{review.id}").status_code == 200
    client.logout()
    for email in ("peer@example.com", "other.manager@example.com", "mentor@example.com", "admin@example.com"):
        client.login(email)
        assert client.get(f"/reviews/{review.id}").status_code == 404, email
        assert "submitted their self-review" not in client.get("/notifications/").get_data(as_text=True)
        client.logout()


def test_mark_read_needs_csrf_and_the_recipient(client, org, ladder):
    client.login("engineer@example.com")
    submit_self_review(client, ladder)
    client.logout()
    [notification] = notifications_of(org.manager)
    client.login("peer@example.com")
    response = client.post_form(f"/notifications/{notification.id}/read", {}, token_from="/notifications/")
    assert response.status_code == 404
    client.logout()
    client.login("manager@example.com")
    assert client.post(f"/notifications/{notification.id}/read").status_code == 400  # no CSRF token
    assert db.session.get(Notification, notification.id).read_at is None
    response = client.post_form(f"/notifications/{notification.id}/read", {}, token_from="/notifications/")
    assert response.status_code == 302
    assert db.session.get(Notification, notification.id).read_at is not None
    assert unread_badge(client.get("/").get_data(as_text=True)) is None


def test_mark_all_read(client, org, ladder):
    make_review(org.cycle, org.peer, status="submitted")
    review = make_review(org.cycle, org.engineer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    from ladder.services import reviews as review_service
    review_service.submit(review, actor=org.engineer)
    db.session.commit()
    client.login("manager@example.com")
    assert client.post("/notifications/read").status_code == 400
    response = client.post_form("/notifications/read", {}, token_from="/notifications/")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) == 0


def test_sharing_and_acknowledging_notify_the_other_side(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    manager_review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                                 entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    path = f"/reviews/{manager_review.id}"
    client.login("manager@example.com")
    client.post_form(f"{path}/share", {"confirm": "y"}, token_from=path)
    client.logout()
    [shared] = notifications_of(org.engineer)
    assert shared.kind == "review_shared" and shared.message == "Manager shared your 2026 H2 review with you."
    client.login("engineer@example.com")
    assert f'href="{path}"' in client.get("/notifications/").get_data(as_text=True)
    client.post_form(f"{path}/acknowledge", {"comment": "Thanks."}, token_from=path)
    [acknowledged] = notifications_of(org.manager)
    assert acknowledged.kind == "review_acknowledged" and acknowledged.message == "Engineer acknowledged your review."


def test_a_private_note_tells_nobody_and_sharing_it_later_tells_the_engineer_once(client, org):
    client.login("manager@example.com")
    path = f"/people/{org.engineer.id}/notes/new"
    response = client.post_form(path, {"body": "PRIVATE-THOUGHT", "visibility": "private"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    note_path = response.headers["Location"]
    edit = note_path + "/edit"
    page = client.get(edit).get_data(as_text=True)
    version = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    client.post_form(edit, {"body": "Now shared.", "visibility": "shared", "lock_version": version})
    [shared] = notifications_of(org.engineer)
    assert shared.kind == "feedback_shared" and shared.message == "Manager shared feedback with you."
    page = client.get(edit).get_data(as_text=True)
    version = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    client.post_form(edit, {"body": "Private again.", "visibility": "private", "lock_version": version})
    page = client.get(edit).get_data(as_text=True)
    version = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    client.post_form(edit, {"body": "Shared again.", "visibility": "shared", "lock_version": version})
    assert len(notifications_of(org.engineer)) == 1
    client.logout()
    client.login("engineer@example.com")
    assert f'href="{note_path}"' in client.get("/notifications/").get_data(as_text=True)


def test_opening_a_cycle_notifies_everyone_in_it_and_the_other_admins(client, org, ladder):
    from ladder.services import cycles as cycle_service

    org.cycle.status = "closed"
    db.session.commit()
    data = cycle_service.CycleData("2027 H1", ladder.version_id, org.cycle.opens_on, org.cycle.self_review_due,
                                   org.cycle.manager_review_due, org.cycle.closes_on)
    cycle = cycle_service.create_cycle(data)
    cycle_service.open_cycle(cycle, actor=org.director)
    db.session.commit()
    told = {n.recipient_id: n for n in db.session.scalars(select(Notification))}
    with_a_manager = {org.manager.id, org.other_manager.id, org.engineer.id, org.peer.id, org.outsider.id,
                      org.mentor.id}
    assert set(told) == with_a_manager | {org.admin.id}
    assert told[org.engineer.id].message.startswith("2027 H1 is open: your self-review is due")
    client.login("engineer@example.com")
    assert 'href="/reviews/self"' in client.get("/notifications/").get_data(as_text=True)
    client.logout()
    client.login("admin@example.com")
    assert f'href="/admin/cycles/{cycle.id}"' in client.get("/notifications/").get_data(as_text=True)
    cycle_service.start_reviews(cycle)  # again, e.g. for people added later: nobody is told twice
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))) == len(told)


def test_the_email_preference_is_chosen_on_the_account_page(client, org):
    client.login("engineer@example.com")
    page = client.get("/auth/password").get_data(as_text=True)
    assert "Email notifications" in page
    assert re.search(r'<input checked [^>]*value="immediately"', page)
    response = client.post_form("/account/notifications", {"notification_email": "daily"}, token_from="/auth/password")
    assert response.status_code == 302
    assert db.session.get(type(org.engineer), org.engineer.id).notification_email == "daily"
    bad = client.post_form("/account/notifications", {"notification_email": "hourly"}, token_from="/auth/password")
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    assert db.session.get(type(org.engineer), org.engineer.id).notification_email == "daily"


def test_the_unread_count_costs_no_extra_statement(client, org, count_queries):
    client.login("engineer@example.com")
    client.get("/ladder/")
    with count_queries() as counter:
        client.get("/ladder/")
    [navigation] = [s for s in counter.statements if "notifications" in s]
    assert "users.manager_id = " in navigation  # asked together with "has reports?"
    assert not [s for s in counter.statements if "users.manager_id = " in s and s is not navigation]


def test_the_demo_starts_with_notifications_for_every_account_and_an_outbox(runner, client):
    from ladder.models import User

    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    for user in db.session.scalars(select(User)):
        assert notifications_of(user), user.email
    client.login("engineer@example.com", "ladder-demo")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Mina Mentor shared feedback with you." in page and unread_badge(page)
    client.logout()
    client.login("admin@example.com", "ladder-demo")
    outbox = client.get("/admin/outbox").get_data(as_text=True)
    assert "Email is not set up" in outbox and "Priya Patel" in outbox
    assert "Morgan Manager shared your" in outbox
