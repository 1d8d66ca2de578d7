"""Signing in and out, the open-redirect guard, CSRF."""
import pytest

from ladder.auth.views import safe_next
from ladder.extensions import db


def test_login_and_logout(client, org):
    response = client.login("engineer@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert "Hello, Engineer" in home.get_data(as_text=True)
    assert client.logout().status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_email_is_case_insensitive(client, org):
    assert client.login("Engineer@Example.com").status_code == 302


@pytest.mark.parametrize("email,password", [
    ("engineer@example.com", "wrong password!"),
    ("nobody@example.com", "correct horse battery"),
])
def test_wrong_credentials_give_one_generic_message_and_keep_the_email(client, org, email, password):
    response = client.login(email, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Email or password is incorrect." in page
    assert f'value="{email}"' in page


def test_deactivated_people_cannot_sign_in(client, org):
    org.engineer.is_active_account = False
    db.session.commit()
    assert "Email or password is incorrect." in client.login("engineer@example.com").get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, org):
    response = client.post("/auth/login", data={"email": "engineer@example.com", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_next_redirect_stays_on_this_site(client, org):
    token = client.token()
    data = {"csrf_token": token, "email": "engineer@example.com", "password": "correct horse battery"}
    response = client.post("/auth/login?next=/ladder/", data=data)
    assert response.headers["Location"] == "/ladder/"
    client.logout()
    data["csrf_token"] = client.token()
    response = client.post("/auth/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "", None, "ladder"])
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target) is None


def test_safe_next_keeps_local_paths():
    assert safe_next("/reviews/self?x=1") == "/reviews/self?x=1"


def test_pages_need_login(client, org):
    response = client.get("/reviews/self")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_logout_needs_post_with_csrf(client, org):
    client.login("engineer@example.com")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400


def test_passwords_are_hashed_with_scrypt(org):
    assert org.engineer.password_hash.startswith("scrypt:")
