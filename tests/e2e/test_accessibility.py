"""axe-core on every main page: no serious or critical violations (and the README screenshots)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ladder.extensions import db
from ladder.models import Review, User

from .support import describe_violations, run_axe, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ids(live_server):
    def collect():
        people = dict(db.session.execute(select(User.email, User.id)).all())
        engineer2_self = db.session.scalar(select(Review.id).where(
            Review.subject_id == people["engineer2@example.com"], Review.kind == "self", Review.status == "submitted"))
        return {"people": people, "engineer2_self": engineer2_self}
    return live_server.run(collect)


# (name, who is signed in or None, path)
PAGES = [
    ("login", None, lambda ids: "/auth/login"),
    ("home", "engineer@example.com", lambda ids: "/"),
    ("ladder", "engineer@example.com", lambda ids: "/ladder/"),
    ("compare", "engineer@example.com", lambda ids: "/ladder/compare"),
    ("self-review", "engineer@example.com", lambda ids: "/reviews/self"),
    ("my-readiness", "engineer@example.com", lambda ids: f"/people/{ids['people']['engineer@example.com']}"),
    ("review", "manager@example.com", lambda ids: f"/reviews/{ids['engineer2_self']}"),
    ("manager-review", "manager@example.com", lambda ids: f"/reviews/people/{ids['people']['engineer2@example.com']}/manager"),
    ("side-by-side", "manager@example.com", lambda ids: f"/reviews/people/{ids['people']['priya@example.com']}/side-by-side"),
    ("person", "manager@example.com", lambda ids: f"/people/{ids['people']['priya@example.com']}"),
    ("team", "manager@example.com", lambda ids: "/team/"),
    ("readiness-report", "director@example.com", lambda ids: "/reports/readiness"),
    ("promotion-case", "manager@example.com", lambda ids: f"/people/{ids['people']['priya@example.com']}/case/staff"),
]


# Pages pictured in the README (docs/screenshots/<name>.png when LADDER_SCREENSHOTS=1).
README_SHOTS = {"self-review", "side-by-side", "person", "team", "promotion-case"}
# Charts further down a page get a picture of their own: page name -> (picture name, element).
ELEMENT_SHOTS = {"person": ("readiness-history", "#history"), "team": ("team-heatmap", ".heatmap-section")}


@pytest.mark.parametrize("name, email, path", PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violations(open_page, ids, name, email, path):
    page = open_page(email, bypass_csp=True)
    response = page.goto(path(ids))
    assert response.ok, f"{name} answered {response.status}"
    assert page.locator("h1").first.is_visible()
    violations = run_axe(page)
    assert not violations, f"{name}:\n{describe_violations(violations)}"
    if name in README_SHOTS:
        screenshot(page, name)
    if name in ELEMENT_SHOTS:
        shot, element = ELEMENT_SHOTS[name]
        screenshot(page, shot, element=element)
