"""The audit log: recorded in one place, a session hook that sees every insert, update and delete.

Every flush of an audited model writes one audit row per changed record (with the before and
after values of the changed fields) in the same transaction, so a change and its record commit
or roll back together, and no view or service can forget to record. The actor comes from a
context variable (`acting_as`, for CLI commands and jobs) or, in a request, the signed-in
person. `record(...)` stays for semantic actions (submit, share, reopen, publish) that say *why*.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEntry, Review, Verdict
from ..models import ladder as ladder_models

# Tables whose rows are the *content* of a ladder version: stored once by store_rubric and
# never edited in place (a draft is replaced as a whole), so the version row is audited instead.
NOT_AUDITED = frozenset({
    "audit_log",
    ladder_models.Level.__tablename__, ladder_models.Track.__tablename__,
    ladder_models.TrackLevel.__tablename__, ladder_models.Area.__tablename__,
    ladder_models.Competency.__tablename__, ladder_models.CompetencyTrack.__tablename__,
    ladder_models.Expectation.__tablename__,
})
# Bookkeeping columns: changing only these is not worth a line in the log.
IGNORED_FIELDS = frozenset({"lock_version", "updated_at", "created_at"})
SECRET_FIELD = re.compile(r"password|token|secret", re.IGNORECASE)
# Columns that say whom a record is about, in order of preference (models of other areas too).
SUBJECT_COLUMNS = ("subject_id", "mentee_id", "engineer_id", "owner_id", "user_id")

_actor: ContextVar[int | None] = ContextVar("ladder_audit_actor", default=None)


@contextmanager
def acting_as(actor_id: int | None):
    """Attribute every change made inside the block to `actor_id` (CLI commands, jobs, tests)."""
    token = _actor.set(actor_id)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor_id() -> int | None:
    """Who is making the change: an explicit `acting_as`, else the signed-in person, else nobody."""
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    if has_request_context():
        user = g.get("_login_user")  # Flask-Login's per-request user, without triggering a load
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return None


def record(actor_id: int | None, action: str, entity_type: str, entity_id: int | None,
           subject_id: int | None = None, changes: dict | None = None) -> AuditEntry:
    """Add a semantic audit entry to the session; it is committed with the change it describes."""
    entry = AuditEntry(actor_id=actor_id, action=action, entity_type=entity_type,
                       entity_id=entity_id, subject_id=subject_id, changes=changes or {})
    db.session.add(entry)
    return entry


def entity_type_of(obj_or_class) -> str:
    """`ReviewCycle` -> `review_cycle`: the name the log and its filters use."""
    cls = obj_or_class if isinstance(obj_or_class, type) else type(obj_or_class)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def is_audited(cls) -> bool:
    return getattr(cls, "__tablename__", None) not in NOT_AUDITED


def audited_models() -> list[type]:
    """Every mapped model whose changes are recorded (all but ladder content and the log)."""
    return sorted((m.class_ for m in db.Model.registry.mappers if is_audited(m.class_)),
                  key=lambda cls: cls.__name__)


def _json(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _shown(key: str, value):
    return "(set)" if SECRET_FIELD.search(key) and value is not None else _json(value)


def _columns(obj):
    return [attr for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj) -> dict:
    return {attr.key: _shown(attr.key, getattr(obj, attr.key)) for attr in _columns(obj)
            if attr.key not in IGNORED_FIELDS}


def _changed(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in _columns(obj):
        if attr.key in IGNORED_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        if SECRET_FIELD.search(attr.key):
            changes[attr.key] = "changed"
        else:
            changes[attr.key] = [_json(before), _json(after)]
    return changes


def _subject_and_entity(session: Session, obj) -> tuple[int | None, str, int | None]:
    """Whom a record is about, and which entity the log files it under.

    Ratings are filed under their review, so the history of a review (and who may read it)
    follows the review's own visibility.
    """
    from ..models import Rating, User

    if isinstance(obj, User):
        return obj.id, "user", obj.id
    if isinstance(obj, Rating):
        review = session.get(Review, obj.review_id) if obj.review_id else None
        return (review.subject_id if review else None), "review", obj.review_id
    for column in SUBJECT_COLUMNS:
        if hasattr(obj, column):
            return getattr(obj, column), entity_type_of(obj), _identity(obj)
    return None, entity_type_of(obj), _identity(obj)


def _identity(obj) -> int | None:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)  # set by now, even for new rows
    return ident[0] if len(ident) == 1 and isinstance(ident[0], int) else None


def _keep_old_values() -> None:
    """Make every audited column remember its old value, even when set on an expired instance
    (after a commit), so the log can show *before* as well as *after*."""
    for mapper in db.Model.registry.mappers:
        if not is_audited(mapper.class_):
            continue
        for attr in mapper.column_attrs:
            descriptor = getattr(mapper.class_, attr.key)
            if not event.contains(descriptor, "set", _noop_set):
                event.listen(descriptor, "set", _noop_set, active_history=True)


def _noop_set(target, value, oldvalue, initiator):
    return value


_keep_old_values()


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, flush_context) -> None:
    """Write one audit row per audited insert, update and delete of this flush.

    `after_flush` still sees the pre-flush new/dirty/deleted sets and attribute history, and
    new rows already have their ids; rows go in with one INSERT on the flush's connection.
    """
    rows = []
    actor_id = current_actor_id()
    with session.no_autoflush:
        for verb, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in objects:
                if not is_audited(type(obj)) or not hasattr(obj, "__tablename__"):
                    continue
                if verb == "update":
                    if not session.is_modified(obj, include_collections=False):
                        continue
                    changes = _changed(obj)
                    if not changes:
                        continue
                elif verb == "create":
                    changes = {k: [None, v] for k, v in _snapshot(obj).items() if v not in (None, "", False)}
                else:
                    changes = {k: [v, None] for k, v in _snapshot(obj).items() if v not in (None, "", False)}
                subject_id, entity_type, entity_id = _subject_and_entity(session, obj)
                if verb == "delete" and entity_type == "user":
                    subject_id = None  # the row it would point at is gone
                prefix = entity_type_of(obj)
                if prefix != entity_type:  # a rating, filed under its review
                    changes = {"competency_id": _json(getattr(obj, "competency_id", None)), **changes}
                rows.append({"actor_id": actor_id, "action": f"{prefix}.{verb}", "entity_type": entity_type,
                             "entity_id": entity_id, "subject_id": subject_id, "changes": changes})
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def subject_entries_query(subject_id: int):
    """The log of changes to one person's records, newest first (filtered further for visibility)."""
    return (select(AuditEntry).where(AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))


# --- Reading the log --------------------------------------------------------------------------

PAGE_SIZE = 50


def search(*, actor_id: int | None = None, subject_id: int | None = None, entity_type: str = "",
           action: str = "", since: date | None = None, until: date | None = None, page: int = 1):
    """One page of the log, newest first, with the total number of matching entries."""
    from datetime import timedelta

    from sqlalchemy import func

    query = select(AuditEntry)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    if since:
        query = query.where(AuditEntry.created_at >= datetime.combine(since, datetime.min.time()))
    if until:
        query = query.where(AuditEntry.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    entries = db.session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                 .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return entries, total


def entity_types() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)))


def visible_to_subject(entries: list[AuditEntry], viewer_id: int) -> list[AuditEntry]:
    """The entries about a person that the person may read (see permissions.can_read_own_audit_entry)."""
    from ..domain.permissions import can_read_own_audit_entry
    from .cycles import held_cycle_ids

    review_ids = {e.entity_id for e in entries if e.entity_type == "review" and e.entity_id}
    reviews = {r.id: (r.kind, r.status) for r in db.session.scalars(select(Review).where(Review.id.in_(review_ids)))} \
        if review_ids else {}
    held = held_cycle_ids(viewer_id)
    held_ids: set[tuple[str, int]] = set()
    if held:  # the manager reviews and verdicts of cycles that still hold results from the viewer
        held_ids = {("review", rid) for rid in db.session.scalars(
            select(Review.id).where(Review.subject_id == viewer_id, Review.kind == "manager", Review.cycle_id.in_(held)))}
        held_ids |= {("verdict", vid) for vid in db.session.scalars(
            select(Verdict.id).where(Verdict.subject_id == viewer_id, Verdict.cycle_id.in_(held)))}
    return [e for e in entries if can_read_own_audit_entry(
        e.entity_type, reviews.get(e.entity_id) if e.entity_type == "review" else None,
        authored=e.actor_id == viewer_id, held=(e.entity_type, e.entity_id) in held_ids)]
