"""The `ladder` command: Flask's CLI (run, shell, db ...) plus Ladder's own commands."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from . import clock, create_app
from .domain.rubric import Rubric, RubricError, dump_rubric, load_rubric
from .extensions import db
from .models import Ladder, LadderVersion, User
from .schema_changes import DOWNGRADE_ARGUMENT, DROP_DATA_ARGUMENT


def _create_app(*_args, **_kwargs):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli():
    """Ladder: career ladders, reviews and promotion readiness."""


def main() -> None:
    cli(prog_name="ladder")


def _guarded_downgrade() -> click.Command:
    """Flask-Migrate's `db downgrade` plus `--drop-data`: without it, a downgrade that would drop
    a table holding rows stops before changing anything (ladder/schema_changes.py)."""
    from flask_migrate import cli as migrate_cli

    original = migrate_cli.downgrade

    def downgrade(drop_data: bool, x_arg: tuple, **kwargs):
        x_arg = (*x_arg, DOWNGRADE_ARGUMENT, *([DROP_DATA_ARGUMENT] if drop_data else []))
        return original.callback(x_arg=x_arg, **kwargs)

    drop_data = click.Option(["--drop-data"], is_flag=True,
                             help="Allow dropping tables that hold rows (export first).")
    return click.Command("downgrade", callback=downgrade, params=[*original.params, drop_data],
                         help=original.help, short_help=original.short_help)


def register_commands(app) -> None:
    """Ladder's commands live on app.cli, so `ladder ...`, `flask ...` and tests all see them."""
    app.cli.add_command(demo_command)
    app.cli.add_command(ladders_group)
    app.cli.add_command(click.Group("framework", commands=ladders_group.commands, hidden=True,
                                    help="The older name of `ladder ladders`, kept for existing scripts."))
    from .notifications.jobs import notify_command

    app.cli.add_command(notify_command)
    from .admin.cli import register as register_admin_commands

    register_admin_commands(app)
    from flask_migrate.cli import db as migrate_group

    migrate_group.add_command(_guarded_downgrade())


def upgrade_database() -> None:
    """Bring the schema to the latest migration (creates the SQLite file if absent)."""
    upgrade(directory=current_app.extensions["migrate"].directory)


def head_revision() -> str | None:
    """The schema revision `upgrade_database` brings a database to."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()


def reset_database() -> None:
    """Drop every table, including Alembic's bookkeeping, so upgrade starts from nothing."""
    db.session.remove()
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # users refer to users
        db.metadata.drop_all(connection)
        if inspect(connection).has_table("alembic_version"):
            connection.execute(text("DROP TABLE alembic_version"))
        if connection.dialect.name == "postgresql":  # created by migration 0002
            connection.execute(text("DROP FUNCTION IF EXISTS users_refuse_reporting_cycle() CASCADE"))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--reset", is_flag=True, help="Start over: drop all data and rebuild the demo.")
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit without serving.")
@click.option("--engineers", default=0, show_default=True, type=click.IntRange(min=0),
              help="Also add a synthetic organisation of N people below the demo director.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed of the synthetic organisation.")
@with_appcontext
def demo_command(host: str, port: int, reset: bool, no_serve: bool, engineers: int, seed: int) -> None:
    """Create the database, load the default ladder and a demo organisation, and serve."""
    from .services.demo import DEMO_PASSWORD, build_demo_org

    if reset:
        reset_database()
        click.echo("Dropped all data.")
    upgrade_database()
    if db.session.scalar(select(User.id).limit(1)) is None:
        accounts = build_demo_org(clock.today())
        db.session.commit()
        click.echo("Loaded the default ladder and the demo organisation.")
        if engineers:
            _build_synthetic(engineers, seed)
    else:
        accounts = list(db.session.scalars(select(User.email).order_by(User.email)))
        click.echo("The database already has people; kept it (use --reset to start over).")
    click.echo(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for email in accounts:
        click.echo(f"  {email}")
    if no_serve:
        return
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    # Flask refuses app.run() inside its CLI; the demo serves with Werkzeug directly.
    from werkzeug.serving import run_simple

    # The app behind the current_app proxy (a LocalProxy method, which mypy cannot see on Flask).
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


def _build_synthetic(engineers: int, seed: int) -> None:
    """The synthetic organisation with a progress bar, committed once at the end."""
    import time

    from .services.synthetic import build_synthetic_org

    started = time.perf_counter()
    with click.progressbar(length=engineers, label=f"Adding {engineers} synthetic people",
                           file=sys.stderr) as bar:
        org = build_synthetic_org(engineers, clock.today(), seed, progress=bar.update)
    db.session.commit()
    counts = ", ".join(f"{v} {k}" for k, v in org.counts.items())
    click.echo(f"Added {counts} in {time.perf_counter() - started:.1f} s.")


@click.group("ladders")
def ladders_group():
    """Import, export and load ladders as YAML or spreadsheets (CSV)."""


@ladders_group.command("load-default")
@with_appcontext
def load_default_command() -> None:
    """Load the shipped default ladder (a no-op when the latest version already equals it)."""
    from .services.ladders import load_default_ladder

    version, created = load_default_ladder()
    db.session.commit()
    click.echo(f"{'Loaded' if created else 'Already current:'} {version.name} v{version.number}")


def _rubric_or_exit(path: Path, consequence: str = "") -> Rubric:
    """The ladder in a YAML file, or every problem listed (file, line, key path) and exit 1."""
    try:
        return load_rubric(path)
    except RubricError as error:
        _exit_with_problems(path, error, consequence)


def _exit_with_problems(path: Path, error: RubricError, consequence: str) -> NoReturn:
    click.echo(f"{path} has {len(error.problems)} problem(s){consequence}:", err=True)
    for problem in error.problems:
        click.echo(f"  {problem.format(str(path))}", err=True)
    sys.exit(1)


@ladders_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--draft", is_flag=True, help="Create a draft instead of publishing.")
@with_appcontext
def import_command(path: Path, draft: bool) -> None:
    """Import a ladder YAML file as a new version of its ladder."""
    from .services.ladders import import_rubric

    rubric = _rubric_or_exit(path, "; nothing was imported")
    from .services.placements import PeopleDoNotFit

    try:
        version, created = import_rubric(rubric, publish=not draft)
    except PeopleDoNotFit as error:
        db.session.rollback()
        click.echo(f"{path}: nothing was imported. {len(error.misfits)} active people would have no place in it:",
                   err=True)
        for misfit in error.misfits:
            click.echo(f"  {misfit}", err=True)
        click.echo("Move them first, map renamed keys with renamed_from, or import with --draft.", err=True)
        sys.exit(1)
    db.session.commit()
    if created:
        click.echo(f"Imported {rubric.key} as version {version.number} ({version.status}).")
    else:
        click.echo(f"Unchanged: {rubric.key} version {version.number} already has this content.")


@ladders_group.command("import-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ladder", "ladder_key", required=True, help="The ladder's key: an existing ladder gets a draft, "
              "a new key a new ladder.")
@click.option("--name", default=None, help="The ladder's name (needed for a new ladder).")
@click.option("--as", "as_email", metavar="EMAIL", help="The admin the audit log records as the author.")
@with_appcontext
def import_csv_command(path: Path, ladder_key: str, name: str | None, as_email: str | None) -> None:
    """Import a ladder kept in a spreadsheet (CSV: competency, area, track, level, expectation,
    see docs/ladder-format.md) as a draft version; review its diff and publish it in the admin
    pages. Exits 1, changing nothing, on any problem (each named by row and column)."""
    from .admin.cli import _actor
    from .domain.ladder_spreadsheet import decode
    from .services.ladder_admin import LadderError, spreadsheet_draft

    actor_id = _actor(as_email)
    try:
        version = spreadsheet_draft(decode(path.read_bytes(), str(path)), path.name, key=ladder_key, name=name,
                                    actor_id=actor_id)
    except RubricError as error:
        db.session.rollback()
        _exit_with_problems(path, error, "; nothing was imported")
    except LadderError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Imported {path} as draft version {version.number} of {ladder_key}: review its diff at "
               f"/admin/ladders/{ladder_key}/{version.number}/diff, then publish it.")


@ladders_group.command("lint")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def lint_command(path: Path) -> None:
    """Check a ladder YAML file: every error, then warnings about likely mistakes (an
    expectation that repeats or is shorter than the level below, a competency that skips a
    level, a track with no transitions out). Exits 1 on errors, 0 otherwise."""
    from .domain.ladder_lint import lint

    rubric = _rubric_or_exit(path)
    warnings = lint(rubric)
    for warning in warnings:
        click.echo(f"{path}: warning: {warning}")
    click.echo(f"{path}: valid (format {rubric.format}), {len(rubric.tracks)} tracks, {len(rubric.levels)} levels, "
               f"{len(rubric.competencies)} competencies; {len(warnings)} warning(s).")


@ladders_group.command("export")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "ladder_key", default=None, help="Ladder key (default: the default ladder).")
@click.option("--version", "number", type=int, default=None, help="Version number (default: latest).")
@click.option("--csv", "as_csv", is_flag=True, help="Spreadsheet rows (the columns import-csv reads) instead of YAML.")
@with_appcontext
def export_command(path: Path | None, ladder_key: str | None, number: int | None, as_csv: bool) -> None:
    """Export a ladder version as YAML (or CSV) to PATH (or standard output)."""
    from .domain.ladder_spreadsheet import POINTS_LADDER, ladder_csv
    from .services.ladders import load_version
    from .services.placements import default_ladder_key

    key = ladder_key or default_ladder_key()
    query = select(LadderVersion).join(Ladder).where(Ladder.key == key)
    query = query.where(LadderVersion.number == number) if number else query.order_by(LadderVersion.number.desc())
    version = db.session.scalars(query.limit(1)).first()
    if version is None:
        raise click.ClickException(f"No ladder {key!r}" + (f" version {number}" if number else "") + ".")
    rubric = load_version(version.id).rubric
    if as_csv and rubric.rule.is_points:
        raise click.ClickException(POINTS_LADDER[0].upper() + POINTS_LADDER[1:] + ".")
    text_out = ladder_csv(rubric) if as_csv else dump_rubric(rubric, version.number)
    if path:
        path.write_text(text_out, encoding="utf-8-sig" if as_csv else "utf-8")  # the mark tells Excel it is UTF-8
        click.echo(f"Wrote {key} version {version.number} to {path}.")
    else:
        click.echo(text_out, nl=False)
