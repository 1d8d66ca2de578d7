"""Phone width (390 px): no sideways scrolling, and the self-review is usable with a thumb."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page) -> None:
    page.wait_for_load_state("load")  # measured with the stylesheet applied (a busy machine loads it late)
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


@pytest.mark.parametrize("path", ["/admin/people", "/admin/audit"])
def test_admin_filters_fit_a_phone_and_the_filter_button_is_a_plain_button(open_page, path):
    page = open_page("admin@example.com", viewport=PHONE)
    page.goto(path)
    no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)
    page.goto(path)
    button = page.get_by_role("button", name="Filter").bounding_box()
    assert button["height"] < 80 and button["width"] < 300, button  # not a giant half-pill


def test_team_page_and_heatmap_work_on_a_phone(open_page):
    page = open_page("director@example.com", viewport=PHONE)
    page.goto("/team/")
    no_horizontal_scroll(page)  # the tables and the heatmap scroll inside their own boxes
    heatmap = page.locator(".heatmap-scroll")
    heatmap.evaluate("box => { box.scrollLeft = 400; box.scrollTop = 300; }")
    corner = page.locator("table.heatmap thead th.corner").bounding_box()
    box = heatmap.bounding_box()
    assert abs(corner["x"] - box["x"]) < 2 and abs(corner["y"] - box["y"]) < 40  # the header row and first column stay
    first_competency = page.locator("table.heatmap tbody th[scope=row]").first.bounding_box()
    assert abs(first_competency["x"] - box["x"]) < 2
