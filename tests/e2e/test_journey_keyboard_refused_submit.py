"""A keyboard user whose submit is refused lands on the list of problems, and one Enter on a
problem takes them to the field to fix."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_keyboard import tab_until

pytestmark = pytest.mark.e2e


def test_a_refused_submit_takes_the_keyboard_user_to_the_field_in_error(open_page):
    page = open_page("engineer@example.com")
    page.goto("/reviews/self")
    unrated = page.evaluate("() => [...document.querySelectorAll('select[id^=rating-]')].filter(s => !s.value).length")
    assert unrated > 1  # the demo engineer's draft is not finished

    # Tick "I have finished" with Space, then Tab on to Submit and press Enter.
    tab_until(page, "el.type === 'checkbox' && el.name === 'confirm_submit'")
    page.keyboard.press("Space")
    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Submit'")
    page.keyboard.press("Enter")

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    links = summary.get_by_role("link")
    expect(links).to_have_count(unrated)
    expect(summary).to_contain_text(f"{unrated} answers need attention")
    first = links.first
    expect(first).to_contain_text("Rate this competency before submitting.")
    field_id = first.get_attribute("href")[1:]

    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    field = page.locator(f"#{field_id}")
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    expect(field).to_have_attribute("aria-invalid", "true")
