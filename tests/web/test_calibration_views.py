"""The calibration page: scope per viewer, figures as a table and a chart, flags, filters, and
changing a verdict with a note that keeps the manager's original."""
import pytest
from sqlalchemy import select, update

from ladder.extensions import db
from ladder.models import AuditEntry, Verdict

from ..factories import make_review, make_user, rate_all
from .test_team import build_team

pytestmark = pytest.mark.dates


def verdict(org, subject, value, *, target="staff", rationale="Proposed.") -> Verdict:
    row = Verdict(subject_id=subject.id, author_id=org.manager.id, cycle_id=org.cycle.id,
                  target_level_key=target, verdict=value, rationale=rationale)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def calibrated(org, ladder):
    """The manager rates the engineer at Staff (self at Senior) and the peer below level; the
    other manager rates the outsider at Senior. Verdicts: both of the manager's reports "ready now"."""
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                entries=rate_all(ladder, 3), loaded=ladder)
    make_review(org.cycle, org.peer, kind="manager", author=org.manager, status="submitted",
                entries=rate_all(ladder, 0), loaded=ladder)
    make_review(org.cycle, org.outsider, kind="manager", author=org.other_manager, status="shared",
                entries=rate_all(ladder, 2), loaded=ladder)
    engineer_verdict = verdict(org, org.engineer, "ready_now")
    verdict(org, org.peer, "ready_now", target="senior")
    db.session.commit()
    return engineer_verdict


def test_director_compares_managers_against_the_org_in_a_table_and_a_chart(client, org, calibrated):
    client.login("director@example.com")
    page = client.get("/calibration/").get_data(as_text=True)
    assert "Calibration: 2026 H2" in page
    assert '<svg class="chart stacked-chart"' in page and "Organisation: below level" in page
    for name in ("Organisation", "Manager", "Other Manager"):
        assert f'<th scope="row">{name}</th>' in page
    assert "+1.00" in page  # the manager rated the engineer one level above the self-review
    assert 'Every report "Ready now"' in page  # both of the manager's reports
    assert "Ready now, but coverage is 0% against a bar of" in page  # the peer, rated below level


def test_a_first_line_manager_calibrates_only_their_own_reports(client, org, calibrated):
    client.login("other.manager@example.com")
    page = client.get("/calibration/").get_data(as_text=True)
    assert ">Outsider</a>" in page and ">Engineer</a>" not in page and ">Peer</a>" not in page


def test_engineers_and_mentors_get_a_404(client, org, calibrated):
    for email in ("engineer@example.com", "mentor@example.com"):
        client.login(email)
        assert client.get("/calibration/").status_code == 404
        assert client.get(f"/calibration/verdicts/{calibrated.id}").status_code == 404
        client.logout()


def test_filters_narrow_the_page_and_bad_values_are_ignored(client, org, calibrated):
    client.login("director@example.com")
    everyone = client.get("/calibration/").get_data(as_text=True)
    ignored = client.get("/calibration/?manager=999999&level=nope&track=<b>&target=x&cycle=abc")
    assert ignored.status_code == 200
    assert ignored.get_data(as_text=True).count('scope="row"') == everyone.count('scope="row"')
    narrowed = client.get(f"/calibration/?manager={org.other_manager.id}").get_data(as_text=True)
    assert "Outsider" in narrowed and ">Peer</a>" not in narrowed
    by_level = client.get("/calibration/?level=engineer").get_data(as_text=True)
    assert ">Peer</a>" in by_level and ">Engineer</a>" not in by_level


def test_changing_a_verdict_needs_a_note_and_keeps_the_managers_original(client, org, calibrated):
    client.login("director@example.com")
    path = f"/calibration/verdicts/{calibrated.id}"
    assert '<option selected value="">Choose a verdict</option>' in client.get(path).get_data(as_text=True)
    refused = client.post_form(path, {"verdict": "ready_6_months", "note": " "})
    assert refused.status_code == 422 and "Write why the verdict changes" in refused.get_data(as_text=True)
    assert '<option selected value="ready_6_months">' in refused.get_data(as_text=True)
    response = client.post_form(path, {"verdict": "ready_6_months", "note": "Not yet leading across teams."})
    assert response.status_code == 302
    rows = db.session.scalars(select(Verdict).where(Verdict.subject_id == org.engineer.id).order_by(Verdict.id)).all()
    assert [(v.verdict, v.author_id, v.calibrated_from_id) for v in rows] == [
        ("ready_now", org.manager.id, None), ("ready_6_months", org.director.id, calibrated.id)]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "verdict.calibrate")) is not None
    page = client.get("/calibration/").get_data(as_text=True)
    assert "changed in calibration from Ready now" in page
    person = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "changed in calibration from Ready now" in person and "Not yet leading across teams." in person


def test_the_other_managers_director_cannot_change_a_verdict_outside_their_tree(client, org, calibrated):
    client.login("other.manager@example.com")
    assert client.get(f"/calibration/verdicts/{calibrated.id}").status_code == 404


def test_the_same_verdict_again_is_refused(client, org, calibrated):
    client.login("admin@example.com")
    response = client.post_form(f"/calibration/verdicts/{calibrated.id}", {"verdict": "ready_now", "note": "Same."})
    assert response.status_code == 422 and "Choose a different verdict" in response.get_data(as_text=True)


def test_calibration_costs_the_same_queries_for_5_50_and_500_reports(client, org, ladder, count_queries):
    """The distributions are counted by the database, so no statement reads more as the tree grows
    except the readiness sources' ratings and the verdicts (one statement each)."""
    counts = []
    for size in (5, 50, 500):
        boss = build_team(org, ladder, size)
        db.session.execute(update(Verdict).values(cycle_id=org.cycle.id))
        db.session.commit()
        client.login(boss.email)
        client.get("/calibration/")  # warm the ladder cache
        with count_queries() as counter:
            response = client.get("/calibration/")
        assert response.status_code == 200 and f"P{size} 1" in response.get_data(as_text=True)
        counts.append(counter.count)
        client.logout()
    assert counts[0] == counts[1] == counts[2] <= 12, counts


def test_a_person_without_a_manager_review_shows_the_self_review_readiness(client, org, ladder):
    newcomer = make_user("new@example.com", "senior", "ic", manager=org.manager)
    make_review(org.cycle, newcomer, status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    page = client.get("/calibration/").get_data(as_text=True)
    assert "100% (meets the bar)" in page


def test_people_and_verdicts_come_fifty_a_page_with_the_figures_over_everyone(client, org, ladder):
    boss = build_team(org, ladder, 60)
    db.session.execute(update(Verdict).values(cycle_id=org.cycle.id))
    db.session.commit()
    client.login(boss.email)
    row = '<th scope="row"><a href="/people/'
    first = client.get("/calibration/").get_data(as_text=True)
    assert first.count(row) == 50 and "Page 1 of" in first
    assert "<td>59</td>" in first  # the organisation row counts everyone, not the page
    last = client.get("/calibration/?page=99").get_data(as_text=True)
    assert "Page 1 of" not in last and 0 < last.count(row) <= 50
