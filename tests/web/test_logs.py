"""Logs an operator can follow: a request id on every line and response, one access line per
request with who and what, errors with tracebacks, JSON for log collectors."""
import json
import logging

import pytest

from ladder import create_app
from ladder.logs import JsonFormatter, RequestContextFilter


def access_records(caplog):
    return [r for r in caplog.records if r.name == "ladder.access"]


def test_the_callers_request_id_is_on_the_response_and_the_access_line(client, org, caplog):
    client.login("engineer@example.com")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ladder"):
        response = client.get("/", headers={"X-Request-ID": "lb-7f3a-42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a-42"
    [line] = access_records(caplog)
    assert (line.request_id, line.user_id, line.endpoint, line.status) == ("lb-7f3a-42", org.engineer.id,
                                                                           "main.home", 200)
    assert line.duration_ms >= 0 and "GET / 200" in line.getMessage()


def test_a_request_without_an_id_or_with_a_strange_one_gets_a_fresh_one(client, caplog):
    first = client.get("/auth/login").headers["X-Request-ID"]
    second = client.get("/auth/login", headers={"X-Request-ID": "x" * 500 + " <script>"}).headers["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32 and first != second


@pytest.mark.fresh_app  # adds a route
def test_an_error_is_logged_with_its_traceback_and_request_id(app, client, caplog):
    @app.route("/explode")
    def explode():
        raise RuntimeError("the bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO, logger="ladder"):
        response = client.get("/explode", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 500
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.exc_info and "the bug" in str(error.exc_info[1]) and error.request_id == "req-1"
    assert access_records(caplog)[-1].status == 500


def test_json_lines_carry_the_request_fields(app):
    record = logging.LogRecord("ladder.access", logging.INFO, __file__, 1, "GET %s", ("/",), None)
    with app.test_request_context("/"):
        from flask import g
        g.request_id = "abc"
        RequestContextFilter().filter(record)
    record.status, record.endpoint, record.duration_ms = 200, "main.home", 3.5
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /" and line["request_id"] == "abc" and line["status"] == 200
    assert line["level"] == "INFO" and line["endpoint"] == "main.home" and line["user_id"] is None


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        create_app({"TESTING": True, "LOG_FORMAT": "xml", "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})
