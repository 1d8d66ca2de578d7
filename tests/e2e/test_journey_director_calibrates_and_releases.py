"""Journey: in a cycle that holds results, a director calibrates, changes one verdict with a
note and releases the results of their tree; the engineer sees the manager review and the
verdicts only after the release."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ladder.extensions import db
from ladder.models import ReviewCycle

pytestmark = pytest.mark.e2e

ENGINEER = "priya@example.com"  # her manager review is shared and "ready now" is proposed in the open cycle
MANAGER_RATIONALE = "Led the ledger redesign across three teams; the case is strong."
NOTE = "Calibrated against the other Senior Engineers: one more org-wide design first."


@pytest.fixture(scope="module", autouse=True)
def held_cycle(live_server):
    """The admin set the open cycle to hold results until released."""
    def hold():
        db.session.scalar(select(ReviewCycle).where(ReviewCycle.status == "open")).hold_results = True
    live_server.run(hold)


def test_director_calibrates_changes_a_verdict_releases_and_only_then_the_engineer_sees(open_page):
    engineer = open_page(ENGINEER)
    expect(engineer.get_by_role("heading", level=1)).to_have_text("Hello, Priya Patel")
    expect(engineer.get_by_role("link", name="Read your manager's review")).to_have_count(0)
    engineer.get_by_role("link", name="My readiness").click()
    expect(engineer.get_by_text(MANAGER_RATIONALE)).to_have_count(0)

    director = open_page("director@example.com")
    director.get_by_role("link", name="Calibration").click()
    expect(director.get_by_role("heading", level=1)).to_contain_text("Calibration:")
    expect(director.get_by_role("img", name=re.compile("manager ratings against each person's level"))).to_be_visible()
    expect(director.locator("tr", has_text="Organisation").first).to_be_visible()

    director.get_by_role("link", name="Change the verdict about Priya Patel toward Staff Engineer").click()
    expect(director.get_by_label("New verdict")).to_have_value("")  # no choice until one is made
    director.get_by_role("button", name="Change the verdict").click()
    expect(director.get_by_text("Choose a verdict.")).to_be_visible()
    director.get_by_label("New verdict").select_option(label="Ready within 6 months")
    director.get_by_label(re.compile("^Why")).fill(NOTE)
    director.get_by_role("button", name="Change the verdict").click()
    expect(director.locator(".flash[role=status]")).to_contain_text("the original is kept in the history")
    expect(director.locator("tr", has_text="Priya Patel").filter(has_text="Staff Engineer")).to_contain_text(
        "changed in calibration from Ready now")

    director.get_by_role("button", name="Release results for your team…").click()
    director.get_by_role("button", name="Release results for my team").click()
    expect(director.get_by_text("Tick the box to confirm")).to_be_visible()  # nothing released yet
    director.get_by_label(re.compile("once released, these results cannot be held again")).check()
    director.get_by_role("button", name="Release results for my team").click()
    expect(director.locator(".flash[role=status]")).to_contain_text("Released:")

    engineer.goto("/")
    engineer.get_by_role("link", name="Read your manager's review").click()
    expect(engineer.get_by_role("heading", level=1)).to_have_text("Manager review of Priya Patel")
    engineer.get_by_role("link", name="My readiness").click()
    verdicts = engineer.locator("#verdicts table")
    expect(verdicts).to_contain_text(NOTE)
    expect(verdicts).to_contain_text("changed in calibration from Ready now")
    expect(verdicts).to_contain_text(MANAGER_RATIONALE)
