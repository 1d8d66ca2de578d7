"""Journey: a mentor writes shared and private feedback and a 1:1 whose action item becomes a goal;
the engineer, a peer and the engineer's manager each see exactly what they should."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

MENTOR = "mentor@example.com"
ENGINEER = "engineer@example.com"
PEER = "engineer2@example.com"
MANAGER = "manager@example.com"

SHARED_NOTE = ("Your ledger talk was **convincing** from the first slide. "
               "<script>document.title = 'owned'</script> Keep the demo short.")
PRIVATE_NOTE = "Eli could lead the on-call rota next half; ask Morgan before suggesting it."
ACTION_ITEM = "Review one Platform change a week with Lee"
COMPETENCY = "Code quality and code review"


def _growth_url(live_server) -> str:
    return f"/people/{live_server.user_id(ENGINEER)}/growth"


def test_mentor_writes_feedback_and_a_goal_that_only_the_right_people_see(open_page, live_server):
    page = open_page(MENTOR)

    # From the home page to the mentee's growth page: goals and notes, no ratings or readiness.
    mentees = page.locator("article", has=page.get_by_role("heading", name="Your mentees"))
    mentees.get_by_role("link", name="Eli Engineer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Growth of Eli Engineer")
    expect(page.get_by_role("heading", name="Goals")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Give an internal talk on the ledger migration")
    expect(page.locator("main")).not_to_contain_text(re.compile(r"readiness|rating|rated|verdict", re.I))
    # Eli's profile tells Mina that ratings and readiness are not hers to see.
    page.goto(f"/people/{live_server.user_id(ENGINEER)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eli Engineer")
    expect(page.locator("main")).to_contain_text(
        "You can see this person's profile, but not their ratings or readiness.")
    expect(page.get_by_role("heading", name="Promotion readiness")).to_have_count(0)
    page.go_back()

    # A shared note in Markdown: bold is bold, the script is shown as typed and never runs.
    page.get_by_role("button", name="Write feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feedback for Eli Engineer")
    page.get_by_label("Note (Markdown)").fill(SHARED_NOTE)
    page.get_by_label("Shared: the engineer, their managers and mentors can read it").check()
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_have_text("Note saved. The engineer can read it.")
    note = page.locator("main .markdown")
    expect(note.locator("strong")).to_have_text("convincing")
    expect(note).to_contain_text("<script>document.title = 'owned'</script>")
    expect(note.locator("script")).to_have_count(0)
    expect(page).not_to_have_title(re.compile("owned"))
    expect(page.locator("main")).to_contain_text("Shared with the engineer")

    # A 1:1 with an action item, tagged with a competency; the action item becomes a goal.
    page.get_by_role("link", name="Timeline of Eli Engineer").click()
    page.get_by_role("link", name="Goals, feedback and 1:1s").click()
    page.get_by_role("button", name="Record a 1:1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a 1:1 with Eli Engineer")
    page.get_by_label("Notes (Markdown)").fill("Talked about reviewing across teams without being harsh.")
    page.get_by_label("Action items (one per line)").fill(ACTION_ITEM)
    page.get_by_label("Shared: the engineer, their managers and mentors can read it").check()
    tags = page.get_by_role("group", name="Competencies (optional)")
    tags.get_by_text("Choose competencies").click()
    tags.get_by_label(COMPETENCY, exact=True).check()
    page.get_by_role("button", name="Save 1:1").click()
    expect(page.get_by_role("status")).to_have_text("1:1 saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1:1 with Eli Engineer")
    item = page.locator("ul.action-items li", has_text=ACTION_ITEM)
    item.get_by_role("button", name="Turn into a goal").click()
    expect(page.get_by_role("status")).to_contain_text("Goal created for Eli Engineer.")
    expect(page.get_by_role("heading", level=1)).to_have_text(ACTION_ITEM)
    expect(page.locator("main .goal-status")).to_have_text("Open")
    expect(page.locator("main .tag")).to_have_text(COMPETENCY)  # the 1:1's competency carries over
    page.go_back()
    page.reload()
    expect(page.locator("ul.action-items li",
                        has_text=ACTION_ITEM).get_by_role("link", name="See the goal")).to_be_visible()

    # A private note.
    page.get_by_role("link", name="Growth of Eli Engineer").click()
    page.get_by_role("button", name="Write feedback").click()
    page.get_by_label("Note (Markdown)").fill(PRIVATE_NOTE)
    page.get_by_label("Private: only you (and, for a manager's note, the engineer's management chain)").check()
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_role("status")).to_have_text("Note saved.")
    expect(page.locator("main .badge", has_text="Private")).to_be_visible()

    # Eli: the shared note and the goal on the timeline, the goal beside its competency in the
    # self-review; never the private note.
    eli = open_page(ENGINEER)
    eli.get_by_role("link", name="My growth").click()
    expect(eli.get_by_role("heading", level=1)).to_have_text("Your growth")
    expect(eli.locator("main")).to_contain_text(ACTION_ITEM)
    expect(eli.locator("main")).not_to_contain_text(PRIVATE_NOTE)
    eli.get_by_role("link", name="Timeline", exact=True).click()
    expect(eli.get_by_role("heading", level=1)).to_have_text("Your timeline")
    feedback = eli.locator("li.timeline-entry", has_text="Feedback from Mina Mentor").filter(has_text="convincing")
    expect(feedback.locator("strong", has_text="convincing")).to_be_visible()
    expect(eli.locator("li.timeline-entry", has_text=f"Goal set: {ACTION_ITEM}")).to_be_visible()
    expect(eli.locator("main")).not_to_contain_text(PRIVATE_NOTE)
    eli.get_by_role("link", name="My self-review").click()
    competency = eli.locator("article.competency", has=eli.get_by_role("heading", name=COMPETENCY, exact=True))
    expect(competency.locator(".competency-goals")).to_contain_text(ACTION_ITEM)

    # Erin, a peer, finds nothing at Eli's growth page.
    erin = open_page(PEER)
    erin.goto(_growth_url(live_server))
    expect(erin.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(erin.locator("main")).to_contain_text("There is nothing here, or it is not yours to see.")
    expect(erin.locator("main")).not_to_contain_text("convincing")

    # Morgan, Eli's manager: the shared note and the goal, not Mina's private note.
    morgan = open_page(MANAGER)
    morgan.goto(_growth_url(live_server))
    expect(morgan.get_by_role("heading", level=1)).to_have_text("Growth of Eli Engineer")
    expect(morgan.locator("article.note", has_text="convincing")).to_contain_text("Mina Mentor")
    expect(morgan.locator("ul.goals")).to_contain_text(ACTION_ITEM)
    expect(morgan.locator("main")).not_to_contain_text(PRIVATE_NOTE)
