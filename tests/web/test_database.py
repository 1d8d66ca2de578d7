"""When the database is down, slow or locked: a 503 with Retry-After on a page that renders
without the database, JSON for scripts, and a /healthz that answers 503 instead of hanging."""
import socket
import sqlite3
import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select, text, update

from ladder import create_app
from ladder.database import (
    DatabaseWatch,
    affected_rows,
    any_of,
    lift_request_limits,
    one_of,
    refresh_statistics,
    table_of,
    writes_on_get,
)
from ladder.extensions import db
from ladder.models import Rating, Review, User

from ..conftest import CsrfClient, IsolatedClient
from ..factories import make_review

JSON = {"Accept": "application/json"}


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once, like a stopped database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def down_app(tmp_path):
    """The app pointed at a PostgreSQL that is not there."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SESSION_PROTECTION": None,
                      "WTF_CSRF_ENABLED": False,  # no page with a token can be fetched from a dead database
                      "SQLALCHEMY_DATABASE_URI": f"postgresql://postgres@127.0.0.1:{closed_port()}/ladder"})
    return app


def signed_in(app, user_id: int = 1):
    """A client carrying a signed-in session cookie (as a browser would after signing in)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": f"{user_id}:1", "_fresh": True})
    return client


def test_a_signed_in_page_answers_503_with_retry_after_on_a_styled_page_when_the_database_is_down(down_app):
    response = signed_in(down_app).get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert "Temporarily unavailable" in page and "cannot reach its database" in page
    assert "app.css" in page  # the site's own page, not a bare server error
    assert "Sign out" not in page  # rendered as nobody: the navigation needs no query


def test_a_form_post_of_a_blueprint_with_its_own_template_helpers_also_gets_the_503_page(down_app):
    """The mentorship pages add helpers that query (the ladder's competencies) to every template."""
    response = signed_in(down_app).post("/people/2/notes/new", data={"body": "A note."})
    assert response.status_code == 503 and "Temporarily unavailable" in response.get_data(as_text=True)


def test_scripts_get_json_503_when_the_database_is_down(down_app):
    response = signed_in(down_app).post("/reviews/1/autosave", data={}, headers=JSON)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json()["error"] == "unavailable" and response.get_json()["saved"] is False


def test_healthz_answers_503_when_the_database_is_down_even_with_a_session_cookie(down_app):
    response = signed_in(down_app).get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded" and response.get_json()["database"].startswith("error")


@pytest.mark.fresh_app  # adds a route
def test_a_bug_in_a_query_still_gets_the_styled_500_page(app, client, org):
    """A refused statement leaves the session needing a rollback; the error page must not fail too."""
    from ladder.models import User

    @app.route("/duplicate")
    def duplicate():
        db.session.add(User(email="engineer@example.com", name="Twin", level_key="senior", track_key="ic"))
        db.session.flush()

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client.login("engineer@example.com")
    response = client.get("/duplicate")
    assert response.status_code == 500 and "Something went wrong" in response.get_data(as_text=True)
    assert "Sign out" in response.get_data(as_text=True)  # the signed-in page, navigation included


@pytest.fixture
def draft(org):
    review = make_review(org.cycle, org.engineer, status="draft")
    db.session.commit()
    return review


@pytest.fixture
def impatient(app, tmp_path):
    """A second app on the suite's database with very short lock and busy timeouts."""
    timeouts = {**app.config["DATABASE_TIMEOUTS"], "lock": 0.3, "busy": 0.3, "statement": 2}
    other = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "impatient"),
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "DATABASE_TIMEOUTS": timeouts})
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.engine.dispose()


@contextmanager
def row_locked(review_id: int):
    """Another session holds the review's row (PostgreSQL) or the write lock (SQLite)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as other:
            other.execute(select(Review.id).where(Review.id == review_id).with_for_update())
            yield
            other.rollback()
    else:
        other = sqlite3.connect(db.engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()


@pytest.mark.commits  # a second app on the database must see the rows
def test_an_autosave_blocked_by_a_locked_row_answers_json_503_and_saves_nothing(impatient, draft):
    client = CsrfClient(impatient.test_client())
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    with row_locked(draft.id):
        response = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                               data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert response.get_json() == {"error": "unavailable", "saved": False,
                                   "message": "Ladder cannot reach its database right now. Try again in a few seconds."}
    assert db.session.scalar(select(Rating.id).where(Rating.review_id == draft.id)) is None
    # and once the lock is gone the same save goes through
    again = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                        data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert again.status_code == 200


@pytest.mark.commits  # a second app on the database must see the rows
def test_a_statement_that_runs_too_long_is_cut_off_with_the_503_page(app, draft, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting; SQLite's busy timeout is tested above")
    timeouts = {**app.config["DATABASE_TIMEOUTS"], "lock": 0, "statement": 0.3}  # only the statement limit
    slow = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "slow"), "DATABASE_TIMEOUTS": timeouts,
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    slow.test_client_class = IsolatedClient
    client = CsrfClient(slow.test_client())
    client.login("engineer@example.com")
    with row_locked(draft.id):
        response = client.post_form("/reviews/self", {"lock_version": 1, "action": "save",
                                                      "evidence-security": "Typed."}, token_from="/reviews/self")
    with slow.app_context():
        db.engine.dispose()
    assert response.status_code == 503 and "Temporarily unavailable" in response.get_data(as_text=True)


@pytest.mark.commits  # a second app on the database must see the rows
def test_healthz_answers_503_while_the_users_table_is_locked(impatient, org):
    """A migration holding `users` stops every signed-in request: the check says so at once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no table locks; a SQLite writer does not block readers")
    with db.engine.connect() as other:
        other.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        response = impatient.test_client().get("/healthz")
        other.rollback()
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert impatient.test_client().get("/healthz").status_code == 200


class FreezingProxy:
    """A loopback TCP proxy to the suite's PostgreSQL that can stop passing anything on, as a
    frozen (SIGSTOPped) server or a network that drops packets would: connections stay open,
    nothing answers."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.frozen = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink) -> None:
        try:
            while data := source.recv(65536):
                if self.frozen.is_set():
                    return  # swallow it: no answer, no error
                sink.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        """Thaw by hanging up: the server ends the sessions and releases their locks."""
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def behind_proxy(app, tmp_path):
    """A second app whose connections go through a FreezingProxy (PostgreSQL only)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the client-side answer deadline is for PostgreSQL; SQLite is a local file")
    url = urlsplit(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = FreezingProxy(url.hostname, url.port or 5432)
    through_proxy = url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl()
    timeouts = {**app.config["DATABASE_TIMEOUTS"], "statement": 0.5, "connect": 1}
    frozen_app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "frozen"), "DATABASE_TIMEOUTS": timeouts,
                             "SQLALCHEMY_DATABASE_URI": through_proxy, "DB_SILENT_BACKOFF": 60})
    frozen_app.test_client_class = IsolatedClient
    yield frozen_app, proxy
    proxy.close()
    with frozen_app.app_context():
        db.engine.dispose()


@pytest.mark.commits  # a second app on the database must see the rows
def test_a_frozen_database_answers_503_instead_of_holding_the_request(behind_proxy, draft):
    frozen_app, proxy = behind_proxy
    client = CsrfClient(frozen_app.test_client())
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    proxy.frozen.set()
    response = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                           data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"


@pytest.mark.commits  # a second app on the database must see the rows
def test_a_database_that_freezes_after_the_last_query_does_not_hold_the_answer(behind_proxy, org):
    """Handing the connection back (its rollback) happens after the view, before the answer is
    sent: it must not wait for a frozen server either."""
    frozen_app, proxy = behind_proxy

    @frozen_app.route("/last-query-then-freeze")
    def last_query_then_freeze():
        db.session.execute(text("SELECT 1"))
        proxy.frozen.set()
        return "answered"

    response = frozen_app.test_client().get("/last-query-then-freeze")
    assert response.status_code == 200 and response.get_data(as_text=True) == "answered"


@contextmanager
def checkouts_counted(app):
    """Count the connections the app takes from its pool (a new one included)."""
    taken = []

    def checkout(*_):
        taken.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", checkout)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", checkout)


def frozen_then_given_up(frozen_app, proxy, draft) -> tuple[CsrfClient, str]:
    """A signed-in client whose autosave just gave up on the frozen database."""
    client = CsrfClient(frozen_app.test_client())
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    proxy.frozen.set()
    response = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                           data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert response.status_code == 503
    return client, token


def thaw(frozen_app, proxy) -> None:
    """Let traffic through again, once the probe still waiting on the frozen proxy has given up
    (its connections through the proxy stay dead)."""
    proxy.frozen.clear()
    with frozen_app.extensions["ladder_database_watch"].running:
        pass


@pytest.mark.commits  # a second app on the database must see the rows
def test_after_a_request_gave_up_on_a_silent_database_the_next_ones_answer_503_without_waiting(behind_proxy, draft):
    frozen_app, proxy = behind_proxy
    client, token = frozen_then_given_up(frozen_app, proxy, draft)
    with checkouts_counted(frozen_app) as taken:
        page = client.get("/reviews/self")
        save = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                           data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert taken == []  # answered without touching the database
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "Temporarily unavailable" in page.get_data(as_text=True)
    assert save.status_code == 503 and save.get_json()["saved"] is False
    assert client.get("/healthz").status_code == 503  # /healthz still asks the database
    assert client.get("/reviews/self").status_code == 503


@pytest.mark.commits  # a second app on the database must see the rows
def test_one_health_probe_that_gets_an_answer_ends_the_503s(behind_proxy, draft):
    frozen_app, proxy = behind_proxy
    client, token = frozen_then_given_up(frozen_app, proxy, draft)
    thaw(frozen_app, proxy)
    assert client.get("/healthz").status_code == 200
    save = client.post(f"/reviews/{draft.id}/autosave", headers=JSON,
                       data={"csrf_token": token, "lock_version": 1, "evidence-security": "Typed."})
    assert save.status_code == 200 and save.get_json()["lock_version"] == 2


@pytest.mark.commits  # a second app on the database must see the rows
def test_when_the_pause_is_over_a_request_probes_first_and_waits_no_longer_than_the_probe(behind_proxy, draft):
    frozen_app, proxy = behind_proxy
    client, _ = frozen_then_given_up(frozen_app, proxy, draft)
    watch = frozen_app.extensions["ladder_database_watch"]
    watch.silent_until = 0.0  # the pause is over, the database still silent
    assert client.get("/reviews/self").status_code == 503
    assert watch.silent_until > 0  # the probe heard nothing: another pause
    thaw(frozen_app, proxy)
    watch.silent_until = 0.0
    assert client.get("/reviews/self").status_code == 200 and watch.silent_until is None


def test_the_switch_answers_503_for_any_database_and_healthz_closes_it(app, org, count_queries):
    watch = app.extensions["ladder_database_watch"]
    client = CsrfClient(app.test_client())
    client.login("engineer@example.com")
    watch.went_silent()
    with count_queries() as counter:
        response = client.get("/reviews/self")
    assert response.status_code == 503 and counter.count == 0
    static = client.get("/static/app.css")
    static.close()
    assert static.status_code == 200  # static files need no database
    assert client.get("/healthz").status_code == 200 and watch.silent_until is None
    assert client.get("/reviews/self").status_code == 200


def test_a_silent_backoff_of_zero_turns_the_switch_off():
    watch = DatabaseWatch(backoff=0)
    watch.went_silent()
    assert watch.silent_until is None


def test_an_operators_bulk_transaction_runs_without_the_request_limits(app):
    """`ladder demo --engineers 50000` adds a foreign key back over six million ratings in one
    statement: under the 3 s a request's statement may take, the build failed."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    assert db.session.scalar(text("SHOW statement_timeout")) != "0"  # the request limit
    lift_request_limits(db.session)
    assert db.session.scalar(text("SHOW statement_timeout")) == "0"
    assert db.session.scalar(text("SHOW idle_in_transaction_session_timeout")) == "0"


def test_statistics_are_refreshed_after_a_bulk_load_on_postgresql_and_left_alone_on_sqlite(app, org):
    """The planner sees the rows a load just wrote (PostgreSQL keeps the statistics of the moment
    until autovacuum comes by); SQLite plans without them and is not asked."""
    people = db.session.scalar(select(func.count()).select_from(User))
    refresh_statistics(db.session, "users", "reviews")
    if db.engine.dialect.name == "postgresql":
        estimate = db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'users'"))
        assert estimate == people
    else:
        assert db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")) == 0


def test_affected_rows_counts_what_an_update_matched_and_refuses_a_result_without_a_count(app, org):
    """Session.execute is typed to return a Result; only an UPDATE's or DELETE's counts rows."""
    changed = db.session.execute(update(User).where(User.id == org.manager.id).values(title="Team lead"))
    assert affected_rows(changed) == 1
    with pytest.raises(TypeError):
        affected_rows(db.session.execute(select(User)))


def test_table_of_is_the_table_a_model_is_mapped_to(app):
    assert table_of(User) is User.__table__


def test_one_of_keeps_the_rows_whose_id_is_listed_however_many_ids_are_bound(app, org):
    """Bound as one value: more ids than SQLite allows bind parameters (32,766) still work."""
    people = sorted(db.session.scalars(select(User.id)))
    chosen = people[::2]
    bind = db.session.get_bind()

    def kept(ids):
        return list(db.session.scalars(select(User.id).where(one_of(User.id, ids, bind)).order_by(User.id)))

    assert kept(chosen) == chosen
    assert kept([]) == []
    assert kept([*chosen, *range(10**6, 10**6 + 40_000)]) == chosen


def test_one_of_unpacks_the_ids_once_rather_than_for_every_row_it_tests(app, org):
    """PostgreSQL does not fold a cast of a parameter to an array: compared with `= ANY(CAST(...))`
    it parsed 2,010 ids again for each of 519 rows (35 ms); unnested, it parses them once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("json_each is read once by SQLite's planner; the cast is PostgreSQL's")
    statement = select(User.id).where(one_of(User.id, range(1, 3000), db.session.get_bind()))
    compiled = statement.compile(db.engine)
    [(plan,)] = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).all()

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    found = list(nodes(plan[0]["Plan"]))
    assert any(node["Node Type"] == "ProjectSet" for node in found)  # unnest, run once
    assert not any("ANY" in node.get("Filter", "") for node in found)


def test_any_of_keeps_the_rows_whose_value_is_listed_and_binds_the_list_as_one_value(app, org):
    """A director's report filters by the ~300 managers of their tree: one array parameter on
    PostgreSQL (planned once, not a value at a time), an IN list on SQLite."""
    people = sorted(db.session.scalars(select(User.id)))
    chosen = people[1::2]
    bind = db.session.get_bind()

    def kept(ids):
        return list(db.session.scalars(select(User.id).where(any_of(User.id, ids, bind)).order_by(User.id)))

    assert kept(chosen) == chosen
    assert kept([]) == []
    assert kept([None, *chosen]) == chosen  # nobody's value is NULL
    assert kept([*chosen, 40_000, 3_000_000]) == chosen  # past smallint's and int's smallest widths
    if db.engine.dialect.name == "postgresql":
        compiled = select(User.id).where(any_of(User.id, range(300), bind)).compile(db.engine)
        assert "= ANY (" in str(compiled) and len(compiled.params) == 1


@pytest.mark.commits  # a second app on the database, on connections of its own
def test_on_postgresql_pages_read_in_autocommit_and_forms_write_in_a_transaction(app, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's transactions and prepared statements; SQLite keeps its transactions")
    other = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "other"), "WTF_CSRF_ENABLED": False,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    def connection_state():
        return {"autocommit": db.session.connection().connection.dbapi_connection.autocommit,
                "prepared": db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))}

    @writes_on_get
    def signing_in():
        return connection_state()

    other.add_url_rule("/state", "state", connection_state, methods=["GET", "POST"])
    other.add_url_rule("/signing-in", "signing_in", signing_in)
    client = other.test_client()
    try:
        assert client.get("/state").get_json()["autocommit"] is True
        assert client.post("/state").get_json()["autocommit"] is False  # the pooled connection was reset
        assert client.get("/signing-in").get_json()["autocommit"] is False
        # no ROLLBACK ends a page, so psycopg keeps what it prepared after five runs of a statement
        assert [client.get("/state").get_json()["prepared"] for _ in range(6)][-1] >= 1
    finally:
        with other.app_context():
            db.engine.dispose()
