"""End-to-end fixtures: the real app under a real HTTP server, on a fresh demo database, driven
by Debian's Chromium through Playwright.

- `demo_database` (session): a SQLite file upgraded to head and filled with the demo
  organisation (what `ladder demo --no-serve` builds), made once and copied for each module.
- `live_server` (module): the app on its own copy of that database, served by Werkzeug on a
  free loopback port, so every journey module starts from the same known state.
- `browser` (session): one Chromium for the whole run (skips the e2e tests, with the reason,
  when Chromium is not installed).
- `open_page` (function): a fresh browser context and page, optionally signed in as a demo
  account; JavaScript errors and Content-Security-Policy violations fail the test.

Add a journey as its own module `test_journey_<who>_<what>.py` with `pytestmark = pytest.mark.e2e`;
it gets a fresh database from `live_server` and can arrange extra data with `live_server.run(fn)`.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from ladder import clock, create_app
from ladder.extensions import db
from ladder.models import User

from .support import DESKTOP, sign_in

CHROMIUM = os.environ.get("LADDER_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def _app_for(database_file: Path, instance: Path) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_file}", "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": "e2e-not-secret",
                       # journeys sign in many times from 127.0.0.1; the KDF cost is tested elsewhere
                       "LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
                       "PASSWORD_HASH_METHOD": "scrypt:16384:8:1"})


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """The demo organisation in a SQLite file, built like `ladder demo --no-serve` does."""
    from ladder.cli import upgrade_database
    from ladder.services.demo import build_demo_org

    folder = tmp_path_factory.mktemp("e2e-demo")
    database_file = folder / "demo.sqlite"
    app = _app_for(database_file, folder)
    with app.app_context():
        upgrade_database()
        build_demo_org(clock.today())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return database_file


@dataclass
class LiveServer:
    """The app served over HTTP in a thread, and a way to arrange data in its database."""

    url: str
    app: Flask
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` in the server's app context and commit: arrange data a journey starts from."""
        with self.app.app_context():
            try:
                result = fn()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    def user_id(self, email: str) -> int:
        return self.run(lambda: db.session.scalar(select(User.id).where(User.email == email)))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(demo_database, tmp_path_factory) -> LiveServer:
    """The app on a fresh copy of the demo database, on a free loopback port, for one module."""
    folder = tmp_path_factory.mktemp("e2e-server")
    database_file = folder / "ladder.sqlite"
    shutil.copyfile(demo_database, database_file)
    app = _app_for(database_file, folder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="ladder-e2e-server", daemon=True)
    thread.start()
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app, server, thread)
    yield live
    live.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, never a downloaded one) for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"end-to-end tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="end-to-end tests need the playwright package")
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="module")
def signed_in_states() -> dict:
    """Cookies of accounts already signed in through the form in this module (sign-in is slow
    on purpose: scrypt), so later pages for the same account start signed in."""
    return {}


@pytest.fixture
def open_page(browser, live_server, signed_in_states):
    """Open a page in a fresh context: `open_page("engineer@example.com")` is signed in.

    The first page of an account in a module signs in through the form; later ones reuse its
    cookies. Fails the test on an uncaught JavaScript error or a Content-Security-Policy
    violation. `bypass_csp=True` is only for injecting test tooling (axe-core), never for journeys.
    """
    contexts, problems = [], []

    def opener(email: str | None = None, *, viewport: dict | None = None, bypass_csp: bool = False):
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP,
                                      bypass_csp=bypass_csp, locale="en-GB", reduced_motion="reduce",
                                      storage_state=signed_in_states.get(email))
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if "Content Security Policy" in message.text else None)
        if email and email not in signed_in_states:
            sign_in(page, email)
            signed_in_states[email] = context.storage_state()
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)
