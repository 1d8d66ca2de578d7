"""When the database misbehaves: which errors mean "unavailable", the 503 answer that renders
without the database, the health probe that never waits longer than its deadline, the
deadline after which a request stops waiting for a PostgreSQL that does not answer at all, and
the switch that then answers 503 at once instead of letting every request wait that long."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, jsonify, request
from flask_sqlalchemy.session import Session
from sqlalchemy import ARRAY, ColumnElement, Integer, String, Table, any_, bindparam, cast, event, func, select, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, scoped_session
from sqlalchemy.orm import Session as OrmSession

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
PROBE_DEADLINE_SECONDS = 1.5  # /healthz answers within 2 s, whatever the database does
UNAVAILABLE_MESSAGE = "Ladder cannot reach its database right now. Try again in a few seconds."


def is_unavailable(error: BaseException) -> bool:
    """Errors that say "the database cannot serve this now" (down, restarting, too many
    clients, a timeout, a dropped connection), as opposed to a bug or refused data."""
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeout, DisconnectionError, PendingRollbackError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def lift_request_limits(executor: Connection | OrmSession | scoped_session[Any]) -> None:
    """Lift the per-request limits (statement timeout, idle in transaction) for an operator's
    long transaction: a bulk load, an import, a restore. SET LOCAL, so they come back with the
    next transaction, and it works behind PgBouncer's transaction pooling."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    if bind.dialect.name == "postgresql":
        executor.execute(text("SET LOCAL statement_timeout = 0"))
        executor.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))


def wants_json() -> bool:
    """Scripts (autosave.js) ask for JSON and get JSON, errors included."""
    return request.accept_mimetypes.best == "application/json"


def render_without_database(template: str, status: int, **context):
    """Render a page as if nobody were signed in and without the context processors (the
    navigation's, a blueprint's), none of which may query: the page renders when the database
    cannot."""
    from .extensions import db, login_manager

    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the pool replaces it on next use
        pass
    g._login_user = login_manager.anonymous_user()  # Flask-Login's slot for current_user
    page = current_app.jinja_env.get_template(template)
    return page.render(code=status, current_user=g._login_user, **context), status


def unavailable(error: SQLAlchemyError):
    """503 with Retry-After for a database that cannot answer; anything else stays a 500."""
    if not is_unavailable(error):
        raise error
    logger.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    return unavailable_answer()


def unavailable_answer():
    """The 503 answer: JSON for scripts, else the styled page; both say whether this request's
    change was stored before the database failed."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    saved = bool(g.get("database_committed"))
    if wants_json():
        return jsonify(error="unavailable", saved=saved, message=UNAVAILABLE_MESSAGE), 503, headers
    body, status = render_without_database("errors/unavailable.html", 503, saved=saved,
                                           retry_after=RETRY_AFTER_SECONDS)
    return body, status, headers


@event.listens_for(Session, "after_commit")
def remember_commit(session) -> None:
    """Note on `g` that this request committed, so a failure after the commit is reported as
    "saved, but the next page could not be shown" rather than as a lost save."""
    if has_request_context():
        g.database_committed = True


_probing = threading.local()  # set on a probe's thread: its waits are bounded like a request's


class DatabaseWatch:
    """Per process and database: the health probe, and the switch that stops requests from
    waiting on a database that does not answer at all.

    A wait that gave up on a silent server (`give_up_on_silent_servers`) trips the switch: for
    `backoff` seconds every request answers 503 at once instead of waiting its own deadline
    (with two sync workers, two waiting requests are the whole app). After that, the next
    request first runs the probe, bounded by its deadline: an answer closes the switch, silence
    trips it again. /healthz probes whenever asked, and any probe that gets an answer closes it.
    The probe runs on a thread, one at a time, so a frozen database costs the caller its
    deadline and not a stuck worker."""

    def __init__(self, backoff: float) -> None:
        self.backoff = backoff
        self.silent_until: float | None = None  # None: the switch is closed
        self.running = threading.Lock()

    def went_silent(self) -> None:
        if not self.backoff:
            return
        if self.silent_until is None:
            logger.warning("the database does not answer; answering 503 at once for %g s", self.backoff)
        self.silent_until = time.monotonic() + self.backoff

    def answered(self) -> None:
        if self.silent_until is not None:
            logger.warning("the database answers again")
        self.silent_until = None

    def pausing(self) -> bool:
        """Inside the pause after the database went silent."""
        return self.silent_until is not None and time.monotonic() < self.silent_until

    def refuses_requests(self, engine: Engine, deadline: float) -> bool:
        """Whether a request should answer 503 without touching the database."""
        if self.silent_until is None:
            return False
        if self.pausing():
            return True
        if self.check(engine, deadline) == "ok":
            return False
        self.went_silent()
        return True

    def check(self, engine: Engine, deadline: float) -> str:
        """"ok", or "error: ..." when the database is down, slow, locked or frozen."""
        if not self.running.acquire(blocking=False):
            return "error: the previous check has not answered yet"
        outcome: list[str] = []
        worker = threading.Thread(target=self._run, args=(engine, deadline, outcome), daemon=True)
        worker.start()
        worker.join(deadline)
        return outcome[0] if outcome else "error: no answer within the deadline"

    def _run(self, engine: Engine, deadline: float, outcome: list[str]) -> None:
        _probing.active = True
        try:
            with engine.connect() as connection:
                if connection.dialect.name == "postgresql":  # the server gives up first
                    milliseconds = int(deadline * 1000 * 2 / 3)
                    connection.execute(text("SELECT set_config('statement_timeout', :ms, true), "
                                            "set_config('lock_timeout', :ms, true)"), {"ms": str(milliseconds)})
                # Every signed-in request reads `users`: when it cannot be read, the app is down.
                connection.execute(text("SELECT 1 FROM users LIMIT 1")).all()
            outcome.append("ok")
            self.answered()
        except Exception as error:  # any failure means: not healthy
            outcome.append(f"error: {type(error).__name__}")
        finally:
            self.running.release()


def watch() -> DatabaseWatch:
    return current_app.extensions["ladder_database_watch"]


def database_status() -> str:
    """"ok", or "error: ..." when the database is down, slow, locked or frozen."""
    from .extensions import db

    return watch().check(db.engine, PROBE_DEADLINE_SECONDS)


def waits_are_bounded() -> bool:
    """True while a request is served, including the teardown that hands its connection back to
    the pool (the pool's rollback runs after the request context is gone, before the answer is
    sent), and on the health probe's thread. False for operator commands."""
    return (has_request_context() or (has_app_context() and g.get("serving_request", False))
            or getattr(_probing, "active", False))


def refresh_statistics(executor: Connection | OrmSession | scoped_session[Any], *tables: str) -> None:
    """ANALYZE these tables on PostgreSQL, after a bulk load changed them: its planner keeps the
    statistics of the moment (none, or an empty table's) until autovacuum comes by, and planned a
    report's joins as nested loops (0.9 s a page at 2,000 people) and the reporting-cycle trigger
    as a scan per inserted row. `tables` are names of our own metadata, never user input."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    if bind.dialect.name == "postgresql":
        quote = bind.dialect.identifier_preparer.quote
        for table in tables:
            executor.execute(text(f"ANALYZE {quote(table)}"))


def table_of(model: type[DeclarativeBase]) -> Table:
    """A model's table, for Core statements: the declarative base types __table__ as any FROM
    clause, while a model with a __tablename__ has a Table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def one_of(column: ColumnElement[int] | InstrumentedAttribute[int], ids: Collection[int],
           bind: Connection | Engine) -> ColumnElement[bool]:
    """`column IN ids` with the ids bound as one text value, however many, unpacked once by the
    database into a set to join against: `unnest` of an integer array on PostgreSQL, json_each of
    a JSON array on SQLite. Thousands of ids cost neither a bind parameter each (500 cost 10 ms of
    CPU to bind) nor SQLite's cap on their number, and the ids need not be found again (a second
    walk of a 2,540-person tree cost 5 ms of the database). Joined as text: psycopg adapting a list
    of 2,540 ints cost 2 ms of CPU. Not `= ANY(CAST(... AS int[]))`: PostgreSQL parses that cast
    again for every row it tests (29 ms for the 519 verdicts of an organisation of 2,000)."""
    listed = ",".join(map(str, ids))
    if bind.dialect.name == "postgresql":
        values = select(func.unnest(cast(bindparam(None, f"{{{listed}}}", type_=String), ARRAY(Integer))))
    else:
        values = select(func.json_each(bindparam(None, f"[{listed}]", type_=String)).table_valued("value").c.value)
    return column.in_(values)


def any_of(column: ColumnElement[int | None] | InstrumentedAttribute[int | None], ids: Collection[int | None],
           bind: Connection | Engine) -> ColumnElement[bool]:
    """`column IN ids` for a filter tested row by row against a few hundred ids (a director's
    managers): on PostgreSQL `= ANY(:ids)`, the ids one array parameter. With 315 managers as
    an IN list of bind parameters, the report's page statement took 4.0 ms (PostgreSQL planned
    each value; SQLAlchemy and psycopg handled each), as one array 3.0 ms. (`one_of` is for a
    set to join against: as a per-row filter, its unnest was planned as a nested loop, 8 ms.)
    SQLite: IN."""
    if bind.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def affected_rows(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched: Session.execute is typed to return a Result, while for
    those statements it returns a CursorResult, which alone counts rows."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count: pass the result of an UPDATE or DELETE")
    return result.rowcount


def _answering_connection_class():
    import psycopg

    class AnsweringConnection(psycopg.Connection):
        """A psycopg connection that, while serving a request, stops waiting for a server that
        does not answer at all (frozen, or a network that drops packets): the server-side
        statement_timeout cannot help when the server itself is stuck."""

        answer_deadline = 0.0
        watch: DatabaseWatch | None = None

        def wait(self, gen, interval=None, timeout=None):
            if timeout is None and self.answer_deadline and waits_are_bounded():
                timeout = self.answer_deadline
            try:
                return super().wait(gen, **({"interval": interval} if interval is not None else {}), timeout=timeout)
            except psycopg.errors._WaitTimeout:  # psycopg's own, raised only for the timeout we pass
                self.close()  # mid-query: the connection cannot be used again
                if self.watch:
                    self.watch.went_silent()
                raise psycopg.OperationalError(f"the database did not answer within {timeout:g} s") from None

    return AnsweringConnection


def give_up_on_silent_servers(engine: Engine, statement_timeout: float, watch: DatabaseWatch) -> None:
    """Requests on PostgreSQL wait at most a second longer than the statement timeout for any
    answer (off when the statement timeout is off); a wait or a connection attempt that runs
    out of time tells the watch the database went silent."""
    if engine.dialect.name != "postgresql" or not statement_timeout:
        return
    import psycopg

    connection_class = _answering_connection_class()

    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        # The pool reconnects at once when its ping of a pooled connection got no answer: that
        # attempt would wait DB_CONNECT_TIMEOUT more. Only the probe connects during the pause.
        if watch.pausing() and waits_are_bounded() and not getattr(_probing, "active", False):
            raise psycopg.OperationalError("the database did not answer a moment ago")
        try:
            connection = connection_class.connect(*cargs, **cparams)
        except psycopg.errors.ConnectionTimeout:
            if waits_are_bounded():
                watch.went_silent()
            raise
        connection.answer_deadline = statement_timeout + 1
        connection.watch = watch
        return connection


def mark_request() -> None:
    """Runs first for every request. /healthz answers for the process and its database, not for
    whoever holds a session cookie: no hook may load a user for it, so a cookie can never turn
    it into an error."""
    from .extensions import db, login_manager

    g.serving_request = True
    if request.endpoint == "main.healthz":
        g._login_user = login_manager.anonymous_user()
    elif request.endpoint != "static":
        if watch().refuses_requests(db.engine, PROBE_DEADLINE_SECONDS):
            return unavailable_answer()  # the database is silent: answer now rather than wait for it
        if request.method in ("GET", "HEAD"):
            _read_without_a_transaction(db.session)
    return None


_VIEWS_WRITING_ON_GET: set[Callable[..., Any]] = set()


def writes_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Marks the rare GET view that writes: a sign-in arriving as a redirect (the identity
    provider's callback). Its statements keep their transaction."""
    _VIEWS_WRITING_ON_GET.add(view)
    return view


def _read_without_a_transaction(session: scoped_session[Any]) -> None:
    """On PostgreSQL a GET or HEAD request runs its statements in autocommit. Pages never write
    (tests/web/test_no_get_writes.py; the once-a-minute touch of the session record is one
    statement), and at READ COMMITTED every statement of a transaction takes its own snapshot
    anyway, so the transaction bought only its BEGIN and ROLLBACK. Without the ROLLBACK psycopg's
    prepared statements also outlive the request (it discards them all on a rollback): the team
    page and the report cost PostgreSQL about 2.5 ms less CPU each. A session bound to a
    connection (the tests' rolled-back transaction) is left as it is."""
    view = current_app.view_functions.get(request.endpoint or "")
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and view not in _VIEWS_WRITING_ON_GET:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def hand_back_the_connection(_error=None) -> None:
    """End the request's session before Flask-SQLAlchemy's own teardown does (teardowns run in
    reverse order), so that a connection lost at the very end (its rollback failed or got no
    answer) is dropped quietly instead of failing a request that already has its answer."""
    from .extensions import db

    try:
        db.session.remove()
    except SQLAlchemyError as error:
        logger.warning("dropped a database connection that failed at the end of the request: %s",
                       str(error).splitlines()[0])
        db.session.registry.clear()


def register(app: Flask) -> None:
    from .extensions import db

    app.register_error_handler(SQLAlchemyError, unavailable)
    app.teardown_appcontext(hand_back_the_connection)
    app.extensions["ladder_database_watch"] = database_watch = DatabaseWatch(app.config["DB_SILENT_BACKOFF"])
    with app.app_context():
        give_up_on_silent_servers(db.engine, app.config["DATABASE_TIMEOUTS"]["statement"], database_watch)
    app.before_request_funcs.setdefault(None, []).insert(0, mark_request)  # before every other hook
