"""Optional per-request SQL statement counter, for the benchmark and for finding N+1 queries.

Off unless LADDER_COUNT_QUERIES=1 (or the config key of that name) is set. When on, every
response carries `X-Query-Count` (statements run before the headers were sent) and, once the
response has been fully sent, a line `ladder-query-count METHOD PATH STATUS COUNT` goes to
standard error: that one also counts statements run while a streamed response (the CSV) was
being generated.
"""
from __future__ import annotations

import os
import sys

from flask import Flask, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

HEADER = "X-Query-Count"


class _Counter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_app_context():
        counter = g.get("ladder_query_counter")
        if counter is not None:
            counter.count += 1


def _emit(line: str) -> None:
    sys.stderr.write(line)  # one write, so lines from several workers do not interleave
    sys.stderr.flush()


def register_query_counter(app: Flask) -> None:
    """Count SQL statements per request when LADDER_COUNT_QUERIES is on (off by default)."""
    enabled = app.config.get("LADDER_COUNT_QUERIES", os.environ.get("LADDER_COUNT_QUERIES", ""))
    if str(enabled).strip().lower() not in {"1", "true", "yes", "on"}:
        return
    if not event.contains(Engine, "before_cursor_execute", _count_statement):
        event.listen(Engine, "before_cursor_execute", _count_statement)

    @app.before_request
    def start_counting() -> None:
        g.ladder_query_counter = _Counter()

    @app.after_request
    def report_count(response):
        counter = g.get("ladder_query_counter")
        if counter is None:
            return response
        response.headers[HEADER] = str(counter.count)
        line = f"ladder-query-count {request.method} {request.path} {response.status_code}"
        response.call_on_close(lambda: _emit(f"{line} {counter.count}\n"))
        return response
