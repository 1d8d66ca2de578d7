"""Peer feedback pages: asking colleagues (limits, double submits), answering (draft, submit,
read-only), declining, and who reads what before and after the manager review is shared."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.extensions import db
from ladder.models import AuditEntry, PeerFeedbackRequest

from ..factories import make_peer_request, make_review, make_user

pytestmark = pytest.mark.dates

SECRET = "Design reviews are SECRETLY-GOOD"


def request_path(org) -> str:
    return f"/people/{org.engineer.id}/peer-feedback/request"


def token_of(page: str) -> str:
    return re.search(r'name="creation_token" type="hidden" value="([^"]+)"', page).group(1)


def ask(client, org, *, peers, competencies=("system-design",), due_in_days=10, token=None):
    data = {"peers": [str(p.id) for p in peers], "competencies": list(competencies),
            "due_on": (clock.today() + timedelta(days=due_in_days)).isoformat()}
    if token:
        data["creation_token"] = token
    return client.post_form(request_path(org), data)


def requests_about(person) -> list[PeerFeedbackRequest]:
    return list(db.session.scalars(select(PeerFeedbackRequest).where(PeerFeedbackRequest.subject_id == person.id)
                                   .order_by(PeerFeedbackRequest.id)))


def test_the_engineer_asks_two_colleagues_and_a_double_submit_makes_one_set(client, org):
    client.login(org.engineer.email)
    token = token_of(client.get(request_path(org)).get_data(as_text=True))
    first = ask(client, org, peers=[org.peer, org.outsider], competencies=["system-design", "testing-strategy"],
                token=token)
    assert first.status_code == 302 and first.headers["Location"].endswith("#peer-feedback")
    again = ask(client, org, peers=[org.peer, org.outsider], competencies=["system-design", "testing-strategy"],
                token=token)
    assert again.status_code == 302
    made = requests_about(org.engineer)
    assert [(r.peer_id, r.requester_id, r.status) for r in made] == [
        (org.peer.id, org.engineer.id, "requested"), (org.outsider.id, org.engineer.id, "requested")]
    assert made[0].competencies == ["system-design", "testing-strategy"]
    profile = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "Peer feedback" in profile and "Waiting for an answer" in profile


def test_a_manager_above_asks_too_but_a_mentor_or_colleague_cannot(client, org):
    client.login(org.director.email)
    assert ask(client, org, peers=[org.peer]).status_code == 302
    assert requests_about(org.engineer)[0].requester_id == org.director.id
    client.logout()
    client.login(org.mentor.email)
    assert client.get(request_path(org)).status_code == 404


@pytest.mark.parametrize("peers, competencies, due_in_days, message", [
    (lambda org: [org.engineer, org.peer], ["system-design"], 10, "leave out the person it is about"),
    (lambda org: [org.peer], ["people-management"], 10, "apply to this person"),
    (lambda org: [org.peer], [], 10, "Choose at least one competency"),
    (lambda org: [org.peer], ["system-design"], 0, "must be in the future"),
    (lambda org: [org.peer], ["system-design"], -3, "must be in the future"),
    (lambda org: [], ["system-design"], 10, "Choose at least one colleague"),
])
def test_a_refused_request_says_why_keeps_what_was_typed_and_makes_nothing(client, org, peers, competencies,
                                                                            due_in_days, message):
    client.login(org.engineer.email)
    response = ask(client, org, peers=peers(org), competencies=competencies, due_in_days=due_in_days)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    for competency in competencies:
        assert f'value="{competency}" checked' in page or competency == "people-management"
    assert requests_about(org.engineer) == []


def test_at_most_five_colleagues_and_a_decline_frees_a_place(client, org):
    others = [make_user(f"colleague{i}@example.com", manager=org.manager) for i in range(5)]
    db.session.commit()
    client.login(org.engineer.email)
    response = ask(client, org, peers=[org.peer, *others])
    assert response.status_code == 422 and "Ask at most 5 colleagues" in response.get_data(as_text=True)
    assert ask(client, org, peers=others).status_code == 302
    response = ask(client, org, peers=[org.peer])
    assert response.status_code == 422 and "0 more can be asked" in response.get_data(as_text=True)
    declined = requests_about(org.engineer)[0]
    declined.status, declined.declined_at = "declined", clock.now()
    db.session.commit()
    assert ask(client, org, peers=[org.peer]).status_code == 302
    assert len(requests_about(org.engineer)) == 6


def answer_form(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def lock_of(page: str) -> str:
    return re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)


def test_the_peer_saves_a_draft_submits_and_then_it_is_read_only(client, org):
    request = make_peer_request(org.cycle, org.engineer, org.peer, competencies=("system-design", "testing-strategy"))
    db.session.commit()
    path = f"/peer-feedback/{request.id}"
    client.login(org.peer.email)
    home = client.get("/").get_data(as_text=True)
    assert "Feedback on Engineer is due" in home and f'href="{path}"' in home  # in the to-do list
    page = answer_form(client, path)
    draft = client.post_form(path, {"lock_version": lock_of(page), "action": "save",
                                    "answer-system-design": SECRET, "rating-system-design": "staff"})
    assert draft.status_code == 302
    db.session.refresh(request)
    assert request.status == "requested" and request.answers["system-design"] == {"text": SECRET, "rating": "staff"}
    page = answer_form(client, path)
    assert SECRET in page  # the draft is back in the form
    refused = client.post_form(path, {"lock_version": lock_of(page), "action": "submit",
                                      "answer-system-design": SECRET})
    assert refused.status_code == 422
    assert "Write your feedback on this competency before submitting" in refused.get_data(as_text=True)
    assert SECRET in refused.get_data(as_text=True)
    submitted = client.post_form(path, {"lock_version": lock_of(page), "action": "submit",
                                        "answer-system-design": SECRET, "answer-testing-strategy": "Solid tests."})
    assert submitted.status_code == 302
    db.session.refresh(request)
    assert request.status == "answered" and request.answered_at is not None
    page = answer_form(client, path)
    assert "Submit feedback" not in page and "Solid tests." in page
    late = client.post(path, data={"csrf_token": client.token(path), "lock_version": str(request.lock_version),
                                   "action": "save", "answer-system-design": "changed"})
    assert late.status_code == 302
    db.session.refresh(request)
    assert request.answers["system-design"]["text"] == SECRET
    assert "Feedback on Engineer" not in client.get("/").get_data(as_text=True)


def test_a_save_from_a_stale_tab_is_refused_with_the_typing_kept(client, org):
    request = make_peer_request(org.cycle, org.engineer, org.peer)
    db.session.commit()
    path = f"/peer-feedback/{request.id}"
    client.login(org.peer.email)
    lock = lock_of(answer_form(client, path))
    assert client.post_form(path, {"lock_version": lock, "answer-system-design": "First tab."}).status_code == 302
    stale = client.post_form(path, {"lock_version": lock, "answer-system-design": "Second tab."})
    assert stale.status_code == 409 and "Second tab." in stale.get_data(as_text=True)
    db.session.refresh(request)
    assert request.answers["system-design"]["text"] == "First tab."


def test_a_peer_declines_with_a_reason_the_requester_sees_it(client, org):
    request = make_peer_request(org.cycle, org.engineer, org.peer)
    db.session.commit()
    client.login(org.peer.email)
    page = answer_form(client, f"/peer-feedback/{request.id}")
    response = client.post_form(f"/peer-feedback/{request.id}/decline",
                                {"lock_version": lock_of(page), "reason": "I have not worked with Eli this half."},
                                token_from=f"/peer-feedback/{request.id}")
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.status == "declined" and request.declined_at is not None
    client.logout()
    client.login(org.engineer.email)
    profile = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "Declined" in profile and "I have not worked with Eli this half." in profile


@pytest.fixture
def answered(org):
    request = make_peer_request(org.cycle, org.engineer, org.peer, status="answered",
                                answers={"system-design": {"text": SECRET, "rating": "staff"}})
    db.session.commit()
    return request


def readers(client, org, path: str) -> set[str]:
    seen = set()
    for role in ("engineer", "peer", "manager", "director", "other_manager", "outsider", "mentor", "admin"):
        client.login(getattr(org, role).email)
        response = client.get(path.format(engineer=org.engineer.id))
        if response.status_code == 200 and SECRET in response.get_data(as_text=True):
            seen.add(role)
        client.logout()
    return seen


@pytest.mark.parametrize("path", ["/people/{engineer}", "/reviews/people/{engineer}/side-by-side"])
def test_before_the_manager_review_is_shared_only_the_chain_reads_the_answers(client, org, answered, path):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted")
    db.session.commit()
    assert readers(client, org, path) == {"manager", "director"}
    client.login(org.engineer.email)
    page = client.get(path.format(engineer=org.engineer.id)).get_data(as_text=True)
    assert "once your manager's review is shared" in page


@pytest.mark.parametrize("path", ["/people/{engineer}", "/reviews/people/{engineer}/side-by-side"])
def test_once_the_manager_review_is_shared_the_engineer_reads_them_too(client, org, answered, path):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared")
    db.session.commit()
    assert readers(client, org, path) == {"engineer", "manager", "director"}


def test_the_request_page_is_the_peers_and_the_chains_only(client, org, answered):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared")
    db.session.commit()
    assert readers(client, org, f"/peer-feedback/{answered.id}") == {"peer", "manager", "director"}


def test_an_anonymous_cycle_hides_names_from_the_engineer_not_from_the_manager(client, org, answered):
    org.peer.name = "Pat Colleague"
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared")
    make_peer_request(org.cycle, org.engineer, org.outsider)
    org.cycle.peer_feedback_anonymous = True
    db.session.commit()
    client.login(org.engineer.email)
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert SECRET in page and "A colleague" in page
    assert org.peer.name not in page.split("<blockquote")[1]  # the answer is not signed
    assert "Answered" not in page and "Waiting for an answer" not in page  # nor is who answered shown
    client.logout()
    client.login(org.manager.email)
    page = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert SECRET in page and org.peer.name in page


def test_names_are_shown_by_default(client, org, answered):
    org.peer.name = "Pat Colleague"
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared")
    db.session.commit()
    client.login(org.engineer.email)
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert org.peer.name in page and "A colleague" not in page


def test_an_admin_sets_the_anonymity_of_a_cycle(client, org):
    client.login(org.admin.email)
    path = f"/admin/cycles/{org.cycle.id}/edit"
    data = {"name": org.cycle.name, "framework_version_id": str(org.cycle.ladder_version_id),
            "opens_on": org.cycle.opens_on.isoformat(), "self_review_due": org.cycle.self_review_due.isoformat(),
            "manager_review_due": org.cycle.manager_review_due.isoformat(),
            "closes_on": org.cycle.closes_on.isoformat(), "peer_feedback_anonymous": "y"}
    assert client.post_form(path, data).status_code == 302
    db.session.refresh(org.cycle)
    assert org.cycle.peer_feedback_anonymous


def test_answers_and_decline_reasons_are_never_in_the_audit_log(client, org):
    request = make_peer_request(org.cycle, org.engineer, org.peer, competencies=("system-design",))
    other = make_peer_request(org.cycle, org.engineer, org.outsider)
    db.session.commit()
    client.login(org.peer.email)
    path = f"/peer-feedback/{request.id}"
    client.post_form(path, {"lock_version": lock_of(answer_form(client, path)), "action": "submit",
                            "answer-system-design": SECRET})
    client.logout()
    client.login(org.outsider.email)
    other_path = f"/peer-feedback/{other.id}"
    client.post_form(f"{other_path}/decline", {"lock_version": lock_of(answer_form(client, other_path)),
                                               "reason": "SECRET-REASON"}, token_from=other_path)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "peer_feedback_request")).all()
    assert {e.action for e in entries} >= {"peer_feedback_request.update"}
    logged = str([e.changes for e in entries])
    assert "SECRETLY" not in logged and "SECRET-REASON" not in logged and "answers" in logged
    assert db.session.scalar(select(func.count()).select_from(PeerFeedbackRequest)
                             .where(PeerFeedbackRequest.status != "requested")) == 2


def test_the_demo_shows_peer_feedback_asked_answered_and_pending(app, client):
    from ladder.services.demo import DEMO_PASSWORD, build_demo_org

    build_demo_org(clock.today())
    db.session.commit()
    client.login("engineer@example.com", DEMO_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "Feedback on Priya Patel is due" in home
    client.logout()
    client.login("manager@example.com", DEMO_PASSWORD)
    eli = db.session.scalar(select(PeerFeedbackRequest.subject_id).where(PeerFeedbackRequest.status == "answered"))
    page = client.get(f"/reviews/people/{eli}/side-by-side").get_data(as_text=True)
    assert "named the trade-offs up front" in page and "Priya Patel" in page and "Waiting for an answer" in page
