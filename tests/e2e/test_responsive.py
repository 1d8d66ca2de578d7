"""Phone width (390 px): no sideways scrolling, and the self-review is usable with a thumb."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import PHONE, screenshot

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at {PHONE['width']}px"


def test_self_review_works_on_a_phone(open_page):
    page = open_page("engineer@example.com", viewport=PHONE)
    page.goto("/reviews/self")
    no_horizontal_scroll(page)
    expect(page.locator(".sticky-progress")).to_contain_text("12 of 24 competencies rated")
    screenshot(page, "self-review-phone")

    # Jump to an area from the sticky menu, rate a competency there, save.
    page.get_by_text("Jump to an area").click()
    page.locator(".area-jump").get_by_role("link", name="Delivery").click()
    heading = page.get_by_role("heading", level=2, name="Delivery")
    expect(heading).to_be_in_viewport()
    section = page.locator("section", has=heading)
    select = section.locator("select").first
    select.scroll_into_view_if_needed()
    expect(select).to_be_in_viewport()
    box = select.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    select.select_option(label="Senior Engineer")
    section.locator("textarea").first.fill("Shipped the sync API in four milestones.")
    save = page.get_by_role("button", name="Save draft")
    expect(save).to_be_in_viewport()  # the actions stay at the bottom of the screen
    save.click()
    expect(page.locator(".flash[role=status]")).to_have_text("Draft saved.")
    no_horizontal_scroll(page)


@pytest.mark.parametrize("path", ["/", "/ladder/", "/ladder/compare", "/people/{engineer}"])
def test_pages_fit_a_phone(open_page, live_server, path):
    page = open_page("engineer@example.com", viewport=PHONE)
    page.goto(path.format(engineer=live_server.user_id("engineer@example.com")))
    no_horizontal_scroll(page)
