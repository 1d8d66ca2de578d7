"""Protections: the secret key, client addresses behind a proxy, security headers, session
lifetimes, the login throttle's storage, and input no form ever sends (NUL characters,
uploaded files where a text field is expected)."""
from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

logger = logging.getLogger(__name__)

KNOWN_KEYS = {"dev-only-not-secret"}  # published in earlier releases: anyone could sign a session with it
MIN_PRODUCTION_KEY_BYTES = 32
KEY_FILE = "secret_key"
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}  # a dead Redis never holds a request long

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


def register_security(app: Flask, *, production: bool) -> None:
    from .extensions import limiter

    configure_secret_key(app, production=production)
    if app.config["PROXY_FIX_X_FOR"] > 0:
        # Flask's documented way to add WSGI middleware; its typing declares wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])  # type: ignore[method-assign]
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", REDIS_TIMEOUTS)
    else:
        warn_if_throttle_is_per_worker(app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    app.after_request(add_security_headers)
    app.before_request(refuse_nul_characters)
    app.before_request(refuse_unexpected_files)
    app.before_request(enforce_session_lifetime)


def configure_secret_key(app: Flask, *, production: bool) -> None:
    """Never run with a key someone else knows. Production refuses a missing, published or short
    key; elsewhere (the demo, development) a missing key is generated once and kept in the
    instance folder, readable by its owner only, so sessions survive a restart."""
    key = app.config.get("SECRET_KEY")
    if production:
        key_bytes = key.encode() if isinstance(key, str) else key or b""
        if not key or key in KNOWN_KEYS or len(key_bytes) < MIN_PRODUCTION_KEY_BYTES:
            raise RuntimeError(f"LADDER_ENV=production needs a SECRET_KEY environment variable of at least "
                               f"{MIN_PRODUCTION_KEY_BYTES} random bytes (python -c 'import secrets; "
                               f"print(secrets.token_hex(32))').")
        return
    if key in KNOWN_KEYS:
        raise RuntimeError("SECRET_KEY is a published example value; unset it (a key is then generated) "
                           "or set a random one.")
    if not key:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path) / KEY_FILE)


def instance_secret_key(path: Path) -> str:
    """The key kept in `path`, created on first use: written to a private temporary file (mode
    0600 from the start) and linked into place, so a concurrent worker never sees half a key
    and the first writer wins."""
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            temporary.unlink()
    return path.read_text().strip()


def warn_if_throttle_is_per_worker(storage_uri: str) -> None:
    workers = gunicorn_workers()
    if workers > 1:
        logger.warning("%d gunicorn workers each keep their own login throttle (RATELIMIT_STORAGE_URI=%s): "
                       "an attacker gets that many times the attempts. Use redis:// to share it.",
                       workers, storage_uri)


def gunicorn_workers() -> int:
    """How many workers gunicorn runs this app in (0 when not under gunicorn), read the way
    gunicorn reads it: command line, GUNICORN_CMD_ARGS, WEB_CONCURRENCY, configuration file."""
    if "gunicorn" not in os.environ.get("SERVER_SOFTWARE", "") and "gunicorn" not in Path(sys.argv[0]).name:
        return 0
    from gunicorn.app.wsgiapp import WSGIApplication

    try:
        return WSGIApplication().cfg.workers
    except (Exception, SystemExit):  # an argument list gunicorn cannot read is not ours to judge
        return 0


def content_security_policy(oidc_issuer: str) -> str:
    """The policy, with the single sign-on provider's origin allowed as a form's destination:
    "Sign in with <provider>" posts to Ladder, which redirects to the provider, and browsers
    hold a form's redirects to form-action too."""
    if not oidc_issuer:
        return CONTENT_SECURITY_POLICY
    issuer = urlsplit(oidc_issuer)
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'",
                                           f"form-action 'self' {issuer.scheme}://{issuer.netloc}")


def add_security_headers(response):
    """Headers on every response; HSTS only where the deployment is HTTPS (production)."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config["OIDC_ISSUER"]))
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
    any input carrying it (path, query string or form) is refused up front with a 400, instead of
    failing deep in a query."""
    refusal = "The request contains a character Ladder does not accept (NUL)."
    if "\x00" in request.path:
        abort(400, description=refusal)
    for source in (request.args, request.form):
        for key, values in source.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                abort(400, description=refusal)
    return None


def accepts_files(*fields: str):
    """Mark a view whose form uploads files in `fields`; every other view refuses file parts.
    Put it under the route decorator, next to the function."""
    def mark(view):
        view.file_fields = frozenset(fields)
        return view
    return mark


def refuse_unexpected_files():
    """A file sent where the form has a text field would reach a validator that expects a string
    (a 500); no page of Ladder sends one, so it is a 400 with a message."""
    if not request.files:
        return None
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, "file_fields", frozenset())
    unexpected = sorted(name for name in request.files if name not in allowed)
    if unexpected:
        abort(400, description="This form takes no file upload (a file was sent as "
                               f"{', '.join(repr(name[:40]) for name in unexpected[:5])}). "
                               "Go back and type the text into the form.")
    return None


def enforce_session_lifetime():
    """A session whose record ran out (idle too long, or past its lifetime; see
    services.sessions.load_user) is told so and sent to sign in; a dead token, revoked
    elsewhere, is dropped with its remember-me cookie so later requests do not look it up."""
    if request.endpoint in UNTIMED_ENDPOINTS or current_user.is_authenticated or "_user_id" not in session:
        return None
    session.clear()
    session["_remember"] = "clear"
    if not g.pop("session_expired", False):
        return None
    if request.accept_mimetypes.best == "application/json":
        from .auth.views import unauthorized

        return unauthorized()
    flash("You were signed out after a period of inactivity. Sign in to continue; "
          "drafts you saved are still there.", "info")
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
