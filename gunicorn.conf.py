"""gunicorn settings for Ladder in production:

    gunicorn -c gunicorn.conf.py 'ladder:create_app()'

Every setting can be overridden on the command line (`--workers 4`) or by the GUNICORN_*
variables below. See docs/deployment.md for the reasoning behind each choice.
"""
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Requests are CPU bound (rendering, readiness in Python): one sync worker per core.
workers = _int("GUNICORN_WORKERS", len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
worker_class = "sync"
# Import the app once in the master: workers start fast and a broken configuration stops the
# master at once instead of every worker failing in a loop.
preload_app = True
# A worker silent this long is killed and replaced. Database waits are bounded at a few seconds
# (DB_* timeouts), so only a frozen database or a bug gets near it; the org CSV streams.
timeout = _int("GUNICORN_TIMEOUT", 60)
# SIGTERM (a deploy, `systemctl stop`, Kubernetes): stop accepting, let in-flight requests
# finish for up to this long, then exit.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 2
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# The request id is the one Ladder logs and returns (X-Request-ID), so both logs join up.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


def post_fork(server, worker):
    """The app was built in the master: each worker opens its own database connections."""
    from ladder.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)


def when_ready(server):
    """Before the workers fork: compile every template of the app the master loaded
    (`ladder.compile_templates`), then put everything the master built (the app, the modules,
    the templates, about 160,000 objects) out of the garbage collector's sight, and let a
    request's objects pile up before a collection comes due (`ladder.heap`). `freeze` moves
    lists, it does not touch the objects, so the pages stay shared with the master
    (copy-on-write); the workers inherit the threshold."""
    from ladder import compile_templates
    from ladder.heap import settle_for_serving

    if server.cfg.preload_app:  # otherwise the master has no app, and loading one here would be waste
        compile_templates(server.app.wsgi())
    settle_for_serving()


def post_worker_init(worker):
    """The same for what a worker built while loading the app (all of it when preload_app is off)."""
    from ladder.heap import settle_for_serving

    settle_for_serving()
