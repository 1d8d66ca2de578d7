"""Sessions, headers, throttling and the production guard (ladder/security.py, ladder/auth)."""
import socket

import pytest

from ladder import create_app
from ladder.extensions import db
from ladder.models import AuditEntry

from ..conftest import CsrfClient


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


def test_with_single_sign_on_forms_may_lead_to_the_provider_and_nowhere_else(app, client):
    """"Sign in with <provider>" is answered by a redirect to the provider, which browsers hold
    to form-action (tests/e2e/test_journey_engineer_signs_in_with_sso.py signs in through it)."""
    app.config["OIDC_ISSUER"] = "https://id.example.com/realms/acme/.well-known/openid-configuration"
    csp = client.get("/auth/login").headers["Content-Security-Policy"]
    assert "form-action 'self' https://id.example.com;" in csp + ";"
    assert csp.count("https://") == 1


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
    other.post_form("/auth/login",
                    {"email": "engineer@example.com", "password": "correct horse battery", "remember": "y"})
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
                                                   "new_password": "tangerine-orbit-lamp",
                                                   "confirm": "tangerine-orbit-lamp"})
    assert "That is not your current password." in response.get_data(as_text=True)
    response = client.post_form("/auth/password", {"current_password": "correct horse battery",
                                                   "new_password": "tangerine-orbit-lamp",
                                                   "confirm": "tangerine-orbit-lamp"})
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


def test_login_is_throttled_per_address(client, org):
    statuses = [client.login(f"nobody{i}@example.com", "wrong password!").status_code for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    assert "Too many sign-in attempts" in client.login("engineer@example.com").get_data(as_text=True)


def forwarded_for(address: str) -> dict:
    return {"environ_overrides": {"HTTP_X_FORWARDED_FOR": address}}


def test_client_addresses_come_from_the_proxy_only_when_configured(migrated, tmp_path):
    """Behind one trusted proxy, each person has their own throttle bucket; without the
    setting, X-Forwarded-For is ignored (anyone could send it)."""
    for hops, expected in ((0, 429), (1, 401)):
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": migrated, "INSTANCE_PATH": str(tmp_path),
                          "PROXY_FIX_X_FOR": hops, "LOGIN_LIMIT_PER_ADDRESS": "2 per minute"})
        with app.app_context():
            client = CsrfClient(app.test_client())
            token = client.token()

            def attempt(email, address, client=client, token=token):
                return client.post("/auth/login", data={"csrf_token": token, "email": email,
                                                        "password": "wrong password!"},
                                   **forwarded_for(address)).status_code

            assert [attempt("nobody@example.com", f"198.51.100.{i}") for i in range(3)] == [401, 401, expected]
            assert [attempt(f"nobody{i}@example.com", "203.0.113.5") for i in range(3)][-1] == 429
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("case", ["unknown email", "wrong password", "no password yet", "deactivated"])
def test_every_failed_sign_in_costs_one_hash_at_the_configured_cost(client, org, monkeypatch, case):
    """Timing is not asserted; the mechanism is: exactly one scrypt check in every failing path
    (the account's own hash, or a dummy one at the configured cost), so how long sign-in takes
    tells nothing about the account."""
    from flask import current_app

    from ladder.auth import views

    email = "nobody@example.com" if case == "unknown email" else "engineer@example.com"
    if case == "no password yet":
        org.engineer.password_hash = None
    if case == "deactivated":
        org.engineer.is_active_account = False
    db.session.commit()
    expected = org.engineer.password_hash if case == "wrong password" else current_app.config["PASSWORD_HASH_METHOD"]
    checked = []
    real = views.check_password_hash
    monkeypatch.setattr(views, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p))
    password = "wrong password!" if case == "wrong password" else "correct horse battery"
    assert client.login(email, password).status_code == 401
    assert checked == [expected.split("$")[0]]


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


def test_without_a_key_one_is_generated_once_kept_private_and_reused(migrated, tmp_path, monkeypatch):
    """`ladder demo` needs no setup, yet never signs sessions with a key anyone else knows."""
    monkeypatch.delenv("LADDER_ENV", raising=False)
    settings = {"SQLALCHEMY_DATABASE_URI": migrated, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": None}
    first = create_app(settings)
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 64 and first.config["SECRET_KEY"] != "dev-only-not-secret"
    assert create_app(settings).config["SECRET_KEY"] == first.config["SECRET_KEY"]  # a restart keeps sessions
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []  # no leftovers
    assert create_app({**settings, "INSTANCE_PATH": str(tmp_path / "other")}).config["SECRET_KEY"] != \
        first.config["SECRET_KEY"]
    with pytest.raises(RuntimeError, match="published"):
        create_app({**settings, "SECRET_KEY": "dev-only-not-secret"})


@pytest.mark.parametrize(("key", "accepted"), [("k" * 31, False), ("é" * 16, True), ("k" * 32, True)])
def test_production_refuses_keys_shorter_than_32_bytes(migrated, tmp_path, monkeypatch, key, accepted):
    monkeypatch.setenv("LADDER_ENV", "production")
    settings = {"SQLALCHEMY_DATABASE_URI": migrated, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": key}
    if accepted:
        create_app(settings)
    else:
        with pytest.raises(RuntimeError, match="at least 32"):
            create_app(settings)
    assert not (tmp_path / "secret_key").exists()  # production never invents a key


@pytest.mark.parametrize(("argv", "storage", "warned"), [
    (["gunicorn", "--workers", "3", "ladder:create_app()"], "memory://", True),
    (["gunicorn", "-w", "1", "ladder:create_app()"], "memory://", False),
    (["gunicorn", "--workers", "3", "ladder:create_app()"], "redis://127.0.0.1:1", False),
    (["flask", "run"], "memory://", False),
])
def test_a_warning_at_start_when_several_gunicorn_workers_throttle_in_memory(
        migrated, tmp_path, monkeypatch, caplog, argv, storage, warned):
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    with caplog.at_level("WARNING", logger="ladder.security"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": migrated, "INSTANCE_PATH": str(tmp_path),
                    "RATELIMIT_STORAGE_URI": storage})
    messages = [r.getMessage() for r in caplog.records if r.name == "ladder.security"]
    assert bool([m for m in messages if "3 gunicorn workers each keep their own login throttle" in m]) is warned
