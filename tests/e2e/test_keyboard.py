"""The self-review can be filled and saved with the keyboard alone (Tab, Space, typing, Enter)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def tab_until(page, condition: str, limit: int = 250) -> None:
    """Press Tab until `condition` (a JS expression over `el`, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({condition}); }}"):
            return
    raise AssertionError(f"never reached an element where {condition}")


def test_self_review_with_the_keyboard_only(open_page):
    page = open_page("engineer@example.com")
    page.goto("/reviews/self")
    key = page.evaluate("() => [...document.querySelectorAll('select[id^=rating-]')].find(s => !s.value).id.slice(7)")

    # The first Tab reaches a visible "skip to the content" link.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    # Open "What each level expects" with Space, then rate by typing the level's name.
    tab_until(page,
              "el.tagName === 'SUMMARY' && el.closest('article.competency')?.querySelector('select')?.id === "
              f"'rating-{key}'")
    page.keyboard.press("Space")
    expect(page.locator(f"#rating-{key}").locator("xpath=ancestor::article//details")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(page.locator(f"#rating-{key}")).to_be_focused()
    page.keyboard.type("Staff")
    expect(page.locator(f"#rating-{key}")).to_have_value("staff")
    page.keyboard.press("Tab")
    expect(page.locator(f"#evidence-{key}")).to_be_focused()
    page.keyboard.type("Ran the incident review of the March outage and wrote the runbook.")

    # Tab on to "Save draft" and press Enter.
    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Save draft'")
    page.keyboard.press("Enter")
    expect(page.locator(".flash[role=status]")).to_have_text("Draft saved.")
    expect(page.locator(f"#rating-{key}")).to_have_value("staff")
    expect(page.locator(f"#evidence-{key}")).to_have_value(
        "Ran the incident review of the March outage and wrote the runbook.")
    expect(page.locator(".sticky-progress")).to_contain_text("13 of 24 competencies rated")
