"""The audit log: recorded in one place, a session hook that sees every insert, update and delete.

Every flush of an audited model writes one audit row per changed record (the before and after
values of the changed fields; the ratings a flush changes in one review make one row) in the same
transaction, so a change and its record commit or roll back together, and no view or service can
forget to record. The actor comes from a context variable (`acting_as`, for CLI commands and
jobs) or, in a request, the signed-in person. `record(...)` names the change for semantic actions
(submit, share, reopen, publish) that say *why*: it relabels the row the hook wrote for that
record in this transaction, so one change stays one row, and writes its own row only when no
record changed.

The log keeps who changed which fields of which record and when, never the content of private
or draft writing (see REDACTED_FIELDS); pages that show entries decide per entry, with the
record's own visibility rule, whether the reader sees the values or only the field names.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from flask import g, has_request_context
from sqlalchemy import Select, event, insert, inspect, select, update
from sqlalchemy.orm import ColumnProperty, Session, scoped_session

from ..database import table_of
from ..domain import permissions
from ..domain.permissions import Relation
from ..domain.statuses import ReviewKind
from ..extensions import Model, db
from ..models import (
    ActionItem,
    AuditEntry,
    FeedbackNote,
    Goal,
    GoalUpdate,
    OneOnOne,
    PeerFeedbackRequest,
    Rating,
    Review,
    User,
    Verdict,
)
from ..models import ladder as ladder_models

# Tables whose rows are the *content* of a ladder version: stored once by store_rubric and
# never edited in place (a draft is replaced as a whole), so the version row is audited instead.
NOT_AUDITED = frozenset({
    "audit_log",
    "notifications", "sign_in_links",  # derived from audited changes; delivery bookkeeping
    ladder_models.Level.__tablename__, ladder_models.Track.__tablename__,
    ladder_models.TrackLevel.__tablename__, ladder_models.Area.__tablename__,
    ladder_models.Competency.__tablename__, ladder_models.CompetencyTrack.__tablename__,
    ladder_models.Expectation.__tablename__,
})
# Bookkeeping columns: changing only these is not worth a line in the log (a review's readiness
# is derived from its ratings, which are logged).
IGNORED_FIELDS = frozenset({"lock_version", "updated_at", "created_at", "digest_sent_on", "readiness"})
SECRET_FIELD = re.compile(r"password|token|secret", re.IGNORECASE)
# Columns that say whom a record is about, in order of preference (models of other areas too).
SUBJECT_COLUMNS = ("subject_id", "mentee_id", "engineer_id", "owner_id", "user_id")
# Records about a person through their parent: (parent model, column to the parent, parent's subject column).
SUBJECT_THROUGH: dict[type, tuple[type[Any], str, str]] = {
    ActionItem: (OneOnOne, "one_on_one_id", "subject_id"), GoalUpdate: (Goal, "goal_id", "owner_id")}

# What the log never stores: writing that is private or a draft by nature. A note's or 1:1's
# text, participants and action items (shared ones too: a note can be made private later, and a
# log row cannot follow), and everything a rating holds (ratings only change while their review
# is a draft; the final values are on the review once it may be read), and a peer's answers and
# reason for declining (the answers are read only by whom peer feedback rules allow). For these
# fields the log keeps the name and the size of the value before and after ("(120 characters)"), enough to see
# who changed what and when; a hash is not kept, as short texts could be guessed from it.
# Keyed by entity type (the hook's own record type, or the type a semantic `record` names).
REDACTED_FIELDS = {
    "feedback_note": frozenset({"body"}),
    "one_on_one": frozenset({"notes", "participants", "action_items"}),
    "action_item": frozenset({"text"}),
    "rating": frozenset({"level_id", "below_current", "evidence"}),
    "review_answer": frozenset({"body"}),  # answers to a cycle's questions: draft writing like evidence
    "peer_feedback_request": frozenset({"answers", "decline_reason"}),
}
# How the parts of a rating are named in the log: one line per competency, e.g. "evidence, rating".
RATING_PARTS = {"level_id": "rating", "below_current": "rating", "evidence": "evidence"}

_actor: ContextVar[int | None] = ContextVar("ladder_audit_actor", default=None)


@contextmanager
def acting_as(actor_id: int | None) -> Iterator[None]:
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
            user_id: int = user.id
            return user_id
    return None


def record(actor_id: int | None, action: str, entity_type: str, entity_id: int | None,
           subject_id: int | None = None, changes: dict[str, Any] | None = None) -> None:
    """Name the change just made to a record (`review.submit`, `cycle.open`), with any detail that
    says why. The hook's row for that record in this transaction takes the name and the detail;
    if no record changed, the action gets a row of its own. Content fields are redacted as the
    hook redacts them."""
    session = db.session
    session.flush()  # the hook writes the rows of everything changed so far
    detail = {field: _redacted_value(value) if field in REDACTED_FIELDS.get(entity_type, ()) else value
              for field, value in (changes or {}).items()}
    written = _unnamed_rows(session).pop((entity_type, entity_id), None)
    if written is not None:
        row_id, row = written
        session.connection().execute(
            update(table_of(AuditEntry)).where(AuditEntry.id == row_id)
            .values(action=action, actor_id=actor_id, subject_id=row["subject_id"] or subject_id,
                    changes={**(row["changes"] or {}), **detail}))
        return
    session.add(AuditEntry(actor_id=actor_id, action=action, entity_type=entity_type, entity_id=entity_id,
                           subject_id=subject_id, changes=detail))


def _unnamed_rows(session: Session | scoped_session[Any]) -> dict[tuple[str, int | None], tuple[int, dict[str, Any]]]:
    """Rows the hook wrote in this transaction and no semantic action has named yet, by record:
    each row's id and what it wrote (so naming it reads nothing back)."""
    rows: dict[tuple[str, int | None], tuple[int, dict[str, Any]]] = session.info.setdefault("audit_unnamed_rows", {})
    return rows


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_unnamed_rows(session: Session) -> None:
    session.info.pop("audit_unnamed_rows", None)


# Entity types of models renamed in Python after entries were stored under their old names:
# the log, its filters and the visibility rules keep one name per kind of record.
RENAMED_ENTITY_TYPES = {"Ladder": "framework", "LadderVersion": "framework_version"}


def entity_type_of(obj_or_class: object) -> str:
    """`ReviewCycle` -> `review_cycle`: the name the log and its filters use."""
    cls = obj_or_class if isinstance(obj_or_class, type) else type(obj_or_class)
    return RENAMED_ENTITY_TYPES.get(cls.__name__) or re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def is_audited(cls: type) -> bool:
    return getattr(cls, "__tablename__", None) not in NOT_AUDITED


def audited_models() -> list[type[Any]]:
    """Every mapped model whose changes are recorded (all but ladder content and the log)."""
    return sorted((m.class_ for m in Model.registry.mappers if is_audited(m.class_)),
                  key=lambda cls: cls.__name__)


def _json(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _redacted_value(value: object) -> str | None:
    """What the log keeps of a content value: its size, never the text."""
    if value is None:
        return None
    if isinstance(value, str):
        return f"({_count(len(value), 'character')})"
    if isinstance(value, (list, tuple, dict)):
        return f"({_count(len(value), 'item')})"
    return "(not logged)"


def redacted_pair(change: object) -> list[str | None] | str | None:
    """A [before, after] pair, or a single value, with both sides reduced to their size."""
    if isinstance(change, list) and len(change) == 2:
        return [_redacted_value(change[0]), _redacted_value(change[1])]
    return _redacted_value(change)


def _shown(entity_type: str, key: str, value: object) -> object:
    if SECRET_FIELD.search(key) and value is not None:
        return "(set)"
    if key in REDACTED_FIELDS.get(entity_type, ()):
        return _redacted_value(value)
    return _json(value)


def _columns(obj: object) -> list[ColumnProperty[Any]]:
    return [attr for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj: object) -> dict[str, object]:
    entity_type = entity_type_of(obj)
    return {attr.key: _shown(entity_type, attr.key, getattr(obj, attr.key)) for attr in _columns(obj)
            if attr.key not in IGNORED_FIELDS}


def _changed(obj: object) -> dict[str, object]:
    state = inspect(obj)
    changes: dict[str, object] = {}
    for attr in _columns(obj):
        if attr.key in IGNORED_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before != after:
            changes[attr.key] = _change(entity_type_of(obj), attr.key, before, after)
    return changes


def _change(entity_type: str, key: str, before: object, after: object) -> object:
    """How the log shows one changed field: [before, after], or "changed" for a secret."""
    if SECRET_FIELD.search(key):
        return "changed"
    return [_shown(entity_type, key, before), _shown(entity_type, key, after)]


def _created(entity_type: str, values: dict[str, Any]) -> dict[str, object]:
    """{column: [None, value]} of a new record: its set fields, as shown in the log."""
    return {key: [None, shown] for key, value in values.items()
            if key not in IGNORED_FIELDS and (shown := _shown(entity_type, key, value)) not in (None, "", False)}


def _subject_and_entity(session: Session, obj: object) -> tuple[int | None, str, int | None]:
    """Whom a record is about, and which entity the log files it under.

    Ratings are filed under their review, so the history of a review (and who may read it)
    follows the review's own visibility; action items and goal updates are about the person
    their 1:1 or goal is about.
    """
    if isinstance(obj, User):
        return obj.id, "user", obj.id
    if isinstance(obj, Rating):
        review = session.get(Review, obj.review_id) if obj.review_id else None
        return (review.subject_id if review else None), "review", obj.review_id
    if type(obj) in SUBJECT_THROUGH:
        parent_model, link, subject_column = SUBJECT_THROUGH[type(obj)]
        parent = session.get(parent_model, getattr(obj, link)) if getattr(obj, link) else None
        return (getattr(parent, subject_column) if parent else None), entity_type_of(obj), _identity(obj)
    for column in SUBJECT_COLUMNS:
        if hasattr(obj, column):
            return getattr(obj, column), entity_type_of(obj), _identity(obj)
    return None, entity_type_of(obj), _identity(obj)


def _identity(obj: object) -> int | None:
    ident = inspect(obj).mapper.primary_key_from_instance(obj)  # set by now, even for new rows
    return ident[0] if len(ident) == 1 and isinstance(ident[0], int) else None


def _keep_old_values() -> None:
    """Make every audited column remember its old value, even when set on an expired instance
    (after a commit), so the log can show *before* as well as *after*."""
    for mapper in Model.registry.mappers:
        if not is_audited(mapper.class_):
            continue
        for attr in mapper.column_attrs:
            descriptor = getattr(mapper.class_, attr.key)
            if not event.contains(descriptor, "set", _noop_set):
                event.listen(descriptor, "set", _noop_set, active_history=True)


def _noop_set(target: object, value: object, oldvalue: object, initiator: object) -> object:
    return value


_keep_old_values()


def _changes_of(session: Session, verb: str, obj: object) -> dict[str, object] | None:
    """{column: [before, after]} of an audited record in this flush; None when there is nothing
    to record (not audited, or an update that changed no audited column)."""
    if not is_audited(type(obj)) or not hasattr(obj, "__tablename__"):
        return None
    if verb == "update":
        if not session.is_modified(obj, include_collections=False):
            return None
        return _changed(obj) or None
    if verb == "create":
        return _created(entity_type_of(obj), {attr.key: getattr(obj, attr.key) for attr in _columns(obj)})
    return {k: [v, None] for k, v in _snapshot(obj).items() if v not in (None, "", False)}


def _by_column_name(model: type, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes keyed by column name, as bulk writes and stored entries are, where a Python
    attribute has another name (`User.ladder_id` is the column `framework_id`)."""
    names = _column_names(model)
    return {names.get(key, key): change for key, change in changes.items()}


@cache
def _column_names(model: type) -> dict[str, str]:
    attributes: Iterable[ColumnProperty[Any]] = inspect(model).column_attrs
    return {attr.key: attr.columns[0].name for attr in attributes if attr.key != attr.columns[0].name}


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, flush_context: object) -> None:
    """Write one audit row per audited insert, update and delete of this flush (the ratings of one
    review changed the same way make one row, a line per competency, no values).

    `after_flush` still sees the pre-flush new/dirty/deleted sets and attribute history, and
    new rows already have their ids; rows go in with one INSERT on the flush's connection.
    """
    rows: list[dict[str, Any]] = []
    ratings: dict[tuple[int | None, str], dict[str, Any]] = {}
    actor_id = current_actor_id()
    with session.no_autoflush:
        for verb, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in objects:
                changes = _changes_of(session, verb, obj)
                if changes is None:
                    continue
                subject_id, entity_type, entity_id = _subject_and_entity(session, obj)
                if verb == "delete" and entity_type == "user":
                    subject_id = None  # the row it would point at is gone
                if isinstance(obj, Rating):
                    row = ratings.setdefault((obj.review_id, verb), {
                        "actor_id": actor_id, "action": f"rating.{verb}", "entity_type": entity_type,
                        "entity_id": entity_id, "subject_id": subject_id, "changes": {}})
                    row["changes"][obj.competency_id] = rating_parts(changes)
                    continue
                rows.append({"actor_id": actor_id, "action": f"{entity_type_of(obj)}.{verb}",
                             "entity_type": entity_type, "entity_id": entity_id, "subject_id": subject_id,
                             "changes": _by_column_name(type(obj), changes)})
        if ratings:
            keys = _competency_keys(session, {c for row in ratings.values() for c in row["changes"]})
            for row in ratings.values():
                row["changes"] = {keys.get(c, str(c)): parts for c, parts in row["changes"].items()}
                rows.append(row)
    if rows:
        ids = session.connection().execute(
            insert(table_of(AuditEntry)).returning(AuditEntry.id, sort_by_parameter_order=True), rows).scalars().all()
        unnamed = _unnamed_rows(session)
        for row, row_id in zip(rows, ids, strict=True):
            unnamed[(row["entity_type"], row["entity_id"])] = (row_id, row)


def record_bulk_writes(model: type[Any], created: list[dict[str, Any]],
                       updated: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Log rows written with Core (a bulk import, outside the hook) as the hook would have: one
    row per record, `created` as inserted (every audited column, defaults included), `updated` as
    (before, after) of the columns written; an update that changed nothing is not logged.
    One INSERT for them all."""
    entity_type = entity_type_of(model)
    actor_id = current_actor_id()
    subject_column = "id" if model is User else next((c for c in SUBJECT_COLUMNS if hasattr(model, c)), None)

    def row(verb: str, values: dict[str, Any], changes: dict[str, object]) -> dict[str, Any]:
        return {"actor_id": actor_id, "action": f"{entity_type}.{verb}", "entity_type": entity_type,
                "entity_id": values["id"], "subject_id": values.get(subject_column) if subject_column else None,
                "changes": changes}

    rows = [row("create", values, _created(entity_type, values)) for values in created]
    for before, after in updated:
        changes = {key: _change(entity_type, key, before[key], value) for key, value in after.items()
                   if key not in IGNORED_FIELDS and before[key] != value}
        if changes:
            rows.append(row("update", before, changes))
    if rows:
        db.session.connection().execute(insert(table_of(AuditEntry)), rows)


def rating_parts(fields: Iterable[str]) -> str:
    """Which parts of a rating changed ("evidence, rating"), named the same by the hook and by
    reviews.save_entries (whose new ratings are inserted in one statement, outside the hook)."""
    return ", ".join(sorted({RATING_PARTS[field] for field in fields if field in RATING_PARTS}))


def _competency_keys(session: Session, ids: set[int]) -> dict[int, str]:
    competency = ladder_models.Competency
    return dict(session.connection().execute(select(competency.id, competency.key).where(competency.id.in_(ids))).all())


def subject_entries_query(subject_id: int) -> Select[AuditEntry]:
    """The log of changes to one person's records, newest first (filtered further for visibility)."""
    return (select(AuditEntry).where(AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()))


# --- Reading the log --------------------------------------------------------------------------

PAGE_SIZE = 50


def by_record(entries: list[AuditEntry]) -> list[tuple[str, int | None, list[AuditEntry]]]:
    """A page of entries grouped by the record they are about (entity type and id), each group
    where its newest entry falls, so a record changed ten times reads as one block."""
    groups: dict[tuple[str, int | None], list[AuditEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.entity_type, entry.entity_id), []).append(entry)
    return [(entity_type, entity_id, group) for (entity_type, entity_id), group in groups.items()]


def search(*, actor_id: int | None = None, subject_id: int | None = None, entity_type: str = "",
           action: str = "", since: date | None = None, until: date | None = None,
           page: int = 1) -> tuple[Sequence[AuditEntry], int]:
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
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    entries = db.session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                 .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return entries, total


def entity_types() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)))


# --- Who may read what in the log --------------------------------------------------------------

# Actions that are a review's draft being edited: the subject of someone else's review sees its
# submission and sharing in their history, not how the draft was written.
DRAFT_EDITS = ("rating.", "review.save")


def readable_entries(entries: list[AuditEntry], viewer: User) -> dict[int, bool]:
    """For each entry (by id), whether the viewer may read its values: the visibility rule of the
    record it is about, as the record stands now (permissions.can_read_logged_record). Where the
    answer is no, pages show who changed which fields and when, without the values."""
    facts = _record_facts(entries, viewer.id)
    subject_ids = {e.subject_id for e in entries if e.subject_id is not None}
    subjects = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(subject_ids)))}
                if subject_ids else {})
    from .people import relation

    relations = {subject_id: relation(viewer, subject) for subject_id, subject in subjects.items()}
    nobody = Relation(is_admin=viewer.is_admin)
    return {e.id: permissions.can_read_logged_record(
        e.entity_type, relations.get(e.subject_id, nobody) if e.subject_id is not None else nobody,
        facts.get((e.entity_type, e.entity_id))) for e in entries}


def _record_facts(entries: list[AuditEntry], viewer_id: int) -> dict[tuple[str, int | None], permissions.LoggedRecord]:
    """What the visibility rules need to know about the records the entries are about (records
    since deleted have none: only their field names are shown)."""
    ids: dict[str, set[int]] = {}
    for e in entries:
        if e.entity_id is not None:
            ids.setdefault(e.entity_type, set()).add(e.entity_id)
    facts: dict[tuple[str, int | None], permissions.LoggedRecord] = {}
    held = _held_from(viewer_id) if ids.get("review") or ids.get("verdict") else set()
    if ids.get("review"):
        for review in db.session.scalars(select(Review).where(Review.id.in_(ids["review"]))):
            facts[("review", review.id)] = permissions.LoggedRecord(
                kind=review.kind, status=review.status,
                held=review.kind == ReviewKind.MANAGER and (review.subject_id, review.cycle_id) in held)
    if ids.get("verdict"):
        for verdict_id, subject_id, cycle_id in db.session.execute(
                select(Verdict.id, Verdict.subject_id, Verdict.cycle_id).where(Verdict.id.in_(ids["verdict"]))):
            facts[("verdict", verdict_id)] = permissions.LoggedRecord(held=(subject_id, cycle_id) in held)
    noted: tuple[tuple[str, type[FeedbackNote] | type[OneOnOne]], ...] = (
        ("feedback_note", FeedbackNote), ("one_on_one", OneOnOne))
    for entity_type, model in noted:
        if ids.get(entity_type):
            for note_id, visibility, role, author_id in db.session.execute(
                    select(model.id, model.visibility, model.author_role, model.author_id)
                    .where(model.id.in_(ids[entity_type]))):
                facts[(entity_type, note_id)] = permissions.LoggedRecord(
                    visibility=visibility, author_role=role, is_author=author_id == viewer_id)
    if ids.get("peer_feedback_request"):
        for request_id, peer_id in db.session.execute(select(PeerFeedbackRequest.id, PeerFeedbackRequest.peer_id)
                                                      .where(PeerFeedbackRequest.id.in_(ids["peer_feedback_request"]))):
            facts[("peer_feedback_request", request_id)] = permissions.LoggedRecord(is_author=peer_id == viewer_id)
    if ids.get("action_item"):
        for item_id, visibility, role, author_id in db.session.execute(
                select(ActionItem.id, OneOnOne.visibility, OneOnOne.author_role, OneOnOne.author_id)
                .join(OneOnOne, ActionItem.one_on_one_id == OneOnOne.id).where(ActionItem.id.in_(ids["action_item"]))):
            facts[("action_item", item_id)] = permissions.LoggedRecord(
                visibility=visibility, author_role=role, is_author=author_id == viewer_id)
    return facts


def _held_from(viewer_id: int) -> set[tuple[int, int]]:
    """(subject, cycle) pairs whose manager reviews and verdicts a cycle still holds from the
    viewer: only their own, in cycles that have not released their results to them."""
    from .cycles import held_cycle_ids

    return {(viewer_id, cycle_id) for cycle_id in held_cycle_ids(viewer_id)}


def visible_to_subject(entries: list[AuditEntry], viewer: User) -> list[AuditEntry]:
    """The entries about a person that the person may see: changes to records they may read, except
    how someone else's review was drafted (they see it submitted, shared, reopened)."""
    readable = readable_entries(entries, viewer)
    return [e for e in entries if readable[e.id]
            and not (e.actor_id != viewer.id and e.action.startswith(DRAFT_EDITS))]
