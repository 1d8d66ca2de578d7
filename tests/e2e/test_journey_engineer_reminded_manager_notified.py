"""Journey: three days before self-reviews are due, the engineer sees it at the top of the home
page, submits, and their manager finds a notification and the review in their to-do list."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ladder import clock
from ladder.extensions import db
from ladder.models import ReviewCycle

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"
MANAGER = "manager@example.com"


def test_engineer_is_reminded_submits_and_the_manager_is_told(open_page, live_server):
    due = live_server.run(lambda: db.session.scalar(select(ReviewCycle.self_review_due)
                                                    .where(ReviewCycle.status == "open")))
    with clock.frozen_at(datetime.combine(due - timedelta(days=3), time(9))):
        page = open_page(ENGINEER)
        todo = page.locator("article.todo")
        todo.get_by_role("link", name="Your self-review is due in 3 days").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your self-review")
        for select_box in page.locator("select[id^=rating-]").all():
            if select_box.input_value() == "":
                select_box.select_option(label="Senior Engineer")
        page.get_by_label(re.compile("I have finished")).check()  # submitting cannot be undone
        page.get_by_role("button", name="Submit").click()
        expect(page.locator(".flash[role=status]")).to_have_text("Submitted. It is now read-only.")
        page.get_by_role("link", name="Ladder", exact=True).click()
        expect(page.locator("article.todo")).not_to_contain_text("Your self-review")

        manager = open_page(MANAGER)
        navigation = manager.get_by_role("navigation", name="Main")
        expect(navigation.locator(".unread-count")).to_be_visible()
        expect(manager.locator("article.todo").get_by_role("listitem").filter(
            has_text="Your review of Eli Engineer is due in 17 days")).to_contain_text("their self-review is submitted")
        navigation.get_by_role("link", name="Notifications").click()
        manager.get_by_role("link", name="Eli Engineer submitted their self-review").click()
        expect(manager.get_by_role("heading", level=1)).to_have_text("Self-review of Eli Engineer")
