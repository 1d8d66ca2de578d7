"""Invitations and password resets by email: single-use links that expire, through a real SMTP
server; forgot-password reveals nothing and is throttled."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.extensions import db
from ladder.models import SignInLink, User

from ..factories import make_user
from ..smtp import smtp_fixture  # noqa: F401

NEW_PASSWORD = "river otter lantern maple"


def import_people(n: int, manager: User) -> None:
    """People as a CSV import leaves them: no password."""
    for i in range(n):
        db.session.add(User(email=f"new{i}@example.com", name=f"New Person {i}", level_key="engineer",
                            track_key="ic", manager_id=manager.id))
    db.session.commit()


def set_password(client, path: str, password: str = NEW_PASSWORD):
    return client.post_form(path, {"new_password": password, "confirm": password}, token_from=path)


@pytest.mark.slow  # 200 invitations by email
def test_invitations_to_200_imported_people_arrive_and_one_link_signs_in_once(client, org, smtp):
    import_people(200, org.manager)
    client.login("admin@example.com")
    page = client.get("/admin/people").get_data(as_text=True)
    assert "<strong>200</strong> people cannot sign in yet" in page
    response = client.post_form("/admin/people/invite", {}, token_from="/admin/people")
    assert response.status_code == 302
    assert "Sent 200 invitations" in client.get("/admin/people").get_data(as_text=True)
    assert len(smtp.messages) == 200
    assert {m["To"] for m in smtp.messages} == {f"new{i}@example.com" for i in range(200)}
    # only hashes are stored: the link in the email is nowhere in the database
    invitation = smtp.to("new7@example.com")[0]
    assert invitation["Subject"] == "You are invited to Ladder"
    path = smtp.link(invitation)
    assert path.split("/")[-1] not in {row.token_hash for row in db.session.scalars(select(SignInLink))}
    assert "Choose your password" in smtp.html(invitation)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200 and "new7@example.com" in page.get_data(as_text=True)
    response = set_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Hello, New Person 7" in client.get("/").get_data(as_text=True)
    client.logout()
    assert client.login("new7@example.com", NEW_PASSWORD).status_code == 302
    client.logout()

    again = client.get(path)
    assert again.status_code == 410 and "no longer works" in again.get_data(as_text=True)
    assert client.post_form(path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                            token_from="/auth/login").status_code == 410
    # a second click on "invite everyone" invites nobody twice
    client.login("admin@example.com")
    client.post_form("/admin/people/invite", {}, token_from="/admin/people")
    assert len(smtp.messages) == 200


@pytest.mark.dates
def test_an_invitation_expires_after_7_days_and_a_reset_after_an_hour(client, org, smtp):
    import_people(1, org.manager)
    client.login("admin@example.com")
    person = db.session.scalar(select(User).where(User.email == "new0@example.com"))
    start = clock.now()
    with clock.frozen_at(start):
        client.post_form(f"/admin/people/{person.id}/invite", {}, token_from=f"/admin/people/{person.id}")
    path = smtp.link(smtp.messages[-1])
    client.logout()
    with clock.frozen_at(start + timedelta(days=7) - timedelta(minutes=1)):
        assert client.get(path).status_code == 200
    with clock.frozen_at(start + timedelta(days=7, minutes=1)):
        assert client.get(path).status_code == 410
        assert client.post_form(path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                                token_from="/auth/login").status_code == 410

    with clock.frozen_at(start):
        client.post_form("/auth/forgot-password", {"email": "engineer@example.com"})
    reset = smtp.to("engineer@example.com")[-1]
    assert reset["Subject"] == "Reset your Ladder password"
    with clock.frozen_at(start + timedelta(minutes=61)):
        assert client.get(smtp.link(reset)).status_code == 410
    assert db.session.get(User, person.id).password_hash is None


def test_a_reset_link_sets_the_password_by_the_policy_and_ends_other_sessions(client, org, smtp, app):
    other = app.test_client()
    from ..conftest import CsrfClient
    other = CsrfClient(other)
    other.login("engineer@example.com")
    response = client.post_form("/auth/forgot-password", {"email": "Engineer@Example.com"})
    assert response.status_code == 302
    path = smtp.link(smtp.to("engineer@example.com")[0])
    weak = set_password(client, path, "short")
    assert weak.status_code == 422 and "12 characters" in weak.get_data(as_text=True)
    assert set_password(client, path).status_code == 302
    assert other.get("/").status_code == 302  # the session on the other device ended
    assert client.get("/").status_code == 200
    assert db.session.get(User, org.engineer.id).check_password(NEW_PASSWORD)


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(client, org, smtp):
    known = client.post_form("/auth/forgot-password", {"email": "engineer@example.com"})
    unknown = client.post_form("/auth/forgot-password", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    page_known = client.get("/auth/login").get_data(as_text=True)
    assert "If an account exists for that address" in page_known
    client.post_form("/auth/forgot-password", {"email": "nobody@example.com"})
    page_unknown = client.get("/auth/login").get_data(as_text=True)
    assert page_known.split("<main")[1].split("</main>")[0].count("If an account exists") == \
        page_unknown.split("<main")[1].split("</main>")[0].count("If an account exists")
    assert [m["To"] for m in smtp.messages] == ["engineer@example.com"]


def test_forgot_password_is_throttled_per_address(client, org, smtp):
    statuses = [client.post_form("/auth/forgot-password", {"email": "engineer@example.com"}).status_code
                for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(smtp.to("engineer@example.com")) == 3
    assert client.post_form("/auth/forgot-password", {"email": "nobody@example.com"}).status_code == 302


def test_a_new_link_retires_the_older_one(client, org, smtp):
    client.post_form("/auth/forgot-password", {"email": "engineer@example.com"})
    client.post_form("/auth/forgot-password", {"email": "engineer@example.com"})
    first, second = (smtp.link(m) for m in smtp.to("engineer@example.com"))
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_a_deactivated_person_gets_no_reset_email(client, org, smtp):
    org.engineer.is_active_account = False
    db.session.commit()
    assert client.post_form("/auth/forgot-password", {"email": "engineer@example.com"}).status_code == 302
    assert smtp.messages == []


def test_without_mail_settings_nothing_is_sent_and_the_pages_say_so(client, org):
    assert "Ask an administrator for a one-time password" in client.get("/auth/login").get_data(as_text=True)
    page = client.get("/auth/forgot-password").get_data(as_text=True)
    assert "does not send email" in page
    client.post_form("/auth/forgot-password", {"email": "engineer@example.com"}, token_from="/auth/login")
    assert db.session.scalar(select(func.count(SignInLink.id))) == 0
    make_user("new@example.com", manager=org.manager).password_hash = None
    db.session.commit()
    client.login("admin@example.com")
    assert "Email is not set up" in client.get("/admin/").get_data(as_text=True)
    assert "Email is not set up" in client.get("/admin/people").get_data(as_text=True)
    response = client.post_form("/admin/people/invite", {}, token_from="/admin/people")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(SignInLink.id))) == 0


def test_invitations_are_not_created_when_the_mail_server_is_down(client, org, smtp):
    import_people(3, org.manager)
    smtp.stop()
    client.login("admin@example.com")
    client.post_form("/admin/people/invite", {}, token_from="/admin/people")
    assert "did not take the invitations" in client.get("/admin/people").get_data(as_text=True)
    assert db.session.scalar(select(func.count(SignInLink.id))) == 0
