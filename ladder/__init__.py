"""Ladder: career ladders, reviews, promotion readiness and mentorship for engineering teams."""
from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from .files import create_private_file, make_private_folder

try:
    __version__ = version("ladder")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Where `templates` or `migrations` live: bundled into the package by a normal install,
    or at the top of the checkout when running from source or an editable install."""
    bundled = PACKAGE_DIR / "bundled" / name
    if bundled.is_dir():
        return bundled
    return PACKAGE_DIR.parent / name


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error handlers, CLI."""
    from config import config_for, engine_options

    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH") or os.environ.get("LADDER_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
    )
    app.config.from_object(config_for("testing" if test_config and test_config.get("TESTING") else None))
    if test_config:
        app.config.update(test_config)
    make_private_folder(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "ladder.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _create_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        app.config["DATABASE_TIMEOUTS"], session_options=app.config["DB_SESSION_OPTIONS"])
    from .logs import configure_logging
    configure_logging(app)

    register_extensions(app)
    register_security(app)
    from .params import BoundedIntegerConverter
    app.url_map.converters["int"] = BoundedIntegerConverter  # before the routes: a huge id is a 404
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    from .instrumentation import register_query_counter
    register_query_counter(app)  # off unless LADDER_COUNT_QUERIES=1 (the benchmark turns it on)
    return app


def _normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _create_private_sqlite_file(url: str) -> None:
    """A new SQLite database file is readable by its owner only (SQLite would follow the umask)."""
    database = make_url(url)
    if database.get_backend_name() == "sqlite" and database.database not in (None, "", ":memory:") \
            and not database.database.startswith("file:"):
        create_private_file(database.database)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked; Ladder relies on them."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register every table on the metadata)
    from .auth.views import unauthorized
    from .extensions import csrf, db, login_manager, mail, migrate
    from .services import audit  # noqa: F401  (the session hook that records every change)
    from .services.readiness import init_app as init_ratings_cache
    from .services.sessions import load_user
    from .services.version_cache import init_app as init_version_cache

    db.init_app(app)
    init_version_cache(app)
    init_ratings_cache(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    from .auth.oidc import init_oidc
    init_oidc(app)  # single sign-on, when configured; checks PASSWORD_LOGIN


def register_security(app: Flask) -> None:
    from .security import register_security as register

    register(app, production=os.environ.get("LADDER_ENV") == "production" and not app.testing)


def register_blueprints(app: Flask) -> None:
    from .account.views import bp as account_bp
    from .admin.views import bp as admin_bp
    from .auth.oidc import bp as oidc_bp
    from .auth.views import bp as auth_bp
    from .calibration.views import bp as calibration_bp
    from .ladders.views import bp as ladders_bp
    from .ladders.views import check_public_setting
    from .ladders.views import public_bp as public_ladders_bp
    from .main.views import bp as main_bp
    from .mentorship.views import bp as mentorship_bp
    from .notifications.views import bp as notifications_bp
    from .peer_feedback.views import bp as peer_feedback_bp
    from .people.views import bp as people_bp
    from .reviews.views import bp as reviews_bp
    from .team.views import bp as team_bp

    check_public_setting(app)
    for blueprint in (main_bp, auth_bp, oidc_bp, ladders_bp, public_ladders_bp, reviews_bp, people_bp, team_bp,
                      mentorship_bp, peer_feedback_bp, admin_bp, account_bp, notifications_bp, calibration_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import SQLAlchemyError

    from .database import register as register_database_errors
    from .database import render_without_database
    from .extensions import db
    from .unit_of_work import register as register_conflict_page

    def render_error(error):
        code = getattr(error, "code", 500)
        if code == 500:
            db.session.rollback()  # a failed statement must not take the error page down with it
        try:
            return render_template("errors/error.html", code=code, error=error), code
        except SQLAlchemyError:  # the page needs the signed-in user; show it without
            return render_without_database("errors/error.html", code, error=error)

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    register_database_errors(app)  # 503 with Retry-After when the database cannot answer
    register_conflict_page(app)  # 409 for a record saved elsewhere first

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from flask import jsonify
        from flask_login import current_user

        from .database import wants_json

        if wants_json():  # autosave.js
            if not current_user.is_authenticated:
                return jsonify(error="signed_out", message="Your session has ended."), 401
            return jsonify(error="csrf", message="Reload the page to save again."), 400
        return render_template("errors/error.html", code=400, error=error,
                               message="Your form expired or was sent from elsewhere. "
                                       "Go back, reload the page and try again; what you typed "
                                       "is still in the form you came from."), 400


def register_commands(app: Flask) -> None:
    from .cli import register_commands as register

    register(app)


def compile_templates(app: Flask) -> None:
    """Compile every template now: once in a server's master before it forks (gunicorn.conf.py),
    so each worker starts with them compiled, after every start and every `max_requests`
    recycling, instead of compiling each on the first request that renders it (a fresh process's
    first team page took 79–84 ms, 53–64 ms with the templates compiled: bench/timeit_page.py
    --compiled, docs/performance.md)."""
    for name in app.jinja_env.list_templates(extensions=("html", "txt")):
        app.jinja_env.get_template(name)


def register_template_helpers(app: Flask) -> None:
    from .domain import statuses
    from .domain.reviews import below_current_label
    from .domain.team import TARGET_KINDS
    from .domain.wording import field_label, percent, plural, plural_noun, status_label
    from .models.reviews import VERDICTS
    from .presentation.markdown import render_expectation, render_markdown
    from .services.ladders import current_rubric, ladder_of

    def level_name(key: str, person=None) -> str:
        """A level's title on the person's ladder (without a person, on the default ladder)."""
        loaded = ladder_of(person) if person is not None else current_rubric()
        if not loaded or not loaded.rubric.has_level(key):
            return key
        level = loaded.rubric.level(key)
        return level.title_on(person.track_key) if person is not None else level.name

    def track_name(key: str, person=None) -> str:
        loaded = ladder_of(person) if person is not None else current_rubric()
        return loaded.rubric.track(key).name if loaded and loaded.rubric.has_track(key) else key

    app.jinja_env.globals.update(app_version=__version__, VERDICTS=VERDICTS, TARGET_KINDS=TARGET_KINDS,
                                 below_current_label=below_current_label)
    app.jinja_env.globals.update({enum.__name__: enum for enum in (  # `review.kind == ReviewKind.SELF`
        statuses.CycleStatus, statuses.ReviewKind, statuses.ReviewStatus, statuses.VersionStatus, statuses.Visibility)})

    @app.context_processor
    def navigation() -> dict:
        """Whether to offer the team pages (only people with reports, and admins, have them) and
        the unread notifications count: one statement."""
        from flask_login import current_user

        from .services.notifications import navigation_state

        if not getattr(current_user, "is_authenticated", False):  # also: emails rendered by `ladder notify`
            return {}
        has_reports, unread = navigation_state(current_user.id)
        return {"nav_has_reports": has_reports, "nav_unread": unread}

    # `markdown` returns sanitised HTML: the one place user text is marked safe.
    app.jinja_env.filters.update(level_name=level_name, track_name=track_name, markdown=render_markdown,
                                 percent=percent, plural=plural, plural_noun=plural_noun, status_label=status_label,
                                 field_label=field_label, expectation=render_expectation)
