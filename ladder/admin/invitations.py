"""Inviting people by email (one, or everyone who cannot sign in yet), and the email outbox."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..forms import ConfirmForm
from ..services import mail, sign_in_links
from ..services import notifications as notification_service
from ..unit_of_work import unit_of_work
from .views import bp, user_or_404

MAIL_DOWN = ("The mail server did not take the invitations ({error}); nothing was sent and no link was "
             "created. Try again later, or set one-time passwords.")


def _send_invitations(people) -> int | None:
    """Send and commit, or roll back and say why; returns how many were sent."""
    try:
        with unit_of_work():
            sent = sign_in_links.invite(people, clock.now(), inviter=current_user.name)
    except mail.MAIL_ERRORS as error:
        current_app.logger.warning("invitations not sent", exc_info=True)
        flash(MAIL_DOWN.format(error=type(error).__name__), "error")
        return None
    return sent


@bp.route("/people/<int:user_id>/invite", methods=["POST"])
def invite_person(user_id: int):
    """Email one person a link to choose their password (7 days, single use)."""
    person = user_or_404(user_id)
    if not ConfirmForm().validate():
        flash("Your form expired; try again.", "error")
    elif not mail.mail_configured():
        flash(mail.NOT_CONFIGURED + " Set a one-time password instead.", "error")
    elif not person.is_active_account:
        flash(f"{person.name} is deactivated; reactivate them first.", "error")
    elif _send_invitations([person]) is not None:
        flash(f"Invitation sent to {person.email}. The link works once, for 7 days.", "success")
    return redirect(url_for("admin.edit_person", user_id=person.id))


@bp.route("/people/invite", methods=["POST"])
def invite_everyone():
    """One click after an import: invite every active person who has no password and no
    working invitation yet."""
    if not ConfirmForm().validate():
        flash("Your form expired; try again.", "error")
    elif not mail.mail_configured():
        flash(mail.NOT_CONFIGURED + " Set one-time passwords instead.", "error")
    else:
        people = sign_in_links.awaiting_invitation(clock.now())
        if not people:
            flash("Everyone can sign in or has a working invitation already.", "info")
        else:
            sent = _send_invitations(people)
            if sent is not None:
                flash(f"Sent {sent} invitation{'s' if sent != 1 else ''}. Each link works once, for 7 days.",
                      "success")
    return redirect(url_for("admin.people", status=request.args.get("status", "active")))


@bp.route("/outbox")
def outbox():
    """Emails waiting to be sent by `ladder notify` (everything, when no mail server is set)."""
    rows, total = notification_service.outbox()
    return render_template("admin/outbox.html", rows=rows, total=total, mail_configured=mail.mail_configured())
