"""Administration from the console: `ladder people import`, `ladder export`, `ladder restore`.

Console commands run with the server's own access, so they are for operators; `--as EMAIL`
attributes the changes to an admin in the audit log (and refuses anyone who is not one).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from ..database import lift_request_limits
from ..domain.emails import EmailProblem, normalise_email
from ..extensions import db
from ..files import open_private
from ..models import User


def _actor(email: str | None) -> int | None:
    if not email:
        return None
    try:
        address = normalise_email(email)
    except EmailProblem as problem:
        raise click.ClickException(f"--as {email}: {problem}") from None
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None or not user.is_admin or not user.is_active_account:
        raise click.ClickException(f"{email} is not an active administrator.")
    return user.id


@click.group("admin")
def admin_group():
    """Administrators."""


@admin_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The administrator's name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts) "
              "instead of printing a one-time password.")
@with_appcontext
def create_admin_command(email: str, name: str, password_stdin: bool) -> None:
    """Create an administrator (the first one, on a new install) and print a one-time password."""
    from ..services.people_admin import PersonError, create_administrator

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        admin, one_time = create_administrator(email, name, password)
    except PersonError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Created administrator {admin.name} <{admin.email}>.")
    if one_time:
        click.echo(f"One-time password (shown once; it must be changed at first sign-in): {one_time}")


@click.group("cycles")
def cycles_group():
    """Review cycles."""


_DATE = click.DateTime(formats=["%Y-%m-%d"])


@cycles_group.command("create")
@click.argument("name")
@click.option("--ladder", "ladder_keys", required=True, multiple=True,
              help="A ladder's key (repeat for several ladders); each one's latest published version is used.")
@click.option("--opens", type=_DATE, default=None, help="Opening date (default: today).")
@click.option("--self-due", type=_DATE, required=True, help="Self-reviews due (YYYY-MM-DD).")
@click.option("--manager-due", type=_DATE, required=True, help="Manager reviews due (YYYY-MM-DD).")
@click.option("--closes", type=_DATE, default=None,
              help="Closing date (default: two weeks after manager reviews are due).")
@click.option("--open", "open_now", is_flag=True, help="Open it now and start everyone's reviews.")
@click.option("--as", "as_email", metavar="EMAIL", help="The admin the audit log records as the author.")
@with_appcontext
def create_cycle_command(name: str, ladder_keys: tuple[str, ...], opens, self_due, manager_due, closes, open_now: bool,
                         as_email: str | None) -> None:
    """Create a review cycle on a ladder (and, with --open, open it)."""
    from datetime import timedelta

    from .. import clock
    from ..services import cycles as cycle_service
    from ..services.audit import acting_as
    from ..services.ladders import latest_published

    actor_id = _actor(as_email)
    versions = []
    for key in ladder_keys:
        version = latest_published(key)
        if version is None:
            raise click.ClickException(f"No published ladder {key!r}; import one with `ladder ladders import`.")
        versions.append(version)
    manager_due = manager_due.date()
    data = cycle_service.CycleData(" ".join(name.split()), versions[0].id, opens.date() if opens else clock.today(),
                                   self_due.date(), manager_due,
                                   closes.date() if closes else manager_due + timedelta(days=14),
                                   other_version_ids=tuple(v.id for v in versions[1:]))
    with acting_as(actor_id):
        try:
            cycle = cycle_service.create_cycle(data)
            started = cycle_service.open_cycle(cycle, actor=db.session.get(User, actor_id) if actor_id else None) \
                if open_now else None
        except cycle_service.CycleError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        db.session.commit()
    on = ", ".join(f"{v.name} v{v.number}" for v in versions)
    click.echo(f"Created {cycle.name} on {on} ({cycle.status}).")
    if started:
        created, skipped = started
        click.echo(f"{created} reviews started.")
        for reason in skipped:
            click.echo(f"  Not started: {reason}", err=True)


@click.group("people")
def people_group():
    """Administer people."""


@people_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change and every error; change nothing.")
@click.option("--as", "as_email", metavar="EMAIL", help="The admin the audit log records as the author.")
@with_appcontext
def import_people_command(path: Path, dry_run: bool, as_email: str | None) -> None:
    """Import people from a CSV file (email, name, level, track, manager_email[, title])."""
    from ..domain.people_import import plan_import, read_csv
    from ..services import people_admin
    from ..services.audit import acting_as
    from ..services.ladders import current_rubric, published_by_key

    actor_id = _actor(as_email)
    lift_request_limits(db.session)  # planning 50,000 rows outlasts the 30 s a transaction may idle
    loaded = current_rubric()
    if loaded is None:
        raise click.ClickException("No published ladder: run `ladder ladders load-default` first.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text.") from None
    rows, file_errors = read_csv(text)
    plan = plan_import(rows, people_admin.existing_people(), {k: v.rubric for k, v in published_by_key().items()},
                       loaded.rubric.key)
    plan.file_errors.extend(file_errors)
    click.echo(f"{path}: {len(plan.rows)} rows: {plan.count('create')} to add, {plan.count('update')} to update, "
               f"{plan.count('unchanged')} unchanged.")
    for error in plan.file_errors:
        click.echo(f"  {error}", err=True)
    for row in plan.error_rows:
        for error in row.errors:
            click.echo(f"  line {row.line}: {error}", err=True)
    if not plan.ok:
        click.echo(f"{len(plan.error_rows) or 'The file'} row(s) have errors; nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        for row in plan.rows:
            if row.action == "update":
                click.echo(f"  line {row.line}: update {row.email}: "
                           + "; ".join(f"{k} {old or '—'} → {new or '—'}" for k, (old, new) in row.changes.items()))
        click.echo("Dry run: nothing was changed.")
        return
    with acting_as(actor_id), click.progressbar(length=len(plan.rows), label="Importing", file=sys.stderr) as bar:
        counts = people_admin.apply_import(plan, progress=bar.update)
        db.session.commit()
    click.echo(f"Imported: {counts['create']} added, {counts['update']} updated, {counts['unchanged']} unchanged.")


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write all data to PATH (see docs/export-format.md); `-` for standard output. One
    consistent snapshot, streamed, with per-table row counts and a checksum."""
    from ..services.backup import write_export

    with db.engine.connect() as connection:
        if str(path) == "-":
            write_export(connection, sys.stdout)
            return
        with open_private(path) as out:  # people's reviews and notes: owner only
            counts = write_export(connection, out)
    click.echo(f"Wrote {sum(counts.values())} rows from {len(counts)} tables to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore an export into an empty database (its tables created and migrated first if needed).

    The database is checked to be reachable and empty, and then the whole file (counts,
    checksum, every value's type), before anything, even a migration, changes it: the
    database first, because checking 50,000 people's file takes half a minute."""
    from ..cli import head_revision, upgrade_database
    from ..services.backup import ExportFile, RestoreError, check_target, restore_rows

    try:
        export = ExportFile.open(path)
        try:
            connection = db.engine.connect()
        except OperationalError as error:
            raise RestoreError(f"Ladder cannot connect to the database ({str(error.orig).strip()[:300]}). "
                               "Create it first (PostgreSQL: createdb NAME) or check DATABASE_URL.") from None
        with connection:
            check_target(connection, export.schema_revision, head_revision())
        problems = export.check()
        if problems:
            shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
            raise RestoreError(f"{path} cannot be restored:\n  " + "\n  ".join(shown) + "\n")
    except RestoreError as error:
        raise click.ClickException(f"{error} Nothing was restored; the database was not touched.") from None
    if export.version == 1:
        click.echo("A version 1 export: it has no row counts or checksum to verify.", err=True)
    upgrade_database()
    db.session.remove()
    try:
        with db.engine.begin() as connection:  # one transaction: all or nothing
            lift_request_limits(connection)  # an operator's bulk load, not a request
            counts = restore_rows(connection, export)
    except SQLAlchemyError as error:
        raise click.ClickException(f"The database refused the data ({error.__class__.__name__}: "
                                   f"{str(error.orig if hasattr(error, 'orig') else error)[:300]}). "
                                   "Nothing was restored.") from None
    click.echo(f"Restored {sum(counts.values())} rows into {len([c for c in counts.values() if c])} tables.")


def register(app) -> None:
    app.cli.add_command(admin_group)
    app.cli.add_command(cycles_group)
    app.cli.add_command(people_group)
    app.cli.add_command(export_command)
    app.cli.add_command(restore_command)
