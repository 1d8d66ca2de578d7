"""Your account: the history of changes to your records (the password is changed in auth).

Also guards every request: someone holding a one-time password must choose their own before
doing anything else. (Deactivated people are signed out by services.sessions.load_user.)
"""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..services import audit

bp = Blueprint("account", __name__, url_prefix="/account")

HISTORY_LIMIT = 2000
ALLOWED_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.logout_everywhere", "auth.end_device_session",
                          "static"}


@bp.before_app_request
def _account_guards():
    if not current_user.is_authenticated:
        return None
    if current_user.must_change_password and request.endpoint not in ALLOWED_WHILE_CHANGING:
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/history")
@login_required
def history():
    """Changes to your own records (your profile, your reviews as you may see them), newest first."""
    entries = db.session.scalars(audit.subject_entries_query(current_user.id).limit(HISTORY_LIMIT)).all()
    visible = audit.visible_to_subject(entries, current_user.id)
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    pages = max((len(visible) + audit.PAGE_SIZE - 1) // audit.PAGE_SIZE, 1)
    shown = visible[(page - 1) * audit.PAGE_SIZE: page * audit.PAGE_SIZE]
    ids = {e.actor_id for e in shown} | {current_user.id}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids - {None})))}
    return render_template("account/history.html", entries=shown, people=people, page=page, pages=pages,
                           total=len(visible))



