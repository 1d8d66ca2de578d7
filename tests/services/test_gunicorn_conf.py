"""The shipped gunicorn settings (gunicorn.conf.py at the top of the repository)."""
import runpy
from pathlib import Path

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
