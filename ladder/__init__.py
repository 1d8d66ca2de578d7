"""Ladder: career ladders, reviews, promotion readiness and mentorship for engineering teams."""
from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
    from config import config_for

    app = Flask(
        __name__,
        instance_path=(test_config or {}).get("INSTANCE_PATH") or os.environ.get("LADDER_INSTANCE_PATH") or None,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
    )
    app.config.from_object(config_for("testing" if test_config and test_config.get("TESTING") else None))
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "ladder.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _refuse_insecure_production(app)

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


def _refuse_insecure_production(app: Flask) -> None:
    if os.environ.get("LADDER_ENV") == "production" and app.config["SECRET_KEY"] in {None, "", "dev-only-not-secret"}:
        raise RuntimeError("LADDER_ENV=production needs a real SECRET_KEY environment variable.")


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite ignores foreign keys unless asked; Ladder relies on them."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register every table on the metadata)
    from .auth.views import load_user, unauthorized
    from .extensions import csrf, db, login_manager, migrate
    from .services import audit  # noqa: F401  (the session hook that records every change)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)


def register_security(app: Flask) -> None:
    from .security import register_security as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from .account.views import bp as account_bp
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .ladders.views import bp as ladders_bp
    from .main.views import bp as main_bp
    from .mentorship.views import bp as mentorship_bp
    from .people.views import bp as people_bp
    from .reviews.views import bp as reviews_bp
    from .team.views import bp as team_bp

    for blueprint in (main_bp, auth_bp, ladders_bp, reviews_bp, people_bp, team_bp, mentorship_bp,
                      admin_bp, account_bp):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from flask import render_template
    from flask_wtf.csrf import CSRFError

    def render_error(error):
        code = getattr(error, "code", 500)
        return render_template("errors/error.html", code=code, error=error), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from flask import jsonify, request
        from flask_login import current_user

        if request.accept_mimetypes.best == "application/json":  # autosave.js
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


def register_template_helpers(app: Flask) -> None:
    from .domain.markdown import render_expectation, render_markdown
    from .domain.team import TARGET_KINDS
    from .models.reviews import VERDICTS
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

    app.jinja_env.globals.update(app_version=__version__, VERDICTS=VERDICTS, TARGET_KINDS=TARGET_KINDS)

    @app.context_processor
    def navigation() -> dict:
        """Whether to offer the team pages: only people with reports (and admins) have them."""
        from flask_login import current_user

        from .services.people import has_reports

        if not current_user.is_authenticated:
            return {}
        return {"nav_has_reports": has_reports(current_user.id)}

    # `markdown` returns sanitised HTML: the one place user text is marked safe.
    app.jinja_env.filters.update(level_name=level_name, track_name=track_name, markdown=render_markdown,
                                 expectation=render_expectation)
