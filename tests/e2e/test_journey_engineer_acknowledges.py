"""Journey: the engineer reads the manager review once it is shared and acknowledges it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import arrange

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"


@pytest.fixture(scope="module", autouse=True)
def shared_manager_review(live_server):
    """Eli submitted the self-review; Morgan reviewed Eli and shared it (the manager's journey)."""
    def arrange_reviews():
        arrange.complete_and_submit_self_review(ENGINEER)
        arrange.share_manager_review(ENGINEER, evidence="Ran the ledger migration without an incident.")
    live_server.run(arrange_reviews)


def test_engineer_reads_the_shared_review_and_acknowledges_it(open_page):
    page = open_page(ENGINEER)

    expect(page.get_by_text("Your manager's review is ready.")).to_be_visible()
    page.get_by_role("link", name="Read your manager's review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manager review of Eli Engineer")
    expect(page.locator(".status")).to_have_text("Shared")
    expect(page.get_by_role("cell", name="Ran the ledger migration without an incident.").first).to_be_visible()

    comment = page.get_by_label("Your comment (optional)")
    last_rating = page.locator("table tbody tr").last.bounding_box()
    assert comment.bounding_box()["y"] > last_rating["y"]  # read the whole review first, then acknowledge
    comment.fill("Thanks, agreed on the on-call goals.")
    page.get_by_role("button", name="Acknowledge that I have read it").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("your manager can see that you have read the review")
    expect(page.locator(".acknowledged")).to_contain_text("Eli Engineer acknowledged this review on")
    expect(page.locator(".acknowledged")).to_contain_text("Thanks, agreed on the on-call goals.")
    expect(page.get_by_role("button", name="Acknowledge that I have read it")).to_have_count(0)

    # The side-by-side view now has both reviews.
    page.get_by_role("link", name="Side by side with the self-review").click()
    expect(page.get_by_role("img", name="Eli Engineer: self-review and manager review by area")).to_be_visible()
    expect(page.locator("table.side-by-side tbody tr")).to_have_count(24)

    # The manager sees the acknowledgement too.
    manager = open_page("manager@example.com")
    manager.goto(page.url)
    manager.get_by_role("link", name="Manager review (shared)").click()
    expect(manager.locator(".acknowledged")).to_contain_text("Eli Engineer acknowledged this review")
