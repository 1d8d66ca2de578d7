#!/usr/bin/env python3
"""Concurrency under load: many people saving at once, then the database must hold exactly
what the server acknowledged.

    python bench/concurrency.py --db postgresql                         # 20 users, 30 s
    python bench/concurrency.py --db postgresql --users 20 --duration 10  # CI
    python bench/concurrency.py --db sqlite --duration 5                # a quick local run

It creates a dedicated database (PostgreSQL: `--database`, default `ladder_concurrency`, on the
server of `--postgres-url`, re-created at the start and dropped at the end; the database named in
that URL is never touched), builds a small synthetic organisation, pairs a few engineers with
mentees, and starts gunicorn (2 sync workers) on a free loopback port. Then `--users` threads,
each signed in as a different person, save their own self-review draft through the autosave JSON
endpoint as fast as the server answers (a unique evidence text per save, the lock_version from
the previous answer); managers and mentors also post a feedback note (unique text) every other
round and follow the redirect as a browser would.

Afterwards it reads the database directly (SQLAlchemy, the same DATABASE_URL) and fails (exit 1)
unless: no response was a 5xx or a dropped connection, and none had an unexpected status; each
review's evidence is the user's last acknowledged text and its lock_version is the starting one
plus the number of acknowledged saves; every acknowledged note exists exactly once, as
acknowledged; no review has two ratings for one competency and no note is stored twice.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from common import Server, drop_database, fresh_database, review_form

NOTE_EVERY = 2  # managers and mentors post a note every NOTE_EVERY rounds
TEXT_PREFIX = "Concurrency check"


@dataclass
class Person:
    """One simulated user: who they are, their draft, and whom they may write notes about."""

    user_id: int
    email: str
    role: str  # "engineer", "manager" or "mentor"
    review_id: int
    note_subject_id: int | None = None
    # filled in while running
    cookie: str = ""
    form: dict[str, str] = field(default_factory=dict)
    field_name: str = ""
    start_lock: int = 0
    acked_saves: list[tuple[str, int]] = field(default_factory=list)  # (text, lock_version answered)
    refused: int = 0
    acked_notes: list[tuple[str, int]] = field(default_factory=list)  # (text, note id)
    statuses: Counter = field(default_factory=Counter)  # "autosave 200", "note 302", ...
    problems: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"autosave": [], "note": []})


def build_world(database_url: str, engineers: int, seed: int, instance: Path, users: int) -> list[Person]:
    """Migrate the fresh database, build the synthetic organisation, choose the cast: a quarter
    managers (noting a direct report), a quarter mentors (paired here), the rest engineers."""
    from sqlalchemy import insert, select

    from ladder import create_app
    from ladder.cli import reset_database, upgrade_database
    from ladder.extensions import db
    from ladder.models import Mentorship, Review, User
    from ladder.services.reviews import open_cycle
    from ladder.services.synthetic import SYNTHETIC_DOMAIN, build_synthetic_org

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        reset_database()
        upgrade_database()
        build_synthetic_org(engineers, date.today(), seed)
        db.session.commit()
        cycle = open_cycle()
        drafts = dict(db.session.execute(
            select(Review.subject_id, Review.id).join(User, User.id == Review.subject_id)
            .where(Review.cycle_id == cycle.id, Review.kind == "self", Review.status == "draft",
                   User.email.like(f"%@{SYNTHETIC_DOMAIN}"))).all())
        people = {uid: (email, manager) for uid, email, manager in db.session.execute(
            select(User.id, User.email, User.manager_id).where(User.email.like(f"%@{SYNTHETIC_DOMAIN}"))
            .order_by(User.id))}
        reports: dict[int, list[int]] = {}
        for uid, (_, manager) in people.items():
            reports.setdefault(manager, []).append(uid)
        managers = [uid for uid in people if uid in drafts and uid in reports][: users // 4]
        others = [uid for uid in people if uid in drafts and uid not in reports]
        mentors = others[: users // 4]
        engineers_ = others[len(mentors): users - len(managers)]
        if len(managers) + len(mentors) + len(engineers_) < users:
            sys.exit(f"concurrency: only {len(drafts)} draft self-reviews for {users} users; use more --engineers")
        chosen = set(managers) | set(mentors) | set(engineers_)
        mentees = [uid for uid in people if uid not in chosen]
        cast = [Person(uid, people[uid][0], "manager", drafts[uid], reports[uid][0]) for uid in managers]
        for uid, mentee in zip(mentors, mentees, strict=False):
            cast.append(Person(uid, people[uid][0], "mentor", drafts[uid], mentee))
        db.session.execute(insert(Mentorship), [
            {"mentor_id": p.user_id, "mentee_id": p.note_subject_id, "focus": [],
             "starts_on": date.today() - timedelta(days=30)} for p in cast if p.role == "mentor"])
        db.session.commit()
        cast += [Person(uid, people[uid][0], "engineer", drafts[uid]) for uid in engineers_]
        db.session.remove()
        db.engine.dispose()
    return cast


def simulate(server: Server, person: Person, start: threading.Barrier, duration: float) -> None:
    """One person's session: autosave their draft, and post notes when they may, until time is up."""
    start.wait()
    deadline = time.monotonic() + duration
    lock = person.start_lock
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        text = f"{TEXT_PREFIX}: user {person.user_id} save {rounds}."
        body = urllib.parse.urlencode({**person.form, person.field_name: text, "lock_version": str(lock)})
        status, answer = call(server, person, "autosave", "POST", f"/reviews/{person.review_id}/autosave",
                              body=body, headers={"Accept": "application/json"})
        if status == 200:
            lock = json.loads(answer)["lock_version"]
            person.acked_saves.append((text, lock))
        elif status == 409:  # an acknowledged refusal: reload the page for the current version
            person.refused += 1
            status, page = call(server, person, "reload", "GET", "/reviews/self")
            if status == 200:
                lock = review_form(page)[1]
        if person.note_subject_id is not None and rounds % NOTE_EVERY == 0:
            note = f"{TEXT_PREFIX}: note {rounds // NOTE_EVERY} by user {person.user_id}."
            body = urllib.parse.urlencode({"csrf_token": person.form["csrf_token"], "lock_version": "0",
                                           "body": note, "visibility": "private"})
            status, location = call(server, person, "note", "POST", f"/people/{person.note_subject_id}/notes/new",
                                    body=body)
            if status == 302 and location and "/notes/" in location:
                person.acked_notes.append((note, int(location.rstrip("/").rsplit("/", 1)[1])))
                call(server, person, "note page", "GET", urllib.parse.urlsplit(location).path)  # as a browser


EXPECTED = {"autosave": (200, 409), "reload": (200,), "note": (302,), "note page": (200,)}


def call(server: Server, person: Person, what: str, method: str, path: str, *, body: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One request, counted; returns (status, body), or for a redirect (status, Location)."""
    started = time.perf_counter()
    try:
        status, response_headers, text = server.request(method, path, cookie=person.cookie, body=body,
                                                        headers=headers)
    except OSError as error:
        person.statuses[f"{what} error"] += 1
        person.problems.append(f"{person.email}: {method} {path}: {error!r}")
        return 0, ""
    if what in person.latencies:
        person.latencies[what].append(time.perf_counter() - started)
    person.statuses[f"{what} {status}"] += 1
    for value in response_headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            person.cookie = value.split(";", 1)[0]
    if status not in EXPECTED[what]:
        person.problems.append(f"{person.email}: {method} {path} answered {status}: {text[:200]!r}")
    if 300 <= status < 400:
        return status, response_headers.get("Location", "")
    return status, text


def check(database_url: str, instance: Path, cast: list[Person]) -> list[str]:
    """Compare what the server acknowledged with what the database holds."""
    from sqlalchemy import func, select

    from ladder import create_app
    from ladder.extensions import db
    from ladder.models import Competency, FeedbackNote, Rating, Review

    violations = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        for person in cast:
            review = db.session.get(Review, person.review_id)
            key = person.field_name[len("evidence-"):]
            stored = db.session.scalars(
                select(Rating.evidence).join(Competency, Competency.id == Rating.competency_id)
                .where(Rating.review_id == review.id, Competency.key == key)).all()
            if not person.acked_saves:
                violations.append(f"{person.email}: no save was acknowledged")
                continue
            last = person.acked_saves[-1][0]
            if stored != [last]:
                violations.append(f"{person.email}: review {review.id} holds {stored!r}, last acknowledged {last!r}")
            expected_lock = person.start_lock + len(person.acked_saves)
            if review.lock_version != expected_lock:
                violations.append(f"{person.email}: review {review.id} lock_version {review.lock_version}, expected "
                                  f"{expected_lock} ({person.start_lock} + {len(person.acked_saves)} saves)")
            answered = [lock for _, lock in person.acked_saves]
            if answered != list(range(person.start_lock + 1, expected_lock + 1)):
                violations.append(f"{person.email}: acknowledged lock_versions are not consecutive")
            for text, note_id in person.acked_notes:
                rows = db.session.execute(select(FeedbackNote.id, FeedbackNote.author_id, FeedbackNote.subject_id)
                                          .where(FeedbackNote.body == text)).all()
                if [tuple(r) for r in rows] != [(note_id, person.user_id, person.note_subject_id)]:
                    violations.append(f"{person.email}: acknowledged note {note_id} {text!r} stored as {rows!r}")
        duplicate_ratings = db.session.execute(
            select(Rating.review_id, Rating.competency_id, func.count()).group_by(Rating.review_id,
                                                                                  Rating.competency_id)
            .having(func.count() > 1)).all()
        if duplicate_ratings:
            violations.append(f"{len(duplicate_ratings)} duplicate ratings (review, competency): "
                              f"{duplicate_ratings[:5]}")
        duplicate_notes = db.session.execute(
            select(FeedbackNote.author_id, FeedbackNote.subject_id, FeedbackNote.body, func.count())
            .group_by(FeedbackNote.author_id, FeedbackNote.subject_id, FeedbackNote.body)
            .having(func.count() > 1)).all()
        if duplicate_notes:
            violations.append(f"{len(duplicate_notes)} notes stored more than once: {duplicate_notes[:5]}")
        stored_notes = db.session.scalar(select(func.count()).select_from(FeedbackNote)
                                         .where(FeedbackNote.body.like(f"{TEXT_PREFIX}%")))
        acked = sum(len(p.acked_notes) for p in cast)
        if stored_notes != acked:  # only a note whose answer was lost may differ: no error may be lost
            violations.append(f"{stored_notes} benchmark notes stored, {acked} acknowledged")
        db.session.remove()
        db.engine.dispose()
    return violations


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="the PostgreSQL server to use (its database is left alone; default: %(default)s)")
    parser.add_argument("--database", default="ladder_concurrency",
                        help="dedicated database created, used and dropped on that server (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the dedicated database afterwards")
    parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--engineers", type=int, default=200, help="size of the synthetic organisation")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.users < 1 or args.duration <= 0:
        parser.error("--users and --duration must be positive")
    return args


def dedicated_postgres_url(args: argparse.Namespace) -> str:
    """The URL of the --database to create on the --postgres-url server ("" on SQLite)."""
    if args.db != "postgresql":
        return ""
    parsed = urllib.parse.urlsplit(args.postgres_url)
    if parsed.path.lstrip("/") == args.database:
        sys.exit(f"concurrency: --database {args.database} is the database of --postgres-url; choose another, "
                 "it is dropped afterwards")
    return urllib.parse.urlunsplit(parsed._replace(path="/" + args.database))


def sign_in_everyone(server: Server, cast: list[Person]) -> None:
    """Each simulated user signs in and reads their self-review form (its fields and lock)."""
    for person in cast:
        person.cookie = server.login(person.email)
        status, page = call(server, person, "reload", "GET", "/reviews/self")
        if status != 200:
            sys.exit(f"concurrency: {person.email}'s self-review page answered {status}")
        person.form, person.start_lock = review_form(page)
        person.field_name = next(k for k in person.form if k.startswith("evidence-"))
        person.statuses.clear()


def run_users(server: Server, cast: list[Person], duration: float) -> float:
    """Start every simulated user at once and wait for them all; returns the seconds it took."""
    start = threading.Barrier(len(cast) + 1)
    threads = [threading.Thread(target=simulate, args=(server, p, start, duration), daemon=True) for p in cast]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(duration + 180)
    elapsed = time.monotonic() - began
    if any(thread.is_alive() for thread in threads):
        sys.exit("concurrency: a simulated user did not finish (server stuck?)")
    return elapsed


def all_violations(stored: list[str], cast: list[Person], statuses: Counter, log: str, log_path: Path) -> list[str]:
    """5xx answers and dropped connections first, then what the database check found, then each
    user's unexpected answers and any traceback in the server's log."""
    violations = list(stored)
    server_errors = {k: v for k, v in statuses.items() if k.split()[-1] == "error" or k.split()[-1].startswith("5")}
    if server_errors:
        violations.insert(0, f"5xx or dropped connections: {server_errors}")
    for person in cast:
        violations.extend(person.problems[:3])
    if "Traceback" in log:
        violations.append(f"gunicorn logged a traceback; see {log_path}")
    return violations


def print_summary(args: argparse.Namespace, cast: list[Person], statuses: Counter, elapsed: float) -> None:
    saves = sum(len(p.acked_saves) for p in cast)
    notes = sum(len(p.acked_notes) for p in cast)
    requests = sum(statuses.values())
    autosave = [x for p in cast for x in p.latencies["autosave"]]
    note = [x for p in cast for x in p.latencies["note"]]
    roles = Counter(p.role for p in cast)
    print(f"\nLadder concurrency check: {args.db}, {args.workers} sync workers, {len(cast)} users "
          f"({roles['engineer']} engineers, {roles['manager']} managers, {roles['mentor']} mentors), "
          f"{elapsed:.1f} s, {args.engineers} synthetic engineers")
    print(f"  requests        {requests} ({requests / elapsed:.1f}/s): "
          + ", ".join(f"{k} x{v}" for k, v in sorted(statuses.items())))
    print(f"  autosaves       {saves} acknowledged ({saves / elapsed:.1f}/s), {sum(p.refused for p in cast)} refused "
          f"(409); latency p50 {percentile(autosave, .5):.0f} ms, p95 {percentile(autosave, .95):.0f} ms, "
          f"max {percentile(autosave, 1):.0f} ms")
    print(f"  notes           {notes} acknowledged ({notes / elapsed:.1f}/s); "
          f"latency p50 {percentile(note, .5):.0f} ms, "
          f"p95 {percentile(note, .95):.0f} ms, max {percentile(note, 1):.0f} ms")
    print(f"  per user        {min(len(p.acked_saves) for p in cast)}-{max(len(p.acked_saves) for p in cast)} "
          "acknowledged autosaves")


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ladder-concurrency-"))
    (workdir / "instance").mkdir()
    database_url = fresh_database(args.db, dedicated_postgres_url(args), workdir)
    try:
        cast = build_world(database_url, args.engineers, args.seed, workdir / "instance", args.users)
        server = Server(database_url, args.workers, workdir, count_queries=False)
        try:
            sign_in_everyone(server, cast)
            elapsed = run_users(server, cast, args.duration)
        finally:
            server.stop()
        log = server.log_path.read_text()
        stored = check(database_url, workdir / "instance", cast)
    finally:
        if args.db == "postgresql" and not args.keep:
            drop_database(database_url)

    statuses = sum((p.statuses for p in cast), Counter())
    violations = all_violations(stored, cast, statuses, log, server.log_path)
    print_summary(args, cast, statuses, elapsed)
    if violations:
        print("FAILED:\n  " + "\n  ".join(violations), file=sys.stderr)
        return 1
    print("  checked         every acknowledged save and note is in the database exactly as acknowledged; "
          "lock_versions match; no duplicate ratings or notes; no 5xx")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
