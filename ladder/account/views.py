"""Your account: the history of changes to your records (the password is changed in auth).

Also guards every request: someone holding a one-time password must choose their own before
doing anything else. (Deactivated people are signed out by services.sessions.load_user.)
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain.notifications import EMAIL_PREFERENCES
from ..extensions import db
from ..models import User
from ..params import page_count
from ..services import audit, mail
from .forms import NotificationSettingsForm

bp = Blueprint("account", __name__, url_prefix="/account")

HISTORY_LIMIT = 2000
ALLOWED_WHILE_CHANGING = {"auth.change_password", "auth.set_password", "auth.logout", "auth.logout_everywhere",
                          "auth.end_device_session",
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
    """Changes to your own records that you may read on the records themselves, newest first."""
    entries = db.session.scalars(audit.subject_entries_query(current_user.id).limit(HISTORY_LIMIT)).all()
    visible = audit.visible_to_subject(entries, current_user)
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    pages = page_count(len(visible), audit.PAGE_SIZE)
    shown = visible[(page - 1) * audit.PAGE_SIZE: page * audit.PAGE_SIZE]
    ids = {e.actor_id for e in shown} | {current_user.id}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids - {None})))}
    return render_template("account/history.html", entries=shown, people=people, page=page, pages=pages,
                           total=len(visible), readable=dict.fromkeys((e.id for e in shown), True))


def settings_form(formdata=None) -> NotificationSettingsForm:
    """The email-preference form, showing the saved choice unless a submitted one is given."""
    return NotificationSettingsForm(formdata=formdata, data={"notification_email": current_user.notification_email})


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notification_settings():
    """Email notifications immediately, as a daily digest, or not at all (the list in Ladder stays)."""
    form = settings_form(request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate():
            current_user.notification_email = form.notification_email.data
            db.session.commit()
            flash("Saved: " + EMAIL_PREFERENCES[form.notification_email.data].lower() + ".", "success")
            return redirect(url_for("account.notification_settings"))
    return render_template("account/notifications.html", settings_form=form, mail_configured=mail.mail_configured()), \
        422 if form.errors else 200
