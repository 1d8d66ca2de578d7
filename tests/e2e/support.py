"""Helpers for end-to-end tests: signing in, axe-core, screenshots (imported by tests and conftest)."""
from __future__ import annotations

import os
from pathlib import Path

AXE_DIR = Path(__file__).parent / "vendor" / "axe-core-4.14.1"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS_DIR = REPO / "docs" / "screenshots"
DEMO_PASSWORD = "ladder-demo"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form, like a person would, and wait for the signed-in home page."""
    from playwright.sync_api import expect

    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()  # not "Sign in with <provider>"
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def submit_self_review_from_todo(page) -> None:
    """From the home page: follow "due in 3 days" in the to-do list, rate what is unrated,
    confirm and submit; the self-review then leaves the to-do list."""
    import re

    from playwright.sync_api import expect

    page.locator("article.todo").get_by_role("link", name="Your self-review is due in 3 days").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your self-review")
    for select_box in page.locator("select[id^=rating-]").all():
        if select_box.input_value() == "":
            select_box.select_option(label="Senior Engineer")
    page.get_by_label(re.compile("I have finished")).check()  # submitting cannot be undone
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".flash[role=status]")).to_have_text("Submitted. It is now read-only.")
    page.get_by_role("link", name="Ladder", exact=True).click()
    expect(page.locator("article.todo")).not_to_contain_text("Your self-review")


def manager_is_told_of_the_submission(manager) -> None:
    """The manager's unread count, to-do item and notification about Eli's submitted self-review."""
    from playwright.sync_api import expect

    navigation = manager.get_by_role("navigation", name="Main")
    expect(navigation.locator(".unread-count")).to_be_visible()
    expect(manager.locator("article.todo").get_by_role("listitem").filter(
        has_text="Your review of Eli Engineer is due in 17 days")).to_contain_text("their self-review is submitted")
    navigation.get_by_role("link", name="Notifications").click()
    manager.get_by_role("link", name="Eli Engineer submitted their self-review").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Self-review of Eli Engineer")


def run_axe(page) -> list[dict]:
    """Run axe-core on the page and return its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate((AXE_DIR / "axe.min.js").read_text(encoding="utf-8"))
    results = page.evaluate("""async () => await window.axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
        resultTypes: ['violations']})""")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def screenshot(page, name: str, *, element: str | None = None) -> None:
    """Save docs/screenshots/<name>.png (the viewport, or one element), only when
    LADDER_SCREENSHOTS=1: they are tracked files, shown in the README."""
    if os.environ.get("LADDER_SCREENSHOTS") != "1":
        return
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS_DIR / f"{name}.png")
    if element:
        page.locator(element).screenshot(path=path, animations="disabled")
    else:
        page.screenshot(path=path, animations="disabled")
