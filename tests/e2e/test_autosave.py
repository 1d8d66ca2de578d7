"""No lost work: a draft saves itself as the person types, and survives an expired session."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import sign_in

pytestmark = pytest.mark.e2e

PERSON = "jo@example.com"  # an engineer with a half-filled draft in the demo


def first_unrated_key(page) -> str:
    select = next(s for s in page.locator("select[id^=rating-]").all() if s.input_value() == "")
    return select.get_attribute("id").removeprefix("rating-")


def test_typing_saves_the_draft_and_an_expired_session_keeps_the_text(open_page):
    page = open_page(PERSON)
    page.goto("/reviews/self")
    key = first_unrated_key(page)
    page.locator(f"#evidence-{key}").fill("Typed, never clicked Save.")
    status = page.locator("[data-autosave-status]")
    expect(status).to_contain_text("All changes saved")
    page.reload()
    expect(page.locator(f"#evidence-{key}")).to_have_value("Typed, never clicked Save.")

    # The session ends (cookies gone, as after the idle limit) while the person keeps typing.
    page.context.clear_cookies()
    page.locator(f"#evidence-{key}").fill("Written after my session ended.")
    expect(status).to_contain_text("Your session has ended")

    # They sign in again and come back: the text is restored from the browser and saved.
    sign_in(page, PERSON)
    page.goto("/reviews/self")
    expect(status).to_contain_text("Restored 1 unsaved answer")
    expect(page.locator(f"#evidence-{key}")).to_have_value("Written after my session ended.")
    expect(status).to_contain_text("All changes saved")
    page.reload()
    expect(page.locator(f"#evidence-{key}")).to_have_value("Written after my session ended.")


def test_a_save_the_server_cannot_take_is_retried_and_the_person_is_told_the_truth(open_page):
    """The database is unavailable for a moment (503 with Retry-After): the script keeps the text,
    says it is not saved yet, and saves it by itself once the server answers again."""
    page = open_page(PERSON)
    page.goto("/reviews/self")
    key = first_unrated_key(page)
    refused = []

    def unavailable_twice(route):
        if len(refused) < 2:
            refused.append(route.request.url)
            route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/json",
                          body='{"error": "unavailable", "saved": false, "message": "down"}')
        else:
            route.continue_()

    page.route("**/autosave", unavailable_twice)
    page.locator(f"#evidence-{key}").fill("Typed while the database was restarting.")
    status = page.locator("[data-autosave-status]")
    expect(status).to_contain_text("Not saved yet, retrying; your text is safe in this browser.")
    expect(status).to_contain_text("All changes saved", timeout=15000)
    assert len(refused) == 2
    page.reload()
    expect(page.locator(f"#evidence-{key}")).to_have_value("Typed while the database was restarting.")


def test_a_save_stored_but_never_answered_is_retried_as_sent_then_what_was_typed_since(open_page):
    """The server stores the save, then the connection breaks before the answer arrives: the
    script resends that same save (the server recognises it: no conflict with itself), then
    saves what was typed in the meantime."""
    page = open_page(PERSON)
    page.goto("/reviews/self")
    key = first_unrated_key(page)
    lost = []

    def answer_lost_once(route):
        if not lost:
            lost.append(route.fetch().status)  # the server has it...
            route.abort("connectionreset")  # ...the browser never hears
        else:
            route.continue_()

    page.route("**/autosave", answer_lost_once)
    evidence = page.locator(f"#evidence-{key}")
    evidence.fill("Stored, answer lost.")
    status = page.locator("[data-autosave-status]")
    expect(status).to_contain_text("Not saved yet, retrying")
    evidence.fill("Stored, answer lost. Then more.")
    expect(status).to_contain_text("All changes saved", timeout=15000)
    assert lost == [200]
    page.reload()
    expect(page.locator(f"#evidence-{key}")).to_have_value("Stored, answer lost. Then more.")
