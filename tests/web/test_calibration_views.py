"""The calibration page: scope per viewer, figures as a table and a chart, flags, filters, and
changing a verdict with a note that keeps the manager's original."""
import re

import pytest
from sqlalchemy import select, update

from ladder.extensions import db
from ladder.models import AuditEntry, Verdict
from ladder.services import team as team_service

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


def test_a_narrowed_page_still_shows_the_verdicts_of_the_people_it_keeps(client, org, calibrated):
    """Verdicts are read for the people the filters keep: a manager's own reports keep theirs."""
    client.login("director@example.com")
    change = f'href="/calibration/verdicts/{calibrated.id}"'
    mine = client.get(f"/calibration/?manager={org.manager.id}").get_data(as_text=True)
    assert change in mine and mine.count("Ready now</td>") == 2
    assert change not in client.get(f"/calibration/?manager={org.other_manager.id}").get_data(as_text=True)


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
        assert counter.reading("review_cycles") == 1, counter.statements  # the chosen cycle is among those listed
        client.logout()
    assert counts[0] == counts[1] == counts[2] <= 9, counts


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


@pytest.fixture
def many_managers(org, ladder):
    """A head of 24 first-line managers: "Aaron Small" has one report, the others two or three;
    "Zoe Flagged"'s reports are all proposed "ready now" (the page's outlier)."""
    head = make_user("head@example.com", "em", "management", manager=org.director, name="Head")
    names = ["Aaron Small", "Zoe Flagged", *(f"Manager {i:02}" for i in range(22))]
    managers = {}
    for index, name in enumerate(names):
        boss = managers[name] = make_user(f"m{index}@example.com", "em", "management", manager=head, name=name)
        for i in range(1 if name == "Aaron Small" else 2 + index % 2):
            report = make_user(f"r{index}-{i}@example.com", "senior" if i else "staff", "ic", manager=boss)
            make_review(org.cycle, report, kind="manager", author=boss, status="submitted",
                        entries=rate_all(ladder, 2), loaded=ladder)
            if name == "Zoe Flagged":
                verdict(org, report, "ready_now")
    db.session.commit()
    return managers


def manager_rows(page: str) -> list[str]:
    section = page[page.index('id="dist-h"'):page.index('id="groups-h"')]
    return [row.split("</th>")[0] for row in section.split('<th scope="row">')[1:]]


def test_a_tree_of_many_managers_pages_them_outliers_first_then_by_size(client, org, many_managers):
    client.login("head@example.com")
    first = client.get("/calibration/").get_data(as_text=True)
    rows = manager_rows(first)
    assert rows[:2] == ["Organisation", "Zoe Flagged"] and len(rows) == 21  # the organisation and 20 managers
    assert "Aaron Small" not in rows and '<nav aria-label="Pages of managers"' in first
    assert "24 managers, 20 on this page" in first and "<td>59</td>" in first  # the organisation counts everyone
    second = client.get("/calibration/?managers=2").get_data(as_text=True)
    assert manager_rows(second)[0] == "Organisation" and manager_rows(second)[-1] == "Aaron Small"
    assert {*rows, *manager_rows(second)} == {"Organisation", *many_managers}
    alone = client.get(f"/calibration/?manager={many_managers['Aaron Small'].id}").get_data(as_text=True)
    assert manager_rows(alone) == ["Organisation", "Aaron Small"] and "Pages of managers" not in alone


def test_paging_managers_keeps_the_filters_and_the_other_table_s_page(client, org, many_managers):
    client.login("head@example.com")
    page = client.get("/calibration/?level=senior&page=2&managers=1").get_data(as_text=True)
    assert 'href="/calibration/?level=senior&amp;page=2&amp;managers=2">Next</a>' in page
    beyond = client.get("/calibration/?level=senior&managers=99").get_data(as_text=True)  # clamped to the last page
    assert "Page 2 of 2" in beyond and manager_rows(beyond)[-1] == "Aaron Small"  # levels narrow the verdicts only
    assert 'href="/calibration/?level=senior&amp;managers=1">Previous</a>' in beyond


def test_above_the_dropdown_limit_the_manager_filter_is_a_search_among_the_tree(client, org, many_managers,
                                                                                 monkeypatch):
    """A director over hundreds of managers gets the team page's text field, not hundreds of options."""
    monkeypatch.setattr(team_service, "MANAGER_LIST_LIMIT", 10)
    client.login("head@example.com")
    page = client.get("/calibration/").get_data(as_text=True)
    assert 'type="search" name="manager_name" value=""' in page and "<option value=\"\">Every manager" not in page
    several = client.get("/calibration/?manager_name=manager+0&page=2&managers=2").get_data(as_text=True)
    assert "10 managers match “manager 0”: choose one." in several
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', several.split('class="manager-matches"')[1])
    assert "page=" not in links[0][0] and "managers=" not in links[0][0]  # a new choice starts at the first pages
    chosen = client.get("/calibration/?manager_name=aaron").get_data(as_text=True)  # one match: chosen
    assert manager_rows(chosen) == ["Organisation", "Aaron Small"]
    assert 'name="manager_name" value="Aaron Small"' in chosen
    outside = client.get(f"/calibration/?manager_name={org.other_manager.name}").get_data(as_text=True)
    assert "No manager you can see has “Other Manager” in their name" in outside  # not in the head's tree
    assert len(manager_rows(outside)) == 21
