"""A cycle that holds results: the engineer sees nothing of the manager review and the cycle's
verdicts anywhere until an admin (everyone) or a manager (their tree) releases them."""
import pytest
from sqlalchemy import select

from ladder import clock
from ladder.domain import permissions
from ladder.domain.permissions import Relation
from ladder.extensions import db
from ladder.models import AuditEntry, Notification, ReleasedSubject, ResultRelease, Review, Verdict
from ladder.services import audit
from ladder.services import cycles as cycle_service

from ..factories import make_review, rate_all

pytestmark = pytest.mark.dates

MANAGER_EVIDENCE = "Ran the ledger migration without an incident."
RATIONALE = "Calibrated: clearly operating at Staff."


@pytest.fixture
def held(org, ladder):
    """The engineer's self-review submitted (rated at Senior), the manager review shared (rated
    at Staff) and a verdict, in a cycle that holds results."""
    org.cycle.hold_results = True
    make_review(org.cycle, org.engineer, status="submitted",
                entries=rate_all(ladder, 2, "Self evidence."), loaded=ladder)
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                         entries=rate_all(ladder, 3, MANAGER_EVIDENCE), loaded=ladder)
    review.submitted_at = review.shared_at = clock.now()
    verdict = Verdict(subject_id=org.engineer.id, author_id=org.manager.id, cycle_id=org.cycle.id,
                      target_level_key="staff", verdict="ready_now", rationale=RATIONALE)
    db.session.add(verdict)
    db.session.flush()
    audit.record(org.manager.id, "review.share", "review", review.id, org.engineer.id,
                 {"status": ["submitted", "shared"]})
    audit.record(org.manager.id, "verdict.create", "verdict", verdict.id, org.engineer.id, {"verdict": "ready_now"})
    db.session.commit()
    return review


def engineer_pages(client, org, review) -> dict[str, tuple[int, str]]:
    """Every page where the engineer could read the manager review or the verdict."""
    paths = {"review": f"/reviews/{review.id}", "person": f"/people/{org.engineer.id}",
             "side by side": f"/reviews/people/{org.engineer.id}/side-by-side",
             "timeline": f"/people/{org.engineer.id}/timeline", "history": "/account/history", "home": "/",
             "case": f"/people/{org.engineer.id}/case/staff"}
    out = {}
    for name, path in paths.items():
        response = client.get(path)
        out[name] = (response.status_code, response.get_data(as_text=True))
    return out


def test_permission_rules_hold_results_only_from_the_engineer():
    me, boss = Relation(is_self=True), Relation(is_manager=True, is_direct_manager=True)
    assert not permissions.can_view_manager_review(me, "shared", held=True)
    assert permissions.can_view_manager_review(me, "shared", held=False)
    assert permissions.can_view_manager_review(boss, "shared", held=True)
    assert not permissions.can_view_verdict(me, held=True) and permissions.can_view_verdict(boss, held=True)
    logged = permissions.can_read_logged_record
    assert not logged("verdict", me, permissions.LoggedRecord(held=True))
    assert logged("verdict", me, permissions.LoggedRecord(held=False))
    assert not logged("review", me, permissions.LoggedRecord(kind="manager", status="shared", held=True))
    assert logged("review", boss, permissions.LoggedRecord(kind="manager", status="shared", held=True))
    assert logged("review", me, permissions.LoggedRecord(kind="self", status="submitted"))


def test_engineer_sees_held_results_nowhere_until_released_then_everywhere(client, org, ladder, held):
    client.login("engineer@example.com")
    before = engineer_pages(client, org, held)
    assert before["review"][0] == 404
    for name, (_status, page) in before.items():
        assert MANAGER_EVIDENCE not in page and RATIONALE not in page, name
    assert "the self-review" in before["person"][1]  # readiness falls back as if not shared
    assert "Ready now" not in before["person"][1]
    assert "Manager review shared" not in before["timeline"][1]
    assert "Read your manager's review" not in before["home"][1]
    client.logout()

    client.login("director@example.com")
    page = client.get(f"/calibration/cycles/{org.cycle.id}/release").get_data(as_text=True)
    assert "Releasing shows <strong>6 people</strong>" in page  # the director's tree
    response = client.post_form(f"/calibration/cycles/{org.cycle.id}/release", {"confirm": "y"},
                                token_from=f"/calibration/cycles/{org.cycle.id}/release")
    assert response.status_code == 302
    client.logout()

    client.login("engineer@example.com")
    after = engineer_pages(client, org, held)
    assert after["review"][0] == 200 and MANAGER_EVIDENCE in after["review"][1]
    assert "the manager review shared in 2026 H2" in after["person"][1] and RATIONALE in after["person"][1]
    assert MANAGER_EVIDENCE in after["side by side"][1]
    assert "Manager review shared" in after["timeline"][1] and RATIONALE in after["timeline"][1]
    assert "verdict" in after["history"][1].lower()
    assert "Read your manager's review" in after["home"][1]


def test_managers_see_held_results_and_the_engineers_own_csv_row_waits(client, org, ladder, held):
    client.login("manager@example.com")
    assert MANAGER_EVIDENCE in client.get(f"/reviews/{held.id}").get_data(as_text=True)
    csv = client.get("/reports/readiness.csv").get_data(as_text=True)
    row = next(line for line in csv.splitlines() if line.startswith("\"Engineer\","))
    assert ',"manager",' in row and ',"ready_now"' in row  # the chain reads the manager review and verdict
    client.logout()
    org.engineer.is_admin = True  # an engineer who is an admin sees their own row in the report
    db.session.commit()
    client.login("engineer@example.com")
    csv = client.get("/reports/readiness.csv").get_data(as_text=True)
    row = next(line for line in csv.splitlines() if line.startswith("\"Engineer\","))
    assert ',"self",' in row and "ready_now" not in row


def test_release_needs_the_confirmation_and_is_recorded_and_irreversible(client, org, ladder, held):
    client.login("admin@example.com")
    path = f"/calibration/cycles/{org.cycle.id}/release"
    refused = client.post_form(path, {}, token_from=path)
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ResultRelease)) is None
    assert client.post_form(path, {"confirm": "y"}, token_from=path).status_code == 302
    release = db.session.scalar(select(ResultRelease))
    assert release.manager_id is None and release.released_by_id == org.admin.id and release.people_count == 1
    db.session.refresh(org.cycle)
    assert org.cycle.released_at is not None and not org.cycle.is_held
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cycle.release")) is not None
    again = client.post_form(path, {"confirm": "y"}, token_from=path)
    assert again.status_code == 200
    assert db.session.scalar(select(ResultRelease.id).where(ResultRelease.id != release.id)) is None
    edit = client.post_form(f"/admin/cycles/{org.cycle.id}/edit", {
        "name": org.cycle.name, "framework_version_id": org.cycle.ladder_version_id,
        "opens_on": org.cycle.opens_on.isoformat(), "self_review_due": org.cycle.self_review_due.isoformat(),
        "manager_review_due": org.cycle.manager_review_due.isoformat(), "closes_on": org.cycle.closes_on.isoformat()})
    assert edit.status_code == 422 and "holding them again is not possible" in edit.get_data(as_text=True)


def test_a_team_release_covers_only_that_managers_tree(app, org, ladder, held):
    make_review(org.cycle, org.outsider, kind="manager", author=org.other_manager, status="shared",
                entries=rate_all(ladder, 2), loaded=ladder)
    released = []
    original = cycle_service.results_released
    cycle_service.results_released = lambda cycle, ids: released.append(ids)
    try:
        cycle_service.release_results(org.cycle, actor=org.manager, manager=org.manager)
    finally:
        cycle_service.results_released = original
    db.session.commit()
    assert released == [sorted([org.engineer.id, org.peer.id])]  # the hook hears who can now read theirs
    assert cycle_service.held_cycle_ids(org.engineer.id) == set()
    assert cycle_service.held_cycle_ids(org.outsider.id) == {org.cycle.id}
    assert set(db.session.scalars(select(ReleasedSubject.subject_id))) == {org.engineer.id, org.peer.id}
    with pytest.raises(cycle_service.CycleError):
        cycle_service.release_results(org.cycle, actor=org.manager, manager=org.manager)


def test_without_the_setting_shared_results_show_at_once(client, org, ladder):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                         entries=rate_all(ladder, 3, MANAGER_EVIDENCE), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    assert MANAGER_EVIDENCE in client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert client.get(f"/calibration/cycles/{org.cycle.id}/release").status_code == 404


def test_admin_sets_hold_results_in_the_cycle_form(client, org):
    client.login("admin@example.com")
    path = f"/admin/cycles/{org.cycle.id}/edit"
    response = client.post_form(path, {
        "name": org.cycle.name, "framework_version_id": org.cycle.ladder_version_id,
        "opens_on": org.cycle.opens_on.isoformat(), "self_review_due": org.cycle.self_review_due.isoformat(),
        "manager_review_due": org.cycle.manager_review_due.isoformat(), "closes_on": org.cycle.closes_on.isoformat(),
        "hold_results": "y"})
    assert response.status_code == 302
    db.session.refresh(org.cycle)
    assert org.cycle.hold_results
    assert "Results are held until released" in client.get(f"/admin/cycles/{org.cycle.id}").get_data(as_text=True)


def test_verdict_menu_defaults_to_no_choice_and_an_empty_choice_is_refused(client, org):
    client.login("manager@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert '<option selected value="">Choose a verdict</option>' in page
    response = client.post_form(f"/people/{org.engineer.id}/verdicts",
                                {"target": "staff", "verdict": "", "rationale": "Led the redesign."},
                                token_from=f"/people/{org.engineer.id}")
    assert response.status_code == 422 and "Choose a verdict." in response.get_data(as_text=True)
    assert db.session.scalar(select(Verdict)) is None


def test_sharing_in_a_held_cycle_tells_the_manager_when_the_engineer_will_read_it(client, org, ladder):
    org.cycle.hold_results = True
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "will read this review once results are released" in page
    client.post_form(f"/reviews/{review.id}/share", {"confirm": "y"}, token_from=f"/reviews/{review.id}")
    assert "once the cycle&#39;s results are released" in client.get(f"/reviews/{review.id}").get_data(as_text=True)


def test_the_engineer_is_told_at_release_not_at_sharing(client, org, ladder):
    """In a held cycle sharing tells the engineer nothing (they could not open the link); the
    release does, once, with a link to the review."""
    org.cycle.hold_results = True
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    client.post_form(f"/reviews/{review.id}/share", {"confirm": "y"}, token_from=f"/reviews/{review.id}")
    assert db.session.get(Review, review.id).status == "shared"
    assert engineer_notifications(org) == []
    client.post_form(f"/calibration/cycles/{org.cycle.id}/release", {"confirm": "y"},
                     token_from=f"/calibration/cycles/{org.cycle.id}/release")
    told = engineer_notifications(org)
    assert [(n.kind, n.record_type, n.record_id) for n in told] == [("review_released", "review", review.id)]
    client.logout()
    client.login("engineer@example.com")
    assert client.get(f"/reviews/{review.id}").status_code == 200


def engineer_notifications(org) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.recipient_id == org.engineer.id)))
