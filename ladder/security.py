"""Request-level protections: security headers, session lifetimes and login throttling."""
from __future__ import annotations

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from . import clock

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

UNTIMED_ENDPOINTS = {"static", "main.healthz", "auth.login"}


def register_security(app: Flask) -> None:
    from .extensions import limiter

    limiter.init_app(app)
    app.after_request(add_security_headers)
    app.before_request(refuse_nul_characters)
    app.before_request(enforce_session_lifetime)


def add_security_headers(response):
    """Headers on every response; HSTS only where the deployment is HTTPS (production)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if session.get("_user_id"):  # signed in (read from the cookie: no query, even after a commit)
        response.headers.setdefault("Cache-Control", "no-store")  # performance reviews stay out of caches
    return response


def refuse_nul_characters():
    """No form or link ever sends a NUL character and PostgreSQL cannot store or compare one, so
    any input carrying it is refused up front with a 400, instead of failing deep in a query."""
    for source in (request.args, request.form):
        for key, values in source.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                abort(400, description="The request contains a character Ladder does not accept (NUL).")
    return None


def start_session_clock() -> None:
    """Called at sign-in: the absolute lifetime counts from here."""
    now = clock.epoch_seconds()
    session.permanent = True
    session["started"] = now
    session["seen"] = now


def enforce_session_lifetime():
    """Sign out a session idle for too long, or older than the absolute lifetime."""
    if request.endpoint in UNTIMED_ENDPOINTS or not current_user.is_authenticated:
        return None
    now = clock.epoch_seconds()
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.permanent_session_lifetime.total_seconds()
    started, seen = session.get("started"), session.get("seen")
    if started is None or seen is None:  # restored from a remember-me cookie
        start_session_clock()
        return None
    if now - seen > idle_limit or now - started > absolute_limit:
        logout_user()
        session.clear()
        if request.accept_mimetypes.best == "application/json":
            from .auth.views import unauthorized

            return unauthorized()
        flash("You were signed out after a period of inactivity. Sign in to continue; "
              "drafts you saved are still there.", "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if now - seen >= 60:  # refresh at most once a minute, so most responses set no cookie
        session["seen"] = now
    return None
