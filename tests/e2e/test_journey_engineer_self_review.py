"""Journey: an engineer fills part of the self-review, comes back to the draft, completes it and submits."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"


def unrated_selects(page):
    """The rating drop-downs still on "Not rated yet", in page order."""
    return [s for s in page.locator("select[id^=rating-]").all() if s.input_value() == ""]


def test_engineer_saves_a_draft_comes_back_and_submits(open_page):
    page = open_page(ENGINEER)

    # The home page says where the self-review stands and leads to it.
    expect(page.get_by_text("12 of 24")).to_be_visible()
    page.get_by_role("button", name="Continue your self-review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your self-review")
    expect(page.locator(".sticky-progress")).to_contain_text("12 of 24 competencies rated")

    # Rate two of the open competencies: one above the current level, with evidence.
    first, second = unrated_selects(page)[:2]
    first_key, second_key = (s.get_attribute("id").removeprefix("rating-") for s in (first, second))
    first.select_option(label="Staff Engineer")
    page.locator(f"#evidence-{first_key}").fill("Led the cross-team design review of the billing ledger.")
    second.select_option(label="Senior Engineer")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Draft saved.")
    expect(page.locator(".sticky-progress")).to_contain_text("14 of 24 competencies rated")

    # Coming back later: the draft is there, exactly as typed.
    page.reload()
    expect(page.locator(f"#rating-{first_key}")).to_have_value("staff")
    expect(page.locator(f"#evidence-{first_key}")).to_have_value(
        "Led the cross-team design review of the billing ledger.")
    expect(page.locator(f"#rating-{second_key}")).to_have_value("senior")

    # Submitting too early is refused, with the reason next to an open competency.
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".flash[role=alert]")).to_contain_text(
        "cannot be submitted yet: 10 competencies need attention")
    expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()
    still_open = unrated_selects(page)[0]
    expect(page.locator(f"#{still_open.get_attribute('id').removeprefix('rating-')}-error")).to_have_text(
        re.compile("Rate this competency before submitting"))

    # Complete the rest at the current level and submit.
    for select in unrated_selects(page):
        select.select_option(label="Senior Engineer")
    expect(page.locator(".sticky-progress")).to_contain_text("14 of 24")  # progress counts what is saved
    page.get_by_label(re.compile("I have finished")).check()  # submitting is confirmed: it cannot be undone
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Submitted. It is now read-only.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-review of Eli Engineer")
    expect(page.locator(".status")).to_have_text("Submitted")
    expect(page.get_by_text("24 of 24")).to_be_visible()
    expect(page.get_by_role("cell", name="Led the cross-team design review of the billing ledger.")).to_be_visible()
    expect(page.get_by_role("link", name="Edit draft")).to_have_count(0)

    # Home now says it is submitted, and the readiness history gains this cycle.
    page.get_by_role("link", name="Ladder", exact=True).click()
    expect(page.get_by_text("Your self-review was submitted.")).to_be_visible()
    page.get_by_role("link", name="My readiness").click()
    history = page.locator("#history table")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tbody tr").last).to_contain_text("self-review")
