"""Settings read from the environment."""
import pytest

import config


@pytest.mark.parametrize(("value", "expected"), [
    (None, {}),  # unset: psycopg's own default, and nothing a SQLite connection would refuse
    ("off", {"connect_args": {"prepare_threshold": None}}),
    ("", {"connect_args": {"prepare_threshold": None}}),
    ("0", {"connect_args": {"prepare_threshold": 0}}),  # psycopg: prepare every statement
    ("20", {"connect_args": {"prepare_threshold": 20}}),
])
def test_prepare_threshold_for_pgbouncer_comes_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("DB_PREPARE_THRESHOLD", raising=False)
    else:
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", value)
    assert config._prepare_threshold() == expected
