#!/usr/bin/env python3
"""Faults under load: people keep saving while the database and the server misbehave; every
save the server acknowledged must still be there, nothing may be stored twice, and the app
must answer (503 at worst) and recover by itself.

    python bench/faults.py                 # every fault, 12 users (about 8 minutes)
    python bench/faults.py --quick         # CI: two faults, 6 users (under a minute)
    python bench/faults.py --faults kill_worker,row_lock

It starts its OWN PostgreSQL cluster (initdb into a temporary directory, a spare loopback
port; as root it runs PostgreSQL as the `postgres` user) and, when redis_down is among the
faults, its OWN redis-server on a spare loopback port for the sign-in throttle (the shared
Redis is never touched), builds a synthetic organisation
there (bench/concurrency.py's `build_world`), and starts gunicorn with the repository's
gunicorn.conf.py. `--users` simulated people save their self-review drafts through the
autosave endpoint; two more tabs of one person race on the same review (optimistic locking:
the loser gets 409 and reloads); managers and mentors post notes. A monitor polls /healthz.

Then the faults run in turn, each with a quiet period before and after:

  kill_worker        kill -9 one gunicorn worker
  restart_fast       pg_ctl restart -m fast
  restart_immediate  pg_ctl restart -m immediate (a crash: recovery on start)
  stop               PostgreSQL stopped for --outage seconds (20), then started
  freeze             SIGSTOP to every PostgreSQL process for --outage seconds, then SIGCONT
  row_lock           the racing review's row held FOR UPDATE for --lock-seconds (60)
  exhaustion         every free connection slot taken for --outage seconds
  migration          `ladder db upgrade` (0018 -> 0019, a column added to reviews) while a read on reviews stays open
  export             `ladder export` under load, then restored into an empty database
  lost_answer        for --outage seconds the answer to each new save is thrown away after the
                     server stored it (as when the connection breaks after the commit); the
                     simulated browser resends that save as it was, as autosave.js does
  redis_down         the throttle's Redis stopped for --outage seconds while people also sign
                     in (and mistype a password now and then); then started again, empty

For each it reports 5xx answers (503 and 500 apart, and dropped connections), the longest time
without any answer, the slowest single answer, the time from the end of the fault until
/healthz answered 200, acknowledged saves lost, duplicates, and (export) whether the file
restores. Exit status 1 when a save is lost, something is stored twice, a 500 was answered,
an export does not restore, a resent save meets 409, or a sign-in fails with a 5xx.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import PASSWORD, ROOT, Server, csrf_token, free_port, review_form, session_cookie
from concurrency import TEXT_PREFIX, Person, build_world

FAULTS = ("kill_worker", "restart_fast", "restart_immediate", "stop", "freeze", "row_lock", "exhaustion",
          "migration", "export", "lost_answer", "redis_down")
QUICK = ("kill_worker", "restart_fast")
LADDER = str(Path(sys.executable).with_name("ladder"))  # the console script beside this Python


class Postgres:
    """A private PostgreSQL cluster in a temporary directory, on a spare loopback port."""

    def __init__(self, workdir: Path, max_connections: int) -> None:
        self.data = workdir / "pgdata"
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(workdir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.options = (f"-p {self.port} -k {workdir} -c listen_addresses=127.0.0.1 "
                        f"-c max_connections={max_connections} -c fsync=off")
        self.log = workdir / "postgres.log"
        self.ctl("start", "-w")

    def _run(self, program: str, *arguments: str) -> None:
        subprocess.run([*self.as_owner, _postgres_binary(program), *arguments], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def ctl(self, action: str, *extra: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-o", self.options, "-l", str(self.log), *extra)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == postmaster]
        return [postmaster, *children]

    def stop(self) -> None:
        try:
            self.ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass


class Redis:
    """A private redis-server on a spare loopback port, keeping nothing on disk."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            sys.exit("faults: redis-server not found (apt-get install redis-server), needed by redis_down")
        self.port, self.workdir = free_port(), workdir
        self.url = f"redis://127.0.0.1:{self.port}"
        self.log = open(workdir / "redis.log", "a")
        self.start()

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=self.log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        sys.exit(f"faults: redis-server did not start; see {self.workdir / 'redis.log'}")

    def keys(self) -> int:
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1).dbsize()
        except redis.ConnectionError:
            return 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(20)


def _postgres_binary(name: str) -> str:
    """initdb and pg_ctl: on the PATH, or where Debian's packages keep them."""
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)),
                                       None)
    if not found:
        sys.exit(f"faults: {name} not found (install PostgreSQL's server package)")
    return str(found)


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


@dataclass
class Tab:
    """One browser tab saving one review (two tabs of one person race on the same review)."""

    person: Person
    cookie: str
    form: dict[str, str]  # the tab's own page: its session's CSRF token
    lock: int
    name: str
    racing: bool = False  # one of the two tabs saving the same review
    acked: list[tuple[str, int]] = field(default_factory=list)  # (text, lock_version answered)


class Recorder:
    """Every answer (or dropped connection) with its time, and /healthz over time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[tuple[float, float, str, str]] = []  # (sent, answered, what, status)
        self.health: list[tuple[float, int]] = []
        self.acked_notes: list[tuple[str, int]] = []
        self.losing_answers = threading.Event()  # the lost_answer fault: new saves' answers are thrown away
        self.resent: Counter = Counter()  # answers to saves resent after they got no answer, by status

    def add(self, sent: float, answered: float, what: str, status: str) -> None:
        with self.lock:
            self.answers.append((sent, answered, what, status))


def call(server: Server, recorder: Recorder, tab: Tab, what: str,
         method: str, path: str, **kw) -> tuple[int, str, dict]:
    sent = time.monotonic()
    try:
        status, headers, text = server.request(method, path, cookie=tab.cookie, timeout=60, **kw)
    except OSError as error:
        recorder.add(sent, time.monotonic(), what, f"dropped ({type(error).__name__})")
        return 0, "", {}
    if what == "autosave" and recorder.losing_answers.is_set():
        recorder.add(sent, time.monotonic(), what, "lost")  # stored, but the browser never hears
        return 0, "", {}
    recorder.add(sent, time.monotonic(), what, str(status))
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            tab.cookie = value.split(";", 1)[0]
    return status, text, headers


def simulate(server: Server, recorder: Recorder, tab: Tab, stop: threading.Event) -> None:
    """Autosave as fast as answered; after a 5xx or no answer, back off a little and resend the
    same save (as autosave.js does); reload on 409; post a note every other round when the
    person may."""
    rounds = 0
    field_name = tab.person.field_name
    unanswered: tuple[str, str] | None = None  # (text, body) of a save that got no answer
    while not stop.is_set():
        rounds += 1
        resending = unanswered is not None
        if unanswered is None:
            text = f"{TEXT_PREFIX}: {tab.name} save {rounds}."
            unanswered = text, urllib.parse.urlencode({**tab.form, field_name: text, "lock_version": str(tab.lock)})
        text, body = unanswered
        status, answer, _ = call(server, recorder, tab, "autosave resent" if resending else "autosave", "POST",
                                 f"/reviews/{tab.person.review_id}/autosave", body=body,
                                 headers={"Accept": "application/json"})
        if resending and status and not tab.racing:
            with recorder.lock:
                recorder.resent[status] += 1
        if status == 200:
            tab.lock = json.loads(answer)["lock_version"]
            tab.acked.append((text, tab.lock))
            unanswered = None
        elif status == 409:
            unanswered = None
            status, page, _ = call(server, recorder, tab, "reload", "GET", "/reviews/self")
            if status == 200:
                tab.lock = review_form(page)[1]
        elif status == 422:
            unanswered = None
        else:
            time.sleep(0.5)
        if tab.person.note_subject_id is not None and rounds % 2 == 0 and tab.name.endswith("tab 1"):
            note = f"{TEXT_PREFIX}: note {rounds} by {tab.name}."
            body = urllib.parse.urlencode({"csrf_token": tab.form["csrf_token"], "body": note,
                                           "visibility": "private"})
            status, _, headers = call(server, recorder, tab, "note", "POST",
                                      f"/people/{tab.person.note_subject_id}/notes/new", body=body)
            location = headers.get("Location", "") if headers else ""
            if status == 302 and "/notes/" in location:
                with recorder.lock:
                    recorder.acked_notes.append((note, int(location.rstrip("/").rsplit("/", 1)[1])))


def sign_in_repeatedly(server: Server, recorder: Recorder, emails: list[str], stop: threading.Event) -> None:
    """Sign in as one person after another, one attempt a second or so (each checks a scrypt
    hash: about a second of a worker); every third attempt mistypes the password of an unknown
    account (counted by the throttle's back-off, later answered 429)."""
    rounds = 0
    while not stop.wait(1 if rounds else 0):
        rounds += 1
        email, password = (emails[rounds % len(emails)], PASSWORD) if rounds % 3 else ("guess@example.com", "wrong")
        sent = time.monotonic()
        try:
            status, headers, page = server.request("GET", "/auth/login", timeout=60)
            if status == 200:
                body = urllib.parse.urlencode({"csrf_token": csrf_token(page), "email": email, "password": password})
                status = server.request("POST", "/auth/login", cookie=session_cookie(headers), body=body, timeout=60)[0]
        except OSError as error:
            status = f"dropped ({type(error).__name__})"
        recorder.add(sent, time.monotonic(), "sign-in", str(status))


def watch_health(server: Server, recorder: Recorder, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = server.request("GET", "/healthz", timeout=5)[0]
        except OSError:
            status = 0
        recorder.health.append((time.monotonic(), status))
        time.sleep(max(0.0, 0.25 - (time.monotonic() - started)))


def stored_state(database_url: str, tabs: list[Tab]) -> tuple[int, int]:
    """(acknowledged saves lost, duplicates) as the database holds them now."""
    import psycopg

    lost = duplicates = 0
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        by_review: dict[int, list[Tab]] = {}
        for tab in tabs:
            by_review.setdefault(tab.person.review_id, []).append(tab)
        for review_id, review_tabs in by_review.items():
            acked = sorted((lock, text) for tab in review_tabs for text, lock in tab.acked)
            if not acked:
                continue
            key = review_tabs[0].person.field_name[len("evidence-"):]
            lock_version, evidence = connection.execute(
                "SELECT r.lock_version, (SELECT rt.evidence FROM ratings rt JOIN competencies c ON c.id = "
                "rt.competency_id "
                "WHERE rt.review_id = r.id AND c.key = %s) FROM reviews r WHERE r.id = %s", (key, review_id)).fetchone()
            last_lock, last_text = acked[-1]
            if lock_version < last_lock or (lock_version == last_lock and evidence != last_text):
                lost += 1
        duplicates += connection.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ratings GROUP BY review_id, competency_id"
            " HAVING count(*) > 1) d").fetchone()[0]
        duplicates += connection.execute(
            "SELECT count(*) FROM (SELECT 1 FROM feedback_notes WHERE body LIKE %s GROUP BY body"
            " HAVING count(*) > 1) d",
            (f"{TEXT_PREFIX}%",)).fetchone()[0]
    return lost, duplicates


@dataclass
class Outcome:
    name: str
    statuses: Counter
    longest_silence: float
    slowest: float
    to_healthy: float | None
    lost: int
    duplicates: int
    note: str = ""


class Faults:
    """The faults, each a function that injects one and returns when it is over."""

    def __init__(self, args, postgres: Postgres, server: Server, database_url: str, racing: Person, workdir: Path,
                 recorder: Recorder, redis: Redis | None, emails: list[str]):
        self.args, self.postgres, self.server, self.database_url = args, postgres, server, database_url
        self.racing, self.workdir, self.recorder, self.redis, self.emails = racing, workdir, recorder, redis, emails
        self.note = ""

    def kill_worker(self) -> None:
        os.kill(self.server.worker_pids()[0], signal.SIGKILL)

    def restart_fast(self) -> None:
        self.postgres.ctl("restart", "-m", "fast", "-w")

    def restart_immediate(self) -> None:
        self.postgres.ctl("restart", "-m", "immediate", "-w")

    def stop(self) -> None:
        self.postgres.ctl("stop", "-m", "fast", "-w")
        time.sleep(self.args.outage)
        self.postgres.ctl("start", "-w")

    def freeze(self) -> None:
        pids = self.postgres.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(self.args.outage)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)

    def row_lock(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            connection.execute("SELECT id FROM reviews WHERE id = %s FOR UPDATE", (self.racing.review_id,))
            time.sleep(self.args.lock_seconds)
            connection.rollback()

    def exhaustion(self) -> None:
        import psycopg

        held = []
        try:
            while len(held) < 500:
                held.append(psycopg.connect(self.database_url, connect_timeout=3))
        except psycopg.OperationalError:
            pass
        self.note = f"{len(held)} connections taken"
        time.sleep(self.args.outage)
        for connection in held:
            connection.close()

    def _ladder(self, *arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([LADDER, *arguments], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": self.database_url, "LOG_LEVEL": "WARNING",
                                   "LADDER_INSTANCE_PATH": str(self.workdir / "instance"), **(env or {})})

    def migration(self) -> None:
        """0019 adds a column to reviews (the lock every save of a review waits behind); a report
        keeps a read open on reviews."""
        import psycopg

        with psycopg.connect(self.database_url) as reader:
            reader.execute("SELECT count(*) FROM reviews").fetchone()  # the transaction stays open
            started = time.monotonic()
            refused = self._ladder("db", "upgrade", env={"MIGRATION_LOCK_TIMEOUT": "2"})
            waited = time.monotonic() - started
            reader.rollback()
        retried = self._ladder("db", "upgrade")
        gave_up = "could not get a lock" in refused.stderr + refused.stdout
        self.note = ("upgrade behind the read: "
                     f"{'gave up with the lock message' if gave_up else 'exit ' + str(refused.returncode)}"
                     f" after {waited:.0f} s; after the read: {'applied' if retried.returncode == 0 else 'FAILED'}")
        if retried.returncode != 0:
            self.failed = f"migration did not apply after the read ended: {retried.stderr[-500:]}"

    def export(self) -> None:
        path = self.workdir / "export.jsonl"
        exported = self._ladder("export", str(path))
        if exported.returncode != 0:
            self.note, self.failed = "export FAILED", f"export failed: {exported.stderr[-500:]}"
            return
        target = self.postgres.create_database("restored")
        restored = subprocess.run([LADDER, "restore", str(path)], cwd=ROOT,
                                  capture_output=True, text=True,
                                  env={**os.environ, "DATABASE_URL": target, "LOG_LEVEL": "WARNING",
                                       "LADDER_INSTANCE_PATH": str(self.workdir / "instance")})
        self.note = "export restores" if restored.returncode == 0 else "export does NOT restore"
        if restored.returncode != 0:
            self.failed = f"restore failed: {(restored.stderr + restored.stdout)[-800:]}"

    def lost_answer(self) -> None:
        """A resent save the server already stored must be answered 200, not 409 (the racing
        tabs aside: there the other tab may really have saved in between)."""
        before = Counter(self.recorder.resent)
        self.recorder.losing_answers.set()
        time.sleep(self.args.outage)
        self.recorder.losing_answers.clear()
        time.sleep(2)  # the last resends
        resent = self.recorder.resent - before
        self.note = (f"{sum(resent.values())} stored saves resent after their answer was lost: "
                     f"{resent[200]} answered 200, {resent[409]} with 409")
        if set(resent) - {200}:
            self.failed = f"resent saves answered {dict(resent)}"

    def redis_down(self) -> None:
        """Sign-ins go on (the throttle counts per process) and go back to Redis once it returns."""
        stop = threading.Event()
        signing = threading.Thread(target=sign_in_repeatedly, args=(self.server, self.recorder, self.emails, stop),
                                   daemon=True)
        signing.start()
        time.sleep(self.args.settle)  # signing in with Redis up
        self.redis.stop()
        down = time.monotonic()
        time.sleep(self.args.outage)
        self.redis.start()
        up = time.monotonic()
        while not self.redis.keys() and time.monotonic() < up + 60:
            time.sleep(0.1)
        back = time.monotonic() - up if self.redis.keys() else None
        stop.set()
        signing.join(60)
        with self.recorder.lock:
            during = Counter(status for sent, answered, what, status in self.recorder.answers
                             if what == "sign-in" and sent >= down and answered <= up)
        failed = sum(count for status, count in during.items() if not status.isdigit() or status[0] == "5")
        statuses = ", ".join(f"{count} x {status}" for status, count in sorted(during.items()))
        self.note = (f"{sum(during.values())} sign-ins while Redis was down ({statuses}); "
                     + (f"counting in Redis again {back:.1f} s after it returned" if back is not None
                        else "NOT counting in Redis 60 s after it returned")
                     + " (Flask-Limiter retries a dead store after 1, 2, 4 ... s)")
        if failed or not during or back is None:
            self.failed = f"sign-ins while Redis was down: {dict(during)}; back on Redis: {back}"


def summarise(name: str, recorder: Recorder, started: float, ended: float, finished: float,
              lost: int, duplicates: int, note: str) -> Outcome:
    with recorder.lock:
        window = [a for a in recorder.answers if started <= a[1] <= finished]
    statuses = Counter(status for _, _, _, status in window)
    statuses.update(f"{what} {status}" for _, _, what, status in window)
    times = sorted([started, *(answered for _, answered, _, _ in window), finished])
    silence = max(b - a for a, b in zip(times, times[1:], strict=False))
    slowest, slowest_kind = max(((answered - sent, f"{what} {status}") for sent, answered, what, status in window),
                                default=(0.0, ""))
    if slowest > 5:
        note = f"{note}; slowest: {slowest_kind}".lstrip("; ")
    healthy = next((t for t, status in recorder.health if t >= ended and status == 200), None)
    return Outcome(name, statuses, silence, slowest, None if healthy is None else healthy - ended, lost,
                   duplicates, note)


def table(outcomes: list[Outcome]) -> str:
    lines = ["| fault | answers | 503 | 500 | other 5xx / dropped | longest without an answer | slowest answer "
             "| healthy after | saves lost | duplicates | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for o in outcomes:
        s = o.statuses
        other = sum(v for k, v in s.items() if (k[:1] == "5" and k not in {"500", "503"} and " " not in k)
                    or k.startswith("dropped"))
        healthy = "never" if o.to_healthy is None else f"{max(o.to_healthy, 0):.1f} s"
        answers = sum(v for k, v in s.items() if " " not in k or k.startswith("dropped"))
        lines.append(f"| {o.name} | {answers} | {s['503']} | {s['500']} | {other} | {o.longest_silence:.1f} s "
                     f"| {o.slowest:.1f} s | {healthy} | {o.lost} | {o.duplicates} | {o.note} |")
    return "\n".join(lines)


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    """The options, and the faults to inject in order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"CI: {', '.join(QUICK)}; 6 users; short pauses")
    parser.add_argument("--faults", default="", help=f"comma-separated, in order (default: all): {', '.join(FAULTS)}")
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--engineers", type=int, default=120, help="size of the synthetic organisation")
    parser.add_argument("--outage", type=float, default=20, help="seconds of stop, freeze, exhaustion and lost_answer")
    parser.add_argument("--lock-seconds", type=float, default=60, help="seconds the row lock is held")
    parser.add_argument("--settle", type=float, default=5, help="quiet seconds before and after each fault")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: gunicorn.conf.py's)")
    parser.add_argument("--max-connections", type=int, default=40, help="the private cluster's max_connections")
    args = parser.parse_args()
    if args.quick:
        args.users, args.engineers, args.settle = 6, 60, 2
    names = [n for n in (args.faults.split(",") if args.faults else (QUICK if args.quick else FAULTS)) if n]
    unknown = set(names) - set(FAULTS)
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}")
    return args, names


def open_tabs(server: Server, cast: list[Person]) -> tuple[list[Tab], Person]:
    """One signed-in tab per person on their self-review, and a second tab for the last person
    (both save the same review); returns the tabs and that racing person."""
    def open_tab(person: Person, number: int) -> Tab:
        cookie = server.login(person.email)
        form, lock = review_form(server.request("GET", "/reviews/self", cookie=cookie)[2])
        person.form = form
        person.field_name = next(k for k in form if k.startswith("evidence-"))
        return Tab(person, cookie, form, lock, f"user {person.user_id} tab {number}")

    tabs = [open_tab(person, 1) for person in cast]
    racing = cast[-1]
    tabs.append(open_tab(racing, 2))
    tabs[-2].racing = tabs[-1].racing = True
    return tabs, racing


def inject_all(args: argparse.Namespace, names: list[str], faults: Faults, recorder: Recorder, database_url: str,
               tabs: list[Tab]) -> tuple[list[Outcome], list[str]]:
    """Inject each fault in turn under load: wait until healthy again, settle, count lost and
    duplicated saves since the previous fault and print a line for it."""
    outcomes, failures = [], []
    lost_before = dup_before = 0
    for name in names:
        time.sleep(args.settle)
        faults.note, faults.failed = "", ""
        started = time.monotonic()
        getattr(faults, name)()
        ended = time.monotonic()
        deadline = ended + 90
        while time.monotonic() < deadline and not any(t >= ended and s == 200 for t, s in recorder.health):
            time.sleep(0.2)
        time.sleep(args.settle)
        finished = time.monotonic()
        lost, duplicates = stored_state(database_url, tabs)
        outcome = summarise(name, recorder, started, ended, finished, lost - lost_before,
                            duplicates - dup_before, faults.note)
        lost_before, dup_before = lost, duplicates
        outcomes.append(outcome)
        kinds = {k: v for k, v in sorted(outcome.statuses.items()) if " " in k and not k.startswith("dropped")}
        print(f"  {name}: {kinds}; silence {outcome.longest_silence:.1f} s; healthy after "
              f"{outcome.to_healthy if outcome.to_healthy is None else round(outcome.to_healthy, 1)} s; "
              f"lost {outcome.lost}; duplicates {outcome.duplicates}; {outcome.note}", flush=True)
        if faults.failed:
            failures.append(f"{name}: {faults.failed}")
    return outcomes, failures


def main() -> int:
    args, names = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ladder-faults-"))
    (workdir / "instance").mkdir()
    postgres = Postgres(workdir, args.max_connections)
    redis = Redis(workdir) if "redis_down" in names else None
    server = None
    try:
        database_url = postgres.create_database("ladder")
        cast = build_world(database_url, args.engineers, 7, workdir / "instance", args.users)
        if "migration" in names:  # leave the last migration for the fault to run
            subprocess.run([LADDER, "db", "downgrade", "0018"], cwd=ROOT, check=True,
                           capture_output=True, env={**os.environ, "DATABASE_URL": database_url})
        server = Server(database_url, args.workers, workdir, count_queries=False, shipped_config=True,
                        env={"LOG_LEVEL": "WARNING", "GUNICORN_ACCESS_LOG": "/dev/null",
                             **({"RATELIMIT_STORAGE_URI": redis.url} if redis else {})})
        tabs, racing = open_tabs(server, cast)
        recorder, stop = Recorder(), threading.Event()
        threads = [threading.Thread(target=simulate, args=(server, recorder, tab, stop), daemon=True) for tab in tabs]
        threads.append(threading.Thread(target=watch_health, args=(server, recorder, stop), daemon=True))
        for thread in threads:
            thread.start()
        faults = Faults(args, postgres, server, database_url, racing, workdir, recorder, redis,
                        [person.email for person in cast])
        outcomes, failures = inject_all(args, names, faults, recorder, database_url, tabs)
        stop.set()
        for thread in threads:
            thread.join(90)
    finally:
        if server:
            server.stop()
        postgres.stop()
        if redis:
            redis.stop()

    acked = sum(len(tab.acked) for tab in tabs)
    print(f"\nLadder faults check: {len(tabs) - 1} users + 1 racing tab, {args.engineers} synthetic engineers, "
          f"gunicorn.conf.py ({args.workers or 'CPU count'} workers), private PostgreSQL; "
          f"{acked} autosaves and {len(recorder.acked_notes)} notes acknowledged\n")
    print(table(outcomes))
    for outcome in outcomes:
        if outcome.lost or outcome.duplicates or outcome.statuses["500"]:
            failures.append(f"{outcome.name}: {outcome.lost} lost, {outcome.duplicates} duplicates, "
                            f"{outcome.statuses['500']} x 500")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        print(f"(logs kept in {workdir})", file=sys.stderr)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
