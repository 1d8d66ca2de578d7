"""Full data export and restore as JSON (format documented in docs/export-format.md).

Generic over `db.metadata.sorted_tables`, so tables added later are included without code
changes. Values are encoded by column type so dates, datetimes, JSON, booleans and floats come
back exactly; a restore goes into an empty database only, in dependency order.
"""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Time,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from .. import clock
from ..extensions import db

FORMAT = "ladder-export"
VERSION = 1


class RestoreError(ValueError):
    """The file cannot be restored here; nothing was changed."""


def _encode(column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return value.isoformat()
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Time):
        return value.isoformat()
    if isinstance(kind, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        parsed = datetime.fromisoformat(value)
        return parsed if kind.timezone else parsed.replace(tzinfo=None)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Time):
        return time.fromisoformat(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return Decimal(value)
    if isinstance(kind, Float):
        return float(value)
    return value


def _order(table: Table):
    return [c for c in table.primary_key.columns] or list(table.columns)


def schema_revision(connection: Connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no alembic table (a database made with create_all)
        connection.rollback()
        return None


def export_data(connection: Connection, now: datetime | None = None) -> dict:
    """Every row of every table, as a JSON-ready document."""
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = connection.execute(select(table).order_by(*_order(table))).mappings()
        tables[table.name] = [{c.name: _encode(c, row[c.name]) for c in table.columns} for row in rows]
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or clock.now()).isoformat(timespec="seconds"),
        "schema_revision": schema_revision(connection),
        "tables": tables,
    }


def write_export(connection: Connection, out: IO[str]) -> dict[str, int]:
    document = export_data(connection)
    json.dump(document, out, ensure_ascii=False, indent=1, sort_keys=False)
    out.write("\n")
    return {name: len(rows) for name, rows in document["tables"].items()}


def row_counts(connection: Connection) -> dict[str, int]:
    return {t.name: connection.execute(select(func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables}


def restore_data(connection: Connection, document: dict, *, progress=None) -> dict[str, int]:
    """Insert an export into an empty, migrated database, in dependency order.

    Self-references (a person's manager) are inserted empty first and filled in afterwards, and
    PostgreSQL's id sequences are moved past the restored ids.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RestoreError("This is not a Ladder export (its \"format\" is not \"ladder-export\").")
    if document.get("version") != VERSION:
        raise RestoreError(f"Export format version {document.get('version')!r} is not supported (this Ladder reads {VERSION}).")
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise RestoreError("The export has no \"tables\".")
    known = {t.name: t for t in db.metadata.sorted_tables}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise RestoreError(f"The export has tables this Ladder does not know: {', '.join(unknown)}. "
                           "Upgrade Ladder to the version that made the export.")
    revision = schema_revision(connection)
    if document.get("schema_revision") and revision and document["schema_revision"] != revision:
        raise RestoreError(f"The export was made at schema revision {document['schema_revision']}; "
                           f"this database is at {revision}. Restore with the same Ladder version.")
    filled = {name: count for name, count in row_counts(connection).items() if count}
    if filled:
        raise RestoreError("The database is not empty (" + ", ".join(f"{n}: {c}" for n, c in filled.items())
                           + "). Restore only into an empty database.")
    counts = {}
    for table in db.metadata.sorted_tables:
        rows = tables.get(table.name, [])
        counts[table.name] = len(rows)
        if not rows:
            continue
        columns = {c.name: c for c in table.columns}
        for row in rows:
            extra = set(row) - set(columns)
            if extra:
                raise RestoreError(f"Table {table.name} has unknown column(s) {', '.join(sorted(extra))}.")
        self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
        decoded = [{name: _decode(columns[name], value) for name, value in row.items()} for row in rows]
        first = [{**row, **{name: None for name in self_refs}} for row in decoded]
        for start in range(0, len(first), 1000):
            connection.execute(table.insert(), first[start:start + 1000])
        if self_refs:
            pk = [c.name for c in table.primary_key.columns]
            for row in decoded:
                values = {name: row.get(name) for name in self_refs if row.get(name) is not None}
                if values:
                    connection.execute(update(table).where(*[table.c[k] == row[k] for k in pk]).values(**values))
        if progress:
            progress(table.name, len(rows))
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection)
    return counts


def _reset_sequences(connection: Connection) -> None:
    """Move every id sequence past the largest restored id, so new rows do not collide."""
    for table in db.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or not column.autoincrement or len(table.primary_key.columns) != 1:
                continue
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name}).scalar()
            if sequence:  # identifiers come from db.metadata, never from the export file
                connection.execute(text(
                    f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),  # nosec B608
                    {"s": sequence})


__all__ = ["FORMAT", "VERSION", "RestoreError", "export_data", "restore_data", "write_export", "row_counts", "JSON"]
