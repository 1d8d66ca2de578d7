"""The to-do list: the pure rules (what is owed, due when) and the home page, in a constant
number of statements, without writing anything."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from ladder import clock
from ladder.domain.todo import CycleDates, Mentee, OpenGoal, ReportReviews, SharedReview, todo_items
from ladder.extensions import db

from ..factories import make_goal, make_mentorship, make_one_on_one, make_review, make_user

pytestmark = pytest.mark.dates

TODAY = date(2026, 6, 10)
CYCLE = CycleDates("2026 H1", TODAY + timedelta(days=3), TODAY + timedelta(days=17))


def texts(items):
    return [i.text for i in items]


def test_a_self_review_not_started_or_in_draft_is_owed_with_its_due_date():
    for status, state in ((None, "not started"), ("draft", "draft")):
        [item] = todo_items(today=TODAY, cycle=CYCLE, self_status=status, owes_self_review=True, reports=[],
                            shared=[], goals=[], mentees=[])
        assert item.text == "Your self-review is due in 3 days" and item.state == state
        assert item.link == ("reviews.my_self_review", {}) and not item.overdue
    [late] = todo_items(today=TODAY + timedelta(days=5), cycle=CYCLE, self_status="draft", owes_self_review=True,
                        reports=[], shared=[], goals=[], mentees=[])
    assert late.text == "Your self-review is overdue by 2 days" and late.overdue
    assert todo_items(today=TODAY, cycle=CYCLE, self_status="submitted", owes_self_review=True, reports=[],
                      shared=[], goals=[], mentees=[]) == []
    assert todo_items(today=TODAY, cycle=None, self_status=None, owes_self_review=True, reports=[], shared=[],
                      goals=[], mentees=[]) == []


def test_reports_reviews_acknowledgements_goals_and_mentees_sorted_overdue_first():
    reports = [ReportReviews(1, "Ann", "submitted", 11, "draft"), ReportReviews(2, "Bo", None, None, None),
               ReportReviews(3, "Cy", "submitted", 13, "submitted"), ReportReviews(4, "Di", "submitted", 14, "shared")]
    items = todo_items(
        today=TODAY, cycle=CYCLE, self_status="submitted", owes_self_review=True, reports=reports,
        shared=[SharedReview(21, "2025 H2")],
        goals=[OpenGoal(31, "Give a talk", TODAY - timedelta(days=1)),
               OpenGoal(32, "Later", TODAY + timedelta(days=9))],
        mentees=[Mentee(41, "Eve", TODAY - timedelta(days=100), TODAY - timedelta(days=50)),
                 Mentee(42, "Fay", TODAY - timedelta(days=10), None),
                 Mentee(43, "Gus", TODAY - timedelta(days=60), None)])
    assert texts(items) == [
        "No 1:1 with Gus yet", "No 1:1 with Eve since 21 Apr 2026",
        "Your goal \u201cGive a talk\u201d is overdue by 1 day",
        "Your review of Ann is due in 17 days", "Your review of Bo is due in 17 days",
        "Acknowledge your manager's review (2025 H2)", "Share your review with Cy"]
    ann = items[3]
    assert ann.state == "draft" and ann.notes == ("their self-review is submitted",)
    assert ann.link == ("reviews.manager_review", {"user_id": 1})
    assert items[4].state == "not started" and items[4].notes == ()


def test_the_home_page_lists_what_the_engineer_and_the_manager_owe(client, org):
    make_review(org.cycle, org.engineer)
    make_review(org.cycle, org.peer, status="submitted")
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager)
    db.session.commit()
    with clock.frozen_at(org.cycle.self_review_due - timedelta(days=3)):
        client.login("engineer@example.com")
        page = client.get("/").get_data(as_text=True)
        assert 'href="/reviews/self">Your self-review is due in 3 days</a> <span class="badge">draft</span>' in page
        client.logout()
        client.login("manager@example.com")
        page = client.get("/").get_data(as_text=True)
    assert (f'href="/reviews/people/{org.engineer.id}/manager">Your review of Engineer is due in 17 days</a> '
            '<span class="badge">draft</span>') in page
    assert "Your review of Peer is due in 17 days</a> <span class=\"badge\">not started</span> " \
           "<small class=\"muted\">· their self-review is submitted</small>" in page


def test_the_home_page_costs_the_same_statements_for_2_or_20_reports_and_writes_nothing(client, org, count_queries):
    counts = []
    writes = []

    def record_write(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    make_mentorship(org.manager, org.outsider)
    make_one_on_one(org.manager, org.outsider, "Chat", role="mentor")
    make_goal(org.manager, "Goal", due_on=clock.today() - timedelta(days=2))
    db.session.commit()
    client.login("manager@example.com")
    for total in (2, 20):  # the engineer and the peer, then 18 more
        for i in range(total - 2 if total == 20 else 0):
            person = make_user(f"report{i}@example.com", manager=org.manager)
            make_review(org.cycle, person, status="submitted" if i % 2 else "draft")
        db.session.commit()
        client.get("/")
        event.listen(db.engine, "before_cursor_execute", record_write)
        try:
            with count_queries() as counter:
                page = client.get("/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", record_write)
        counts.append(counter.count)
        assert page.count("Your review of ") == total
    assert counts[0] == counts[1], counts
    assert writes == []
    # what several parts of the page show is read once: the person's reviews of the open cycle (and,
    # apart, shared reviews to acknowledge), their goals (and, apart, the goals of their mentees and
    # reports), their pairings, the last 1:1 with each mentee and report
    assert [counter.reading(table) for table in ("reviews", "goals", "mentorships", "one_on_ones")] == [2, 2, 1, 1], \
        counter.statements


def test_the_home_pages_to_do_has_the_overdue_goals_and_the_mentees_due_a_1_1_with_this_mentor(client, org):
    today = clock.today()
    make_goal(org.mentor, "Give a talk", due_on=today - timedelta(days=2))
    make_goal(org.mentor, "Write the RFC", due_on=today + timedelta(days=5))
    make_goal(org.mentor, "Finished already", due_on=today - timedelta(days=9), status="done")
    make_mentorship(org.mentor, org.engineer, starts_on=today - timedelta(days=120))
    make_mentorship(org.mentor, org.outsider, starts_on=today - timedelta(days=10))
    make_one_on_one(org.mentor, org.engineer, "Career chat", role="mentor", held_on=today - timedelta(days=60))
    make_one_on_one(org.manager, org.engineer, "Manager's own 1:1", role="manager", held_on=today - timedelta(days=1))
    db.session.commit()
    client.login("mentor@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "Your goal \u201cGive a talk\u201d is overdue by 2 days</a>" in page
    assert "Write the RFC" in page and "Finished already" not in page  # open goals in "Your growth" only
    last_by_mentor = (today - timedelta(days=60)).strftime("%d %b %Y")  # the manager's since does not count
    assert f"No 1:1 with Engineer since {last_by_mentor}" in page
    assert "No 1:1 with Outsider" not in page  # paired ten days ago: not due yet
