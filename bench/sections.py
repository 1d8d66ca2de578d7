#!/usr/bin/env python3
"""Wall time per request spent in the main steps of the list pages, in-process, unprofiled.

    python bench/sections.py --database-url postgresql://postgres@127.0.0.1:5432/ladder_bench \
        --email admin@example.com --path /reports/readiness --requests 200

A profiler inflates every call it sees (SQLAlchemy's deep call stacks most of all); this wraps
only the steps named in STEPS with a timer, so the figures are close to the real cost. Steps
nest (`ReportSelection.rows` includes `readiness_summaries`, which includes the three loads).
"""
from __future__ import annotations

import functools
import importlib
import sys
import time
from collections import defaultdict

from common import in_process_arguments, in_process_client

# (module, attribute): functions, or Class.method
STEPS = [
    ("ladder.services.readiness", "_latest_sources"), ("ladder.services.readiness", "ratings_by_review"),
    ("ladder.services.readiness", "latest_verdicts"), ("ladder.services.readiness", "readiness_summaries"),
    ("ladder.services.team", "ReportSelection.rows"), ("ladder.services.team", "team_view"),
    ("ladder.services.team", "report_view"), ("ladder.services.team", "ReportSelection.page"),
    ("ladder.services.team", "ReportSelection.count"), ("ladder.services.team", "tree_groups"),
    ("ladder.services.reviews", "open_cycle"), ("ladder.services.people", "has_reports"),
    ("ladder.team.views", "render_template"), ("ladder.team.views", "heatmap_rows"),
    ("ladder.services.calibration", "_people"), ("ladder.services.calibration", "_per_manager"),
    ("ladder.services.calibration", "_tally"), ("ladder.services.calibration", "_verdicts"),
    ("ladder.services.calibration", "_readiness"), ("ladder.services.calibration", "Calibration.cases"),
    ("ladder.domain.calibration", "distributions"), ("ladder.calibration.views", "render_template"),
]
MODULES = ["ladder.services.readiness", "ladder.services.team", "ladder.team.views", "ladder.services.calibration",
           "ladder.calibration.views"]  # where names are imported


def instrument(spent: dict[str, float]) -> None:
    for module_name, attribute in STEPS:
        owner = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)

        def timed(*args, _original=original, _name=attribute, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        functools.update_wrapper(timed, original)
        setattr(owner, name, timed)
        if not path:  # modules that imported the function by name call it through their own global
            for other in MODULES:
                module = importlib.import_module(other)
                if getattr(module, name, None) is original:
                    setattr(module, name, timed)


def main() -> int:
    args = in_process_arguments(__doc__.split("\n\n")[0], requests=200).parse_args()
    spent: dict[str, float] = defaultdict(float)
    instrument(spent)  # before the app is built, so the views pick up the timed functions
    _, client = in_process_client(args.database_url, args.email, args.password, unfrozen=args.unfrozen)
    for _ in range(10):
        client.get(args.path).close()
    spent.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.requests):
        client.get(args.path).close()
    wall, cpu = (time.perf_counter() - wall) / args.requests, (time.process_time() - cpu) / args.requests
    print(f"{args.path}: {wall * 1000:.2f} ms wall, {cpu * 1000:.2f} ms CPU per request")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {name:<36} {seconds / args.requests * 1000:6.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
