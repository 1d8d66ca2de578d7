"""Fixtures: an app on a migrated database (SQLite by default, PostgreSQL via
TEST_DATABASE_URL), shared by the tests and each test rolled back (see `app`); a CSRF-enforcing
client; role fixtures."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import Table, create_engine, event, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from ladder import clock, create_app
from ladder.extensions import db, limiter
from ladder.models import LadderVersion
from ladder.services import readiness, version_cache
from ladder.services.ladders import load_default_ladder, load_version

from .factories import make_cycle, make_user


def pytest_configure(config):
    """LADDER_TEST_SHIFT_DAYS runs the app's clock that many days away from today (CI runs the
    date-sensitive tests a year ahead). Set before collection, so module-level dates see it."""
    clock.shift_by(timedelta(days=int(os.environ.get("LADDER_TEST_SHIFT_DAYS", "0"))))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """The suite's database: TEST_DATABASE_URL's PostgreSQL database, or a SQLite file. Under
    `pytest -n N` each worker has its own: the SQLite file is per process, and on PostgreSQL
    worker gw0 uses `<name>_gw0` on the same server (created when missing)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url if worker_id == "master" else _worker_database(url, worker_id)
    return "sqlite:///" + str(_memory_backed_folder(tmp_path_factory) / "test.sqlite")


def _worker_database(url: str, worker_id: str) -> str:
    base, _, name = url.rpartition("/")
    worker_name = f"{name}_{worker_id}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": worker_name}).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{worker_name}"'))
    finally:
        admin.dispose()
    return f"{base}/{worker_name}"


def _memory_backed_folder(tmp_path_factory) -> Path:
    """A folder for the SQLite file in memory (tmpfs) where the system has one: emptying tables
    and migrating then never waits on the disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="ladder-tests-", dir=shm))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return folder
    return tmp_path_factory.mktemp("db")


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


def _test_app(database_url: str, instance_path, settings: dict | None = None) -> Flask:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "INSTANCE_PATH": str(instance_path), **(settings or {})})
    app.test_client_class = IsolatedClient
    return app


@dataclass
class SharedApp:
    """The app most tests share, with what it looked like when new: each test gets it back so."""

    app: Flask
    config: dict
    extensions: dict
    throttle: tuple


@pytest.fixture(scope="session")
def shared_app(migrated, tmp_path_factory):
    """One app for every test on the default settings: building one costs more than most tests."""
    app = _test_app(migrated, tmp_path_factory.mktemp("instance"))
    yield SharedApp(app, dict(app.config), dict(app.extensions), _throttle_state())
    with app.app_context():
        db.engine.dispose()  # close the pooled connections before the interpreter does


def _throttle_state() -> tuple:
    """The login throttle is one object that each new app points at its own storage."""
    return limiter._storage, limiter._limiter, limiter.enabled


def _restore(shared: SharedApp) -> None:
    """Undo what a test changed on the shared app: settings, extensions registered later (single
    sign-on, mail), the cache of published ladders, and the throttle's counts and storage."""
    shared.app.config.clear()
    shared.app.config.update(shared.config)
    shared.app.extensions.clear()
    shared.app.extensions.update(shared.extensions)
    for kept in (version_cache.EXTENSION, readiness.RATINGS_EXTENSION):
        shared.app.extensions[kept].clear()  # the rolled-back ids are given out again
    limiter._storage, limiter._limiter, limiter.enabled = shared.throttle
    limiter._storage.reset()


class _JoinedSession(FlaskSQLAlchemySession):
    """Runs every statement on the session's own connection (Flask-SQLAlchemy would pick the engine)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@contextmanager
def _rolled_back():
    """Everything the test does in the database happens inside one transaction, rolled back at
    the end (SQLAlchemy's "joining a session into an external transaction"): the test's session
    and each request's session work in savepoints of one connection, so a commit is seen by the
    next request but by no other connection, and the next test starts from empty tables again."""
    connection = db.engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # sqlite3 would not put SAVEPOINT inside a transaction: SQLAlchemy says BEGIN itself
        connection.connection.driver_connection.isolation_level = None
        # foreign keys on, as every new connection has them (drafts rely on ON DELETE CASCADE):
        # after tests/web/test_security.py's apps a pooled connection came back with them off
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    else:
        _restart_sequences(connection)
    usual = db.session
    db.session = scoped_session(
        sessionmaker(class_=_JoinedSession, **{**usual.session_factory.kw, "bind": connection,
                                               "join_transaction_mode": "create_savepoint"}),
        scopefunc=usual.registry.scopefunc)
    try:
        yield
    finally:
        db.session.remove()
        db.session = usual
        outer.rollback()
        if sqlite:
            connection.connection.driver_connection.isolation_level = ""
        connection.close()
        _check_tables_are_empty()


def _restart_sequences(connection) -> None:
    """Ids start at 1 in every test, as they did when tables were truncated (PostgreSQL keeps
    sequence values through a rollback)."""
    names = connection.execute(text("SELECT schemaname || '.' || sequencename FROM pg_sequences "
                                    "WHERE schemaname = current_schema()")).scalars().all()
    if names:
        connection.execute(text("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in names)))


def _check_tables_are_empty() -> None:
    """A test that commits through another connection (another app, a thread, a process) leaves
    rows behind for every later test: empty the tables and say which test must be marked."""
    tables = db.metadata.sorted_tables
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT " + " + ".join(
            f'(SELECT count(*) FROM "{table.name}")' for table in tables))).scalar()
    if rows:
        _empty_all_tables(None)
        pytest.fail(f"{rows} rows were committed outside the test's transaction: mark the test "
                    "@pytest.mark.commits", pytrace=False)


@pytest.fixture
def app(request, migrated, tmp_path):
    """The app, in an app context, on empty tables.

    By default every test shares one app and its database work is rolled back at the end.
    `@pytest.mark.fresh_app(**settings)` builds an app of its own (settings applied at creation,
    routes added by the test); `@pytest.mark.commits` also lets its commits reach the database,
    for work other connections must see (threads, processes, a second app, migrations, backups),
    and empties every table after it."""
    fresh = request.node.get_closest_marker("fresh_app")
    if request.node.get_closest_marker("commits"):
        app = _test_app(migrated, tmp_path, fresh.kwargs if fresh else None)
        with app.app_context():
            yield app
            db.session.remove()
            _empty_all_tables(app)
            db.engine.dispose()
    elif fresh:
        app = _test_app(migrated, tmp_path, fresh.kwargs)
        with app.app_context(), _rolled_back():
            yield app
        with app.app_context():
            db.engine.dispose()
    else:
        shared = request.getfixturevalue("shared_app")
        _restore(shared)
        try:
            with shared.app.app_context(), _rolled_back():
                yield shared.app
        finally:
            _restore(shared)


@pytest.fixture(autouse=True)
def _tables_emptied_after_tests_without_the_app(request):
    """A test that builds its own app on the suite's database commits for real: empty the tables
    after it, so the next test starts from nothing."""
    if "migrated" not in request.fixturenames or "app" in request.fixturenames:
        yield
        return
    shared = request.getfixturevalue("shared_app")
    yield
    with shared.app.app_context():
        _empty_all_tables(None)


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


@pytest.fixture(scope="session")
def default_ladder_rows(shared_app) -> list[tuple[Table, list[dict]]]:
    """Every row `load_default_ladder()` writes into empty tables, read once per session: most
    tests start from the default ladder, and importing it (about 300 rows, flushed area by area)
    cost more than most of those tests."""
    with shared_app.app.app_context(), _rolled_back():
        load_default_ladder()
        db.session.flush()
        written = [(table, [dict(row) for row in db.session.execute(select(table)).mappings()])
                   for table in db.metadata.sorted_tables]
    return [(table, rows) for table, rows in written if rows]


@pytest.fixture
def ladder(app, default_ladder_rows):
    """The default ladder, published, as a LoadedVersion: the rows its import writes (see
    `default_ladder_rows`), inserted as they are, ids included."""
    for table, rows in default_ladder_rows:
        db.session.execute(table.insert(), rows)
    if db.session.get_bind().dialect.name == "postgresql":  # the next id follows the inserted ones
        db.session.execute(text("SELECT " + ", ".join(
            f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), (SELECT max(id) FROM \"{table.name}\"))"
            for table, _ in default_ladder_rows if "id" in table.c)))
    db.session.commit()
    version_id = db.session.scalar(select(LadderVersion.id))
    return load_version(version_id)


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


# The savepoints each session opens inside the test's transaction (see `_rolled_back`): the app
# runs none of these in production, so they are not counted.
TEST_TRANSACTION_STATEMENTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


@dataclass
class StatementCounter:
    """The statements a block ran (see `count_queries`)."""

    count: int = 0
    statements: list[str] = field(default_factory=list)

    def reading(self, table: str) -> int:
        """How many statements select from the table (as their first FROM, not in a subquery)."""
        return sum(found is not None and found.group(1) == table
                   for found in (re.match(r"SELECT .*?\sFROM (\w+)", s, re.S) for s in self.statements))


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = StatementCounter()

        def before(conn, cursor, statement, *args):
            if statement.startswith(TEST_TRANSACTION_STATEMENTS):
                return
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
