#!/usr/bin/env python3
"""CPU milliseconds per request of one page, in-process (no server, no profiler).

    python bench/timeit_page.py --database-url sqlite:////tmp/ladder.sqlite --email admin@example.com \
        --path /reports/readiness --requests 50
"""
from __future__ import annotations

import argparse
import re
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="")
    parser.add_argument("--password", default="ladder-demo")
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    from ladder import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url})
    client = app.test_client()
    if args.email:
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/auth/login", data={"csrf_token": token, "email": args.email, "password": args.password})
    for path in args.path:
        first = client.get(path)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            client.get(path).close()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{path}: status {first.status_code}, {len(first.data)} bytes, "
              f"{cpu / args.requests * 1000:.1f} ms CPU, {wall / args.requests * 1000:.1f} ms wall per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
