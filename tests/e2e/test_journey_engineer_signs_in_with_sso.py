"""Journey: the engineer signs in with the organisation's OpenID provider (a real one: panva's
oidc-provider under node, on a loopback port), finds their self-review due in 3 days at the top
of the home page, submits it, and their manager (signed in with a password) is told."""
from __future__ import annotations

import re
import shutil
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ladder import clock
from ladder.auth.oidc import init_oidc
from ladder.extensions import db
from ladder.models import ReviewCycle

from ..oidc import start_provider
from .support import manager_is_told_of_the_submission, submit_self_review_from_todo

pytestmark = pytest.mark.e2e

ENGINEER = "engineer@example.com"
MANAGER = "manager@example.com"
PROVIDER_NAME = "Acme ID"
ACCOUNTS = {"eli-at-acme": {"email": ENGINEER, "email_verified": True, "name": "Eli Engineer"}}
LOOPBACK = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def provider(live_server):
    """oidc-provider with the live server's callback registered, and the app signed up with it
    as "Acme ID" (set before the app's first request, as test_oidc.py does)."""
    if shutil.which("node") is None:
        pytest.skip("signing in with single sign-on needs node (to run oidc-provider)")
    running = start_provider([f"{live_server.url}/auth/oidc/callback"], ACCOUNTS)
    live_server.app.config.update(OIDC_ISSUER=running.issuer, OIDC_CLIENT_ID=running.client_id,
                                  OIDC_CLIENT_SECRET=running.client_secret, OIDC_PROVIDER_NAME=PROVIDER_NAME)
    init_oidc(live_server.app)
    yield running
    running.stop()


def self_reviews_due_in_3_days() -> None:
    """Move the open cycle so that self-reviews are due in 3 days (and managers' reviews 14 days
    later, as in the demo). The dates move rather than the clock: the provider's ID token carries
    the real time, which the app checks against its clock."""
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.status == "open"))
    shift = cycle.self_review_due - (clock.today() + timedelta(days=3))
    for column in ("opens_on", "self_review_due", "manager_review_due", "closes_on"):
        setattr(cycle, column, getattr(cycle, column) - shift)


def keep_on_loopback(route) -> None:
    """The provider's pages import a web font; nothing leaves the machine."""
    if urlsplit(route.request.url).hostname in LOOPBACK:
        route.continue_()
    else:
        route.abort()


def test_engineer_signs_in_with_sso_submits_and_the_manager_is_told(open_page, live_server, provider):
    live_server.run(self_reviews_due_in_3_days)

    page = open_page()
    page.context.route("**/*", keep_on_loopback)
    page.goto("/auth/login")
    page.get_by_role("button", name=f"Sign in with {PROVIDER_NAME}").click()
    expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer)))
    page.get_by_placeholder("Enter any login").fill("eli-at-acme")
    page.get_by_placeholder("and password").fill("any password: development interactions")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to share the email with Ladder
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    submit_self_review_from_todo(page)
    manager_is_told_of_the_submission(open_page(MANAGER))
