"""Server-side session records (ladder/services/sessions.py): sign-out really ends a session,
remember-me tokens are per device, hashed and expiring, and devices are listed and revocable."""
import hashlib
import re
from datetime import timedelta

import pytest

from ladder import clock
from ladder.extensions import db
from ladder.models import UserSession

from ..conftest import CsrfClient

PASSWORD = "correct horse battery"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def browser(app, user_agent: str = FIREFOX) -> CsrfClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return CsrfClient(client)


def sign_in(client: CsrfClient, email: str = "engineer@example.com", *, remember: bool = False):
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    response = client.post_form("/auth/login", data)
    assert response.status_code == 302
    return response


def cookie(client: CsrfClient, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def only_cookie(app, name: str, value: str) -> CsrfClient:
    """A fresh browser holding nothing but one copied cookie."""
    thief = browser(app)
    thief.set_cookie(name, value)
    return thief


def test_an_old_session_cookie_is_refused_after_sign_out(app, org):
    client = browser(app)
    sign_in(client)
    copied = cookie(client, "session")
    assert only_cookie(app, "session", copied).get("/").status_code == 200
    client.logout()
    assert only_cookie(app, "session", copied).get("/").status_code == 302


def test_a_remember_me_cookie_alone_is_refused_after_sign_out(app, org):
    client = browser(app)
    sign_in(client, remember=True)
    copied = cookie(client, "remember_token")
    assert only_cookie(app, "remember_token", copied).get("/").status_code == 200  # it works until then
    client.logout()
    assert only_cookie(app, "remember_token", copied).get("/").status_code == 302


def test_reactivating_an_account_does_not_revive_its_old_sessions(app, client, org):
    engineer = browser(app)
    sign_in(engineer, "outsider@example.com", remember=True)
    session_cookie, remember_cookie = cookie(engineer, "session"), cookie(engineer, "remember_token")
    client.login("admin@example.com")
    for active in ("0", "1"):
        client.post_form(f"/admin/people/{org.outsider.id}/active", {"active": active},
                         token_from=f"/admin/people/{org.outsider.id}")
    db.session.refresh(org.outsider)
    assert org.outsider.is_active_account
    assert engineer.get("/").status_code == 302
    assert only_cookie(app, "session", session_cookie).get("/").status_code == 302
    assert only_cookie(app, "remember_token", remember_cookie).get("/").status_code == 302
    sign_in(browser(app), "outsider@example.com")  # the person can sign in again, afresh


def test_remember_me_tokens_are_random_per_sign_in_stored_hashed_and_expire(app, org):
    first, second = browser(app), browser(app)
    sign_in(first, remember=True)
    sign_in(second, remember=True)
    tokens = [cookie(client, "remember_token").split("|")[0] for client in (first, second)]
    assert tokens[0] != tokens[1] and str(org.engineer.id) not in tokens
    stored = set(db.session.scalars(db.select(UserSession.token_hash)))
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in tokens}  # never the token itself
    remember_days = app.config["REMEMBER_COOKIE_DURATION"].days
    assert remember_days == 30
    copied = cookie(first, "remember_token")
    with clock.shifted_by(timedelta(days=remember_days - 1)):  # kept signed in, however idle
        assert only_cookie(app, "remember_token", copied).get("/").status_code == 200
    with clock.shifted_by(timedelta(days=remember_days, minutes=1)):
        assert only_cookie(app, "remember_token", copied).get("/").status_code == 302


def test_a_session_without_remember_me_sets_no_remember_cookie(app, org):
    client = browser(app)
    sign_in(client)
    assert client.get_cookie("remember_token") is None


def test_session_and_csrf_token_are_rotated_at_sign_in(app, org):
    client = browser(app)
    before = client.token("/auth/login")
    cookie_before = cookie(client, "session")
    sign_in(client)
    after = client.token("/auth/password")
    assert before != after and cookie(client, "session") != cookie_before
    # A form token captured before sign-in (a login CSRF or session fixation) no longer works.
    assert client.post("/auth/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/").status_code == 200


def test_the_account_page_lists_devices_and_signs_out_one(app, org):
    laptop, phone = browser(app, FIREFOX), browser(app, IPHONE)
    sign_in(laptop)
    sign_in(phone, remember=True)
    page = laptop.get("/auth/password").get_data(as_text=True)
    assert "Signed in on 2 devices." in page
    assert "Firefox on Linux <strong>(this device)</strong>" in page
    assert "Safari on iPhone" in page and "kept signed in until" in page
    phone_session = db.session.scalar(db.select(UserSession).where(UserSession.device == "Safari on iPhone"))
    response = laptop.post_form(f"/auth/sessions/{phone_session.id}/end", {}, token_from="/auth/password")
    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert "Signed in on 1 device." in laptop.get("/auth/password").get_data(as_text=True)


def test_nobody_signs_out_someone_elses_device(app, org):
    engineer, peer = browser(app), browser(app)
    sign_in(engineer)
    sign_in(peer, "peer@example.com")
    peer_session = db.session.scalar(db.select(UserSession).where(UserSession.user_id == org.peer.id))
    response = engineer.post_form(f"/auth/sessions/{peer_session.id}/end", {}, token_from="/auth/password")
    assert response.status_code == 404
    assert peer.get("/").status_code == 200


def test_signing_out_this_device_from_the_list_signs_out(app, org):
    client = browser(app)
    sign_in(client)
    this = re.search(r'action="/auth/sessions/(\d+)/end"', client.get("/auth/password").get_data(as_text=True))
    response = client.post_form(f"/auth/sessions/{this.group(1)}/end", {}, token_from="/auth/password")
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/").status_code == 302


def test_one_time_password_ends_the_persons_sessions(app, client, org):
    engineer = browser(app)
    sign_in(engineer, "outsider@example.com", remember=True)
    client.login("admin@example.com")
    client.post_form(f"/admin/people/{org.outsider.id}/password", {}, token_from=f"/admin/people/{org.outsider.id}")
    assert engineer.get("/").status_code == 302


@pytest.mark.parametrize("remember", [False, True])
def test_one_indexed_lookup_per_request_and_last_seen_written_at_most_once_a_minute(app, org, count_queries,
                                                                                   remember):
    client = browser(app)
    sign_in(client, remember=remember)
    with count_queries() as counter:
        assert client.get("/ladder/").status_code == 200
    touching = [s for s in counter.statements if "user_sessions" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("SELECT")
    assert "token_hash" in touching[0]
    with clock.shifted_by(timedelta(seconds=90)), count_queries() as counter:
        assert client.get("/ladder/").status_code == 200
        assert client.get("/ladder/").status_code == 200
    updates = [s for s in counter.statements if s.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
    assert len(updates) == 1  # the second request, within the minute, writes nothing


def test_idle_and_absolute_lifetimes_still_apply(app, org):
    client = browser(app)
    sign_in(client)
    idle = app.config["SESSION_IDLE_MINUTES"]
    with clock.shifted_by(timedelta(minutes=idle - 1)):
        assert client.get("/ladder/").status_code == 200  # activity keeps it alive
    with clock.shifted_by(timedelta(minutes=2 * idle - 3)):
        assert client.get("/ladder/").status_code == 200
    with clock.shifted_by(timedelta(minutes=3 * idle)):
        response = client.get("/ladder/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
        assert "inactivity" in client.get(response.headers["Location"]).get_data(as_text=True)
    sign_in(client)
    app.config["SESSION_IDLE_MINUTES"] = 100 * 60  # never idle: the absolute lifetime ends it
    hours = app.permanent_session_lifetime.total_seconds() / 3600
    with clock.shifted_by(timedelta(hours=hours - 1)):
        assert client.get("/ladder/").status_code == 200
    with clock.shifted_by(timedelta(hours=hours, minutes=1)):
        assert client.get("/ladder/").status_code == 302
