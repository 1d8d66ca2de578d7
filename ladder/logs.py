"""Logging, configured once by the factory: a request id on every line and every response,
one access line per request, errors with their tracebacks; text or JSON (LOG_FORMAT)."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from sqlalchemy import inspect

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("ladder.access")

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s user=%(user_id)s] %(name)s: %(message)s"
_CONFIGURED = "_ladder_handler"


def request_id() -> str:
    """The id of the current request ("-" outside one)."""
    return g.get("request_id", "-") if has_request_context() else "-"


def signed_in_user_id() -> int | None:
    """The id of the user this request loaded, read without a query (the connection may be gone)."""
    if not has_request_context():
        return None
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    return state.identity[0] if state is not None and state.identity else None


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record, so every line says which request it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        record.user_id = signed_in_user_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    FIELDS = ("method", "path", "endpoint", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-"), "user_id": getattr(record, "user_id", None)}
        entry.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app: Flask) -> None:
    """Give the `ladder` loggers one handler on standard error (once per process: tests build
    many apps), at LOG_LEVEL, formatted as LOG_FORMAT."""
    if app.config["LOG_FORMAT"] not in {"text", "json"}:
        raise RuntimeError(f"LOG_FORMAT must be text or json, not {app.config['LOG_FORMAT']!r}")
    root = logging.getLogger("ladder")
    root.setLevel(app.config["LOG_LEVEL"].upper())
    handler = next((h for h in root.handlers if getattr(h, _CONFIGURED, False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        setattr(handler, _CONFIGURED, True)
        handler.addFilter(RequestContextFilter())
        root.addHandler(handler)
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        formatter = logging.Formatter(TEXT_FORMAT)
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)  # before any hook can log
    app.after_request(finish_request)


def start_request() -> None:
    """Take the caller's X-Request-ID (a proxy's) when it is sane, or make one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _ACCEPTABLE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish_request(response):
    """The request id on the response, and the access line."""
    if "request_id" not in g:  # a request that failed before the first hook ran
        start_request()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
    access_logger.info("%s %s %s %s ms endpoint=%s", request.method, request.path, response.status_code,
                       duration_ms, request.endpoint,
                       extra={"method": request.method, "path": request.path, "endpoint": request.endpoint,
                              "status": response.status_code, "duration_ms": duration_ms})
    return response
