"""Administration pages. The blueprint refuses everyone but admins (404) before any view runs,
so a route added here later cannot forget the check."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import func, select

from ..access import require_admin
from ..domain.statuses import VersionStatus
from ..extensions import db
from ..models import LadderVersion, ReviewCycle, User
from ..services import mail
from ..services import notifications as notification_service
from ..services.ladders import current_rubric

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    require_admin()


@bp.after_request
def _no_store(response):
    """Admin pages show personal data and one-time passwords: never keep them in a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
def index():
    active_people = db.session.scalar(select(func.count(User.id)).where(User.is_active_account.is_(True)))
    recent_cycles = db.session.scalars(select(ReviewCycle).order_by(ReviewCycle.opens_on.desc()).limit(5)).all()
    drafts = db.session.scalar(select(func.count(LadderVersion.id))
                               .where(LadderVersion.status == VersionStatus.DRAFT))
    return render_template("admin/index.html", people=active_people, cycles=recent_cycles, drafts=drafts,
                           ladder=current_rubric(), mail_configured=mail.mail_configured(),
                           waiting_emails=notification_service.waiting_count())


def ladder_or_abort():
    """The current published ladder; administering people needs one."""
    loaded = current_rubric()
    if loaded is None:
        flash("Load or publish a ladder first: levels and tracks come from it.", "error")
        abort(redirect(url_for("admin.ladders")))
    return loaded


def user_or_404(user_id: int) -> User:
    """Anyone's account, active or not, or a 404: no permission check here, because only admins
    reach this blueprint (`_admins_only`); other areas load people through access.person_or_404."""
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return person


from . import cycles, invitations, ladders, log, people  # noqa: E402,F401  (routes on this blueprint)
