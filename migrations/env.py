import logging
import time
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.exc import OperationalError, SAWarning

from ladder.schema_changes import (
    DOWNGRADE_ARGUMENT,
    DROP_DATA_ARGUMENT,
    MigrationRefused,
    guard_table_drops,
    is_lock_timeout,
    lock_timeout_message,
    migration_settings,
    refuse_to_drop_rows,
    tables_dropped_by,
)

# A migration that cannot get its locks (a long transaction holds a table) gives up after
# MIGRATION_LOCK_TIMEOUT, is retried a few times, then stops with a clear message: the app's
# requests never queue behind it for long.
LOCK_ATTEMPTS = 3

# SQLite cannot reflect expression indexes (users' report-order indexes, 0007), and batch
# migrations reflect the tables they touch and those they reference. A batch migration that
# recreates `users` on SQLite must create those indexes again itself.
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", SAWarning)

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')


def get_engine():
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    return get_engine().url.render_as_string(hide_password=False).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()
    arguments = context.get_x_argument(as_dictionary=True)
    guard_table_drops(DROP_DATA_ARGUMENT in arguments)

    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            with connectable.connect() as connection, migration_settings(connection):
                context.configure(
                    connection=connection,
                    target_metadata=get_metadata(),
                    **conf_args
                )

                if DOWNGRADE_ARGUMENT in arguments and DROP_DATA_ARGUMENT not in arguments:
                    migration = context.get_context()
                    steps = migration._migrations_fn(migration.get_current_heads(), migration)
                    refuse_to_drop_rows(connection, tables_dropped_by(steps))

                with context.begin_transaction():
                    context.run_migrations()
            return
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            if attempt == LOCK_ATTEMPTS:
                raise MigrationRefused(lock_timeout_message(error)) from None
            logger.warning('A lock was not available (attempt %s of %s); retrying in %s s.',
                           attempt, LOCK_ATTEMPTS, 2 * attempt)
            time.sleep(2 * attempt)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
