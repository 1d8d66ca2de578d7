"""Signing in and out, changing passwords, ending sessions everywhere."""
from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..account.views import settings_form
from ..domain.sso import password_allowed
from ..extensions import db, limiter
from ..models import User
from ..security import start_session_clock
from ..services import audit, mail, sign_in_links
from .forms import ForgotPasswordForm, LoginForm, NewPasswordForm, PasswordForm
from .signin import sign_in

bp = Blueprint("auth", __name__, url_prefix="/auth")

TOO_MANY = "Too many sign-in attempts. Wait a minute, then try again."


def load_user(user_id: str) -> User | None:
    """Load the signed-in person from "id:session_version"; an old version or a deactivated
    account ends the session (so does a remember-me cookie issued before)."""
    try:
        raw_id, raw_version = user_id.split(":")
        user = db.session.get(User, int(raw_id))
    except (AttributeError, TypeError, ValueError):
        return None
    if user is None or not user.is_active or str(user.session_version) != raw_version:
        return None
    return user


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
    """Checked when the email is unknown, so both failures cost the same scrypt work."""
    return generate_password_hash("not a real password", method=method)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _address_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], error_message=TOO_MANY)
@limiter.limit(_account_limit, key_func=_login_limit_key, methods=["POST"], error_message=TOO_MANY)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data))
        if user is None:
            check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), form.password.data)
        elif (user.check_password(form.password.data) and user.is_active
              and password_allowed(current_app.config["PASSWORD_LOGIN"], user.is_admin)):
            sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
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
        user.end_all_sessions()
        audit.record(user.id, "account.password_set", "user", user.id, user.id, {"via": link.purpose})
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        sign_in(user)
        flash("Your password is set and you are signed in.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/set_password.html", form=form, person=user, purpose=link.purpose), \
        422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of this account, on every device, including remember-me cookies."""
    current_user.end_all_sessions()
    audit.record(current_user.id, "account.logout_everywhere", "user", current_user.id, current_user.id)
    db.session.commit()
    logout_user()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change your password; every other session of the account ends."""
    form = PasswordForm(user=current_user)
    if form.validate_on_submit():
        current_user.set_password(form.new_password.data, method=current_app.config["PASSWORD_HASH_METHOD"])
        current_user.must_change_password = False
        current_user.end_all_sessions()
        audit.record(current_user.id, "account.password_change", "user", current_user.id, current_user.id)
        db.session.commit()
        login_user(current_user._get_current_object())  # this session continues with the new version
        start_session_clock()
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form, settings_form=settings_form(),
                           mail_configured=mail.mail_configured()), 422 if form.errors else 200
