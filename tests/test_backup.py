"""`ladder export` and `ladder restore`: every table, every row, every field round-trips, on SQLite
and PostgreSQL, and from SQLite to whatever database the suite runs on (PostgreSQL in CI)."""
import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from ladder import create_app
from ladder.domain.rubric import parse_rubric
from ladder.extensions import db
from ladder.models import AuditEntry, Framework, ReviewCycle, ReviewCycleLadder, User
from ladder.services.audit import acting_as
from ladder.services.backup import export_data
from ladder.services.demo import build_demo_org
from ladder.services.ladder_admin import create_draft
from ladder.services.ladders import import_rubric

from .test_rubric import MINIMAL

pytestmark = pytest.mark.dates

# Tables the fixture may leave empty (tables of other areas that the demo does not fill yet).
MAY_BE_EMPTY: set[str] = set()


def fill() -> None:
    """The demo organisation plus the awkward cases: a draft ladder, a second ladder that a cycle
    also covers, a deactivated person with a one-time password, audit entries with nested JSON,
    odd text."""
    build_demo_org(date(2026, 11, 20))
    db.session.flush()
    tiny, _ = import_rubric(parse_rubric(MINIMAL))
    db.session.add(ReviewCycleLadder(cycle_id=db.session.scalar(select(ReviewCycle.id).limit(1)),
                                     framework_version_id=tiny.id))
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    with acting_as(admin.id):
        create_draft(db.session.scalar(select(Framework).where(Framework.key == "engineering")), actor=admin)
        jo = db.session.scalar(select(User).where(User.email == "jo@example.com"))
        jo.is_active_account = False
        jo.must_change_password = True
        jo.title = "Ünïcødé \"quoted\" <tag> & 😀"
        db.session.add(AuditEntry(actor_id=admin.id, action="test.nested", entity_type="test", entity_id=None,
                                  changes={"list": [1, 2.5, None, True], "nested": {"a": "b"}},
                                  created_at=datetime(2026, 1, 2, 3, 4, 5, 123456)))
    db.session.commit()


def snapshot(connection) -> dict:
    document = export_data(connection, now=datetime(2000, 1, 1))
    return document["tables"]


def assert_complete(tables: dict) -> None:
    assert set(tables) == {t.name for t in db.metadata.sorted_tables}
    empty = {name for name, rows in tables.items() if not rows}
    assert empty <= MAY_BE_EMPTY, f"fixture leaves tables empty: {empty}"


def test_export_and_restore_round_trip_on_this_database(app, runner, tmp_path):
    fill()
    with db.engine.connect() as connection:
        before = snapshot(connection)
    assert_complete(before)
    path = tmp_path / "export.json"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text())
    assert document["format"] == "ladder-export" and document["version"] == 1
    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code != 0 and "not empty" in refused.output
    from tests.conftest import _empty_all_tables
    db.session.remove()
    _empty_all_tables(app)
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        after = snapshot(connection)
    assert after == before
    # new rows get fresh ids after a restore (PostgreSQL sequences were moved past the data)
    db.session.add(User(email="after@example.com", name="After", level_key="senior", track_key="ic"))
    db.session.commit()


def test_restore_from_sqlite_into_the_suite_database(app, runner, tmp_path):
    """Source: a fresh SQLite file. Target: the suite's database (PostgreSQL with TEST_DATABASE_URL)."""
    from ladder.cli import upgrade_database

    source = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "source.sqlite"),
                         "INSTANCE_PATH": str(tmp_path / "source")})
    path = tmp_path / "from-sqlite.json"
    with source.app_context():
        upgrade_database()
        fill()
        with db.engine.connect() as connection:
            before = snapshot(connection)
        assert source.test_cli_runner().invoke(args=["export", str(path)]).exit_code == 0
        db.session.remove()
        db.engine.dispose()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        after = snapshot(connection)
    assert_complete(after)
    assert after == before
    assert db.session.scalar(select(User).where(User.email == "jo@example.com")).title == "Ünïcødé \"quoted\" <tag> & 😀"


def test_restore_refuses_other_files_and_changes_nothing(app, runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something-else", "version": 1, "tables": {}}))
    result = runner.invoke(args=["restore", str(bad)])
    assert result.exit_code != 0 and "not a Ladder export" in result.output
    bad.write_text(json.dumps({"format": "ladder-export", "version": 1, "tables": {"mystery": []}}))
    assert "does not know: mystery" in runner.invoke(args=["restore", str(bad)]).output
    bad.write_text("{not json")
    assert "is not a JSON export" in runner.invoke(args=["restore", str(bad)]).output
    # a failure half-way leaves nothing behind
    bad.write_text(json.dumps({"format": "ladder-export", "version": 1, "tables": {
        "users": [{"id": 1, "email": "a@example.com", "name": "A", "level_key": "senior", "track_key": "ic",
                   "is_admin": False, "is_active_account": True, "must_change_password": False, "title": None,
                   "manager_id": None, "password_hash": None, "created_at": "2026-01-01T00:00:00"}],
        "review_cycles": [{"id": 1, "name": "x", "framework_version_id": 99, "status": "open", "opens_on": "2026-01-01",
                           "self_review_due": "2026-01-02", "manager_review_due": "2026-01-03", "closes_on": "2026-01-04"}]}}))
    result = runner.invoke(args=["restore", str(bad)])
    assert result.exit_code != 0 and "The database refused the data" in result.output
    assert db.session.scalar(select(User.id)) is None
