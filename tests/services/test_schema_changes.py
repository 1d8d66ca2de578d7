"""Migrations that are safe on a live database: a downgrade never drops data unasked, a new
constraint names the rows that break it, a migration that cannot get its locks stops quickly
with a clear message. Each test migrates a scratch database of its own."""
import os
import uuid
from contextlib import contextmanager

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from ladder import create_app
from ladder.extensions import db

from ..factories import make_note, make_user


@contextmanager
def scratch_app(tmp_path):
    """An app on a database of its own: a SQLite file, or a new database on the suite's
    PostgreSQL server (dropped afterwards)."""
    url = os.environ.get("TEST_DATABASE_URL")
    name = None
    if url:
        base, _, _ = url.rpartition("/")
        name = f"ladder_schema_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{base}/{name}"
    else:
        url = "sqlite:///" + str(tmp_path / "scratch.sqlite")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path / "scratch")})
    try:
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if name:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def current_revision() -> str:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(app) -> str:
    return ScriptDirectory(app.extensions["migrate"].directory).get_current_head()


def notes_at_0007(bodies: list[str]) -> list[int]:
    """A mentor's notes about an engineer, written with the schema of revision 0007 (the models
    describe the newest schema, so they cannot write to an older one)."""
    with db.engine.begin() as connection:
        for user_id, email in ((1, "m@example.com"), (2, "e@example.com")):
            connection.execute(text(
                "INSERT INTO users (id, email, name, level_key, track_key, is_admin, is_active_account, "
                "must_change_password, session_version, title, created_at) "
                "VALUES (:id, :email, :email, 'senior', 'ic', false, true, false, 1, '', CURRENT_TIMESTAMP)"),
                {"id": user_id, "email": email})
        return [connection.execute(text(
            "INSERT INTO feedback_notes (author_id, subject_id, author_role, body, visibility, competencies, "
            "created_at, updated_at, lock_version) VALUES (1, 2, 'mentor', :body, 'private', '[]', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) RETURNING id"), {"body": body}).scalar() for body in bodies]


def test_the_migration_settings_do_not_stay_on_the_apps_connections(tmp_path):
    """Migrations lift the statement limit (PostgreSQL) or foreign keys (SQLite) for themselves
    only: the connection goes back to the app's pool as the app configured it."""
    with scratch_app(tmp_path) as app:
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as connection:  # the pool holds one connection: the migration's
            if connection.dialect.name == "postgresql":
                assert connection.execute(text("SHOW statement_timeout")).scalar() == "3s"
                assert connection.execute(text("SHOW lock_timeout")).scalar() == "3s"
            else:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_downgrade_that_would_drop_rows_is_refused_unless_told_to_drop_data(tmp_path):
    with scratch_app(tmp_path) as app:
        upgrade(directory=app.extensions["migrate"].directory)
        engineer = make_user("engineer@example.com", "senior", "ic")
        mentor = make_user("mentor@example.com", "staff", "ic")
        make_note(mentor, engineer, "Keep this.", role="mentor")
        db.session.commit()
        db.session.remove()
        runner = app.test_cli_runner()
        refused = runner.invoke(args=["db", "downgrade", "0002"])
        assert refused.exit_code == 1
        assert current_revision() == head_revision(app)  # not one step was taken
        assert db.session.execute(text("SELECT body FROM feedback_notes")).scalar() == "Keep this."
        db.session.remove()
        allowed = runner.invoke(args=["db", "downgrade", "--drop-data", "0002"])
        assert allowed.exit_code == 0, allowed.output
        assert current_revision() == "0002"


@pytest.mark.commits  # counted through a connection of its own
def test_the_refusal_names_the_tables_and_their_rows(app, org):
    from ladder.schema_changes import MigrationRefused, refuse_to_drop_rows

    make_note(org.mentor, org.engineer, "Keep this.", role="mentor")
    db.session.commit()
    with db.engine.connect() as connection, pytest.raises(MigrationRefused) as refused:
        refuse_to_drop_rows(connection, ["goals", "feedback_notes", "users"])
    assert str(refused.value).startswith("This downgrade would drop tables that hold data: feedback_notes (1 rows), "
                                         "users (8 rows). Export first")
    assert "--drop-data" in str(refused.value) and "Nothing was changed" in str(refused.value)


def test_a_new_constraint_names_the_rows_that_break_it_and_changes_nothing(tmp_path, capsys):
    with scratch_app(tmp_path) as app:
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0007")
        _, too_long = notes_at_0007(["fine", "x" * 20001])
        with pytest.raises(SystemExit):
            upgrade(directory=directory)
        assert (f"feedback_notes rows with id {too_long} break the new rule: body longer than 20000 "
                "characters") in capsys.readouterr().err
        assert current_revision() == "0007"
        db.session.execute(text("UPDATE feedback_notes SET body = 'shortened' WHERE id = :id"), {"id": too_long})
        db.session.commit()
        db.session.remove()
        upgrade(directory=directory)
        assert current_revision() == head_revision(app)


def test_a_migration_behind_a_long_read_gives_up_with_a_clear_message(tmp_path, capsys, monkeypatch):
    """A report (or an export) keeps a read open on a table the migration must change: the
    migration waits MIGRATION_LOCK_TIMEOUT per attempt, not forever, and says what to do."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite has no lock timeout: its busy timeout already bounds the wait")
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "0.2")
    with scratch_app(tmp_path) as app:
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0007")
        db.session.remove()
        with db.engine.connect() as reader:
            reader.execute(text("SELECT count(*) FROM feedback_notes")).scalar()  # the read stays open
            with pytest.raises(SystemExit):
                upgrade(directory=directory)
            reader.rollback()
        logged = capsys.readouterr().err
        assert "could not get a lock within 0.2 s" in logged and "pg_stat_activity" in logged
        assert current_revision() == "0007"
        upgrade(directory=directory)  # once the read is over, it goes through
        assert current_revision() == head_revision(app)


def test_0021_swaps_the_reporting_tree_index_both_ways_while_the_table_stays_in_use(tmp_path):
    """0021 builds ix_users_reports and drops ix_users_manager_id (CONCURRENTLY on PostgreSQL,
    outside the migration's transaction) and its downgrade puts the old index back; an upgrade
    rerun after a failure between the two steps goes on (IF NOT EXISTS, IF EXISTS)."""
    from flask_migrate import downgrade

    def indexes() -> set[str]:
        return {index["name"] for index in inspect(db.engine).get_indexes("users")}

    with scratch_app(tmp_path) as app:
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory)
        assert "ix_users_reports" in indexes() and "ix_users_manager_id" not in indexes()
        db.session.remove()
        downgrade(directory=directory, revision="0020")
        assert "ix_users_manager_id" in indexes() and "ix_users_reports" not in indexes()
        with db.engine.begin() as connection:  # as if a first attempt stopped after building the new index
            connection.execute(text("CREATE INDEX ix_users_reports ON users (manager_id, id)"))
        upgrade(directory=directory)
        assert current_revision() == "0021" and "ix_users_manager_id" not in indexes()
