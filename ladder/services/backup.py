"""Full data export and restore (format documented in docs/export-format.md).

Generic over `db.metadata.sorted_tables`, so tables added later are included without code
changes. The export reads one consistent snapshot and streams it as JSON lines: a header with
every table's row count, the rows, and a SHA-256 checksum at the end. A restore checks the
whole file first (counts, checksum, every value against its column's type) without touching
the database, then inserts it into an empty database in dependency order. Files of format
version 1 (one JSON document, no counts or checksum) are still read.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Time,
    bindparam,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from .. import clock
from ..database import lift_request_limits, refresh_statistics
from ..extensions import db

FORMAT = "ladder-export"
VERSION = 2
READABLE_VERSIONS = (1, 2)
BATCH = 1000
MAX_PROBLEMS = 20  # listed in a refusal; the count says how many more


class RestoreError(ValueError):
    """The file cannot be restored here; nothing was changed."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

T = TypeVar("T")  # what a parser makes of a text value


class BadValue(ValueError):
    """A value that does not fit its column."""


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, (DateTime, Date, Time)):
        return value.isoformat()
    if isinstance(kind, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _found(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return f"found {type(value).__name__ if not isinstance(value, str) else 'the text'} {shown[:60]}"


def _parsed(parse: Callable[[str], T], value: Any, expected: str) -> T:
    if not isinstance(value, str):
        raise BadValue(f"expected {expected}, {_found(value)}")
    try:
        return parse(value)
    except ValueError:
        raise BadValue(f"expected {expected}, {_found(value)}") from None


def _boolean(kind: Boolean, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"expected true or false, {_found(value)}")
    return value


def _integer(kind: Integer, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"expected a whole number, {_found(value)}")
    return value


def _float(kind: Float[Any], value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue(f"expected a number, {_found(value)}")
    return float(value)


def _decimal(kind: Numeric[Any], value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadValue(f"expected a decimal number, {_found(value)}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise BadValue(f"expected a decimal number, {_found(value)}") from None


def _datetime(kind: DateTime, value: Any) -> datetime:
    parsed = _parsed(datetime.fromisoformat, value, "a date and time (YYYY-MM-DDTHH:MM:SS)")
    return parsed if kind.timezone else parsed.replace(tzinfo=None)


def _binary(kind: LargeBinary, value: Any) -> bytes:
    if not isinstance(value, str) or not _is_base64(value):
        raise BadValue(f"expected base64 data, {_found(value)}")
    return base64.b64decode(value)


def _text(kind: String, value: Any) -> str:
    if not isinstance(value, str):
        raise BadValue(f"expected text, {_found(value)}")
    if kind.length and len(value) > kind.length:
        raise BadValue(f"is {len(value)} characters long; the column holds {kind.length}")
    return value


# In this order: Float is a kind of Numeric. A column of another type (JSON) takes any value.
_DECODERS: tuple[tuple[type[TypeEngine[Any]], Callable[[Any, Any], Any]], ...] = (
    (Boolean, _boolean), (Integer, _integer), (Float, _float), (Numeric, _decimal), (DateTime, _datetime),
    (Date, lambda kind, value: _parsed(date.fromisoformat, value, "a date (YYYY-MM-DD)")),
    (Time, lambda kind, value: _parsed(time.fromisoformat, value, "a time (HH:MM:SS)")),
    (LargeBinary, _binary), (String, _text),
)


def _any_json(kind: TypeEngine[Any], value: Any) -> Any:
    return value  # JSON columns hold any JSON value


def _column_decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The function that turns `column`'s JSON form into its Python value, refusing anything of
    another type: `"false"` is not a boolean, `"12"` is not an integer, a date must be a real
    date. Chosen once per column, not once per value: a restore decodes millions of values."""
    kind = column.type
    decoder = next((found for column_type, found in _DECODERS if isinstance(kind, column_type)), _any_json)
    nullable = column.nullable

    def decode(value: Any) -> Any:
        if value is None:
            if not nullable:
                raise BadValue("must have a value, found null")
            return None
        return decoder(kind, value)

    return decode


@cache
def table_decoders(table: Table) -> dict[str, Callable[[Any], Any]]:
    """Each column's decoder by column name."""
    return {column.name: _column_decoder(column) for column in table.columns}


def decode_row(table: Table, row: dict) -> dict:
    """The row's Python values (raises KeyError on an unknown column, BadValue on a bad value)."""
    decoders = table_decoders(table)
    return {name: decoders[name](value) for name, value in row.items()}


def _is_base64(value: Any) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        return False
    return True


def _order(table: Table) -> list[Column[Any]]:
    return [c for c in table.primary_key.columns] or list(table.columns)


def schema_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):  # a database made with create_all
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def row_counts(connection: Connection) -> dict[str, int]:
    return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


@contextmanager
def snapshot(connection: Connection) -> Iterator[Connection]:
    """One read-only transaction, so every table is read as of the same moment: PostgreSQL's
    REPEATABLE READ READ ONLY (with no statement limit: a large table may take a while), or one
    SQLite read transaction (writers wait until the export ends)."""
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            lift_request_limits(connection)
            yield connection
    else:
        with connection.begin():
            connection.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1").all()  # takes the read lock now
            yield connection


class _Lines:
    """Writes one JSON document per line and hashes exactly what it wrote."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, document: Any) -> None:
        line = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
        self.digest.update(line.encode("utf-8"))
        self.out.write(line)


def write_export(connection: Connection, out: IO[str], now: datetime | None = None) -> dict[str, int]:
    """Stream every row of every table from one snapshot: memory stays flat however large the
    data. Returns the row count of each table."""
    with snapshot(connection) as reading:
        counts = row_counts(reading)
        lines = _Lines(out)
        lines.write({"format": FORMAT, "version": VERSION,
                     "exported_at": (now or clock.now()).isoformat(timespec="seconds"),
                     "schema_revision": schema_revision(reading), "tables": counts})
        for table in db.metadata.sorted_tables:
            lines.write({"@table": table.name, "@rows": counts[table.name]})
            rows = reading.execution_options(yield_per=BATCH).execute(select(table).order_by(*_order(table)))
            for row in rows.mappings():
                lines.write({c.name: _encode(c, row[c.name]) for c in table.columns})
        out.write(json.dumps({"@end": FORMAT, "@checksum": "sha256:" + lines.digest.hexdigest()}) + "\n")
    return counts


@dataclass
class ExportFile:
    """An export on disk, read twice: once to check everything, once to insert."""

    path: Path
    version: int = VERSION
    schema_revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> ExportFile:
        """Read the header (or, for version 1, the whole document) and refuse what is not ours."""
        with path.open(encoding="utf-8") as lines:
            try:
                first = lines.readline()
            except UnicodeDecodeError:
                raise RestoreError(f"{path} is not a JSON export (not UTF-8 text).") from None
        try:
            header = json.loads(first)
        except json.JSONDecodeError:
            header = _load_version_1(path)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise RestoreError("This is not a Ladder export (its \"format\" is not \"ladder-export\").")
        if header.get("version") not in READABLE_VERSIONS:
            raise RestoreError(f"Export format version {header.get('version')!r} is not supported "
                               f"(this Ladder reads {', '.join(map(str, READABLE_VERSIONS))}).")
        tables = header.get("tables")
        if not isinstance(tables, dict):
            raise RestoreError("The export has no \"tables\".")
        known = {t.name for t in db.metadata.sorted_tables}
        unknown = sorted(set(tables) - known)
        if unknown:
            raise RestoreError(f"The export has tables this Ladder does not know: {', '.join(unknown)}. "
                               "Upgrade Ladder to the version that made the export.")
        counts = {name: len(rows) if isinstance(rows, list) else rows for name, rows in tables.items()}
        return cls(path, header["version"], header.get("schema_revision"), counts)

    def events(self) -> Iterator[tuple[str, Any, int]]:
        """The file in order: ("table", name, line), ("row", value, line), ("problem", text, line)
        and, at a complete end, ("end", checksum matches, line). Streams version 2 files."""
        if self.version == 1:
            document = _load_version_1(self.path)
            for name, rows in document["tables"].items():
                yield "table", name, 0
                for row in rows if isinstance(rows, list) else []:
                    yield "row", row, 0
            yield "end", True, 0
            return
        digest = hashlib.sha256()
        with self.path.open(encoding="utf-8", newline="") as lines:
            digest.update(lines.readline().encode("utf-8"))
            for number, line in enumerate(lines, start=2):
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    yield "problem", f"line {number} is not complete JSON: the file is cut off or damaged", number
                    return
                if isinstance(item, dict) and "@end" in item:
                    yield "end", item.get("@checksum") == "sha256:" + digest.hexdigest(), number
                    return
                digest.update(line.encode("utf-8"))
                if isinstance(item, dict) and "@table" in item:
                    yield "table", item["@table"], number
                else:
                    yield "row", item, number

    def check(self) -> list[str]:
        """Everything wrong with the file, read to the end without touching the database: missing
        tables and rows (against the header's counts), a bad checksum, values that do not fit
        their columns (named by table, row and column)."""
        tables = {t.name: t for t in db.metadata.sorted_tables}
        problems: list[str] = []
        seen: dict[str, int] = {}
        current: Table | None = None
        ended = False
        for kind, value, line in self.events():
            if kind == "table":
                current = tables.get(value)
                if current is None or value in seen:
                    problems.append(f"line {line}: table {value!r} is unknown or appears twice")
                    break
                seen[value] = 0
            elif kind == "row":
                if current is None:
                    problems.append(f"line {line}: a row before any table")
                    break
                seen[current.name] += 1
                problems.extend(row_problems(current, value, seen[current.name]))
            elif kind == "problem":
                problems.append(value)
            elif kind == "end":
                ended = True
                if not value:
                    problems.append("the checksum does not match: the file was changed or damaged after the export")
        if not ended and not any("cut off" in p for p in problems):
            problems.append("the file ends before its end marker: it is incomplete")
        for name in tables:
            expected = self.counts.get(name)
            if name not in seen:
                problems.append(f"table {name} is missing" + (f" ({expected} rows)" if expected else ""))
            elif expected is not None and seen[name] != expected:
                missing = expected - seen[name]
                problems.append(f"table {name} has {seen[name]} of its {expected} rows"
                                + (f" ({missing} missing)" if missing > 0 else " (more than the header says)"))
        return problems


def row_problems(table: Table, row: Any, number: int) -> list[str]:
    """Why one row of the file cannot go into `table` (none when it can)."""
    where = f"table {table.name}, row {number}"
    if not isinstance(row, dict):
        return [f"{where}: expected an object of column values, {_found(row)}"]
    decoders = table_decoders(table)
    try:
        decode_row(table, row)
        return []
    except (KeyError, BadValue):
        pass  # name every problem of the row, below
    pk = ", ".join(f"{c.name} {row.get(c.name)}" for c in table.primary_key.columns)
    where += f" ({pk})" if pk else ""
    problems = [f"{where}: unknown column {name!r}" for name in sorted(set(row) - set(decoders))]
    for name, value in row.items():
        if name in decoders:
            try:
                decoders[name](value)
            except BadValue as error:
                problems.append(f"{where}, column {name}: {error}")
    return problems


def restore_rows(connection: Connection, export: ExportFile, *,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Insert a checked export into an empty, migrated database, in one transaction (the
    caller's), a batch at a time.

    Self-references (a person's manager) are inserted empty first and filled in once the table
    is complete, and PostgreSQL's id sequences are moved past the restored ids.
    """
    tables = {t.name: t for t in db.metadata.sorted_tables}
    counts = {name: 0 for name in tables}
    loading: _TableLoad | None = None
    for kind, value, _line in export.events():
        if kind == "table":
            if loading:
                counts[loading.table.name] = loading.finish(progress)
            loading = _TableLoad(connection, tables[value])
        elif kind == "row" and loading:
            loading.add(value)
    if loading:
        counts[loading.table.name] = loading.finish(progress)
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection)
    return counts


class _TableLoad:
    """One table's rows on their way in, a batch of inserts at a time."""

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        self.table = table
        self.rows = 0
        self.batch: list[dict] = []
        self.self_references = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
        self.later: list[dict] = []  # primary key and self-references, set once the whole table is in
        dialect = connection.dialect
        self.copy_columns = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in table.columns
                             ] if dialect.name == "postgresql" else []

    def add(self, value: dict) -> None:
        row = decode_row(self.table, value)
        if any(row.get(name) is not None for name in self.self_references):
            self.later.append({**{f"key_{c.name}": row[c.name] for c in self.table.primary_key.columns},
                               **{f"set_{name}": row.get(name) for name in self.self_references}})
            row.update({name: None for name in self.self_references})
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self._insert()

    def _insert(self) -> None:
        if not self.batch:
            return
        if self.copy_columns and all(len(row) == len(self.copy_columns) for row in self.batch):
            self._copy()
        else:
            self.connection.execute(self.table.insert(), self.batch)
        self.rows += len(self.batch)
        self.batch.clear()

    def _copy(self) -> None:
        """The batch through COPY, each value bound as the INSERT would bind it (JSON encoded by
        its column type): PostgreSQL loads a row of COPY at a fraction of the cost of an INSERT
        statement, and psycopg sends one INSERT per row of an executemany."""
        names = ", ".join(f'"{name}"' for name, _bind in self.copy_columns)  # db.metadata's names, never the file's
        driver = self.connection.connection.driver_connection
        assert driver is not None  # a connection in use has its driver's connection
        with driver.cursor() as cursor:
            with cursor.copy(f'COPY "{self.table.name}" ({names}) FROM STDIN') as copy:
                for row in self.batch:
                    copy.write_row([bind(row[name]) if bind else row[name] for name, bind in self.copy_columns])

    def finish(self, progress: Callable[[str, int], None] | None = None) -> int:
        """Insert what is left, then fill in the self-references a batch at a time, with
        PostgreSQL's statistics of the table renewed before each batch and at the end.

        Statements plan with the statistics of the moment: on a table without them, or with the
        ones taken while every manager was still empty, the reporting-cycle trigger walked up a
        manager chain by scanning every person whose manager was already set, per person
        (quadratic: minutes at 10,000 people)."""
        self._insert()
        table = self.table
        fill_in = (update(table)
                   .where(*[c == bindparam(f"key_{c.name}") for c in table.primary_key.columns])
                   .values({name: bindparam(f"set_{name}") for name in self.self_references}))
        start, size = 0, BATCH // 10  # a small first batch: its statistics say "no manager set"
        while start < len(self.later):
            self._analyze()
            self.connection.execute(fill_in, self.later[start:start + size])
            start, size = start + size, BATCH
        self.later.clear()
        self._analyze()
        if progress:
            progress(table.name, self.rows)
        return self.rows

    def _analyze(self) -> None:
        if self.rows:
            refresh_statistics(self.connection, self.table.name)  # a name from db.metadata, never the file's


def check_target(connection: Connection, revision_of_file: str | None, head: str | None) -> None:
    """Refuse a database that is not empty or is at another schema revision than the file:
    checked before anything (even a migration) touches it."""
    existing = set(inspect(connection).get_table_names())
    revision = schema_revision(connection) or (head if "alembic_version" not in existing else None)
    if revision_of_file and revision and revision_of_file != revision:
        raise RestoreError(f"The export was made at schema revision {revision_of_file}; this database "
                           f"{'is' if 'alembic_version' in existing else 'would be'} at {revision}. "
                           "Restore with the same Ladder version.")
    filled = {}
    for table in db.metadata.sorted_tables:
        if table.name in existing:
            count = connection.execute(select(func.count()).select_from(table)).scalar()
            if count:
                filled[table.name] = count
    if filled:
        raise RestoreError("The database is not empty (" + ", ".join(f"{n}: {c}" for n, c in filled.items())
                           + "). Restore only into an empty database.")


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


def _load_version_1(path: Path) -> Any:
    """The whole version 1 document, any JSON value: ExportFile.open checks it is an export."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RestoreError(f"{path} is not a JSON export: {error}") from None


__all__ = ["FORMAT", "VERSION", "ExportFile", "RestoreError", "check_target", "decode_row", "restore_rows",
           "row_counts", "write_export"]
