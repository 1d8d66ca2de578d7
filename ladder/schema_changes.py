"""Helpers for migrations that run against a live database (docs/deployment.md, "Upgrades and
rollbacks"). Migrations import them; migrations/env.py installs the session settings and the
guard on dropping tables.

* `migration_settings`: a migration waits at most MIGRATION_LOCK_TIMEOUT for a lock and then fails
  with a clear message, instead of queueing every request of the app behind it.
* `create_index`: `CREATE INDEX CONCURRENTLY` on PostgreSQL (no write lock while it builds).
* `add_check_constraints`: names the rows that break the rule before adding it; on PostgreSQL
  adds it `NOT VALID` (a brief lock) and then validates it (reads and writes keep going).
* `refuse_to_drop_rows` (before the first step) and `guard_table_drops` (at each drop): a
  downgrade refuses to drop a table that holds rows unless the operator said `--drop-data`.
"""
from __future__ import annotations

import ast
import inspect
import os
from contextlib import contextmanager

from alembic import op
from alembic.operations import Operations, ops
from sqlalchemy import func, select, table, text
from sqlalchemy import inspect as inspect_database

DROP_DATA_ARGUMENT = "drop-data"
DOWNGRADE_ARGUMENT = "guarded-downgrade"  # set by `ladder db downgrade`: check before any step
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout


class MigrationRefused(RuntimeError):
    """The migration stopped before changing anything; the message says what to do."""


def lock_timeout_seconds() -> float:
    return float(os.environ.get("MIGRATION_LOCK_TIMEOUT") or 5)


@contextmanager
def migration_settings(connection):
    """Session settings for a migration, put back afterwards (the connection returns to the
    app's pool). PostgreSQL: a short lock wait, no statement limit (an index or a validation may
    take minutes, without blocking anyone). SQLite: foreign keys off while batch migrations copy
    and swap tables (Alembic's advice), or dropping the old copy of a referenced table fails."""
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.execute(text(f"SET lock_timeout = {int(lock_timeout_seconds() * 1000)}"))
        connection.execute(text("SET statement_timeout = 0"))
        connection.execute(text("SET idle_in_transaction_session_timeout = 0"))
    else:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()  # session settings stay; Alembic then runs its own transaction
    try:
        yield
    finally:
        connection.rollback()
        if postgresql:
            for setting in ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"):
                connection.execute(text(f"RESET {setting}"))
        else:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def is_lock_timeout(error: BaseException) -> bool:
    return getattr(getattr(error, "orig", None), "sqlstate", None) == LOCK_NOT_AVAILABLE


def lock_timeout_message(error: BaseException) -> str:
    return (f"The migration could not get a lock within {lock_timeout_seconds():g} s: another transaction "
            "(a long report, an export, a stuck session) is using a table it must change. Nothing was changed. "
            "Find it in pg_stat_activity (the sessions with the oldest xact_start), let it finish or end it, "
            "then run the upgrade again (MIGRATION_LOCK_TIMEOUT sets the wait). "
            f"({str(getattr(error, 'orig', error)).splitlines()[0]})")


def create_index(name: str, table_name: str, columns: list, **kw) -> None:
    """Build an index without blocking writes on PostgreSQL (CONCURRENTLY, outside the
    migration's transaction; IF NOT EXISTS so a rerun after a failure goes on)."""
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(name, table_name, columns, postgresql_concurrently=True, if_not_exists=True, **kw)
    else:
        op.create_index(name, table_name, columns, if_not_exists=True, **kw)


def drop_index(name: str, table_name: str) -> None:
    """Drop an index without blocking reads and writes on PostgreSQL (CONCURRENTLY, outside the
    migration's transaction; IF EXISTS so a rerun after a failure goes on)."""
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(name, table_name=table_name, postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(name, table_name=table_name, if_exists=True)


def offending_rows(table_name: str, condition: str, limit: int = 20) -> list:
    """Ids of rows that do not satisfy `condition` (SQL from the migration, never from users)."""
    statement = text(f"SELECT id FROM {table_name} WHERE NOT ({condition}) ORDER BY id LIMIT {limit}")  # nosec B608
    return list(op.get_bind().execute(statement).scalars())


def add_check_constraints(rules: list[tuple[str, str, str, str]]) -> None:
    """Add CHECK constraints, each (table, name, condition, what breaking it means), to tables
    that already hold data. Rows that break any rule are named first, before anything changes
    (the operator fixes them; the migration never guesses). PostgreSQL adds each constraint NOT
    VALID and then validates it, so the table stays readable and writable meanwhile."""
    broken = []
    for table_name, _, condition, explain in rules:
        offenders = offending_rows(table_name, condition)
        if offenders:
            more = " (and more)" if len(offenders) == 20 else ""
            broken.append(f"{table_name} rows with id {', '.join(map(str, offenders))}{more} "
                          f"break the new rule: {explain}")
    if broken:
        raise MigrationRefused("; ".join(broken) + ". Fix them (e.g. in `ladder shell`), then run the upgrade "
                               "again. Nothing was changed.")
    for table_name, name, condition, _ in rules:
        if op.get_bind().dialect.name == "postgresql":
            _add_check_constraint_postgresql(table_name, f"ck_{table_name}_{name}", condition)
        else:
            with op.batch_alter_table(table_name, schema=None) as batch_op:
                batch_op.create_check_constraint(name, condition)


def _add_check_constraint_postgresql(table_name: str, full_name: str, condition: str) -> None:
    """One table at a time, each step committed at once: the migration never holds one table's
    lock while it waits for another's (a request updating a review and then reading its ratings
    would otherwise deadlock with it), and a rerun after a failure skips what is done."""
    with op.get_context().autocommit_block():
        exists = op.get_bind().execute(text("SELECT 1 FROM pg_constraint WHERE conname = :name"),
                                       {"name": full_name}).scalar()
        if not exists:
            op.execute(f"ALTER TABLE {table_name} ADD CONSTRAINT {full_name} CHECK ({condition}) NOT VALID")
        op.execute(f"ALTER TABLE {table_name} VALIDATE CONSTRAINT {full_name}")


def tables_dropped_by(steps) -> list[str]:
    """The tables the downgrade steps' `op.drop_table(...)` calls name, read from their source."""
    names = []
    for step in steps:
        if step.is_upgrade:
            continue
        for node in ast.walk(ast.parse(inspect.getsource(step.revision.module.downgrade))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "drop_table"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                names.append(node.args[0].value)
    return names


def _rows_message(filled: dict[str, int]) -> str:
    held = ", ".join(f"{name} ({rows} rows)" for name, rows in filled.items())
    return (f"This downgrade would drop tables that hold data: {held}. Export first (`ladder export FILE`), "
            "then run it again with --drop-data to drop the data. Nothing was changed.")


def refuse_to_drop_rows(connection, table_names: list[str]) -> None:
    """Before the first step: refuse when a table the downgrade drops holds rows (SQLite runs
    DDL outside a transaction, so stopping half-way would leave a half-downgraded schema)."""
    existing = set(inspect_database(connection).get_table_names())
    filled = {}
    for name in table_names:
        if name in existing:
            rows = connection.execute(select(func.count()).select_from(table(name))).scalar()
            if rows:
                filled[name] = rows
    if filled:
        raise MigrationRefused(_rows_message(filled))


def guard_table_drops(drop_data: bool) -> None:
    """Make every `op.drop_table` of this run refuse a table that holds rows, unless `drop_data`."""

    @Operations.implementation_for(ops.DropTableOp, replace=True)
    def drop_table(operations, operation) -> None:
        if not drop_data:
            rows = operations.get_bind().execute(
                select(func.count()).select_from(table(operation.table_name))).scalar()
            if rows:
                raise MigrationRefused(_rows_message({operation.table_name: rows}))
        kw = {"if_exists": operation.if_exists} if operation.if_exists is not None else {}
        operations.impl.drop_table(operation.to_table(operations.migration_context), **kw)
