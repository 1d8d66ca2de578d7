"""The public ladder pages (PUBLIC_LADDERS on): someone who is not signed in reads the ladder,
switches track and compares two levels; every page passes axe on a desktop and a phone."""
from __future__ import annotations

import pytest

from .support import PHONE, describe_violations, run_axe

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def public_ladders(live_server):
    live_server.app.config["PUBLIC_LADDERS"] = "on"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_visitor_reads_the_published_ladder_and_compares_two_levels(open_page, viewport):
    page = open_page(None, viewport=viewport, bypass_csp=True)
    assert page.goto("/ladders/public/").ok
    assert not run_axe(page), describe_violations(run_axe(page))
    page.get_by_role("link", name="Engineering career ladder").click()
    assert page.locator("h1").inner_text() == "Engineering career ladder"
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    violations = run_axe(page)
    assert not violations, f"public ladder:\n{describe_violations(violations)}"
    page.get_by_role("navigation", name="Tracks").get_by_role("link", name="Engineering management").click()
    assert "track=management" in page.url
    page.get_by_role("link", name="Compare two levels").click()
    page.get_by_label("From").select_option(label="Senior Engineer")
    page.get_by_label("To").select_option(label="Staff Engineer")
    page.get_by_role("button", name="Compare").click()
    assert page.get_by_role("heading", name="From Senior Engineer to Staff Engineer").is_visible()
    assert page.url.split("?")[0].endswith("/ladders/public/engineering/compare")
    violations = run_axe(page)
    assert not violations, f"public compare:\n{describe_violations(violations)}"
    assert page.get_by_role("button", name="Sign out").count() == 0
