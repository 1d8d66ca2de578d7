"""Pieces shared by the scripts in bench/: a fresh database, gunicorn on a free loopback port,
sign-in through the login form, and reading forms (CSRF token, the self-review) from pages.

Standard library only (psycopg for PostgreSQL) for bench/run.py and bench/concurrency.py; the
in-process tools (profile.py, timeit_page.py, sections.py) also use `in_process_client`.
"""
from __future__ import annotations

import html
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER_AGENT = "ladder-bench/1"  # Flask-Login's "strong" session protection hashes the user agent
PASSWORD = "ladder-demo"


def in_process_arguments(description: str, *, requests: int, many_paths: bool = False):
    """The in-process tools' common options: a database, who signs in (nobody without
    --email), the page (or pages), how many requests."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--path", required=True, action="append" if many_paths else "store")
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--unfrozen", action="store_true",
                        help="leave the collector as CPython sets it (gunicorn.conf.py settles it: ladder.heap)")
    return parser


def in_process_client(database_url: str, email: str, password: str = PASSWORD, *, unfrozen: bool = False):
    """The app on that database and a Flask test client, signed in through the login form
    when an email is given. The app's heap is frozen as gunicorn.conf.py freezes it before the
    workers fork, with their collector threshold (figures as production's: `ladder.heap`), unless
    `unfrozen`."""
    from ladder import create_app
    from ladder.heap import settle_for_serving

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    if not unfrozen:
        settle_for_serving()
    client = app.test_client()
    if not email:
        return app, client
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    if client.post("/auth/login", data={"csrf_token": token, "email": email, "password": password}).status_code != 302:
        sys.exit(f"could not sign in as {email}")
    return app, client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_and_server(postgres_url: str):
    """The database name (checked: it goes into DROP/CREATE) and an autocommit connection to the
    server's `postgres` database, from which it can be dropped or created."""
    import psycopg

    parsed = urllib.parse.urlsplit(postgres_url)
    name = parsed.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        sys.exit(f"bench: unexpected PostgreSQL database name {name!r}")
    admin = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    return name, psycopg.connect(admin, autocommit=True)


def fresh_database(kind: str, postgres_url: str, workdir: Path) -> str:
    """A new, empty database: a SQLite file in the work dir, or a re-created PostgreSQL database."""
    if kind == "sqlite":
        return "sqlite:///" + str(workdir / "bench.sqlite")
    name, admin = _database_and_server(postgres_url)
    with admin as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url


def drop_database(postgres_url: str) -> None:
    """Drop a database made by fresh_database (PostgreSQL only), so nothing is left behind."""
    name, admin = _database_and_server(postgres_url)
    with admin as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PgBouncer:
    """Debian's pgbouncer on a free loopback port, transaction pooling, in front of the
    PostgreSQL server of `postgres_url`; its configuration, log and socket stay in `workdir`
    (the PostgreSQL server itself is never touched). `url` is the same database through it."""

    def __init__(self, postgres_url: str, workdir: Path, *, pool_size: int = 10):
        binary = next((p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if Path(p).exists()), None)
        if binary is None:
            sys.exit("bench: --pgbouncer needs pgbouncer (Debian: apt-get install pgbouncer)")
        parsed = urllib.parse.urlsplit(postgres_url)
        self.port = free_port()
        self.url = urllib.parse.urlunsplit(parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{self.port}"))
        home = workdir / "pgbouncer"
        home.mkdir()
        (home / "users.txt").write_text(f'"{parsed.username}" ""\n')
        (home / "pgbouncer.ini").write_text(f"""[databases]
* = host={parsed.hostname} port={parsed.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir = {home}
auth_type = trust
auth_file = {home / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
logfile = {home / "pgbouncer.log"}
""")
        self.log_path = home / "pgbouncer.log"
        # pgbouncer will not run as root: it switches to the postgres account, which must read its files
        user = ["-u", "postgres"] if os.geteuid() == 0 else []
        if user:
            subprocess.run(["chown", "-R", "postgres", str(home)], check=True)
            workdir.chmod(0o755)
        self.process = subprocess.Popen([binary, *user, str(home / "pgbouncer.ini")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit("bench: pgbouncer "
                         f"exited:\n{self.log_path.read_text()[-2000:] if self.log_path.exists() else ''}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        sys.exit("bench: pgbouncer did not listen within 15 s")

    def errors(self) -> list[str]:
        """The log's error and warning lines (pgbouncer logs every failed query it sees)."""
        if not self.log_path.exists():
            return []
        return [line for line in self.log_path.read_text().splitlines() if " ERROR " in line or " WARNING " in line]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Server:
    """gunicorn with sync workers on a free loopback port; its stderr goes to a log file."""

    def __init__(self, database_url: str, workers: int | None, workdir: Path, *, count_queries: bool = True,
                 shipped_config: bool = False, env: dict[str, str] | None = None):
        """`shipped_config` runs gunicorn with the repository's gunicorn.conf.py (workers from the
        CPU count unless `workers` is given) instead of the benchmark's own flags."""
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
               "LADDER_COUNT_QUERIES": "1" if count_queries else "", "LADDER_INSTANCE_PATH": str(workdir / "instance"),
               "LADDER_ENV": "development", "PYTHONUNBUFFERED": "1",
               # the benchmark signs in hundreds of accounts from one address: lift the throttle
               "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute", **(env or {})}
        self.log = open(self.log_path, "w")
        if shipped_config:
            options = ["-c", str(ROOT / "gunicorn.conf.py"), *(["--workers", str(workers)] if workers else [])]
        else:
            options = ["--workers", str(workers), "--worker-class", "sync", "--timeout", "120", "--backlog", "2048"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "ladder:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"bench: gunicorn exited; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        sys.exit("bench: gunicorn did not answer /healthz within 30 s")

    def request(self, method: str, path: str, *, cookie: str | None = None, body: str | None = None,
                stream: bool = False, headers: dict[str, str] | None = None, timeout: float = 120):
        """One request; returns (status, headers, body text) or, streamed, (status, headers, response)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        if stream:
            return response.status, response.headers, response
        text = response.read().decode("utf-8", "replace")
        conn.close()
        return response.status, response.headers, text

    def login(self, email: str) -> str:
        """Sign in through the login form (with its CSRF token) and return the Cookie header."""
        status, headers, page = self.request("GET", "/auth/login")
        cookie = session_cookie(headers)
        token = csrf_token(page)
        body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
        status, headers, _ = self.request("POST", "/auth/login", cookie=cookie, body=body)
        new = session_cookie(headers)
        if status != 302 or not new:
            sys.exit(f"bench: could not sign in as {email} (status {status})")
        # Signing in starts a new session (and CSRF token): the first page after it stores the
        # token in the cookie, as a browser would keep it, so every later form post matches.
        _, headers, _ = self.request("GET", "/", cookie=new)
        return session_cookie(headers) or new

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def query_counts(self) -> list[tuple[str, str, int, int]]:
        lines = self.log_path.read_text().splitlines()
        out = []
        for line in lines:
            match = re.fullmatch(r"ladder-query-count (\S+) (\S+) (\d+) (\d+)", line.strip())
            if match:
                out.append((match[1], match[2], int(match[3]), int(match[4])))
        return out

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def session_cookie(headers) -> str | None:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return None


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    if not match:
        sys.exit("bench: no CSRF token on the page")
    return match.group(1) or match.group(2)


def review_form(page: str) -> tuple[dict[str, str], int]:
    """The self-review form on a page as the browser would post it (every rating and evidence
    field as it is, the CSRF token) and the review's lock_version."""
    lock = int(re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1))
    data = {"csrf_token": csrf_token(page)}
    for name, options in re.findall(r'<select[^>]*name="(rating-[^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = [re.search(r'value="([^"]*)"', o).group(1)
                    for o in re.findall(r"<option([^>]*)>", options) if "selected" in o]
        data[name] = html.unescape(selected[0]) if selected else ""
        key = name[len("rating-"):]
        text = re.search(rf'<textarea[^>]*name="evidence-{re.escape(key)}"[^>]*>(.*?)</textarea>', page, re.S)
        data[f"evidence-{key}"] = html.unescape(text.group(1)).strip() if text else ""
    return data, lock
