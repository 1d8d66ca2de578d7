"""The migrations build exactly the schema the models describe."""
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import SAWarning

from ladder import create_app
from ladder.extensions import db


def test_upgraded_database_matches_the_models(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        if connection.dialect.name == "sqlite":  # PostgreSQL reflects and compares them; SQLite cannot
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
            names = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
            assert {"ix_users_name_order", "ix_users_level_name_order"} <= names
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_model_table_exists(app):
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


@pytest.fixture
def migrations(tmp_path):
    """The migrations folder, in the context of an app on a SQLite file of its own: a test moves
    that database up and down the chain without touching the suite's."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        yield app.extensions["migrate"].directory
        db.session.remove()
        db.engine.dispose()


def load_migration(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0011_scrubs_content_from_rows_logged_before_it(app, org, ladder):
    from ladder.models import AuditEntry

    old_rows = {
        "note.edit": ("feedback_note",
                      {"body": ["PRIVATE BEFORE", "PRIVATE AFTER"], "visibility": ["private", "shared"]}),
        "one_on_one.create": ("one_on_one", {"held_on": "2026-11-01", "action_items": ["PRIVATE ITEM"]}),
        "one_on_one.update": ("one_on_one", {"notes": [None, "PRIVATE 1:1"], "participants": [None, "PRIVATE NAMES"]}),
        "action_item.create": ("action_item", {"text": "PRIVATE ITEM"}),
        "rating.update": ("review", {"competency_id": ladder.competency_ids["security"], "level_id": [2, 3],
                                     "evidence": ["PRIVATE DRAFT", "PRIVATE DRAFT 2"]}),
        "review.save": ("review", {"system-design": {"rating": ["senior", "staff"], "evidence": "changed"},
                                   "testing-strategy": {"rating": [None, "senior"]}}),
        "user.update": ("user", {"title": ["Engineer", "Tech lead"]}),
    }
    for action, (entity_type, changes) in old_rows.items():
        db.session.add(AuditEntry(actor_id=org.mentor.id, action=action, entity_type=entity_type, entity_id=1,
                                  subject_id=org.engineer.id, changes=changes))
    db.session.commit()
    scrub = load_migration("0011_audit_log_without_content").scrub
    assert scrub(db.session.connection()) == 6
    db.session.commit()
    assert scrub(db.session.connection()) == 0  # safe to run again
    db.session.expire_all()
    logged = {e.action: e.changes for e in db.session.scalars(select(AuditEntry))}
    assert "PRIVATE" not in str(logged)
    assert logged["note.edit"] == {"body": ["(14 characters)", "(13 characters)"], "visibility": ["private", "shared"]}
    assert logged["one_on_one.create"] == {"held_on": "2026-11-01", "action_items": "(1 item)"}
    assert logged["one_on_one.update"]["participants"] == [None, "(13 characters)"]
    assert logged["action_item.create"] == {"text": "(12 characters)"}
    assert logged["rating.update"] == {"security": "evidence, rating"}
    assert logged["review.save"] == {"system-design": "evidence, rating", "testing-strategy": "rating"}
    assert logged["user.update"] == {"title": ["Engineer", "Tech lead"]}  # not content: kept as it was


def test_migration_0016_puts_everyone_on_the_default_ladder_and_downgrades(migrations):
    upgrade(directory=migrations, revision="0008")
    db.session.execute(text("INSERT INTO frameworks (id, key, name) VALUES (1, 'data', 'Data'), "
                            "(2, 'engineering', 'Engineering')"))
    db.session.execute(text("INSERT INTO users (email, name, level_key, track_key, is_admin, is_active_account, "
                            "must_change_password, session_version, created_at) "
                            "VALUES ('a@example.com', 'A', 'senior', 'ic', false, true, false, 1, '2026-01-01')"))
    db.session.commit()
    upgrade(directory=migrations)
    assert db.session.execute(text("SELECT framework_id FROM users")).scalar() == 2
    db.session.remove()
    downgrade(directory=migrations, revision="0008")
    assert "framework_id" not in {c["name"] for c in inspect(db.engine).get_columns("users")}


def test_migration_0018_keeps_everyone_on_the_ladder_and_downgrades_keeping_the_order_indexes(migrations):
    upgrade(directory=migrations, revision="0017")
    db.session.execute(text("INSERT INTO users (email, name, level_key, track_key, is_admin, is_active_account, "
                            "must_change_password, created_at) "
                            "VALUES ('a@example.com', 'A', 'senior', 'ic', false, true, false, '2026-01-01')"))
    db.session.commit()
    upgrade(directory=migrations)
    assert db.session.execute(text("SELECT on_ladder FROM users")).scalar() == 1
    db.session.remove()
    downgrade(directory=migrations, revision="0017")
    assert "on_ladder" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
    with db.engine.connect() as connection:
        names = set(connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
    assert {"ix_users_name_order", "ix_users_level_name_order"} <= names


def test_migration_0020_backfills_each_finished_manager_reviews_rating_counts(migrations):
    """The demo organisation's reviews, their kept counts dropped (downgrade) and backfilled
    (upgrade): every finished manager review reads what the database counts from its ratings."""
    from datetime import date

    from ladder.domain.calibration import RatingCounts
    from ladder.domain.statuses import MANAGER_REVIEW_DONE, REVIEW_DONE
    from ladder.models import Review
    from ladder.services.demo import build_demo_org
    from ladder.services.rating_counts import KEPT, counts_by_subject

    upgrade(directory=migrations)
    build_demo_org(date(2026, 11, 20))
    db.session.commit()
    downgrade(directory=migrations, revision="0019")
    upgrade(directory=migrations)
    reviews = db.session.execute(select(Review.id, Review.cycle_id, Review.subject_id, Review.kind,
                                        Review.status)).all()
    finished: dict[tuple[int, int], list[int]] = {}
    for review_id, cycle_id, subject_id, kind, status in reviews:
        if status in REVIEW_DONE[kind]:
            finished.setdefault((cycle_id, subject_id), []).append(review_id)
    managers = db.session.execute(select(Review.id, Review.cycle_id, Review.subject_id, *KEPT)
                                  .where(Review.kind == "manager", Review.status.in_(MANAGER_REVIEW_DONE))).all()
    assert len(managers) > 5
    for review_id, cycle_id, subject_id, *kept in managers:
        counted = counts_by_subject(finished[(cycle_id, subject_id)]).get(subject_id, RatingCounts())
        assert RatingCounts(*kept) == counted, review_id
    assert any(row.self_gaps for row in managers)  # some were compared with a self-review
