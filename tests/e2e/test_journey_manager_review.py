"""Journey: a manager reviews a report side by side with the self-review, submits and shares the
review, and records a promotion-readiness verdict."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from . import arrange

pytestmark = pytest.mark.e2e

MANAGER = "manager@example.com"


@pytest.fixture(scope="module", autouse=True)
def engineer_submitted_self_review(live_server):
    """Eli has finished and submitted the self-review (the engineer's journey, done earlier)."""
    live_server.run(lambda: arrange.complete_and_submit_self_review("engineer@example.com"))


def test_manager_reviews_side_by_side_shares_and_records_a_verdict(open_page):
    page = open_page(MANAGER)

    # From the team page to Eli's review.
    page.get_by_role("button", name="Open your team page").click()
    row = page.locator("table.team tbody tr").filter(has=page.get_by_role("link", name="Eli Engineer", exact=True))
    expect(row).to_contain_text("Submitted")
    row.get_by_role("link", name="Write review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your review of Eli Engineer")

    # The self-rating sits next to each field; the radar shows the self-review by area.
    expect(page.locator(".other-rating").first).to_contain_text("Self-rating:")
    expect(page.get_by_role("img", name="Eli Engineer: self-review and manager review by area")).to_be_visible()

    # Rate everything at Senior, one competency lower-looking than Eli's own view; save, then submit.
    selects = page.locator("select[id^=rating-]")
    expect(selects).to_have_count(24)
    for select in selects.all():
        select.select_option(label="Senior Engineer")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Draft saved.")
    expect(page.locator(".sticky-progress")).to_contain_text("24 of 24 competencies rated")
    # The radar now draws both reviews (the manager's as last saved).
    expect(page.locator("#radar table tbody tr").first).to_contain_text("at Senior Engineer")
    page.get_by_label(re.compile("I have finished")).check()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Submitted. It is now read-only.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Manager review of Eli Engineer")

    # Side by side: the disagreements come first, with the difference in words.
    page.get_by_role("link", name="Side by side with the self-review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eli Engineer: self-review and manager review")
    expect(page.get_by_role("img", name="Eli Engineer: self-review and manager review by area")).to_be_visible()
    first_row = page.locator("table.side-by-side tbody tr").first
    expect(first_row.locator("td").nth(0)).to_have_text("Principal Engineer")  # Eli rated this highest
    expect(first_row.locator("td").nth(1)).to_have_text("Senior Engineer")
    expect(first_row.locator("td").nth(2)).to_have_text("-2 levels")
    radar_table = page.locator("#radar table")
    expect(radar_table.locator("tr",
                               has_text="Design and engineering quality")).to_contain_text("above Senior Engineer")

    # Share it with Eli.
    page.get_by_role("link", name="Manager review (submitted)").click()
    page.get_by_label(re.compile("sharing cannot be undone")).check()
    page.get_by_role("button", name="Share with Eli Engineer").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Shared. The engineer can now read your review.")
    expect(page.locator(".status")).to_have_text("Shared")

    # Record a verdict on Eli's page; it shows in the history with its rationale.
    page.get_by_role("link", name="My team").click()
    page.locator("table.team").get_by_role("link", name="Eli Engineer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eli Engineer")
    page.get_by_label("Target level").select_option(label="Staff Engineer (Individual contributor)")
    page.get_by_label("Verdict", exact=True).select_option(label="Ready within 12 months")
    page.get_by_label("Rationale").fill("Strong designs; needs to lead a cross-team project end to end.")
    page.get_by_role("button", name="Record verdict").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Verdict recorded.")
    verdicts = page.locator("#verdicts table")
    expect(verdicts.locator("tbody tr").first).to_contain_text("Ready within 12 months")
    expect(verdicts.locator("tbody tr").first).to_contain_text("Strong designs; needs to lead a cross-team project")
    expect(page.locator("#readiness-ic .verdict")).to_contain_text("Ready within 12 months")
