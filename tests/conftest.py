"""Fixtures: an app on a migrated database (SQLite by default, PostgreSQL via
TEST_DATABASE_URL), cleaned after every test; a CSRF-enforcing client; role fixtures."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from ladder import clock, create_app
from ladder.extensions import db
from ladder.services.ladders import load_default_ladder, load_version

from .builders import make_cycle, make_user


def pytest_configure(config):
    """LADDER_TEST_SHIFT_DAYS runs the app's clock that many days away from today (CI runs the
    date-sensitive tests a year ahead). Set before collection, so module-level dates see it."""
    clock.shift_by(timedelta(days=int(os.environ.get("LADDER_TEST_SHIFT_DAYS", "0"))))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def migrated(database_url, tmp_path_factory):
    """Upgrade the test database to head once per session, from nothing."""
    from ladder.cli import reset_database, upgrade_database

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        reset_database()
        upgrade_database()
        db.engine.dispose()
    return database_url


def _empty_all_tables(app) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                connection.execute(table.delete())
            connection.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def app(migrated, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": migrated,
        "INSTANCE_PATH": str(tmp_path),
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables(app)
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own `g` and database session), as in a
    real server; otherwise requests would share the test's context and leak state."""

    def open(self, *args, **kwargs):
        db.session.commit()  # end the test's transaction: no lock held while the request writes
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test then reads what the request wrote
        return response


class CsrfClient:
    """A test client that keeps CSRF on: it reads the token from a page like a browser would."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def token(self, path: str = "/auth/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post_form(self, path: str, data: dict, *, token_from: str | None = None, **kwargs):
        data = {"csrf_token": self.token(token_from or path), **data}
        return self.client.post(path, data=data, **kwargs)

    def login(self, email: str, password: str = "correct horse battery"):
        return self.post_form("/auth/login", {"email": email, "password": password})

    def logout(self):
        return self.post_form("/auth/logout", {}, token_from="/")


@pytest.fixture
def client(app):
    return CsrfClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ladder(app):
    """The default ladder, published, as a LoadedVersion."""
    version, _ = load_default_ladder()
    db.session.commit()
    return load_version(version.id)


@pytest.fixture
def org(app, ladder):
    """The cast: an engineer, a peer, their manager and skip-level manager,
    another team's manager and engineer, a mentor and an admin."""
    director = make_user("director@example.com", "sem", "management")
    manager = make_user("manager@example.com", "em", "management", manager=director)
    other_manager = make_user("other.manager@example.com", "em", "management", manager=director)
    engineer = make_user("engineer@example.com", "senior", "ic", manager=manager)
    peer = make_user("peer@example.com", "engineer", "ic", manager=manager)
    outsider = make_user("outsider@example.com", "senior", "ic", manager=other_manager)
    mentor = make_user("mentor@example.com", "staff", "ic", manager=other_manager)
    admin = make_user("admin@example.com", "senior", "ic", admin=True)
    cycle = make_cycle(ladder.version_id)
    db.session.commit()
    return SimpleNamespace(director=director, skip_manager=director, manager=manager,
                           other_manager=other_manager, engineer=engineer, peer=peer,
                           outsider=outsider, mentor=mentor, admin=admin, cycle=cycle)


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = SimpleNamespace(count=0, statements=[])

        def before(conn, cursor, statement, *args):
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
