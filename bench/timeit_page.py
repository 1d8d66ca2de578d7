#!/usr/bin/env python3
"""CPU milliseconds per request of one page, in-process (no server, no profiler).

    python bench/timeit_page.py --database-url sqlite:////tmp/ladder.sqlite --email admin@example.com \
        --path /reports/readiness --requests 50
"""
from __future__ import annotations

import sys
import time

from common import in_process_arguments, in_process_client


def main() -> int:
    args = in_process_arguments(__doc__.split("\n\n")[0], requests=50, many_paths=True).parse_args()
    _, client = in_process_client(args.database_url, args.email, args.password, unfrozen=args.unfrozen)
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
