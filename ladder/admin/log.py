"""The audit log: browse and filter every recorded change.

Every entry is listed (who changed which fields of which record, and when); its values only where
the administrator may read the record itself (audit.readable_entries).
"""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..params import page_arg, page_count
from ..services import audit
from .views import bp


def _date(name: str) -> tuple[date | None, str | None]:
    value = request.args.get(name, "").strip()
    if not value:
        return None, None
    try:
        return date.fromisoformat(value[:10]), None
    except ValueError:
        return None, f"{value!r} is not a date (use YYYY-MM-DD)."


def _person(name: str) -> tuple[User | None, str | None, bool]:
    """A person named by email in the filters; (person, error, given)."""
    email = request.args.get(name, "").strip().lower()[:254]
    if not email:
        return None, None, False
    person = db.session.scalar(select(User).where(User.email == email))
    return person, None if person else f"Nobody has the email {email}.", True


@bp.route("/audit")
def audit_log():
    actor, actor_error, actor_given = _person("actor")
    subject, subject_error, subject_given = _person("subject")
    since, since_error = _date("since")
    until, until_error = _date("until")
    errors = [e for e in (actor_error, subject_error, since_error, until_error) if e]
    page = page_arg()
    if errors or (actor_given and actor is None) or (subject_given and subject is None):
        entries, total = [], 0
    else:
        entries, total = audit.search(actor_id=actor.id if actor else None, subject_id=subject.id if subject else None,
                                      entity_type=request.args.get("entity", "")[:64],
                                      action=request.args.get("action", "").strip()[:64],
                                      since=since, until=until, page=page)
    ids = {e.actor_id for e in entries} | {e.subject_id for e in entries}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids - {None})))} if ids else {}
    pages = page_count(total, audit.PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", entries=entries, total=total, page=page, pages=pages,
                           people=people, errors=errors, args=args, entity_types=audit.entity_types(),
                           records=audit.by_record(entries),
                           readable=audit.readable_entries(entries, current_user))
