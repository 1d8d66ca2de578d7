"""Journey: an administrator closes the running cycle, creates the next one on the latest ladder
version and opens it; the engineer's home page then offers the new self-review."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from ladder import clock

pytestmark = pytest.mark.e2e

ADMIN = "admin@example.com"
ENGINEER = "engineer@example.com"
NEW_CYCLE = "Calibration half"


def test_admin_closes_the_open_cycle_and_opens_a_new_one(open_page):
    today = clock.today()
    page = open_page(ADMIN)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Cycles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review cycles")

    # Close the demo's open cycle.
    open_row = page.locator("tbody tr").filter(has=page.locator("td.status", has_text="open"))
    expect(open_row).to_have_count(1)
    old_name = open_row.get_by_role("rowheader").inner_text()
    open_row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(old_name)
    page.get_by_role("button", name="Close the cycle").click()
    expect(page.get_by_role("status")).to_have_text(f"{old_name} is closed; its reviews are read-only.")
    expect(page.locator("hgroup .status")).to_have_text("Closed")
    expect(page.get_by_role("button", name="Close the cycle")).to_have_count(0)

    # Create the next cycle; the latest published ladder version is already chosen.
    page.get_by_role("link", name="Cycles").click()
    page.get_by_role("button", name="New cycle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New review cycle")
    version = page.get_by_label("Ladder version")
    expect(version.locator("option:checked")).to_have_text(version.locator("option").first.inner_text())
    page.get_by_label("Name", exact=True).fill(NEW_CYCLE)
    page.get_by_label("Opens on").fill(today.isoformat())
    page.get_by_label("Self-reviews due").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Manager reviews due").fill((today + timedelta(days=28)).isoformat())
    page.get_by_label("Closes on").fill((today + timedelta(days=42)).isoformat())
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_role("status")).to_contain_text(f"Created {NEW_CYCLE}.")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_CYCLE)
    expect(page.locator("hgroup .status")).to_have_text("Draft")
    expect(page.locator("main")).to_contain_text("No reviews yet: open the cycle to start them.")

    # Open it: everyone with a manager gets a self-review and a manager review.
    page.get_by_role("button", name="Open the cycle").click()
    expect(page.get_by_role("status")).to_contain_text(f"{NEW_CYCLE} is open.")
    expect(page.get_by_role("status")).to_contain_text("reviews started.")
    expect(page.locator("hgroup .status")).to_have_text("Open")
    morgan = page.locator("section", has=page.get_by_role("heading", name="Morgan Manager"))
    expect(morgan.get_by_role("heading", name="Morgan Manager")).to_contain_text("0 of 4 complete")
    eli = morgan.locator("tr", has=page.get_by_role("rowheader", name="Eli Engineer"))
    expect(eli.locator("td").nth(0)).to_contain_text("Draft")
    expect(eli.locator("td").nth(1)).to_contain_text("Draft")

    # The list shows the new cycle open and the old one closed.
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Cycles").click()
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text=NEW_CYCLE).locator("td.status")).to_have_text("Open")
    expect(rows.filter(has_text=old_name).locator("td.status")).to_have_text("Closed")

    # Eli's home page offers the new cycle's self-review.
    eli_page = open_page(ENGINEER)
    cycle_card = eli_page.locator("article", has=eli_page.get_by_role("heading", name="Review cycle"))
    expect(cycle_card).to_contain_text(f"{NEW_CYCLE} is open.")
    expect(cycle_card).to_contain_text(f"Self-reviews are due {(today + timedelta(days=14)).strftime('%d %b %Y')}")
    expect(cycle_card).not_to_contain_text(old_name)
    expect(cycle_card.locator(".progress-text")).to_contain_text("0 of")
    cycle_card.get_by_role("button", name="Continue your self-review").click()
    # A fresh draft: last cycle's half-done self-review stays behind in the closed cycle.
    expect(eli_page.get_by_role("heading", level=1)).to_have_text("Your self-review")
    expect(eli_page.locator("main")).to_contain_text("0 of 24 competencies rated")
