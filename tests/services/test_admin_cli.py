"""An install run from the console: the first administrator, then a scripted review cycle."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.extensions import db
from ladder.models import Review, ReviewCycle, User

pytestmark = pytest.mark.dates


def test_the_first_administrator_gets_a_one_time_password_and_must_change_it(runner, client, app):
    result = runner.invoke(args=["admin", "create", "Ada@Example.com", "--name", "Ada  Admin"])
    assert result.exit_code == 0, result.output
    password = re.search(r"One-time password .*: (\S+)", result.output).group(1)
    admin = db.session.scalar(select(User))
    assert (admin.email, admin.name, admin.is_admin, admin.must_change_password) == ("ada@example.com",
                                                                                     "Ada Admin", True, True)
    client.login("ada@example.com", password)
    assert client.get("/").headers["Location"].endswith("/auth/password")
    again = runner.invoke(args=["admin", "create", "ada@example.com", "--name", "Ada"])
    assert again.exit_code == 1 and "already belongs to Ada Admin" in again.output


def test_password_stdin_sets_the_password_for_scripts_and_applies_the_policy(runner, client, app):
    weak = runner.invoke(args=["admin", "create", "ops@example.com", "--name", "Ops", "--password-stdin"],
                         input="password\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    result = runner.invoke(args=["admin", "create", "ops@example.com", "--name", "Ops", "--password-stdin"],
                           input="a long and quiet river\n")
    assert result.exit_code == 0 and "One-time password" not in result.output
    client.login("ops@example.com", "a long and quiet river")
    assert client.get("/").status_code == 200


def test_from_an_empty_database_an_operator_scripts_a_cycle(runner, client, app, tmp_path):
    runner.invoke(args=["admin", "create", "ops@example.com", "--name", "Ops", "--password-stdin"],
                  input="a long and quiet river\n")
    assert runner.invoke(args=["ladders", "load-default"]).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("email,name,level,track,manager_email\nlee@example.com,Lee,em,management,\n"
                      "kim@example.com,Kim,senior,ic,lee@example.com\nsam@example.com,Sam,engineer,ic,lee@example.com\n")
    assert runner.invoke(args=["people", "import", str(people)]).exit_code == 0
    today = clock.today()
    due = [(today + timedelta(days=days)).isoformat() for days in (14, 28)]
    missing = runner.invoke(args=["cycles", "create", "2027 H1", "--ladder", "nope", "--self-due", due[0],
                                  "--manager-due", due[1]])
    assert missing.exit_code == 1 and "No published ladder 'nope'" in missing.output
    backwards = runner.invoke(args=["cycles", "create", "2027 H1", "--ladder", "engineering", "--self-due", due[1],
                                    "--manager-due", due[0]])
    assert backwards.exit_code == 1 and db.session.scalar(select(func.count(ReviewCycle.id))) == 0
    result = runner.invoke(args=["cycles", "create", "2027 H1", "--ladder", "engineering", "--self-due", due[0],
                                 "--manager-due", due[1], "--open", "--as", "ops@example.com"])
    assert result.exit_code == 0, result.output
    assert "Created 2027 H1 on Engineering career ladder v1 (open)." in result.output
    assert "4 reviews started." in result.output
    assert db.session.scalar(select(func.count(Review.id))) == 4
    client.login("ops@example.com", "a long and quiet river")
    ops = db.session.scalar(select(User).where(User.email == "ops@example.com"))
    for path in ("/", "/ladder/", "/admin/", "/admin/people", f"/people/{ops.id}", f"/people/{ops.id}/growth",
                 "/admin/cycles", "/reports/readiness", "/reports/readiness.csv", "/account/history"):
        assert client.get(path).status_code == 200, path  # an admin with no level yet breaks no page
