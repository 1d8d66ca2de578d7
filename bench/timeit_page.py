#!/usr/bin/env python3
"""CPU milliseconds per request of one page, in-process (no server, no profiler).

    python bench/timeit_page.py --database-url sqlite:////tmp/ladder.sqlite --email admin@example.com \
        --path /reports/readiness --requests 50

On a PostgreSQL server of this machine it also gives the server's CPU per request: the CPU
time of the database's client backends (read from /proc) over the same requests. Under load
the two share the same cores, so their sum is what a request costs the machine. The first
request (in a fresh process, as in a new worker) is timed apart; with --compiled the templates
are compiled before it, as gunicorn's master compiles them before it forks.
"""
from __future__ import annotations

import os
import sys
import time

from common import in_process_arguments, in_process_client


def _backend_pids(app) -> list[int]:
    """The server processes of this database's client connections (the app's pool), or none
    when the database is not PostgreSQL or not on this machine."""
    from sqlalchemy import text

    from ladder.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return []
        pids = db.session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND backend_type = 'client backend'")).all()
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}/stat")]


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes (fields 14 and 15 of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = in_process_arguments(__doc__.split("\n\n")[0], requests=50, many_paths=True)
    parser.add_argument("--compiled", action="store_true",
                        help="compile every template first, as gunicorn's master does before it forks")
    args = parser.parse_args()
    app, client = in_process_client(args.database_url, args.email, args.password, unfrozen=args.unfrozen)
    if args.compiled:
        from ladder import compile_templates

        compile_templates(app)
    for path in args.path:
        started = time.perf_counter()
        first = client.get(path)
        first_wall = time.perf_counter() - started
        pids = _backend_pids(app)
        server = _cpu_seconds(pids)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            client.get(path).close()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        server = _cpu_seconds(pids) - server
        print(f"{path}: status {first.status_code}, {len(first.data)} bytes, first request {first_wall * 1000:.1f} ms, "
              f"{cpu / args.requests * 1000:.1f} ms CPU, {wall / args.requests * 1000:.1f} ms wall per request"
              + (f", PostgreSQL {server / args.requests * 1000:.1f} ms CPU" if pids else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
