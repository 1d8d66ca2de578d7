"""`ladder notify`: due and overdue reminders, each emailed once (even by two runs at the same
moment on PostgreSQL), nothing lost while the mail server is down, digests and preferences."""
import os
import threading
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.extensions import db
from ladder.models import Notification
from ladder.notifications.jobs import run_notify

from ..factories import make_goal, make_review, make_user
from ..smtp import smtp_fixture  # noqa: F401

pytestmark = pytest.mark.dates


def three_days_before(cycle):
    return clock.frozen_at(cycle.self_review_due - timedelta(days=3))


@pytest.fixture
def drafts(org):
    """The engineer has a draft self-review; the peer has submitted theirs; the manager has
    started neither manager review."""
    make_review(org.cycle, org.engineer)
    make_review(org.cycle, org.peer, status="submitted")
    db.session.commit()
    return org


def subjects_to(smtp, address):
    return [m["Subject"].strip() for m in smtp.to(address)]  # a non-ASCII subject is folded: " =?utf-8?..."


def test_a_self_review_due_in_3_days_reminds_its_author_once_and_not_who_submitted(runner, drafts, smtp):
    with three_days_before(drafts.cycle):
        first = runner.invoke(args=["notify"])
        second = runner.invoke(args=["notify"])
    assert first.exit_code == 0, first.output
    assert "1 new reminder." in first.output and "1 email sent" in first.output
    assert "0 new reminders." in second.output and "0 emails sent" in second.output
    assert subjects_to(smtp, "engineer@example.com") == ["Your self-review for 2026 H2 is due in 3 days."]
    assert smtp.to("peer@example.com") == []
    assert smtp.link(smtp.to("engineer@example.com")[0]) == "/reviews/self"


def test_overdue_reviews_remind_authors_and_the_manager(runner, drafts, smtp):
    make_review(drafts.cycle, drafts.engineer, kind="manager", author=drafts.manager)
    db.session.commit()
    with clock.frozen_at(drafts.cycle.manager_review_due + timedelta(days=1)):
        runner.invoke(args=["notify"])
        runner.invoke(args=["notify"])
    assert subjects_to(smtp, "engineer@example.com") == ["Your self-review for 2026 H2 is overdue by 15 days."]
    assert subjects_to(smtp, "manager@example.com") == [
        "Your review of Engineer for 2026 H2 is overdue by 1 day."]
    assert smtp.link(smtp.to("manager@example.com")[0]) == f"/reviews/people/{drafts.engineer.id}/manager"


def test_submitting_withdraws_a_reminder_not_yet_emailed(client, drafts, ladder, smtp):
    from ..factories import form_for, lock_version, rate_all

    smtp.stop()
    with three_days_before(drafts.cycle):
        run_notify()  # written, not sent: the mail server is down
    smtp.start()
    client.login("engineer@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    response = client.post_form("/reviews/self", {"lock_version": lock_version(page), "action": "submit",
                                                  "confirm_submit": "y", **form_for(ladder, 2, "Done.")})
    assert response.status_code == 302, rate_all
    with clock.frozen_at(drafts.cycle.self_review_due):
        run_notify()
    assert smtp.to("engineer@example.com") == []


def test_nothing_is_lost_while_the_mail_server_is_down(runner, drafts, smtp):
    make_goal(drafts.engineer, "Write the runbook", due_on=clock.today() - timedelta(days=1))
    db.session.commit()
    smtp.stop()
    start = datetime.combine(drafts.cycle.self_review_due - timedelta(days=3), time(9))
    with clock.frozen_at(start):
        result = runner.invoke(args=["notify"])
    assert result.exit_code == 0 and "0 emails sent, 2 to retry later" in result.output
    pending = db.session.scalars(select(Notification).where(Notification.email_state == "pending")).all()
    assert len(pending) == 2 and all(n.email_attempts == 1 and n.last_error for n in pending)
    with clock.frozen_at(start + timedelta(seconds=30)):  # before the back-off: not tried again
        runner.invoke(args=["notify"])
    assert {n.email_attempts for n in db.session.scalars(select(Notification))} == {1}
    with clock.frozen_at(start + timedelta(minutes=5)):
        runner.invoke(args=["notify"])  # still down: tried again, kept
    smtp.start()
    with clock.frozen_at(start + timedelta(hours=1)):
        result = runner.invoke(args=["notify"])
        runner.invoke(args=["notify"])
    assert "2 emails sent" in result.output
    assert sorted(subjects_to(smtp, "engineer@example.com")) == [
        "Your goal \u201cWrite the runbook\u201d was due "
        + (clock.today() - timedelta(days=1)).strftime("%d %b %Y") + ".",
        "Your self-review for 2026 H2 is due in 3 days."]


@pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"),
                    reason="two concurrent senders need PostgreSQL's row locks (SKIP LOCKED); "
                           "SQLite has one writer at a time")
@pytest.mark.commits  # two threads, each on its own connection
def test_two_runs_at_the_same_moment_send_each_reminder_exactly_once(app, org, smtp):
    people = [make_user(f"eng{i}@example.com", manager=org.manager) for i in range(60)]
    for person in people:
        make_review(org.cycle, person)
    db.session.commit()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                run_notify()
                db.session.remove()
        except Exception as error:  # reported below, with the thread's traceback lost otherwise
            errors.append(error)

    with three_days_before(org.cycle):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    received = sorted(m["To"] for m in smtp.messages)
    assert received == sorted(p.email for p in people)
    assert db.session.scalar(select(func.count(Notification.id))) == 60


def test_a_daily_digest_gathers_everything_in_one_email_once_a_day(runner, drafts, smtp):
    drafts.engineer.notification_email = "daily"
    make_goal(drafts.engineer, "Write the runbook", due_on=clock.today() - timedelta(days=1))
    db.session.commit()
    with three_days_before(drafts.cycle):
        runner.invoke(args=["notify"])
        runner.invoke(args=["notify"])
    [digest] = smtp.to("engineer@example.com")
    assert digest["Subject"] == "Ladder: 2 updates for you"
    assert "Write the runbook" in smtp.text(digest) and "due in 3 days" in smtp.text(digest)
    with clock.frozen_at(drafts.cycle.self_review_due + timedelta(days=1)):
        runner.invoke(args=["notify"])
    assert len(smtp.to("engineer@example.com")) == 2  # the next day: the overdue reminder


def test_people_who_turned_email_off_get_none_but_still_see_it_in_ladder(runner, drafts, smtp):
    drafts.engineer.notification_email = "off"
    db.session.commit()
    with three_days_before(drafts.cycle):
        result = runner.invoke(args=["notify"])
    assert "1 not wanted" in result.output
    assert smtp.messages == []
    assert db.session.scalar(select(Notification.email_state)) == "skipped"


def test_without_a_mail_server_notify_says_so_and_the_outbox_lists_what_waits(runner, client, drafts):
    with three_days_before(drafts.cycle):
        result = runner.invoke(args=["notify"])
    assert result.exit_code == 0
    assert "Email is not set up" in result.output and "1 email wait in the outbox" in result.output
    client.login("admin@example.com")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Email is not set up" in page and "engineer@example.com" in page
    assert "Your self-review for 2026 H2 is due in 3 days." in page
