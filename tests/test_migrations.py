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
