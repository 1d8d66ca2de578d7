"""Journey: the engineer asks two colleagues for feedback, both answer, the manager reads it
beside the reviews."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"
COLLEAGUES = {"engineer2@example.com": ("Erin Engineer", "Eli's design reviews unblocked our sync rewrite."),
              "alex@example.com": ("Alex Kim", "Eli wrote the clearest trade-off table I have read this year.")}
COMPETENCY = "System design and architecture"


def test_engineer_asks_two_colleagues_both_answer_and_the_manager_reads_it_side_by_side(open_page, live_server):
    page = open_page(ENGINEER)
    page.get_by_role("link", name="Ask colleagues for feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for peer feedback")
    for name, _ in COLLEAGUES.values():
        page.get_by_label(name, exact=True).check()
    page.get_by_label(COMPETENCY, exact=True).check()
    page.get_by_role("button", name="Ask for feedback").click()
    expect(page.locator(".flash[role=status]")).to_contain_text("Feedback requested")
    for name, _ in COLLEAGUES.values():
        expect(page.locator("#peer-feedback")).to_contain_text(name)

    for email, (_, text) in COLLEAGUES.items():
        peer = open_page(email)
        peer.locator(".todo").get_by_role("link", name=re.compile("^Feedback on Eli Engineer is due")).click()
        peer.get_by_label(f"Your feedback on {COMPETENCY} (Markdown)").fill(text)
        peer.get_by_role("button", name="Submit feedback").click()
        expect(peer.locator(".flash[role=status]")).to_contain_text("Submitted")
        expect(peer.get_by_role("button", name="Submit feedback")).to_have_count(0)

    manager = open_page("manager@example.com")
    manager.goto(f"/reviews/people/{live_server.user_id(ENGINEER)}/side-by-side")
    section = manager.locator("#peer-feedback")
    for name, text in COLLEAGUES.values():
        expect(section).to_contain_text(text)
        expect(section.locator("blockquote", has_text=text)).to_contain_text(name)
