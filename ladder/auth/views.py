"""Signing in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .forms import LoginForm

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Checked against when the email is unknown, so both failures take comparable time.
_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummys$" + "0" * 128


def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        if user is None:
            from werkzeug.security import check_password_hash
            check_password_hash(_DUMMY_HASH, form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.password.errors.append("Email or password is incorrect.")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
