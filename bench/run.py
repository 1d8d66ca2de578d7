#!/usr/bin/env python3
"""Ladder's benchmark: a synthetic organisation, the app under gunicorn, load from wrk.

    python bench/run.py --db postgresql --engineers 2000          # the published figures
    python bench/run.py --db sqlite --workers 1                   # one worker, SQLite
    python bench/run.py --quick --db sqlite                       # CI: tiny, fails only on errors
    python bench/run.py --db postgresql --sweep 500,2000,10000,50000   # cost against org size
    python bench/run.py --db postgresql --pgbouncer               # through PgBouncer (transaction pooling)

It builds the synthetic organisation into a fresh database, starts gunicorn with the
repository's gunicorn.conf.py (as production runs it; --workers sync workers) on a free
loopback port with LADDER_COUNT_QUERIES=1, signs in as the people each page needs, then
drives each endpoint in turn with Debian's `wrk` (one thread and one connection per simulated
user, each with its own session cookie) for --duration seconds. Results: requests per second,
p50/p95/p99 latency, the ratio to /healthz (each page's against short /healthz runs just
before and just after it: see REFERENCE_SECONDS), and SQL statements per request.
A separate single download of the org CSV measures time to first byte, total time and the
worker's memory growth. Any response other than the expected status fails the run.

Needs only the Python standard library, the installed `ladder` package (with gunicorn) and
`wrk` (installed with apt-get when missing and running as root).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from common import USER_AGENT, PgBouncer, Server, fresh_database, review_form

ENDPOINTS = ("healthz", "self_review", "side_by_side", "team", "org_report", "org_csv", "save_draft",
             "calibration", "notifications", "todo", "peer_feedback",
             "director500_team", "director500_calibration",
             "director2k_team", "director2k_report", "director2k_calibration")
P95_TARGET_MS = 100  # issue 18: every page at 2,000 engineers (the CSV is measured as a download)
TARGETS = {  # (share of /healthz throughput or None, p95 in ms or None)
    # issue 7's pages, p95 from issue 18
    "self_review": (0.10, P95_TARGET_MS), "side_by_side": (0.10, P95_TARGET_MS), "team": (0.05, P95_TARGET_MS),
    "org_report": (0.08, P95_TARGET_MS), "save_draft": (None, P95_TARGET_MS),
    # the pages the other issues added: p95 only (issue 18)
    "calibration": (None, P95_TARGET_MS), "notifications": (None, P95_TARGET_MS), "todo": (None, P95_TARGET_MS),
    "peer_feedback": (None, P95_TARGET_MS),
    # a director of 500 people (issue 16)
    "director500_team": (0.05, 150), "director500_calibration": (0.05, 150),
    # a director over 2,000 people (issue 18): a ratio target only, their cost follows their tree
    "director2k_team": (0.05, None), "director2k_report": (0.08, None), "director2k_calibration": (0.05, None),
}
DIRECTOR_OF = 500  # people in the first director's tree (fewer in a run too small for them)
BIG_DIRECTOR = 2000  # the second director has at least this many people below (or everyone, in smaller runs)
# Pages whose cost follows the size of the org or of a director's tree by design (the director of
# 500 has a quarter of a smaller run): not held to the sweep's flatness rule.
GROWS_WITH_ORG = ("org_csv", "director500_team", "director500_calibration",
                  "director2k_team", "director2k_report", "director2k_calibration")
SWEEP_FLATNESS = 0.85  # the ratio at the largest org at least this share of the ratio at the smallest
PROBES = 4  # requests per endpoint before the load, to read its statement count


# ---------------------------------------------------------------------------------------- setup

def ensure_wrk() -> str:
    """The wrk binary, installed from Debian when missing and we may (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env,
                          stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench: needs wrk (Debian: apt-get install wrk); not found and cannot install it.")
    return found


@dataclass
class Cast:
    """Who signs in for which page, chosen from the synthetic organisation."""

    admin: str
    team_manager: str
    team_size: int
    director500: str  # directs DIRECTOR_OF people (planned so by the synthetic builder)
    director500_size: int
    director2k: str  # the manager with the fewest people below who still has BIG_DIRECTOR (or everyone)
    director2k_size: int
    side_manager: str
    side_subject_id: int
    self_users: list[str]
    save_users: list[str]
    people: int
    on_ladder: int  # the CSV's rows: people operations (the demo's admin) has no ladder role
    peers: list[tuple[str, int]]  # (peer's email, a peer-feedback request asked of them)


def director_size(engineers: int) -> int:
    """The first director's tree: DIRECTOR_OF people, or a quarter of a smaller run."""
    return min(DIRECTOR_OF, engineers // 4)


def settle(database_url: str) -> None:
    """VACUUM (ANALYZE) a PostgreSQL database just loaded, as autovacuum leaves a production one:
    until a table is vacuumed its pages are not marked all-visible, so an index-only scan (the
    reporting tree's walk through ix_users_reports) still reads every row from the table, and
    the benchmark would measure a state no running database stays in (the load itself is timed
    without it). Its own connection: the app's carry a statement timeout."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    started = time.perf_counter()
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    print(f"Vacuumed in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def build_org(database_url: str, engineers: int, seed: int, instance: Path, users: int) -> tuple[Cast, float]:
    """Migrate the fresh database, build the demo and synthetic organisations, pick the cast."""
    import click
    from sqlalchemy import func, select

    from ladder import create_app
    from ladder.cli import reset_database, upgrade_database
    from ladder.extensions import db
    from ladder.models import PeerFeedbackRequest, Review, User
    from ladder.services.reviews import open_cycle
    from ladder.services.synthetic import SYNTHETIC_DOMAIN, build_synthetic_org

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        reset_database()
        upgrade_database()
        started = time.perf_counter()
        with click.progressbar(length=engineers, label=f"Building {engineers} synthetic people",
                               file=sys.stderr) as bar:
            build_synthetic_org(engineers, date.today(), seed, progress=bar.update,
                                director_of=director_size(engineers))
        db.session.commit()
        built = time.perf_counter() - started
        settle(database_url)
        cycle = open_cycle()
        managers = dict(db.session.execute(select(User.id, User.manager_id)).all())
        emails = dict(db.session.execute(select(User.id, User.email)).all())
        below: dict[int, int] = {}
        for manager in managers.values():
            seen = 0
            while manager is not None and seen < 100:
                below[manager] = below.get(manager, 0) + 1
                manager = managers.get(manager)
                seen += 1
        synthetic = {uid for uid, email in emails.items() if email.endswith("@" + SYNTHETIC_DOMAIN)}
        team_manager = min((uid for uid in below if uid in synthetic), key=lambda uid: (abs(below[uid] - 55), uid))
        director500 = min((uid for uid in below if uid in synthetic),
                          key=lambda uid: (abs(below[uid] - director_size(engineers)), uid))

        def subjects(kind: str, status: str) -> list[int]:
            return list(db.session.scalars(
                select(Review.subject_id).join(User, User.id == Review.subject_id)
                .where(Review.cycle_id == cycle.id, Review.kind == kind, Review.status == status,
                       User.email.like(f"%@{SYNTHETIC_DOMAIN}"), User.track_key == "ic")
                .order_by(Review.subject_id)))

        big = [uid for uid in below if below[uid] >= BIG_DIRECTOR]
        director2k = min(big, key=lambda uid: (below[uid], uid)) if big else max(below, key=lambda uid: below[uid])
        asked = db.session.execute(
            select(PeerFeedbackRequest.peer_id, func.min(PeerFeedbackRequest.id))
            .where(PeerFeedbackRequest.cycle_id == cycle.id, PeerFeedbackRequest.status == "requested")
            .group_by(PeerFeedbackRequest.peer_id).order_by(PeerFeedbackRequest.peer_id).limit(users)).all()
        drafts = subjects("self", "draft")
        shared = set(subjects("manager", "shared")) & set(subjects("self", "submitted"))
        # a person of the same level at every size: the level decides how much the page shows
        # (the first person with both reviews was an engineer at 2,000 and a senior at 50,000)
        levels = dict(db.session.execute(select(User.id, User.level_key).where(User.id.in_(shared))).all())
        level = Counter(levels.values()).most_common(1)[0][0]
        side_subject = min(uid for uid in shared if levels[uid] == level)
        if len(drafts) < users:
            sys.exit(f"bench: {len(drafts)} draft self-reviews for {users} users; use more --engineers")
        # each saving user has a review of their own: two users saving one review would conflict
        cast = Cast(admin="admin@example.com", team_manager=emails[team_manager], team_size=below[team_manager],
                    director500=emails[director500], director500_size=below[director500],
                    director2k=emails[director2k], director2k_size=below[director2k],
                    side_manager=emails[managers[side_subject]], side_subject_id=side_subject,
                    self_users=[emails[i] for i in (drafts[users:] or drafts)[:users]],
                    save_users=[emails[i] for i in drafts[:users]],
                    people=db.session.scalar(select(func.count()).select_from(User)),
                    on_ladder=db.session.scalar(select(func.count()).select_from(User).where(User.on_ladder.is_(True))),
                    peers=[(emails[peer], request_id) for peer, request_id in asked])
        db.session.remove()
        db.engine.dispose()
    return cast, built


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ------------------------------------------------------------------------------------- the load

LUA = r"""
-- Generated by bench/run.py: one simulated user per wrk thread (one connection each).
local users = %(users)s
local method = "%(method)s"
local expect = %(expect)d
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  me = users[((index - 1) %% #users) + 1]
  lock = me.lock
  ok, bad, sent, last_bad = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local headers = { ["Cookie"] = me.cookie, ["User-Agent"] = "%(agent)s" }
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = string.gsub(me.body, "__LOCK__", tostring(lock))
    body = string.gsub(body, "__N__", tostring(sent))
    return wrk.format("POST", me.path, headers, body)
  end
  return wrk.format("GET", me.path, headers)
end

function response(status, headers, body)
  if status == expect then
    ok = ok + 1
    if method == "POST" then lock = lock + 1 end  -- every save bumps the review's lock_version
  else
    bad = bad + 1
    last_bad = status
    if body then  -- a 409 page carries the current version: continue from it
      local v = string.match(body, 'name="lock_version" type="hidden" value="(%%d+)"')
      if v then lock = tonumber(v) end
    end
  end
end

function done(summary, latency, requests)
  local ok_total, bad_total, last = 0, 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    bad_total = bad_total + t:get("bad")
    last = t:get("last_bad") or last
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"ok":%%d,"bad":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"last_bad_status":%%d,"p50_us":%%d,"p95_us":%%d,"p99_us":%%d,"mean_us":%%.1f}\n',
    summary.requests, summary.duration, ok_total, bad_total, e.connect, e.read, e.write, e.status, e.timeout, last,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


def lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass
class Endpoint:
    name: str
    method: str
    expect: int
    users: list[dict]  # each: cookie, path, and for POST body (with __LOCK__ / __N__) and lock
    probe_path: str = ""
    result: dict = field(default_factory=dict)


def run_wrk(wrk: str, server: Server, endpoint: Endpoint, users: int, duration: float, workdir: Path) -> dict:
    table = "{" + ", ".join(
        "{" + ", ".join(f"{k} = {lua_string(v) if isinstance(v, str) else v}" for k, v in user.items()) + "}"
        for user in endpoint.users) + "}"
    script = workdir / f"{endpoint.name}.lua"
    script.write_text(LUA % {"users": table, "method": endpoint.method, "expect": endpoint.expect,
                             "agent": USER_AGENT})
    seconds = max(1, round(duration))
    command = [wrk, "-t", str(users), "-c", str(users), "-d", f"{seconds}s", "--timeout", "60s",
               "-s", str(script), f"http://127.0.0.1:{server.port}{endpoint.users[0]['path']}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r"^BENCH_JSON (.*)$", output.stdout, re.M)
    if output.returncode != 0 or not match:
        sys.exit(f"bench: wrk failed for {endpoint.name}:\n{output.stdout}\n{output.stderr}")
    return json.loads(match.group(1))


def save_body(page: str) -> tuple[str, int]:
    """The self-review form as a POST body: every rating and evidence field as it is, one
    evidence text changed on every save (so each save writes a rating and an audit entry)."""
    data, lock = review_form(page)
    data["action"] = "save"
    evidence = [k for k in data if k.startswith("evidence-")]
    if len(evidence) < 20:
        sys.exit(f"bench: the self-review form has {len(evidence)} competencies; expected 20 or more")
    data[evidence[0]] = "Benchmark save __N__. " + data[evidence[0]][:200]
    return urllib.parse.urlencode(data) + "&lock_version=__LOCK__", lock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/ladder_bench"),
        help="database to DROP and re-create for --db postgresql (default: %(default)s)")
    parser.add_argument("--engineers", type=int, default=2000)
    parser.add_argument("--sweep", default="",
                        help="comma-separated org sizes (e.g. 500,2000,10000,50000): build and measure each, "
                             "then one table of every page's ratio and p95 per size")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint")
    parser.add_argument("--users", type=int, default=8, help="concurrent simulated users")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every endpoint this many times, one after the other; the table gives "
                             "medians, each ratio against the /healthz runs just before and after the page")
    parser.add_argument("--only", default="", help="comma-separated endpoints (healthz always runs)")
    parser.add_argument("--pgbouncer", action="store_true",
                        help="serve through a PgBouncer of its own (transaction pooling, free loopback port) in "
                             "front of the PostgreSQL server; the org is built directly")
    parser.add_argument("--json", dest="json_path", type=Path, help="write the results here")
    parser.add_argument("--quick", action="store_true",
                        help="CI smoke run: 100 engineers, 2 s per endpoint, fails only on errors")
    args = parser.parse_args()
    if args.quick:
        args.engineers, args.duration = min(args.engineers, 100), min(args.duration, 2)
    if args.pgbouncer and args.db != "postgresql":
        parser.error("--pgbouncer needs --db postgresql")
    chosen = [e for e in ENDPOINTS if not args.only or e == "healthz" or e in args.only.split(",")]
    wrk = ensure_wrk()
    sizes = [int(size) for size in args.sweep.split(",")] if args.sweep else [args.engineers]
    runs, failures = {}, []
    for engineers in sizes:
        results, cast, built, failed = measure(args, engineers, chosen, wrk)
        report(results, args, engineers, cast, built)
        failures += [f"{engineers} engineers: {failure}" for failure in failed]
        meta = {"db": args.db, "engineers": engineers, "people": cast.people, "workers": args.workers,
                "users": args.users, "duration_s": args.duration, "rounds": args.rounds, "team_size": cast.team_size,
                "pgbouncer": args.pgbouncer,
                "director500_size": cast.director500_size, "director2k_size": cast.director2k_size,
                "build_seconds": round(built, 1),
                "date": date.today().isoformat(), "nproc": os.cpu_count(), "load_average": os.getloadavg()}
        runs[engineers] = {**results, "_meta": meta}
    if len(sizes) > 1:
        failures += sweep_report(runs, sizes)
    if args.json_path:
        args.json_path.write_text(json.dumps(runs if len(sizes) > 1 else runs[sizes[0]], indent=2) + "\n")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


def measure(args, engineers: int, chosen: list[str], wrk: str) -> tuple[dict, Cast, float, list[str]]:
    """Build an org of `engineers` in a fresh database, serve it and measure each chosen page."""
    workdir = Path(tempfile.mkdtemp(prefix="ladder-bench-"))
    (workdir / "instance").mkdir()
    database_url = fresh_database(args.db, args.postgres_url, workdir)
    cast, built = build_org(database_url, engineers, args.seed, workdir / "instance", args.users)
    print(f"Built {engineers} synthetic people ({cast.people} in all) in {built:.1f} s; "
          f"team page for {cast.team_manager} ({cast.team_size} reports); directors {cast.director500} "
          f"({cast.director500_size}) and {cast.director2k} ({cast.director2k_size}).", flush=True)

    server, bouncer = start_server(args, database_url, workdir)
    failures: list[str] = []
    try:
        endpoints = signed_in_endpoints(server, cast, args.users)
        csv_check = {}
        if "org_csv" in chosen:
            csv_check, failed = stream_csv(server, endpoints["org_csv"].users[0]["cookie"], cast.on_ladder)
            failures += failed
        queries, failed = probe_queries(server, endpoints, chosen)
        failures += failed
        rounds, failed = load_rounds(args, wrk, server, endpoints, queries, workdir)
        failures += failed
        results = {name: combine(measured, queries[name]) for name, measured in rounds.items()}
        if "org_csv" in results:
            results["org_csv"].update(csv_check)
        if bouncer:
            failures += [f"pgbouncer: {line}" for line in bouncer.errors()]
    finally:
        server.stop()
        if bouncer:
            bouncer.stop()

    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    return results, cast, built, failures


def start_server(args, database_url: str, workdir: Path) -> tuple[Server, PgBouncer | None]:
    """gunicorn on the database, or behind a PgBouncer of its own with --pgbouncer."""
    if not args.pgbouncer:
        return Server(database_url, args.workers, workdir, shipped_config=True), None
    # transaction pooling: no server-side prepared statements (PgBouncer < 1.21) and no
    # start-up options (it refuses them), as docs/deployment.md says for production
    bouncer = PgBouncer(database_url, workdir)
    server = Server(bouncer.url, args.workers, workdir, shipped_config=True,
                    env={"DB_PREPARE_THRESHOLD": "off", "DB_SESSION_OPTIONS": "off"})
    return server, bouncer


def signed_in_endpoints(server: Server, cast: Cast, users: int) -> dict[str, Endpoint]:
    """Every endpoint the benchmark knows, each with the signed-in users who request it."""
    admin = server.login(cast.admin)
    manager = server.login(cast.team_manager)
    side_manager = server.login(cast.side_manager)
    director500 = server.login(cast.director500)
    director2k = server.login(cast.director2k)
    peers = [(server.login(email), request_id) for email, request_id in cast.peers]
    self_cookies = [server.login(email) for email in cast.self_users]
    save_users = [draft_saver(server, email) for email in cast.save_users[:users]]
    side_path = f"/reviews/people/{cast.side_subject_id}/side-by-side"
    return {
        "healthz": Endpoint("healthz", "GET", 200, [{"cookie": "", "path": "/healthz", "lock": 0}]),
        "self_review": Endpoint("self_review", "GET", 200,
                                [{"cookie": c, "path": "/reviews/self", "lock": 0} for c in self_cookies]),
        "side_by_side": Endpoint("side_by_side", "GET", 200,
                                 [{"cookie": side_manager, "path": side_path, "lock": 0}]),
        "team": Endpoint("team", "GET", 200, [{"cookie": manager, "path": "/team/", "lock": 0}]),
        "org_report": Endpoint("org_report", "GET", 200,
                               [{"cookie": admin, "path": "/reports/readiness", "lock": 0}]),
        "org_csv": Endpoint("org_csv", "GET", 200,
                            [{"cookie": admin, "path": "/reports/readiness.csv", "lock": 0}]),
        "save_draft": Endpoint("save_draft", "POST", 302, save_users),
        "calibration": Endpoint("calibration", "GET", 200,
                                [{"cookie": manager, "path": "/calibration/", "lock": 0}]),
        "notifications": Endpoint("notifications", "GET", 200,
                                  [{"cookie": side_manager, "path": "/notifications/", "lock": 0}]),
        "todo": Endpoint("todo", "GET", 200, [{"cookie": side_manager, "path": "/", "lock": 0}]),
        "peer_feedback": Endpoint("peer_feedback", "GET", 200,
                                  [{"cookie": cookie, "path": f"/peer-feedback/{request_id}", "lock": 0}
                                   for cookie, request_id in peers]),
        "director500_team": Endpoint("director500_team", "GET", 200,
                                     [{"cookie": director500, "path": "/team/", "lock": 0}]),
        "director500_calibration": Endpoint("director500_calibration", "GET", 200,
                                            [{"cookie": director500, "path": "/calibration/", "lock": 0}]),
        "director2k_team": Endpoint("director2k_team", "GET", 200,
                                    [{"cookie": director2k, "path": "/team/", "lock": 0}]),
        "director2k_report": Endpoint("director2k_report", "GET", 200,
                                      [{"cookie": director2k, "path": "/reports/readiness", "lock": 0}]),
        "director2k_calibration": Endpoint("director2k_calibration", "GET", 200,
                                           [{"cookie": director2k, "path": "/calibration/", "lock": 0}]),
    }


def draft_saver(server: Server, email: str) -> dict:
    """A user who saves their self-review draft: cookie, form body and current lock."""
    cookie = server.login(email)
    status, _, page = server.request("GET", "/reviews/self", cookie=cookie)
    if status != 200:
        sys.exit(f"bench: {email}'s self-review page answered {status}")
    body, lock = save_body(page)
    return {"cookie": cookie, "path": "/reviews/self", "body": body, "lock": lock}


def stream_csv(server: Server, cookie: str, on_ladder: int) -> tuple[dict, list[str]]:
    """The CSV's first byte, total time and memory growth, on workers that have not made one yet."""
    pids = server.worker_pids()
    base = {pid: rss_kb(pid) for pid in pids}
    peak = dict(base)
    started = time.perf_counter()
    status, _, response = server.request("GET", "/reports/readiness.csv", cookie=cookie, stream=True)
    first = response.read(1)
    ttfb = time.perf_counter() - started
    rows = first.count(b"\n")
    last_sample = 0.0
    while chunk := response.read(65536):
        rows += chunk.count(b"\n")
        if time.perf_counter() - last_sample > 0.05:
            last_sample = time.perf_counter()
            for pid in pids:
                peak[pid] = max(peak[pid], rss_kb(pid))
    total = time.perf_counter() - started
    for pid in pids:
        peak[pid] = max(peak[pid], rss_kb(pid))
    csv_check = {"csv_rows": rows - 1, "ttfb_ms": round(ttfb * 1000, 1), "total_ms": round(total * 1000, 1),
                 "rss_growth_mb": round(max(peak[p] - base[p] for p in pids) / 1024, 1)}
    if status != 200 or rows - 1 != on_ladder:
        return csv_check, [f"org_csv: status {status}, {rows - 1} rows for {on_ladder} people on the ladder"]
    return csv_check, []


def probe_queries(server: Server, endpoints: dict[str, Endpoint],
                  chosen: list[str]) -> tuple[dict[str, int | None], list[str]]:
    """Each chosen endpoint's expected status, and the statements a request runs (from the
    server's log) in the steady state: the least of a few probes, since a worker's first request
    also loads the ladder and opens its database connection. Endpoints that fail are left out."""
    queries: dict[str, int | None] = {}
    failures: list[str] = []
    for name in chosen:
        endpoint = endpoints[name]
        if not endpoint.users:
            failures.append(f"{name}: no suitable users in the synthetic organisation")
            continue
        before = len(server.query_counts())
        user = endpoint.users[0]
        statuses = {probe_once(server, endpoint, user, probe) for probe in range(PROBES)}
        if statuses != {endpoint.expect}:
            failures.append(f"{name}: probes answered {sorted(statuses)}, expected {endpoint.expect}")
            continue
        time.sleep(0.1)
        counts = [c[3] for c in server.query_counts()[before:] if c[1] == user["path"]]
        queries[name] = min(counts) if counts else None
    return queries, failures


def probe_once(server: Server, endpoint: Endpoint, user: dict, probe: int) -> int:
    if endpoint.method == "POST":
        body = user["body"].replace("__LOCK__", str(user["lock"])).replace("__N__", f"probe{probe}")
        status, _, _ = server.request("POST", user["path"], cookie=user["cookie"] or None, body=body)
        user["lock"] += 1
        return status
    status, _, _ = server.request("GET", user["path"], cookie=user["cookie"] or None)
    return status


# Seconds of /healthz after each page: the page's ratio is against the /healthz runs just
# before and just after it. The machine's speed drifts within a round (a virtual machine's
# neighbours), and one /healthz figure at the start of a 90-second round moved every ratio of the
# round with it: in a sweep, pages whose code reads nothing that grows came out at 63-83% of
# their ratio at 500 people, because /healthz was measured low in that round.
REFERENCE_SECONDS = 2


def load_rounds(args, wrk: str, server: Server, endpoints: dict[str, Endpoint], queries: dict[str, int | None],
                workdir: Path) -> tuple[dict[str, list[dict]], list[str]]:
    """Load each probed endpoint with wrk, `args.rounds` times over; each page's ratio is
    against the mean of the /healthz runs just before and just after it (REFERENCE_SECONDS)."""
    rounds: dict[str, list[dict]] = {name: [] for name in queries}
    failures: list[str] = []
    reference_seconds = min(args.duration, REFERENCE_SECONDS)
    for round_number in range(1, args.rounds + 1):
        healthz_before: float | None = None  # the /healthz run that ended just before this page
        for name in queries:
            endpoint = endpoints[name]
            if endpoint.method == "POST":
                refresh_locks(server, endpoint.users)
            raw = run_wrk(wrk, server, endpoint, args.users, args.duration, workdir)
            measured = wrk_figures(raw)
            if name == "healthz":
                reference = healthz_before = measured["rps"]
            else:
                healthz_after = wrk_figures(run_wrk(wrk, server, endpoints["healthz"], args.users, reference_seconds,
                                                    workdir))["rps"]
                reference = (healthz_before + healthz_after) / 2 if healthz_before else healthz_after
                healthz_before = healthz_after
            measured["healthz_reference_rps"] = round(reference, 1)
            measured["ratio_to_healthz"] = round(measured["rps"] / reference, 4) if reference else None
            rounds[name].append(measured)
            if measured["errors"]:
                failures.append(f"{name}: {measured['errors']} errors or unexpected statuses "
                                f"(last: {raw['last_bad_status']}) in {raw['requests']} requests")
            label = f" (round {round_number}/{args.rounds})" if args.rounds > 1 else ""
            print(f"  {name:<24} {measured['rps']:>8.1f} rps  p95 {measured['p95_ms']:>7.1f} ms"
                  f"  {queries[name]} queries  /healthz around it {reference:.0f}{label}", flush=True)
    return rounds, failures


def wrk_figures(raw: dict) -> dict:
    """Throughput, latency percentiles and errors from one wrk run's raw report."""
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": round(raw["ok"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1), "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1), "requests": raw["requests"],
        "errors": raw["bad"] + raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    }


def refresh_locks(server: Server, users: list[dict]) -> None:
    """Each saving user's current lock_version (saves in an earlier round moved it on)."""
    for user in users:
        status, _, page = server.request("GET", user["path"], cookie=user["cookie"])
        if status != 200:
            sys.exit(f"bench: {user['path']} answered {status} while reading the lock version")
        user["lock"] = save_body(page)[1]


def combine(measured: list[dict], queries: int | None) -> dict:
    """One endpoint's rounds as one result: the median of each figure (the range of rps and
    of the ratio kept beside it), the requests and errors summed."""
    def middle(key):
        values = [m[key] for m in measured if m[key] is not None]
        return statistics.median(values) if values else None

    result = {key: middle(key) for key in ("rps", "p50_ms", "p95_ms", "p99_ms", "ratio_to_healthz")}
    result.update(queries_per_request=queries, requests=sum(m["requests"] for m in measured),
                  errors=sum(m["errors"] for m in measured))
    if len(measured) > 1:
        result["rounds"] = measured
        result["rps_range"] = [min(m["rps"] for m in measured), max(m["rps"] for m in measured)]
        result["ratio_range"] = [min(m["ratio_to_healthz"] for m in measured),
                                 max(m["ratio_to_healthz"] for m in measured)]
    return result


def report(results: dict, args, engineers: int, cast: Cast, built: float) -> None:
    print()
    print(f"Ladder benchmark: {args.db}, {engineers} engineers ({cast.people} people), "
          f"{args.workers} sync worker(s), {args.users} users, {args.duration:g} s per endpoint"
          + (f", median of {args.rounds} rounds" if args.rounds > 1 else "")
          + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'endpoint':<24} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'x healthz':>9} {'queries':>7}  "
          f"target")
    for name, r in results.items():
        target = ""
        if name in TARGETS:
            share, p95 = TARGETS[name]
            ok = ((share is None or (r["ratio_to_healthz"] or 0) >= share)
                  and (p95 is None or r["p95_ms"] <= p95))
            wanted = [f">= {share:.0%}"] if share is not None else []
            wanted += [f"p95 <= {p95} ms"] if p95 is not None else []
            people = {"director500": cast.director500_size, "director2k": cast.director2k_size}.get(name.split("_")[0])
            target = ", ".join(wanted) + (f" ({people} people)" if people else "") + f": {'met' if ok else 'NOT met'}"
        if name == "org_csv" and "ttfb_ms" in r:
            target = (f"single download: {r['csv_rows']} rows, first byte {r['ttfb_ms']:.0f} ms, "
                      f"total {r['total_ms']:.0f} ms, worker memory +{r['rss_growth_mb']:.0f} MB")
        if "ratio_range" in r and name != "healthz":
            target += f" (ratio {r['ratio_range'][0]:.3f}-{r['ratio_range'][1]:.3f})"
        print(f"{name:<24} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{(r['ratio_to_healthz'] or 0):>9.3f} {str(r['queries_per_request']):>7}  {target}")
    if args.quick:
        print("(--quick: timings are reported, not asserted)")


def sweep_report(runs: dict[int, dict], sizes: list[int]) -> list[str]:
    """Each page's ratio to /healthz and p95 at every size; the flatness rule checked for the
    pages whose cost should not depend on the org's size. Returns the pages that break it."""
    smallest, largest = sizes[0], sizes[-1]
    pages = [name for name in runs[smallest] if name not in ("_meta", "healthz")]
    print()
    print(f"Sweep: ratio to /healthz (p95 ms) per org size; rule: ratio at {largest} >= "
          f"{SWEEP_FLATNESS:.0%} of the ratio at {smallest}, except {', '.join(GROWS_WITH_ORG)}")
    print(f"{'endpoint':<24} " + " ".join(f"{size:>16}" for size in sizes) + f" {'last/first':>10}")
    print(f"{'healthz rps':<24} " + " ".join(f"{runs[size]['healthz']['rps']:>16.0f}" for size in sizes))
    broken = []
    for name in pages:
        cells = []
        for size in sizes:
            r = runs[size].get(name)
            cells.append(f"{r['ratio_to_healthz']:.3f} ({r['p95_ms']:.0f})" if r else "-")
        first, last = runs[smallest].get(name), runs[largest].get(name)
        share = (last["ratio_to_healthz"] / first["ratio_to_healthz"]
                 if first and last and first["ratio_to_healthz"] else None)
        verdict = ""
        if share is not None and name not in GROWS_WITH_ORG:
            verdict = "ok" if share >= SWEEP_FLATNESS else "GROWS"
            if share < SWEEP_FLATNESS:
                broken.append(f"{name}: ratio at {largest} is {share:.0%} of the ratio at {smallest}")
        print(f"{name:<24} " + " ".join(f"{c:>16}" for c in cells)
              + (f" {share:>9.0%} {verdict}" if share is not None else ""))
    print("(" + "; ".join(f"{size}: director over {runs[size]['_meta']['director2k_size']}, built in "
                          f"{runs[size]['_meta']['build_seconds']} s" for size in sizes) + ")")
    return broken


if __name__ == "__main__":
    sys.exit(main())
