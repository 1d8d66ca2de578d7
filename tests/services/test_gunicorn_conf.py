"""The shipped gunicorn settings (gunicorn.conf.py at the top of the repository)."""
import runpy
from pathlib import Path
from types import SimpleNamespace

SETTINGS = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_the_production_server_settings_are_shipped_and_sane(monkeypatch):
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    settings = runpy.run_path(str(SETTINGS))
    assert settings["workers"] >= 1 and settings["worker_class"] == "sync" and settings["preload_app"] is True
    assert 0 < settings["graceful_timeout"] <= settings["timeout"]
    assert "x-request-id" in settings["access_log_format"]  # joins gunicorn's log with Ladder's
    assert callable(settings["post_fork"])  # workers do not share the master's connections
    assert callable(settings["when_ready"]) and callable(settings["post_worker_init"])  # the app's heap frozen


def test_workers_can_be_set_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert runpy.run_path(str(SETTINGS))["workers"] == 3


def test_reading_the_settings_leaves_the_garbage_collector_alone():
    """Only gunicorn's hooks settle the heap (ladder.heap); importing the file (as this test does) must not."""
    import gc

    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()
    runpy.run_path(str(SETTINGS))
    assert gc.isenabled() and gc.get_freeze_count() == frozen and gc.get_threshold() == threshold


def test_the_master_compiles_every_template_before_the_workers_fork(app, client, org, ladder, monkeypatch):
    """A worker renders pages without compiling a template: the master compiled them all."""
    from ladder import heap
    from ladder.extensions import db
    from tests.conftest import CsrfClient
    from tests.factories import make_review, rate_all

    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 1), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    settled = []
    monkeypatch.setattr(heap, "settle_for_serving", lambda: settled.append(True))  # the test's heap stays
    app.jinja_env.cache.clear()  # as in a new master: nothing compiled yet
    master = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), app=SimpleNamespace(wsgi=lambda: app))
    runpy.run_path(str(SETTINGS))["when_ready"](master)
    assert settled == [True]

    def compile_again(*args, **kwargs):
        raise AssertionError(f"compiled while serving: {args[1:2]}")

    monkeypatch.setattr(app.jinja_env, "compile", compile_again)
    browser = CsrfClient(client)
    browser.login(org.manager.email)
    pages = {"/": 200, "/team/": 200, "/calibration/": 200, f"/reviews/people/{org.engineer.id}/side-by-side": 200,
             "/nowhere": 404}
    assert {path: browser.get(path).status_code for path in pages} == pages
