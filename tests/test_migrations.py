"""The migrations build exactly the schema the models describe."""
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import SAWarning

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


def test_migration_0015_puts_everyone_on_the_default_ladder_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from ladder import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}"})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0008")
        db.session.execute(text("INSERT INTO frameworks (id, key, name) VALUES (1, 'data', 'Data'), "
                                "(2, 'engineering', 'Engineering')"))
        db.session.execute(text("INSERT INTO users (email, name, level_key, track_key, is_admin, is_active_account, "
                                "must_change_password, session_version, created_at) "
                                "VALUES ('a@example.com', 'A', 'senior', 'ic', false, true, false, 1, '2026-01-01')"))
        db.session.commit()
        upgrade(directory=directory)
        assert db.session.execute(text("SELECT framework_id FROM users")).scalar() == 2
        db.session.remove()
        downgrade(directory=directory, revision="0008")
        assert "framework_id" not in {c["name"] for c in inspect(db.engine).get_columns("users")}
        db.engine.dispose()
