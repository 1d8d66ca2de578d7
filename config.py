"""Configuration classes, read from environment variables.

Every setting a deployment may need is documented in README.md ("Configuration").
"""
import os
from datetime import timedelta


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> tuple[str, ...]:
    """A comma-separated setting as lower-case items, blanks dropped."""
    return tuple(item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip())


def _prepare_threshold() -> dict:
    """psycopg prepares a statement on the server once a connection has run it 5 times; behind
    PgBouncer in transaction mode (before 1.21) that breaks, so DB_PREPARE_THRESHOLD=off turns
    it off (a number sets the threshold). PostgreSQL only: unset, nothing is passed."""
    value = os.environ.get("DB_PREPARE_THRESHOLD")
    if value is None:
        return {}
    off = value.strip().lower() in {"", "off", "none", "no", "false"}
    return {"connect_args": {"prepare_threshold": None if off else int(value)}}


def _seconds(name: str, default: float) -> float:
    """A duration in seconds from the environment; 0 turns the limit off."""
    value = os.environ.get(name)
    return default if value is None or not value.strip() else float(value)


def database_timeouts() -> dict[str, float]:
    """How long any request may wait on the database (seconds; 0 means no limit). A request
    that hits one gets the 503 page instead of holding its worker: no locked row or slow
    statement can take the whole app down. The defaults keep every wait to a few seconds."""
    return {
        "pool": _seconds("DB_POOL_TIMEOUT", 5),  # SQLAlchemy's own default is 30 s
        "connect": _seconds("DB_CONNECT_TIMEOUT", 3),
        # 3 s: a request waits at most 4 s for a server that does not answer at all (see
        # docs/reliability.md); the pages' statements take milliseconds (docs/performance.md).
        "statement": _seconds("DB_STATEMENT_TIMEOUT", 3),
        "lock": _seconds("DB_LOCK_TIMEOUT", 3),
        "idle_in_transaction": _seconds("DB_IDLE_IN_TRANSACTION_TIMEOUT", 30),
        "busy": _seconds("DB_BUSY_TIMEOUT", 5),
    }


def engine_options(url: str, options: dict, timeouts: dict[str, float], *, session_options: bool = True) -> dict:
    """The engine options for this database: the pool settings plus the driver's timeouts.

    PostgreSQL gets `connect_timeout` and, as start-up options, `statement_timeout`,
    `lock_timeout` and `idle_in_transaction_session_timeout`; behind a PgBouncer that refuses
    start-up options, DB_SESSION_OPTIONS=off leaves them out (set them on the role instead,
    see docs/deployment.md). SQLite gets its busy timeout (how long to wait for a writer)."""
    options = dict(options)
    connect_args = dict(options.pop("connect_args", {}))
    in_memory = url in {"sqlite://", "sqlite:///:memory:"}  # one static connection, no pool to wait for
    if timeouts["pool"] and not in_memory:
        options["pool_timeout"] = timeouts["pool"]
    if url.startswith("postgresql"):
        if timeouts["connect"]:
            connect_args["connect_timeout"] = max(1, round(timeouts["connect"]))
        settings = {"statement_timeout": timeouts["statement"], "lock_timeout": timeouts["lock"],
                    "idle_in_transaction_session_timeout": timeouts["idle_in_transaction"]}
        if session_options:
            connect_args["options"] = " ".join(f"-c {name}={round(seconds * 1000)}"
                                               for name, seconds in settings.items())
    elif url.startswith("sqlite"):
        connect_args["timeout"] = timeouts["busy"]
    return {**options, "connect_args": connect_args} if connect_args else options


class Config:
    """Defaults shared by every environment."""

    # Unset outside production: create_app generates one and keeps it in the instance folder.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means: a SQLite file in the instance folder (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # Per worker process; see docs/deployment.md for sizing against PostgreSQL's max_connections.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": _bool("DB_POOL_PRE_PING", True),
        **{option: int(os.environ[name]) for option, name in (
            ("pool_size", "DB_POOL_SIZE"), ("max_overflow", "DB_MAX_OVERFLOW"),
            ("pool_recycle", "DB_POOL_RECYCLE")) if os.environ.get(name)},
        **_prepare_threshold(),
    }
    # Completed by create_app with the driver's timeouts for the configured database.
    DATABASE_TIMEOUTS = database_timeouts()
    DB_SESSION_OPTIONS = _bool("DB_SESSION_OPTIONS", True)
    # After a request gave up on a database that does not answer at all, this process answers
    # 503 at once for this many seconds (0: off); a health probe that gets an answer ends it.
    DB_SILENT_BACKOFF = _seconds("DB_SILENT_BACKOFF", 5)
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", 30)))
    # Absolute session lifetime; the idle limit signs out a session left alone for too long.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", 12)))
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 120))
    # How many proxies in front of Ladder set X-Forwarded-For (0: trust no header; see
    # docs/deployment.md). Client addresses are what the login throttle counts per.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", 0))
    # Login throttling: memory for one process (the demo); redis://host:6379 for several workers.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Redis unreachable: throttle per process (with a warning in the log) until it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "10 per minute; 60 per hour")
    # Per account and address: this many failures, then a wait of 5 s doubling up to the maximum.
    LOGIN_BACKOFF_FREE_ATTEMPTS = int(os.environ.get("LOGIN_BACKOFF_FREE_ATTEMPTS", 3))
    LOGIN_BACKOFF_MAX_SECONDS = int(os.environ.get("LOGIN_BACKOFF_MAX_SECONDS", 900))
    # Password-reset requests per email address (the address limit is LOGIN_LIMIT_PER_ADDRESS).
    PASSWORD_RESET_LIMIT = os.environ.get("PASSWORD_RESET_LIMIT", "3 per hour")
    HSTS = False
    # Email (Flask-Mailman over SMTP). Without MAIL_SERVER nothing is sent: notifications wait
    # in the outbox (admin page) and invitations fall back to one-time passwords.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Ladder <ladder@localhost>")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 10))
    # Where people reach Ladder: the start of every link in an email.
    LADDER_BASE_URL = os.environ.get("LADDER_BASE_URL", "http://localhost:5000")
    # OWASP's scrypt cost (N=2^17, r=8, p=1): about 128 MiB and a second per check on 2 cores.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt:131072:8:1")
    LADDER_DEFAULT_FRAMEWORK = "engineering"
    # The published ladders readable without signing in at /ladders/public/: off, on (pages ask
    # search engines not to index them) or indexed (docs/deployment.md, "Public ladder pages").
    PUBLIC_LADDERS = os.environ.get("PUBLIC_LADDERS", "off")
    # Published ladder versions kept in memory per process (ladder/services/version_cache.py).
    LADDER_VERSION_CACHE_SIZE = int(os.environ.get("LADDER_VERSION_CACHE_SIZE", 16))
    # Submitted reviews whose ratings are kept in memory per process for the readiness of list
    # pages (ladder/services/readiness.py): about 1.5 KB each.
    RATINGS_CACHE_SIZE = int(os.environ.get("RATINGS_CACHE_SIZE", 4096))
    # Single sign-on with OpenID Connect, on when OIDC_ISSUER is set (README, "Single sign-on").
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "single sign-on")
    OIDC_ALLOWED_DOMAINS = _list("OIDC_ALLOWED_DOMAINS")  # empty: any verified email of a known person
    OIDC_CREATE_ACCOUNTS = _bool("OIDC_CREATE_ACCOUNTS", False)
    # The callback URL registered at the provider; by default this host's /auth/oidc/callback, as
    # the request arrived (behind a TLS proxy, set the https:// URL).
    OIDC_REDIRECT_URI = os.environ.get("OIDC_REDIRECT_URI", "")
    # Who may sign in with a password: on (everyone), admins (break-glass administrators only,
    # everyone else uses single sign-on) or off.
    PASSWORD_LOGIN = os.environ.get("PASSWORD_LOGIN", "on").strip().lower()
    # Logging (ladder/logs.py): level of the `ladder` loggers; `json` for log collectors.
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()


class DevelopmentConfig(Config):
    """The demo and local development: SQLite in the instance folder."""


class TestingConfig(Config):
    TESTING = True
    MAIL_SERVER = None  # a test that sends email starts its own SMTP server
    SECRET_KEY = "testing"
    # Tests check the mechanism, not the cost: a sign-in's check takes 2 ms instead of 0.5 s.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")


class ProductionConfig(Config):
    """Secure cookies; refuses to start without a SECRET_KEY of 32 bytes or more (checked in create_app)."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS = _bool("HSTS", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> type[Config]:
    """The configuration class named by LADDER_ENV (development by default)."""
    name = name or os.environ.get("LADDER_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"LADDER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
