#!/usr/bin/env python3
"""Save the HTML of the list and review pages, to check that a rendering change leaves them as they were.

    python bench/page_html.py --out /tmp/pages-before     # on the code before the change
    python bench/page_html.py --out /tmp/pages-after      # after it
    diff -r /tmp/pages-before /tmp/pages-after

The demo organisation plus a small synthetic one, built into a fresh SQLite database with the
clock frozen at a fixed date and a fixed seed, so two runs give the same records. CSRF tokens
are blanked (they differ on every request).
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from common import PASSWORD, csrf_token

DAY = date(2026, 11, 20)
TOKEN = re.compile(r'(name="csrf_token"[^>]*? value=")[^"]+"')

# (file name, account, path); "post:" paths send the page's own form with one evidence too long
PAGES = [
    ("team-director", "director@example.com", "/team/"),
    ("team-director-level", "director@example.com", "/team/?sort=level"),
    ("team-director-next", "director@example.com", "/team/?sort=next&scope=indirect"),
    ("team-director-status", "director@example.com", "/team/?status=late"),
    ("team-manager", "manager@example.com", "/team/"),
    ("report-admin", "admin@example.com", "/reports/readiness"),
    ("report-admin-page2", "admin@example.com", "/reports/readiness?page=2&sort=move"),
    ("report-admin-filtered", "admin@example.com", "/reports/readiness?verdict=ready_now&status=submitted"),
    ("report-manager", "manager@example.com", "/reports/readiness"),
    ("self-review", "engineer@example.com", "/reviews/self"),
    ("self-review-started", "mentor@example.com", "/reviews/self"),
    ("self-review-invalid", "engineer@example.com", "post:/reviews/self"),
    ("manager-review", "manager@example.com", "/reviews/people/{engineer2}/manager"),
    ("manager-review-invalid", "manager@example.com", "post:/reviews/people/{engineer2}/manager"),
    ("side-by-side", "manager@example.com", "/reviews/people/{priya}/side-by-side"),
]


def _normalised(text: str) -> str:
    return TOKEN.sub(r'\1"', text)


def _with_long_evidence(client, path: str):
    """POST the page's form with its first evidence field over the limit: the page comes back
    with the user's input and the error attributes."""
    from common import review_form

    page = client.get(path).get_data(as_text=True)
    data, lock = review_form(page)
    first = next(name for name in data if name.startswith("evidence-"))
    data.update({first: "x" * 5_001, "lock_version": str(lock), "action": "save"})
    data["csrf_token"] = csrf_token(page)
    return client.post(path, data=data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--engineers", type=int, default=60)
    args = parser.parse_args()
    from sqlalchemy import select

    from ladder import clock, create_app
    from ladder.cli import upgrade_database
    from ladder.extensions import db
    from ladder.models import User
    from ladder.services.synthetic import build_synthetic_org

    clock.freeze(DAY)
    workdir = Path(tempfile.mkdtemp(prefix="ladder-pages-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'pages.sqlite'}",
                      "INSTANCE_PATH": str(workdir)})
    args.out.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        upgrade_database()
        build_synthetic_org(args.engineers, DAY, 7)
        db.session.commit()
        ids = {email.split("@")[0]: user_id for user_id, email in db.session.execute(select(User.id, User.email))}
    clients = {}
    for name, email, path in PAGES:
        client = clients.get(email)
        if client is None:  # one sign-in per account: the throttle counts them
            client = clients[email] = app.test_client()
            login = client.get("/auth/login").get_data(as_text=True)
            client.post("/auth/login", data={"csrf_token": csrf_token(login), "email": email, "password": PASSWORD})
        path = path.format(**ids)
        response = _with_long_evidence(client, path[5:]) if path.startswith("post:") else client.get(path)
        (args.out / f"{name}.html").write_text(_normalised(response.get_data(as_text=True)))
        print(f"{name}: {response.status_code}, {len(response.data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
