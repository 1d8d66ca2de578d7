"""Sessions, headers, throttling and the production guard (ladder/security.py, ladder/auth)."""
import socket
import time

import pytest

from ladder import create_app
from ladder.extensions import db
from ladder.models import AuditEntry

from .conftest import CsrfClient


def test_security_headers_on_every_page(client, org):
    for path in ("/auth/login", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                          "script-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # only in production (HTTPS)
    client.login("engineer@example.com")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_production_config_refuses_a_default_secret_and_hardens_cookies(monkeypatch, migrated):
    monkeypatch.setenv("LADDER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": migrated})
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    import importlib

    import config
    importlib.reload(config)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": migrated})
        assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
        assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 24 * 3600
        response = app.test_client().get("/healthz")
        assert "max-age=" in response.headers["Strict-Transport-Security"]
        with app.app_context():
            db.engine.dispose()
    finally:
        monkeypatch.delenv("LADDER_ENV")
        importlib.reload(config)


def test_session_cookie_flags(client, org):
    response = client.post_form("/auth/login", {"email": "engineer@example.com", "password": "correct horse battery",
                                                "remember": "y"})
    cookies = {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]


def second_client(app):
    return CsrfClient(app.test_client())


def test_logout_everywhere_ends_other_sessions_and_remember_me(app, client, org):
    other = second_client(app)
    other.post_form("/auth/login", {"email": "engineer@example.com", "password": "correct horse battery", "remember": "y"})
    assert other.get("/").status_code == 200
    client.login("engineer@example.com")
    client.post_form("/auth/logout-everywhere", {}, token_from="/auth/password")
    assert client.get("/").status_code == 302
    other.client.delete_cookie("session")  # even the remember-me cookie alone no longer works
    assert other.get("/").status_code == 302
    assert db.session.query(AuditEntry).filter_by(action="account.logout_everywhere").count() == 1


def test_password_change_applies_the_policy_and_ends_other_sessions(app, client, org):
    other = second_client(app)
    other.login("engineer@example.com")
    client.login("engineer@example.com")
    response = client.post_form("/auth/password", {"current_password": "correct horse battery",
                                                   "new_password": "password12345", "confirm": "password12345"})
    assert response.status_code == 422 and "too common" in response.get_data(as_text=True)
    response = client.post_form("/auth/password", {"current_password": "wrong one here",
                                                   "new_password": "tangerine-orbit-lamp", "confirm": "tangerine-orbit-lamp"})
    assert "That is not your current password." in response.get_data(as_text=True)
    response = client.post_form("/auth/password", {"current_password": "correct horse battery",
                                                   "new_password": "tangerine-orbit-lamp", "confirm": "tangerine-orbit-lamp"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session continues
    assert other.get("/").status_code == 302  # the other one ended
    db.session.refresh(org.engineer)
    assert org.engineer.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    client.logout()
    assert client.login("engineer@example.com", "tangerine-orbit-lamp").status_code == 302


def test_deactivation_ends_existing_sessions(client, org):
    client.login("engineer@example.com")
    org.engineer.is_active_account = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_idle_and_absolute_session_limits(app, client, org):
    client.login("engineer@example.com")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 5
    response = client.get("/ladder/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "inactivity" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.login("engineer@example.com")
    with client.session_transaction() as session:
        session["started"] = int(time.time()) - int(app.permanent_session_lifetime.total_seconds()) - 5
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_account_with_a_clear_message(client, org):
    for _ in range(5):
        assert client.login("engineer@example.com", "wrong password!").status_code == 401
    response = client.login("engineer@example.com", "correct horse battery")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.get_data(as_text=True)
    assert client.login("peer@example.com").status_code == 302  # other accounts are not locked out


def test_login_is_throttled_per_address(client, org):
    emails = ["engineer@example.com", "peer@example.com", "outsider@example.com"] * 4
    statuses = [client.login(email, "wrong password!").status_code for email in emails[:11]]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_unknown_email_costs_the_same_hash_work_as_a_wrong_password(client, org, monkeypatch):
    """Timing is not asserted; the mechanism is: one scrypt check at the production cost either way."""
    from flask import current_app

    from ladder.auth import views

    checked = []
    real = views.check_password_hash
    monkeypatch.setattr(views, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p))
    client.login("nobody@example.com", "wrong password!")
    assert checked == [current_app.config["PASSWORD_HASH_METHOD"]]


def test_production_password_cost_is_owasps():
    from config import Config
    from ladder.models.people import PASSWORD_METHOD

    assert Config.PASSWORD_HASH_METHOD == PASSWORD_METHOD == "scrypt:131072:8:1"


def redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_running(), reason="no Redis server on 127.0.0.1:6379")
def test_throttling_shared_through_redis_across_workers(migrated, tmp_path):
    """Two app instances (two workers) share one limit when the storage is Redis."""
    key = "redis://127.0.0.1:6379/15"
    import redis
    redis.Redis.from_url(key).flushdb()
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": migrated, "RATELIMIT_STORAGE_URI": key,
              "LOGIN_LIMIT_PER_ADDRESS": "3 per minute", "INSTANCE_PATH": str(tmp_path)}
    workers = [create_app(config), create_app(config)]
    statuses = []
    for i in range(4):
        app = workers[i % 2]
        with app.app_context():
            client = CsrfClient(app.test_client())
            statuses.append(client.login("nobody@example.com", "wrong password!").status_code)
            db.session.remove()
            db.engine.dispose()
    assert statuses == [401, 401, 401, 429]
    redis.Redis.from_url(key).flushdb()


def test_oversized_request_is_a_clear_413(client, org):
    client.login("engineer@example.com")
    token = client.token("/")
    response = client.post("/reviews/self", data={"csrf_token": token, "evidence-security": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "larger than Ladder accepts" in response.get_data(as_text=True)


def test_nul_characters_are_refused_with_a_clear_400(client, org):
    client.login("director@example.com")
    response = client.get("/reports/readiness", query_string={"track": "\x00"})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    token = client.token("/")
    response = client.post("/reviews/self", data={"csrf_token": token, "evidence-security": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/admin/ladders/a%00b/1", "/admin/ladders/engineering/1.yaml%00",
                                  "/ladder/%00"])
def test_nul_in_a_path_segment_is_a_clear_400(client, org, path):
    """PostgreSQL cannot compare a NUL: a path segment carrying one used to be a 500 there."""
    client.login("admin@example.com")
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
