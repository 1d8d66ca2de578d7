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
