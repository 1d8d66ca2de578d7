"""Login throttling (ladder/throttle.py): a per account+address back-off that slows an attacker
without locking the owner out, the same on the password change form, and Redis optional."""
import logging
import socket
import subprocess
import time

import pytest

from ladder import create_app
from ladder.extensions import db
from ladder.throttle import backoff_seconds

from ..conftest import CsrfClient, IsolatedClient

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"
PASSWORD = "correct horse battery"


def from_address(app, address: str) -> CsrfClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return CsrfClient(client)


def test_backoff_doubles_after_the_free_attempts_up_to_a_ceiling():
    assert [backoff_seconds(n, free=3, cap=900) for n in range(1, 13)] == [
        0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900, 900]
    assert backoff_seconds(10**6, free=3, cap=900) == 900


def test_an_attacker_is_slowed_and_the_owner_still_signs_in_from_elsewhere(app, org):
    attacker = from_address(app, ATTACKER)
    assert [attacker.login("engineer@example.com", "wrong password!").status_code for _ in range(3)] == [401] * 3
    response = attacker.login("engineer@example.com", PASSWORD)  # even the right password waits now
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Wait 5 seconds" in response.get_data(as_text=True)
    assert from_address(app, OWNER).login("engineer@example.com").status_code == 302
    assert attacker.login("peer@example.com").status_code == 302  # other accounts are not slowed


def test_a_successful_sign_in_clears_the_backoff(app, org):
    client = from_address(app, OWNER)
    for _ in range(2):
        client.login("engineer@example.com", "wrong password!")
    assert client.login("engineer@example.com").status_code == 302
    client.logout()
    assert [client.login("engineer@example.com", "wrong password!").status_code for _ in range(3)] == [401] * 3


def test_guessing_the_current_password_is_throttled_too(app, org):
    client = from_address(app, ATTACKER)
    client.login("engineer@example.com")
    data = {"current_password": "wrong password!", "new_password": "tangerine-orbit-lamp",
            "confirm": "tangerine-orbit-lamp"}
    statuses = [client.post_form("/auth/password", data).status_code for _ in range(3)]
    assert statuses == [422] * 3
    response = client.post_form("/auth/password", {**data, "current_password": PASSWORD})
    assert response.status_code == 429 and "Wait" in response.get_data(as_text=True)
    db.session.refresh(org.engineer)
    assert org.engineer.check_password(PASSWORD)  # unchanged


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_port():
    try:
        subprocess.run(["redis-server", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("redis-server is not installed")
    return free_port()


def test_sign_in_keeps_working_while_redis_is_down_and_sharing_resumes_after(migrated, tmp_path, redis_port, caplog):
    import redis

    server = start_redis(redis_port)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": migrated, "INSTANCE_PATH": str(tmp_path),
                      "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}"})
    app.test_client_class = IsolatedClient
    store = redis.Redis(port=redis_port)
    try:
        with app.app_context():
            from ..factories import make_user
            make_user("lee@example.com", "senior", "ic")
            db.session.commit()
            client = CsrfClient(app.test_client())
            assert client.login("lee@example.com", "wrong password!").status_code == 401
            assert store.keys(), "the throttle counts in Redis while it is up"
            stop(server)
            with caplog.at_level(logging.WARNING):
                assert client.login("lee@example.com", "wrong password!").status_code == 401
                assert client.login("lee@example.com").status_code == 302
            assert any("unreachable" in record.getMessage() for record in caplog.records
                       if record.levelno == logging.WARNING)
            client.logout()
            server = start_redis(redis_port)
            for _ in range(60):  # Flask-Limiter retries the store after 1, 2, 4... seconds
                client.login("nobody@example.com", "wrong password!")
                if store.keys():
                    break
                time.sleep(0.5)
            assert store.keys(), "the throttle uses Redis again once it answers"
            with db.engine.begin() as connection:
                connection.execute(db.text("DELETE FROM user_sessions"))
                connection.execute(db.text("DELETE FROM users"))
            db.engine.dispose()
    finally:
        stop(server)
