"""A person's notifications: the list (newest first), marking one or all read (POST only)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..forms import ConfirmForm
from ..params import page_arg, page_count
from ..services import notifications as service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    page = page_arg()
    rows, total = service.notifications_of(current_user.id, page)
    pages = page_count(total, service.PAGE_SIZE)
    return render_template("notifications/index.html", rows=[(n, service.link(n)) for n in rows], total=total,
                           page=page, pages=pages, form=ConfirmForm())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    notification = service.own_notification(notification_id, current_user.id)
    if notification is None:
        abort(404)
    service.mark_read(notification, clock.now())
    db.session.commit()
    return redirect(url_for("notifications.index"))


@bp.route("/read", methods=["POST"])
@login_required
def mark_all_read():
    count = service.mark_all_read(current_user.id, clock.now())
    db.session.commit()
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read.", "success")
    return redirect(url_for("notifications.index"))
