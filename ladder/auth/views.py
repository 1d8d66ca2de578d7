"""Signing in and out, changing passwords, ending sessions everywhere."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock, throttle
from ..account.views import settings_form
from ..domain.sso import password_allowed
from ..extensions import db, limiter
from ..models import User
from ..services import audit, mail, sign_in_links
from ..services.sessions import (
    current_session_id,
    end_all_sessions,
    end_one_session,
    end_session,
    live_sessions,
    start_session,
)
from .forms import ForgotPasswordForm, LoginForm, NewPasswordForm, PasswordForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

TOO_MANY = "Too many sign-in attempts. Wait a minute, then try again."


def unauthorized():
    """Not signed in: scripts get a 401 they can act on (keep the text, ask to sign in);
    people get the sign-in page, coming back here afterwards."""
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="signed_out", message="Your session has ended. Sign in again; "
                                                   "your text is kept in this browser."), 401
    flash("Please sign in to see that page.", "info")
    rule = request.url_rule
    comes_back = request.method == "GET" or (rule is not None and "GET" in rule.methods)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if comes_back else None))


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a real password", method=method)


def password_matches(user: User | None, password: str) -> bool:
    """Exactly one hash check whoever signs in: an unknown email, an account without a password
    yet and a deactivated one are checked against a dummy hash at the configured cost, so the
    time taken tells nothing about the account."""
    own = user.password_hash if user is not None and user.is_active else None
    stored = own or _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(stored, password) and bool(own)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _wait_message(seconds: int) -> str:
    return (f"Too many failed attempts for this account from your address. "
            f"Wait {seconds} seconds, then try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], error_message=TOO_MANY)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = throttle.seconds_to_wait(email)
        if wait:
            form.password.errors.append(_wait_message(wait))
            return render_template("auth/login.html", form=form, mail_configured=mail.mail_configured()), \
                429, {"Retry-After": str(wait)}
        user = db.session.scalar(select(User).where(User.email == email))
        if password_matches(user, form.password.data) \
                and password_allowed(current_app.config["PASSWORD_LOGIN"], user.is_admin):
            throttle.record_success(email)
            start_session(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        throttle.record_failure(email)
        form.password.errors.append("Email or password is incorrect.")
    return render_template("auth/login.html", form=form, mail_configured=mail.mail_configured()), \
        200 if not form.errors else 401


RESET_SENT = ("If an account exists for that address, we have emailed it a link to choose a new password. "
              "The link works once, within an hour.")


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT"]


def _reset_limit_key() -> str:
    return "password-reset:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], error_message=TOO_MANY)
@limiter.limit(_reset_limit, key_func=_reset_limit_key, methods=["POST"], error_message=TOO_MANY)
def forgot_password():
    """Email a reset link; the answer is the same whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    configured = mail.mail_configured()
    if configured and form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is not None and user.is_active:
            try:
                mail.send_all([sign_in_links.message_for(user, "reset", clock.now())])
            except mail.MAIL_ERRORS:
                db.session.rollback()
                current_app.logger.warning("password reset email not sent", exc_info=True)
            else:
                db.session.commit()
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form, mail_configured=configured), \
        422 if form.errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password from an invitation or reset link, then be signed in; the link works once."""
    found = sign_in_links.usable(token, clock.now())
    if found is None:
        return render_template("auth/link_invalid.html"), 410
    link, user = found
    form = NewPasswordForm(user=user)
    if form.validate_on_submit():
        if not sign_in_links.use(link, clock.now()):
            db.session.rollback()
            return render_template("auth/link_invalid.html"), 410
        user.set_password(form.new_password.data, method=current_app.config["PASSWORD_HASH_METHOD"])
        user.must_change_password = False
        end_all_sessions(user)
        audit.record(user.id, "account.password_set", "user", user.id, user.id, {"via": link.purpose})
        if current_user.is_authenticated:
            end_session()
        start_session(user)
        db.session.commit()
        flash("Your password is set and you are signed in.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/set_password.html", form=form, person=user, purpose=link.purpose), \
        422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    end_session()
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of this account, on every device, including remember-me cookies."""
    end_all_sessions(current_user)
    audit.record(current_user.id, "account.logout_everywhere", "user", current_user.id, current_user.id)
    end_session()
    db.session.commit()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_device_session(session_id: int):
    """Sign out one device from the account page (this one included)."""
    this_device = session_id == current_session_id()
    if not end_one_session(current_user, session_id):
        abort(404)
    if this_device:
        end_session()
    db.session.commit()
    if this_device:
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    flash("That device is signed out.", "success")
    return redirect(url_for("auth.change_password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_address_limit, methods=["POST"], error_message=TOO_MANY)
def change_password():
    """Change your password (guessing the current one is throttled like sign-in); every other
    session of the account ends. The account page also lists the signed-in devices."""
    form = PasswordForm(user=current_user)
    account = f"user:{current_user.id}"
    wait = throttle.seconds_to_wait(account) if request.method == "POST" else 0
    if wait:
        form.current_password.errors = [_wait_message(wait)]
    elif form.validate_on_submit():
        current_user.set_password(form.new_password.data, method=current_app.config["PASSWORD_HASH_METHOD"])
        current_user.must_change_password = False
        end_all_sessions(current_user, except_current=True)
        audit.record(current_user.id, "account.password_change", "user", current_user.id, current_user.id)
        db.session.commit()
        throttle.record_success(account)
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(url_for("main.home"))
    elif form.current_password.errors:
        throttle.record_failure(account)
    status = 429 if wait else 422 if form.errors else 200
    return render_template("auth/password.html", form=form, devices=live_sessions(current_user),
                           this_device=current_session_id(), settings_form=settings_form(),
                           mail_configured=mail.mail_configured()), status
