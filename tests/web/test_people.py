"""A person's page: readiness explained, verdicts with history, the promotion case."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import Verdict

from ..factories import make_cycle, make_review, rate_all

pytestmark = pytest.mark.dates


def test_engineer_sees_own_readiness_toward_both_tracks_from_the_self_review(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "Toward Staff Engineer" in page and "Toward Engineering Manager" in page
    assert "<strong>the self-review</strong>" in page  # labelled as such
    assert "Record verdict" not in page


def test_shared_manager_review_wins_over_self_review_and_gaps_are_explained(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    manager_entries = rate_all(ladder, 3)
    manager_entries["incident-response"] = Entry("senior", "Not yet leading incidents.")
    manager_entries["security"] = Entry("below", "")
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=manager_entries, loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "the manager review shared in 2026 H2" in page
    assert "Blockers: rated below" in page and "Security" in page
    staff_expectation = ladder.rubric.competency("incident-response").expectations["staff"]
    assert staff_expectation[:50].replace("'", "&#39;") in page
    assert "not yet" in page


def test_no_reviews_means_no_figure_but_a_clear_message(client, org):
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "nothing to compute from" in page


def test_manager_records_verdicts_and_history_is_kept(client, org, ladder):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    path = f"/people/{org.engineer.id}/verdicts"
    token_page = f"/people/{org.engineer.id}"
    client.post_form(path, {"target": "staff", "verdict": "ready_12_months", "rationale": "Growing."},
                     token_from=token_page)
    response = client.post_form(path, {"target": "staff", "verdict": "ready_now", "rationale": "Led the redesign."},
                                token_from=token_page)
    assert response.status_code == 302
    verdicts = db.session.scalars(select(Verdict).order_by(Verdict.id)).all()
    assert [v.verdict for v in verdicts] == ["ready_12_months", "ready_now"]
    assert verdicts[-1].computed_coverage == 1.0
    page = client.get(token_page).get_data(as_text=True)
    assert "Ready within 12 months" in page and "Ready now" in page and "Led the redesign." in page
    assert "Manager's verdict:</strong> Ready now" in page


def test_verdict_without_rationale_keeps_the_input(client, org):
    client.login("manager@example.com")
    response = client.post_form(f"/people/{org.engineer.id}/verdicts",
                                {"target": "staff", "verdict": "not_yet", "rationale": "  "},
                                token_from=f"/people/{org.engineer.id}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Write why" in page and '<option selected value="not_yet">' in page
    assert db.session.scalar(select(Verdict)) is None


def test_verdict_for_a_level_that_is_not_a_target_is_refused(client, org):
    client.login("manager@example.com")
    response = client.post_form(f"/people/{org.engineer.id}/verdicts",
                                {"target": "principal", "verdict": "ready_now", "rationale": "x"},
                                token_from=f"/people/{org.engineer.id}")
    assert response.status_code == 422 and db.session.scalar(select(Verdict)) is None


def test_engineer_and_peers_cannot_record_verdicts(client, org):
    for email in ("engineer@example.com", "peer@example.com"):
        client.login(email)
        token = client.token("/")
        response = client.post(f"/people/{org.engineer.id}/verdicts",
                               data={"csrf_token": token, "target": "staff", "verdict": "ready_now", "rationale": "x"})
        assert response.status_code == 404
        client.logout()
    assert db.session.scalar(select(Verdict)) is None


def test_promotion_case_assembles_everything(client, org, ladder):
    closed = make_cycle(ladder.version_id, name="2026 H1", status="closed", opens_on=date(2026, 3, 1))
    make_review(closed, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 2, "Old evidence."), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3, "Ledger redesign across teams."), loaded=ladder)
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, target_level_key="staff",
                           verdict="ready_now", rationale="Strong case."))
    db.session.commit()
    client.login("director@example.com")
    page = client.get(f"/people/{org.engineer.id}/case/staff").get_data(as_text=True)
    assert "Promotion case: Engineer" in page and "Toward <strong>Staff Engineer</strong>" in page
    for competency in ladder.rubric.competencies:
        if "staff" in competency.expectations:
            assert competency.name.replace("&", "&amp;") in page
    assert "Ledger redesign across teams." in page and "Old evidence." not in page
    assert "Strong case." in page
    assert client.get(f"/people/{org.engineer.id}/case/wizard").status_code == 404


def test_goals_appear_next_to_the_gaps_they_address(client, org, ladder):
    from ..factories import make_goal

    entries = rate_all(ladder, 3)
    entries["incident-response"] = Entry("senior", "Not yet leading incidents.")
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=entries, loaded=ladder)
    make_goal(org.engineer, "Lead two incident reviews", competencies=["incident-response"])
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "Plan: <a" in page and "Lead two incident reviews" in page
    name = ladder.rubric.competency("incident-response").name
    gap = page.split(f"<strong>{name}</strong>")[1].split("</li>")[0]
    assert "Lead two incident reviews" in gap and "Turn this gap into a goal" not in gap


def test_readiness_lists_the_top_gaps_and_folds_the_rest(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    ic = page.split('id="readiness-ic"')[1].split("</article>")[0]
    shown, folded = ic.split('<details class="more-gaps">')
    assert shown.count("<li>") == 3 and "Gaps: what to show next</h4>" in shown  # every gap is one level
    assert re.search(r"<summary>\d+ more gaps</summary>", folded) and '<ol class="gaps" start="4">' in folded


def test_readiness_says_furthest_first_only_when_the_gaps_differ(client, org, ladder):
    entries = rate_all(ladder, 3)
    entries["incident-response"] = Entry("senior", "")
    entries["security"] = Entry("engineer", "")
    make_review(org.cycle, org.engineer, status="submitted", entries=entries, loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert "Gaps: what to show next, furthest first</h4>" in page
    assert "more-gaps" not in page.split('id="readiness-ic"')[1].split("</article>")[0]


def test_the_persons_page_reads_their_reviews_in_the_same_statements_for_one_cycle_or_four(client, org, ladder,
                                                                                        count_queries):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    counts = []
    for past in range(4):
        if past:
            earlier = make_cycle(ladder.version_id, name=f"2025 H{past}", status="closed",
                                 opens_on=date(2025, 1, 1) + timedelta(days=30 * past))
            make_review(earlier, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
            make_review(earlier, org.engineer, kind="manager", author=org.manager, status="shared",
                        entries=rate_all(ladder, 2), loaded=ladder)
            db.session.commit()
        client.get(f"/people/{org.engineer.id}")
        with count_queries() as counter:
            page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
        counts.append(counter.count)
        assert page.count("manager review</a> (Shared)") == past
    assert len(set(counts)) == 1, counts
