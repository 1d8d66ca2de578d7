"""Settings read from the environment."""
import pytest

import config


@pytest.mark.parametrize(("value", "expected"), [
    (None, {}),  # unset: psycopg's own default, and nothing a SQLite connection would refuse
    ("off", {"connect_args": {"prepare_threshold": None}}),
    ("", {"connect_args": {"prepare_threshold": None}}),
    ("0", {"connect_args": {"prepare_threshold": 0}}),  # psycopg: prepare every statement
    ("20", {"connect_args": {"prepare_threshold": 20}}),
])
def test_prepare_threshold_for_pgbouncer_comes_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("DB_PREPARE_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
    assert config._prepare_threshold() == expected


def test_database_timeouts_default_to_a_few_seconds_and_come_from_the_environment(monkeypatch):
    for name in ("DB_CONNECT_TIMEOUT", "DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT", "DB_POOL_TIMEOUT",
                 "DB_IDLE_IN_TRANSACTION_TIMEOUT", "DB_BUSY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    defaults = config.database_timeouts()
    assert all(0 < defaults[kind] <= 5 for kind in ("connect", "statement", "lock", "pool", "busy"))
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT", "0.5")
    monkeypatch.setenv("DB_LOCK_TIMEOUT", "0")
    assert config.database_timeouts()["statement"] == 0.5 and config.database_timeouts()["lock"] == 0


TIMEOUTS = {"pool": 5, "connect": 3, "statement": 5, "lock": 2.5, "idle_in_transaction": 30, "busy": 4}


def test_postgresql_connections_carry_the_timeouts_as_session_settings():
    options = config.engine_options("postgresql+psycopg://db/ladder", {"pool_pre_ping": True,
                                    "connect_args": {"prepare_threshold": None}}, TIMEOUTS)
    assert options["pool_timeout"] == 5 and options["pool_pre_ping"] is True
    assert options["connect_args"] == {
        "prepare_threshold": None, "connect_timeout": 3,
        "options": "-c statement_timeout=5000 -c lock_timeout=2500 -c idle_in_transaction_session_timeout=30000"}


def test_behind_pgbouncer_the_start_up_options_can_be_left_out():
    options = config.engine_options("postgresql+psycopg://db/ladder", {}, TIMEOUTS, session_options=False)
    assert options["connect_args"] == {"connect_timeout": 3}


def test_sqlite_waits_its_busy_timeout_for_a_writer_and_memory_databases_have_no_pool_timeout():
    assert config.engine_options("sqlite:////srv/ladder.sqlite", {}, TIMEOUTS) == {
        "pool_timeout": 5, "connect_args": {"timeout": 4}}
    assert config.engine_options("sqlite://", {}, TIMEOUTS) == {"connect_args": {"timeout": 4}}


def test_the_application_connects_to_postgresql_with_its_statement_and_lock_timeouts(app):
    from sqlalchemy import text

    from ladder.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL session settings; SQLite has only the busy timeout (checked above)")
    assert db.session.execute(text("SHOW statement_timeout")).scalar() == "3s"
    assert db.session.execute(text("SHOW lock_timeout")).scalar() == "3s"
