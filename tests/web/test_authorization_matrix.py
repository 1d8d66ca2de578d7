"""Every route and method, for every role, against an explicit expected table.

The table is the visibility rules of the README written out: L = sent to sign in, N = 404 (the
record's existence is not revealed), O = allowed (any non-404 answer, never a 5xx). A route
that is not in the table fails the test, so a new route cannot ship without a decision.
"""
from datetime import timedelta

import pytest

from ladder import clock, create_app
from ladder.extensions import db
from ladder.models import Verdict

from ..factories import make_goal, make_mentorship, make_note, make_one_on_one, make_peer_request, make_review, rate_all

pytestmark = pytest.mark.dates

ROLES = ("anonymous", "engineer", "peer", "mentor", "other_manager", "manager", "skip_manager", "admin")
EMAILS = {"engineer": "engineer@example.com", "peer": "peer@example.com", "mentor": "mentor@example.com",
          "other_manager": "other.manager@example.com", "manager": "manager@example.com",
          "skip_manager": "director@example.com", "admin": "admin@example.com"}

ADMIN = "LNNNNNNO"
SIGNED_IN = "LOOOOOOO"
EVERYONE = "OOOOOOOO"
GROWTH = "LONONOON"  # the engineer, their managers and their mentor
READINESS = "LONNNOON"  # the engineer and their managers; never mentors or admins
AUTHOR_MENTOR = "LNNONNNN"  # only the mentor who wrote it
CALIBRATORS = "LNNNOOOO"  # anyone with reports (their tree) and admins (everyone)

# endpoint: (url template, {method: expected}) -- templates use the records built below
EXPECTED = {
    "static": ("/static/app.css", {"GET": EVERYONE}),
    "main.healthz": ("/healthz", {"GET": EVERYONE}),
    "main.home": ("/", {"GET": SIGNED_IN}),
    "auth.login": ("/auth/login", {"GET": EVERYONE, "POST": EVERYONE}),
    "auth.logout": ("/auth/logout", {"POST": SIGNED_IN}),
    "auth.logout_everywhere": ("/auth/logout-everywhere", {"POST": SIGNED_IN}),
    "auth.change_password": ("/auth/password", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    # single sign-on is not configured here, so its routes do not exist for anyone (tests/web/test_oidc.py)
    "oidc.start": ("/auth/oidc/start", {"POST": "NNNNNNNN"}),
    "oidc.callback": ("/auth/oidc/callback", {"GET": "NNNNNNNN"}),
    "auth.forgot_password": ("/auth/forgot-password", {"GET": EVERYONE, "POST": EVERYONE}),
    "auth.set_password": ("/auth/set-password/not-a-real-token", {"GET": EVERYONE, "POST": EVERYONE}),
    "account.notification_settings": ("/account/notifications", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "notifications.index": ("/notifications/", {"GET": SIGNED_IN}),
    "notifications.mark_read": ("/notifications/{notification}/read", {"POST": "LONNNNNN"}),
    "notifications.mark_all_read": ("/notifications/read", {"POST": SIGNED_IN}),
    "auth.end_device_session": ("/auth/sessions/{engineer_phone}/end", {"POST": "LONNNNNN"}),  # one's own only
    "account.history": ("/account/history", {"GET": SIGNED_IN}),
    "ladders.matrix": ("/ladder/", {"GET": SIGNED_IN}),
    "ladders.compare": ("/ladder/compare", {"GET": SIGNED_IN}),
    # PUBLIC_LADDERS is off by default: the public pages do not exist (on: everyone, tested below)
    "public_ladders.index": ("/ladders/public/", {"GET": "NNNNNNNN"}),
    "public_ladders.matrix": ("/ladders/public/engineering", {"GET": "NNNNNNNN"}),
    "public_ladders.compare": ("/ladders/public/engineering/compare", {"GET": "NNNNNNNN"}),
    "reviews.my_self_review": ("/reviews/self", {"GET": SIGNED_IN, "POST": SIGNED_IN}),
    "reviews.show": ("/reviews/{self_review}", {"GET": READINESS}),
    "reviews.side_by_side": ("/reviews/people/{engineer}/side-by-side", {"GET": READINESS}),
    "reviews.manager_review": ("/reviews/people/{engineer}/manager", {"GET": "LNNNNONN", "POST": "LNNNNONN"}),
    "reviews.autosave": ("/reviews/{self_review}/autosave", {"POST": "LNNNNNNN"}),  # submitted: nobody edits
    "reviews.autosave_self": ("/reviews/self/autosave", {"POST": SIGNED_IN}),
    "reviews.autosave_manager": ("/reviews/people/{engineer}/manager/autosave", {"POST": "LNNNNONN"}),
    "reviews.share": ("/reviews/{manager_review}/share", {"POST": "LNNNNONN"}),
    "reviews.acknowledge": ("/reviews/{manager_review}/acknowledge", {"POST": "LONNNNNN"}),
    "people.profile": ("/people/{engineer}", {"GET": "LONONOOO"}),
    "people.add_verdict": ("/people/{engineer}/verdicts", {"POST": "LNNNNOON"}),
    "people.promotion_case": ("/people/{engineer}/case/staff", {"GET": READINESS}),
    "team.team": ("/team/", {"GET": "LNNNOOON"}),
    "team.org_report": ("/reports/readiness", {"GET": "LNNNOOOO"}),
    "team.org_report_csv": ("/reports/readiness.csv", {"GET": "LNNNOOOO"}),
    "mentorship.growth": ("/people/{engineer}/growth", {"GET": GROWTH}),
    "mentorship.timeline": ("/people/{engineer}/timeline", {"GET": GROWTH}),
    "mentorship.mentorships": ("/people/{engineer}/mentorships", {"GET": "LONONOOO", "POST": "LNNNNOOO"}),
    "mentorship.end_mentorship": ("/mentorships/{mentorship}/end", {"POST": "LONONOOO"}),
    "mentorship.new_note": ("/people/{engineer}/notes/new", {"GET": "LNNONOON", "POST": "LNNONOON"}),
    "mentorship.note": ("/notes/{private_mentor_note}", {"GET": AUTHOR_MENTOR}),
    "mentorship.edit_note": ("/notes/{private_mentor_note}/edit", {"GET": AUTHOR_MENTOR, "POST": AUTHOR_MENTOR}),
    "mentorship.new_one_on_one": ("/people/{engineer}/one-on-ones/new", {"GET": "LNNONOON", "POST": "LNNONOON"}),
    "mentorship.one_on_one": ("/one-on-ones/{shared_one_on_one}", {"GET": GROWTH}),
    "mentorship.edit_one_on_one": ("/one-on-ones/{shared_one_on_one}/edit",
                                   {"GET": AUTHOR_MENTOR, "POST": AUTHOR_MENTOR}),
    "mentorship.add_action_item": ("/one-on-ones/{shared_one_on_one}/action-items", {"POST": AUTHOR_MENTOR}),
    "mentorship.toggle_action_item": ("/action-items/{action_item}/done", {"POST": GROWTH}),
    "mentorship.action_item_to_goal": ("/action-items/{action_item}/goal", {"POST": GROWTH}),
    "mentorship.new_goal": ("/people/{engineer}/goals/new", {"GET": GROWTH, "POST": GROWTH}),
    "mentorship.goal": ("/goals/{goal}", {"GET": GROWTH}),
    "mentorship.post_goal_update": ("/goals/{goal}/updates", {"POST": GROWTH}),
    "mentorship.edit_goal": ("/goals/{goal}/edit", {"GET": GROWTH, "POST": GROWTH}),
    "calibration.calibration": ("/calibration/", {"GET": CALIBRATORS}),
    "calibration.adjust_verdict": ("/calibration/verdicts/{verdict}", {"GET": "LNNNNOOO", "POST": "LNNNNOOO"}),
    "calibration.release": ("/calibration/cycles/{cycle}/release", {"GET": CALIBRATORS, "POST": CALIBRATORS}),
    "peer_feedback.request_feedback": ("/people/{engineer}/peer-feedback/request",
                                       {"GET": READINESS, "POST": READINESS}),
    # the peer asked and the engineer's chain open a request; the engineer reads answers on their own pages
    "peer_feedback.show": ("/peer-feedback/{peer_request}", {"GET": "LNONNOON", "POST": "LNONNNNN"}),
    "peer_feedback.decline": ("/peer-feedback/{peer_request}/decline", {"POST": "LNONNNNN"}),
    "admin.index": ("/admin/", {"GET": ADMIN}),
    "admin.people": ("/admin/people", {"GET": ADMIN}),
    "admin.new_person": ("/admin/people/new", {"GET": ADMIN, "POST": ADMIN}),
    "admin.edit_person": ("/admin/people/{engineer}", {"GET": ADMIN, "POST": ADMIN}),
    "admin.set_active": ("/admin/people/{outsider}/active", {"POST": ADMIN}),
    "admin.one_time_password": ("/admin/people/{outsider}/password", {"POST": ADMIN}),
    "admin.invite_person": ("/admin/people/{outsider}/invite", {"POST": ADMIN}),
    "admin.invite_everyone": ("/admin/people/invite", {"POST": ADMIN}),
    "admin.outbox": ("/admin/outbox", {"GET": ADMIN}),
    "admin.import_people": ("/admin/people/import", {"GET": ADMIN, "POST": ADMIN}),
    "admin.apply_import": ("/admin/people/import/apply", {"POST": ADMIN}),
    "admin.cycles": ("/admin/cycles", {"GET": ADMIN}),
    "admin.new_cycle": ("/admin/cycles/new", {"GET": ADMIN, "POST": ADMIN}),
    "admin.cycle": ("/admin/cycles/{cycle}", {"GET": ADMIN}),
    "admin.edit_cycle": ("/admin/cycles/{cycle}/edit", {"GET": ADMIN, "POST": ADMIN}),
    "admin.open_cycle": ("/admin/cycles/{cycle}/open", {"POST": ADMIN}),
    "admin.close_cycle": ("/admin/cycles/{cycle}/close", {"POST": ADMIN}),
    "admin.start_missing": ("/admin/cycles/{cycle}/start-missing", {"POST": ADMIN}),
    "admin.reopen_review": ("/admin/reviews/{self_review}/reopen", {"GET": ADMIN, "POST": ADMIN}),
    "admin.audit_log": ("/admin/audit", {"GET": ADMIN}),
    "admin.ladders": ("/admin/ladders", {"GET": ADMIN}),
    "admin.upload_ladder": ("/admin/ladders/upload", {"POST": ADMIN}),
    "admin.upload_ladder_spreadsheet": ("/admin/ladders/upload-spreadsheet", {"POST": ADMIN}),
    "admin.ladder_spreadsheet": ("/admin/ladders/engineering/1.csv", {"GET": ADMIN}),
    "admin.create_draft": ("/admin/ladders/engineering/draft", {"POST": ADMIN}),
    "admin.ladder_version": ("/admin/ladders/engineering/1", {"GET": ADMIN}),
    "admin.ladder_yaml": ("/admin/ladders/engineering/1.yaml", {"GET": ADMIN}),
    "admin.ladder_diff": ("/admin/ladders/engineering/1/diff", {"GET": ADMIN}),
    "admin.edit_ladder": ("/admin/ladders/engineering/1/edit", {"GET": ADMIN, "POST": ADMIN}),
    "admin.publish_ladder": ("/admin/ladders/engineering/1/publish", {"POST": ADMIN}),
    "admin.delete_ladder_draft": ("/admin/ladders/engineering/1/delete", {"POST": ADMIN}),
}
# State-changing routes run last, in this order, so earlier checks see the fixture unchanged.
LAST = ["peer_feedback.decline", "mentorship.toggle_action_item", "mentorship.action_item_to_goal",
        "reviews.acknowledge",
        "mentorship.end_mentorship", "admin.start_missing", "admin.close_cycle", "admin.open_cycle",
        "admin.create_draft", "admin.publish_ladder", "admin.delete_ladder_draft", "auth.end_device_session",
        "auth.logout",
        "auth.logout_everywhere", "admin.one_time_password", "admin.set_active"]
CASES = sorted(((endpoint, method) for endpoint, (_, methods) in EXPECTED.items() for method in methods),
               key=lambda case: (LAST.index(case[0]) if case[0] in LAST else -1, case))
ENDS_SESSION = {"auth.logout", "auth.logout_everywhere"}


def test_every_route_and_method_is_in_the_table(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes - set(CASES) == set(), "routes without an access decision"
    assert set(CASES) - routes == set(), "table rows for routes that no longer exist"


@pytest.fixture
def records(org, ladder):
    """One of every record kind, all about the engineer."""
    self_review = make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    manager_review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                                 entries=rate_all(ladder, 2), loaded=ladder)
    mentorship = make_mentorship(org.mentor, org.engineer)
    note = make_note(org.mentor, org.engineer, "Private mentor note.", role="mentor", visibility="private")
    one_on_one = make_one_on_one(org.mentor, org.engineer, "We talked.", role="mentor", visibility="shared",
                                 items=["Write the design doc"])
    goal = make_goal(org.engineer, "Lead an incident review", due_on=clock.today() + timedelta(days=30))
    verdict = Verdict(subject_id=org.engineer.id, author_id=org.manager.id, cycle_id=org.cycle.id,
                      target_level_key="staff", verdict="ready_now", rationale="Ready.")
    db.session.add(verdict)
    peer_request = make_peer_request(org.cycle, org.engineer, org.peer)
    db.session.commit()
    from ladder.models import ActionItem, Notification, UserSession
    item = db.session.query(ActionItem).filter_by(one_on_one_id=one_on_one.id).one()
    notification = Notification(recipient_id=org.engineer.id, kind="review_shared", record_type="review",
                                record_id=manager_review.id, subject_id=org.engineer.id, message="Shared.",
                                dedupe_key="review_shared")
    phone = UserSession(user_id=org.engineer.id, token_hash="0" * 64, device="Safari on iPhone",
                        expires_at=clock.now() + timedelta(days=1))
    db.session.add_all([notification, phone])
    db.session.commit()
    return {"engineer": org.engineer.id, "outsider": org.outsider.id, "self_review": self_review.id,
            "manager_review": manager_review.id,
            "mentorship": mentorship.id, "private_mentor_note": note.id, "shared_one_on_one": one_on_one.id,
            "action_item": item.id, "goal": goal.id, "cycle": org.cycle.id,
            "notification": notification.id, "engineer_phone": phone.id,
            "verdict": verdict.id, "peer_request": peer_request.id}


def outcome(response, role: str) -> str:
    assert response.status_code < 500, response.status_code
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/auth/login") and role == "anonymous":
        return "L"
    return "N" if response.status_code == 404 else "O"


@pytest.mark.slow  # every route for every role: about 1,800 requests
def test_access_matrix(app, records):
    """One signed-in client per role, every route and method in turn; all mismatches reported."""
    from ..conftest import CsrfClient

    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "10000 per minute"
    clients = {role: CsrfClient(app.test_client()) for role in ROLES}
    signed_in: set[str] = set()
    mismatches = []
    for endpoint, method in CASES:
        template, methods = EXPECTED[endpoint]
        url = template.format(**records)
        seen = ""
        for role in ROLES:
            client = clients[role]
            if role != "anonymous" and role not in signed_in:
                assert client.login(EMAILS[role]).status_code == 302, role
                signed_in.add(role)
            token = client.token("/auth/login" if role == "anonymous" else "/auth/password")
            response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            seen += outcome(response, role)
            response.close()
            if endpoint in ENDS_SESSION:
                signed_in.discard(role)
        if seen != methods[method]:
            mismatches.append(f"{method} {url} ({endpoint}): expected {methods[method]}, got {seen}")
    assert mismatches == [], "roles: " + ", ".join(ROLES) + "\n" + "\n".join(mismatches)


def test_public_ladder_pages_are_open_to_everyone_when_turned_on(app, org, ladder):
    from ..conftest import CsrfClient

    app.config.update(PUBLIC_LADDERS="on", LOGIN_LIMIT_PER_ADDRESS="10000 per minute")
    public = {endpoint: url for endpoint, (url, _) in EXPECTED.items() if endpoint.startswith("public_ladders.")}
    seen = {endpoint: "" for endpoint in public}
    for role in ROLES:
        client = CsrfClient(app.test_client())
        if role != "anonymous":
            assert client.login(EMAILS[role]).status_code == 302, role
        for endpoint, url in public.items():
            seen[endpoint] += outcome(client.get(url), role)
    assert seen == dict.fromkeys(public, EVERYONE)
