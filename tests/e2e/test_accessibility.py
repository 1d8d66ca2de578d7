"""axe-core on every main page: no serious or critical violations (and the README screenshots)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ladder.extensions import db
from ladder.models import Goal, Ladder, OneOnOne, PeerFeedbackRequest, Review, ReviewCycle, User, Verdict
from ladder.services import ladder_admin
from ladder.services import mentorship as mentorship_service

from .support import describe_violations, run_axe, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ids(live_server):
    def collect():
        people = dict(db.session.execute(select(User.email, User.id)).all())
        engineer2_self = db.session.scalar(select(Review.id).where(
            Review.subject_id == people["engineer2@example.com"], Review.kind == "self", Review.status == "submitted"))
        goal = db.session.scalar(select(Goal).where(Goal.owner_id == people["engineer@example.com"],
                                                    Goal.status == "in_progress"))
        one_on_one = db.session.scalar(select(OneOnOne.id).where(
            OneOnOne.subject_id == people["engineer@example.com"]).order_by(OneOnOne.held_on.desc()))
        open_cycle = db.session.scalar(select(ReviewCycle.id).where(ReviewCycle.status == "open"))
        db.session.get(ReviewCycle, open_cycle).hold_results = True  # so the release page shows its form
        open_verdict = db.session.scalar(select(Verdict.id).where(
            Verdict.cycle_id == open_cycle, Verdict.subject_id == people["priya@example.com"]))
        peer_requests = {status: db.session.scalar(select(PeerFeedbackRequest.id).where(
            PeerFeedbackRequest.status == status, PeerFeedbackRequest.subject_id == people["engineer@example.com"]))
            for status in ("requested", "answered")}
        # Audited changes for the audit log and the engineer's history; a draft ladder with a
        # changed competency for the diff and the YAML editor.
        eli, admin = db.session.get(User, people["engineer@example.com"]), db.session.get(User,
                                                                                          people["admin@example.com"])
        mentorship_service.post_goal_update(goal, actor=eli, body="Two more reviews this week.", status=None)
        ladder = db.session.scalar(select(Ladder).where(Ladder.key == "engineering"))
        draft = ladder_admin.create_draft(ladder, actor=admin)
        text = ladder_admin.yaml_of(draft).replace("System design and architecture", "System design and evolution", 1)
        ladder_admin.replace_draft(draft, ladder_admin.parse_for(ladder, text, "a11y draft"), actor=admin)
        return {"people": people, "engineer2_self": engineer2_self, "goal": goal.id, "one_on_one": one_on_one,
                "open_cycle": open_cycle, "draft": draft.number,
                "open_verdict": open_verdict, "peer_requests": peer_requests}
    return live_server.run(collect)


# (name, who is signed in or None, path)
PAGES = [
    ("login", None, lambda ids: "/auth/login"),
    ("home", "engineer@example.com", lambda ids: "/"),
    # People operations has no ladder role: a home page without a self-review, and the reason why.
    ("home-without-ladder-role", "admin@example.com", lambda ids: "/"),
    ("self-review-without-ladder-role", "admin@example.com", lambda ids: "/reviews/self"),
    ("ladder", "engineer@example.com", lambda ids: "/ladder/"),
    ("compare", "engineer@example.com", lambda ids: "/ladder/compare"),
    ("self-review", "engineer@example.com", lambda ids: "/reviews/self"),
    ("my-readiness", "engineer@example.com", lambda ids: f"/people/{ids['people']['engineer@example.com']}"),
    ("review", "manager@example.com", lambda ids: f"/reviews/{ids['engineer2_self']}"),
    ("manager-review", "manager@example.com",
     lambda ids: f"/reviews/people/{ids['people']['engineer2@example.com']}/manager"),
    ("side-by-side", "manager@example.com",
     lambda ids: f"/reviews/people/{ids['people']['priya@example.com']}/side-by-side"),
    ("person", "manager@example.com", lambda ids: f"/people/{ids['people']['priya@example.com']}"),
    ("team", "director@example.com", lambda ids: "/team/"),  # two managers' groups (and the README's picture)
    ("readiness-report", "director@example.com", lambda ids: "/reports/readiness"),
    ("promotion-case", "manager@example.com", lambda ids: f"/people/{ids['people']['priya@example.com']}/case/staff"),
    ("account-history", "engineer@example.com", lambda ids: "/account/history"),
    ("password", "engineer@example.com", lambda ids: "/auth/password"),
    # Mentorship: what a mentor and the engineer open.
    ("growth", "mentor@example.com", lambda ids: f"/people/{ids['people']['engineer@example.com']}/growth"),
    ("timeline", "engineer@example.com", lambda ids: f"/people/{ids['people']['engineer@example.com']}/timeline"),
    ("note-form", "mentor@example.com", lambda ids: f"/people/{ids['people']['engineer@example.com']}/notes/new"),
    ("goal", "engineer@example.com", lambda ids: f"/goals/{ids['goal']}"),
    ("one-on-one", "mentor@example.com", lambda ids: f"/one-on-ones/{ids['one_on_one']}"),
    # Peer feedback: asking, answering (Lee's request from Eli is still open), reading.
    ("peer-feedback-request", "engineer@example.com",
     lambda ids: f"/people/{ids['people']['engineer@example.com']}/peer-feedback/request"),
    ("peer-feedback-answer", "lee@example.com", lambda ids: f"/peer-feedback/{ids['peer_requests']['requested']}"),
    ("peer-feedback-read", "manager@example.com", lambda ids: f"/peer-feedback/{ids['peer_requests']['answered']}"),
    ("side-by-side-peer-feedback", "manager@example.com",
     lambda ids: f"/reviews/people/{ids['people']['engineer@example.com']}/side-by-side"),
    # Administration.
    ("admin", "admin@example.com", lambda ids: "/admin/"),
    ("admin-people", "admin@example.com", lambda ids: "/admin/people"),
    ("admin-person", "admin@example.com", lambda ids: f"/admin/people/{ids['people']['engineer@example.com']}"),
    ("admin-cycles", "admin@example.com", lambda ids: "/admin/cycles"),
    ("admin-cycle", "admin@example.com", lambda ids: f"/admin/cycles/{ids['open_cycle']}"),
    ("admin-ladders", "admin@example.com", lambda ids: "/admin/ladders"),
    ("ladder-diff", "admin@example.com", lambda ids: f"/admin/ladders/engineering/{ids['draft']}/diff"),
    ("ladder-edit", "admin@example.com", lambda ids: f"/admin/ladders/engineering/{ids['draft']}/edit"),
    ("audit-log", "admin@example.com", lambda ids: "/admin/audit"),
    ("admin-cycle-edit", "admin@example.com", lambda ids: f"/admin/cycles/{ids['open_cycle']}/edit"),
    ("admin-cycle-new", "admin@example.com", lambda ids: "/admin/cycles/new"),
    # Calibration and release.
    ("calibration", "director@example.com", lambda ids: "/calibration/"),
    ("calibration-adjust", "director@example.com", lambda ids: f"/calibration/verdicts/{ids['open_verdict']}"),
    ("release", "admin@example.com", lambda ids: f"/calibration/cycles/{ids['open_cycle']}/release"),
]


# Pages pictured in the README (docs/screenshots/<name>.png when LADDER_SCREENSHOTS=1).
README_SHOTS = {"self-review", "side-by-side", "person", "team", "promotion-case", "calibration"}
# Charts and sections further down a page get a picture of their own: page name -> (picture name, element).
ELEMENT_SHOTS = {"person": ("readiness-history", "#history"), "team": ("team-heatmap", ".heatmap-section"),
                 "side-by-side-peer-feedback": ("peer-feedback", "#peer-feedback")}


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
