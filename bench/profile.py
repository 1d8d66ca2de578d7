#!/usr/bin/env python3
"""Profile one page in-process with pyinstrument (pip install pyinstrument).

    python bench/profile.py --database-url sqlite:////tmp/ladder.sqlite \
        --email admin@example.com --path /reports/readiness --requests 20

Signs in through the login form like a browser, warms the page once, then profiles
`--requests` requests and prints pyinstrument's call tree and the SQL statements per request.
Build a database to profile with `ladder demo --no-serve --engineers 2000`.
"""
from __future__ import annotations

import sys

from common import in_process_arguments, in_process_client


def main() -> int:
    parser = in_process_arguments(__doc__.split("\n\n")[0], requests=20)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    args = parser.parse_args()

    from pyinstrument import Profiler
    from sqlalchemy import event

    from ladder.extensions import db

    app, client = in_process_client(args.database_url, args.email, args.password, unfrozen=args.unfrozen)
    warm = client.get(args.path)
    print(f"{args.path}: {warm.status_code}, {len(warm.data)} bytes")

    statements = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.requests):
        client.get(args.path).close()
    profiler.stop()
    print(f"{len(statements) / args.requests:.1f} SQL statements per request")
    print(profiler.output_text(unicode=False, color=False))
    if args.html:
        with open(args.html, "w") as out:
            out.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
