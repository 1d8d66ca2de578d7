"""Administering people: the directory, creating and editing, deactivation, one-time passwords,
and applying a CSV import plan all-or-nothing. Changes are audited by the session hook (the
import's bulk writes by audit.record_bulk_writes)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Select, bindparam, func, insert, inspect, or_, select, update
from sqlalchemy.orm import aliased

from ..database import refresh_statistics, table_of
from ..domain.emails import EmailProblem, normalise_email
from ..domain.passwords import password_problem
from ..domain.people_import import NAME_MAX, ExistingPerson, ImportPlan, RowPlan, on_ladder
from ..domain.rubric import Rubric
from ..extensions import db
from ..models import Ladder, User
from . import audit
from .people import would_create_cycle
from .placements import default_ladder_key
from .sessions import end_all_sessions

PAGE_SIZE = 50
T = TypeVar("T")


class PersonError(ValueError):
    """A change that cannot be made, with a message for the field it is about."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class PersonData:
    email: str
    name: str
    ladder_key: str
    level_key: str
    track_key: str
    manager_email: str
    title: str
    is_admin: bool
    on_ladder: bool = True


@dataclass(frozen=True)
class DirectoryFilter:
    q: str = ""
    level: str = ""
    track: str = ""
    status: str = "active"  # active | inactive | all
    admins_only: bool = False
    manager_id: int | None = None


def directory(filters: DirectoryFilter, page: int = 1) -> tuple[list[tuple[User, User | None, int]], int]:
    """One page of people with their manager and number of direct reports, and the total count."""
    manager = aliased(User)
    report_count = aliased(User)
    count_subq = (select(report_count.manager_id, func.count(report_count.id).label("n"))
                  .group_by(report_count.manager_id).subquery())
    query = (select(User, manager, func.coalesce(count_subq.c.n, 0))
             .outerjoin(manager, User.manager_id == manager.id)
             .outerjoin(count_subq, count_subq.c.manager_id == User.id))
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like),
                                func.lower(func.coalesce(User.title, "")).like(like)))
    if filters.level:
        query = query.where(User.level_key == filters.level)
    if filters.track:
        query = query.where(User.track_key == filters.track)
    if filters.status == "active":
        query = query.where(User.is_active_account.is_(True))
    elif filters.status == "inactive":
        query = query.where(User.is_active_account.is_(False))
    if filters.admins_only:
        query = query.where(User.is_admin.is_(True))
    if filters.manager_id:
        query = query.where(User.manager_id == filters.manager_id)
    total = count_of(query)
    rows = db.session.execute(query.order_by(func.lower(User.name), User.id)
                              .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return [(person, manager, reports) for person, manager, reports in rows], total


def count_of(query: Select[*tuple[Any, ...]]) -> int:
    """How many rows a SELECT of people would return."""
    return db.session.execute(
        select(func.count()).select_from(query.with_only_columns(User.id).subquery())).scalar_one()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _validate(data: PersonData, rubric: Rubric, person: User | None) -> int | None:
    """Check a person's data against the ladder and the tree; returns the manager's id."""
    other = find_by_email(data.email)
    if other is not None and (person is None or other.id != person.id):
        raise PersonError("email", f"{data.email} already belongs to {other.name}.")
    if not rubric.has_level(data.level_key):
        raise PersonError("level_key", f"Choose a level of {rubric.name}.")
    if not rubric.has_track(data.track_key):
        raise PersonError("track_key", f"Choose a track of {rubric.name}.")
    if data.level_key not in rubric.track(data.track_key).levels:
        raise PersonError("level_key", f"{rubric.level(data.level_key).name} is not a level of the "
                                       f"{rubric.track(data.track_key).name} track.")
    if not data.manager_email:
        return None
    manager = find_by_email(data.manager_email)
    if manager is None:
        raise PersonError("manager_email", f"Nobody in Ladder has the email {data.manager_email}.")
    if not manager.is_active_account:
        raise PersonError("manager_email", f"{manager.name} is deactivated; choose an active manager.")
    if person is not None and would_create_cycle(person.id, manager.id):
        if manager.id == person.id:
            raise PersonError("manager_email", "A person cannot be their own manager.")
        raise PersonError("manager_email", f"{manager.name} reports (directly or not) to {person.name}: "
                                           "this would make a reporting cycle.")
    return manager.id


def _ladder_id(rubric: Rubric) -> int:
    return db.session.execute(select(Ladder.id).where(Ladder.key == rubric.key)).scalar_one()


def create_person(data: PersonData, rubric: Rubric) -> User:
    """Add a person (without a password: an admin sets a one-time password for them)."""
    manager_id = _validate(data, rubric, None)
    person = User(email=data.email.strip().lower(), name=data.name.strip(), level_key=data.level_key,
                  track_key=data.track_key, title=data.title.strip() or None, is_admin=data.is_admin,
                  on_ladder=data.on_ladder, manager_id=manager_id, ladder_id=_ladder_id(rubric))
    db.session.add(person)
    db.session.flush()
    return person


def create_administrator(email: str, name: str, password: str | None) -> tuple[User, str | None]:
    """An administrator from the console, before any ladder may exist: no ladder role (no level,
    track or manager; the person form gives them one to review them), so no review, report row or
    readiness until then. With no password given,
    returns a one-time password that must be changed at first sign-in."""
    try:
        email = normalise_email(email)
    except EmailProblem as error:
        raise PersonError("email", str(error)) from None
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise PersonError("name", f"Give a name of 1 to {NAME_MAX} characters.")
    other = find_by_email(email)
    if other is not None:
        raise PersonError("email", f"{email} already belongs to {other.name}.")
    if password is not None:
        problem = password_problem(password, email=email, name=name)
        if problem:
            raise PersonError("password", problem)
    admin = User(email=email, name=name, level_key="", track_key="", is_admin=True, on_ladder=False)
    db.session.add(admin)
    db.session.flush()
    if password is None:
        return admin, set_one_time_password(admin)
    admin.set_password(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.flush()
    return admin, None


def update_person(person: User, data: PersonData, rubric: Rubric, *, actor: User) -> None:
    """Change a person's details; an admin cannot remove their own admin flag (lock-out)."""
    manager_id = _validate(data, rubric, person)
    if person.id == actor.id and person.is_admin and not data.is_admin:
        raise PersonError("is_admin", "You cannot remove your own admin rights; ask another admin.")
    person.email = data.email.strip().lower()
    person.name = data.name.strip()
    person.ladder_id = _ladder_id(rubric)
    person.level_key = data.level_key
    person.track_key = data.track_key
    person.title = data.title.strip() or None
    person.is_admin = data.is_admin
    person.on_ladder = data.on_ladder
    person.manager_id = manager_id
    db.session.flush()


def active_report_names(person: User) -> list[str]:
    return list(db.session.scalars(select(User.name).where(
        User.manager_id == person.id, User.is_active_account.is_(True)).order_by(User.name)))


def set_active(person: User, active: bool, *, actor: User) -> None:
    """Deactivate (history kept, sign-in refused) or reactivate a person."""
    if not active:
        if person.id == actor.id:
            raise PersonError("active", "You cannot deactivate yourself.")
        reports = active_report_names(person)
        if reports:
            raise PersonError("active", f"{person.name} still manages {len(reports)} active people "
                                        f"({', '.join(reports[:5])}{'…' if len(reports) > 5 else ''}); "
                                        "give them another manager first.")
    person.is_active_account = active
    if not active:
        end_all_sessions(person)  # so reactivating later brings none of them back
    db.session.flush()


def set_one_time_password(person: User) -> str:
    """A random password to hand over once; only its hash is stored, and it must be changed."""
    password = "-".join(secrets.token_urlsafe(4).replace("-", "x").replace("_", "y") for _ in range(4))
    person.set_password(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    person.must_change_password = True
    end_all_sessions(person)
    db.session.flush()
    return password


# --- CSV import -------------------------------------------------------------------------------

def existing_people() -> list[ExistingPerson]:
    """Everyone, as plain data for the import planner (one query)."""
    manager = aliased(User)
    default = default_ladder_key()
    rows = db.session.execute(
        select(User.email, User.name, User.level_key, User.track_key, manager.email, User.title,
               User.is_active_account, Ladder.key, User.on_ladder).outerjoin(manager, User.manager_id == manager.id)
        .outerjoin(Ladder, Ladder.id == User.ladder_id))
    return [ExistingPerson(email, name, level, track, manager_email or "", title or "", active, ladder or default, role)
            for email, name, level, track, manager_email, title, active, ladder, role in rows]


class ImportRefused(ValueError):
    """The plan has errors: nothing was changed."""


IMPORT_BATCH = 1000  # rows a statement: few round trips, and the progress bar moves every batch
# What an import writes of a person (besides their email, on a new person).
IMPORTED_COLUMNS = ("name", "level_key", "track_key", "title", "framework_id", "on_ladder", "manager_id")


def apply_import(plan: ImportPlan, *, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Create and update everyone in the plan, or nothing at all if any row has an error.

    Written in batches with Core (an ORM flush of 50,000 people took minutes), with the audit
    entries the session hook would have written, one per person. New people go in manager
    first, so each is inserted with their manager's id; existing people whose manager changes
    have it cleared first, so no intermediate state can be a loop when the final one is not
    (the plan refuses loops; on PostgreSQL the reporting-cycle trigger still checks every row).
    """
    if not plan.ok:
        raise ImportRefused(f"{len(plan.error_rows)} row(s) have errors; nothing was imported.")
    tick = progress or (lambda count: None)
    db.session.flush()  # the hook logs pending ORM changes before the Core writes below
    users = table_of(User)
    before = {row["email"]: dict(row) for row in db.session.execute(
        select(users.c.id, users.c.email, *(users.c[name] for name in IMPORTED_COLUMNS))).mappings()}
    wanted = _WantedColumns(dict(db.session.execute(select(Ladder.key, Ladder.id)).all()),
                            {email: row["id"] for email, row in before.items()})
    _create_people([r for r in plan.rows if r.action == "create"], wanted, tick)
    updates = [(before[r.email], wanted(r, before[r.email])) for r in plan.rows if r.action == "update"]
    _update_people(updates, tick)
    tick(plan.count("unchanged"))
    for person in [obj for obj in db.session.identity_map.values() if isinstance(obj, User)]:
        db.session.expire(person)  # loaded before the Core writes
    return {"create": plan.count("create"), "update": len(updates), "unchanged": plan.count("unchanged")}


@dataclass
class _WantedColumns:
    """What an import row makes of a person's columns, given what they hold now: a blank
    optional cell keeps the current value."""

    ladder_ids: dict[str, int]  # ladder key -> id
    ids: dict[str, int]  # email -> id, growing as new people are inserted (their reports need them)

    def __call__(self, row_plan: RowPlan, current: dict[str, Any]) -> dict[str, Any]:
        row = row_plan.row
        role = on_ladder(row)
        return {"name": row.name, "level_key": row.level, "track_key": row.track,
                "title": current["title"] if row.title is None else row.title or None,
                "framework_id": current["framework_id"] if row.ladder is None else self.ladder_ids[row.ladder],
                "on_ladder": current["on_ladder"] if role is None else role,
                "manager_id": self.ids[row.manager_email] if row.manager_email else None}


def _create_people(rows: list[RowPlan], wanted: _WantedColumns, tick: Callable[[int], None]) -> None:
    """Insert the new people manager first, a batch a statement, each with an audit entry."""
    users = table_of(User)
    # every column back, for the audit entry; rows are matched by email (a batch's RETURNING
    # order is not guaranteed on SQLite, and asking for it there costs a statement a row)
    returned = [attr.columns[0] for attr in inspect(User).column_attrs]
    new = {"title": None, "framework_id": None, "on_ladder": True}
    for wave in _manager_first(rows):
        for batch in _batches(wave):
            # the reporting-cycle trigger planned on a nearly empty table scans it per inserted row
            refresh_statistics(db.session, "users")
            inserted = db.session.execute(
                insert(users).returning(*returned),
                [{"email": r.email, **wanted(r, new)} for r in batch]).mappings().all()
            wanted.ids.update((row["email"], row["id"]) for row in inserted)
            audit.record_bulk_writes(User, [dict(row) for row in inserted], [])
            tick(len(batch))


def _update_people(updates: list[tuple[dict[str, Any], dict[str, Any]]], tick: Callable[[int], None]) -> None:
    """Write the changed people (before, after), those who change manager detached first."""
    users = table_of(User)
    for pairs in _batches(updates):
        moving = [{"person": old["id"]} for old, after in pairs if old["manager_id"] != after["manager_id"]]
        if moving:
            db.session.execute(update(users).where(users.c.id == bindparam("person")).values(manager_id=None), moving)
    for pairs in _batches(updates):
        db.session.execute(update(users).where(users.c.id == bindparam("person")),
                           [{"person": old["id"], **after} for old, after in pairs])
        audit.record_bulk_writes(User, [], pairs)
        tick(len(pairs))


def _manager_first(rows: list[RowPlan]) -> list[list[RowPlan]]:
    """New people in waves: those whose manager is already in Ladder (or who have none), then
    their reports, and so on (the plan has no loops, so every chain ends in the first wave)."""
    manager_of = {r.email: r.row.manager_email for r in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain = [row.email]
        while manager_of.get(chain[-1]) in manager_of and manager_of[chain[-1]] not in depth:
            chain.append(manager_of[chain[-1]])
            if len(chain) > len(rows):
                raise ImportRefused("The new people's reporting lines form a loop; nothing was imported.")
        base = depth.get(manager_of.get(chain[-1], ""), -1)
        for email in reversed(chain):
            base = depth.setdefault(email, base + 1)
    waves: list[list[RowPlan]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for row in rows:
        waves[depth[row.email]].append(row)
    return waves


def _batches(items: list[T]) -> list[list[T]]:
    return [items[start:start + IMPORT_BATCH] for start in range(0, len(items), IMPORT_BATCH)]
