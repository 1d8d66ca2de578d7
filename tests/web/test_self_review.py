"""The engineer's self-review: draft, progress, validation that keeps input, submit, read-only."""
import re

import pytest
from sqlalchemy import func, select

from ladder.extensions import db
from ladder.models import AuditEntry, Rating, Review

from ..factories import form_for, lock_version, make_review, rate_all

pytestmark = pytest.mark.dates


@pytest.fixture
def engineer_client(client, org):
    client.login("engineer@example.com")
    return client


def test_first_visit_shows_an_empty_form_with_every_competency(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert f"0 of {len(ladder.rubric.competencies)}" in page
    for competency in ladder.rubric.competencies:
        assert f'name="rating-{competency.key}"' in page
    assert "Below current level (Senior Engineer)" in page


def test_opening_the_form_stores_nothing_and_the_review_stays_not_started(engineer_client, client, org):
    logged = db.session.scalar(select(func.count(AuditEntry.id)))
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert lock_version(page) == "0" and 'data-autosave-url="/reviews/self/autosave"' in page
    assert db.session.scalar(select(Review)) is None
    assert db.session.scalar(select(func.count(AuditEntry.id))) == logged
    engineer_client.logout()
    client.login("manager@example.com")
    team = client.get("/team/").get_data(as_text=True)
    assert ">Not started<" in team and "draft" not in team.split("<tbody>")[1].lower()


def test_the_first_autosave_starts_the_review(engineer_client):
    token = engineer_client.token("/reviews/self")
    response = engineer_client.post("/reviews/self/autosave", headers={"Accept": "application/json"}, data={
        "csrf_token": token, "lock_version": "0", "rating-security": "senior", "evidence-security": "Typed."})
    assert response.status_code == 200 and response.get_json()["lock_version"] >= 1
    review = db.session.scalar(select(Review))
    assert review.status == "draft" and review.lock_version == response.get_json()["lock_version"]
    # the form opened before that save is now stale: refused, nothing overwritten
    response = engineer_client.post("/reviews/self/autosave", headers={"Accept": "application/json"}, data={
        "csrf_token": token, "lock_version": "0", "rating-security": "staff"})
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(Review.id))) == 1


def test_a_first_save_that_loses_the_race_for_the_row_is_a_409_not_a_500(engineer_client, org, monkeypatch):
    """Two first saves at once: both found no review, the other one stored it first; the unique
    (cycle, subject, kind) constraint refuses ours, and the person is told, with answers kept."""
    from ladder.services import reviews

    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    make_review(org.cycle, org.engineer)  # the other first save, committed in between
    db.session.commit()
    real_find, calls = reviews.find_review, []

    def find_before_the_other_commit(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args)

    monkeypatch.setattr(reviews, "find_review", find_before_the_other_commit)
    response = engineer_client.post_form("/reviews/self", {
        "lock_version": lock_version(page), "action": "save", "rating-security": "senior",
        "evidence-security": "Mine."}, token_from="/auth/password")
    assert response.status_code == 409
    assert "NOT saved" in response.get_data(as_text=True) and "Mine." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Review.id))) == 1


def test_save_draft_and_come_back(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    response = engineer_client.post_form("/reviews/self", {
        "lock_version": lock_version(page), "action": "save",
        "rating-system-design": "staff", "evidence-system-design": "Wrote the ledger design doc.",
        "rating-testing-strategy": "senior",
    })
    assert response.status_code == 302
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert "Draft saved." in page
    assert f"2 of {len(ladder.rubric.competencies)}" in page
    assert '<option selected value="staff">' in page
    assert "Wrote the ledger design doc." in page


def test_submit_refuses_missing_ratings_and_unevidenced_claims_but_keeps_everything(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    data = form_for(ladder, 2)
    data.pop("rating-security")
    data["rating-system-design"] = "staff"
    data["evidence-system-design"] = ""
    data["evidence-testing-strategy"] = "Typed <b>text</b> that must survive."
    response = engineer_client.post_form("/reviews/self",
                                         {**data, "lock_version": lock_version(page), "action": "submit",
                                          "confirm_submit": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Rate this competency before submitting." in page
    assert "A rating above your current level (Senior Engineer) needs evidence." in page
    assert "Typed &lt;b&gt;text&lt;/b&gt; that must survive." in page  # kept, and escaped
    review = db.session.scalar(select(Review))
    assert review.status == "draft"  # the draft was saved, not submitted


def test_submit_makes_the_review_read_only(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    response = engineer_client.post_form("/reviews/self",
                                         {**form_for(ladder, 2), "lock_version": lock_version(page), "action": "submit",
                                          "confirm_submit": "y"})
    assert response.status_code == 302
    review = db.session.scalar(select(Review))
    assert review.status == "submitted" and review.submitted_at
    assert response.headers["Location"] == f"/reviews/{review.id}"
    assert engineer_client.get("/reviews/self").status_code == 302  # to the read-only page
    shown = engineer_client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "Submitted" in shown or "submitted" in shown
    assert 'name="rating-' not in shown
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "review.submit" in actions


def test_posting_to_a_submitted_review_changes_nothing(engineer_client, org, ladder):
    review = make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    token = engineer_client.token("/")
    response = engineer_client.post("/reviews/self", data={"csrf_token": token, "lock_version": review.lock_version,
                                                            "action": "save", "rating-system-design": "principal"})
    assert response.status_code == 302
    assert db.session.get(Review, review.id).status == "submitted"


def test_invalid_choice_and_overlong_evidence_keep_the_input(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    response = engineer_client.post_form("/reviews/self", {
        "lock_version": lock_version(page), "action": "save",
        "rating-system-design": "wizard", "evidence-security": "x" * 5001,
        "evidence-testing-strategy": "still here",
    })
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not a valid choice" in page and "Keep evidence under 5000 characters." in page
    assert "still here" in page
    assert db.session.scalar(select(Review)) is None  # nothing saved, so not even started


def test_stale_save_from_another_tab_is_refused_and_keeps_input(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    old_version = lock_version(page)
    engineer_client.post_form("/reviews/self", {"lock_version": old_version, "action": "save",
                                                "rating-security": "staff", "evidence-security": "Tab one."})
    response = engineer_client.post_form("/reviews/self", {"lock_version": old_version, "action": "save",
                                                           "rating-security": "senior",
                                                           "evidence-security": "Tab two."})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "NOT saved" in page and "Tab two." in page and "Tab one." in page
    # saving again from the refreshed form is a deliberate overwrite
    response = engineer_client.post_form("/reviews/self", {"lock_version": lock_version(page), "action": "save",
                                                           "rating-security": "senior",
                                                           "evidence-security": "Tab two."})
    assert response.status_code == 302


def test_without_an_open_cycle_there_is_nothing_to_fill(engineer_client, org):
    org.cycle.status = "closed"
    db.session.commit()
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert "No review cycle is open" in page


@pytest.mark.commits  # counts real commits
def test_saving_every_competency_is_one_transaction_with_a_bounded_number_of_statements(
        engineer_client, ladder, count_queries):
    """Saving a draft of 20+ competencies must not cost a statement per competency."""
    from sqlalchemy import event

    assert len(ladder.rubric.competencies) >= 20
    seen = {"commit": 0}

    def count_commit(*args):
        seen["commit"] += 1

    listeners = {"commit": count_commit}
    counts = []
    for rank, evidence in ((2, "First pass."), (3, "Every answer changed."), (3, "Only evidence changed.")):
        page = engineer_client.get("/reviews/self").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = {"csrf_token": token, "lock_version": lock_version(page), "action": "save",
                **form_for(ladder, rank, evidence)}
        for name, listener in listeners.items():
            event.listen(db.engine, name, listener)
        try:
            with count_queries() as counter:
                response = engineer_client.post("/reviews/self", data=data)
        finally:
            for name, listener in listeners.items():
                event.remove(db.engine, name, listener)
        assert response.status_code == 302
        counts.append(counter.count)
    # each save: one transaction, committed once (the pool's reset-on-return rollbacks after a
    # request ends are not counted: they follow the commit and undo nothing)
    assert seen == {"commit": 3}
    # 24 new ratings, 24 changed ratings and 24 changed evidences: the same few statements (the
    # review, its ratings, its answers to the cycle's questions, the audit row, named without
    # reading it back, the lock bump); the ratings are read once, for the form and the save
    assert max(counts) <= 11 < len(ladder.rubric.competencies), counts
    review = db.session.scalar(select(Review).where(Review.kind == "self"))
    assert review.lock_version == 4  # created at 1, bumped once by each save


def test_submit_without_the_confirmation_saves_the_draft_and_asks_to_confirm(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert 'type="checkbox"' in page and "submitting makes this review read-only" in page
    response = engineer_client.post_form("/reviews/self",
                                         {**form_for(ladder, 2, "Kept."), "lock_version": lock_version(page),
                                                           "action": "submit"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true"' in page and "Tick this box to submit" in page
    review = db.session.scalar(select(Review))
    assert review.status == "draft"  # saved, not submitted
    assert db.session.scalar(select(Rating.evidence).where(Rating.review_id == review.id).limit(1)) == "Kept."


def test_a_refused_submit_starts_with_a_summary_linking_each_field_in_error(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    assert "error-summary" not in page and "data-focus-on-load" not in page  # only after a refusal
    data = form_for(ladder, 2)
    data.pop("rating-security")
    data["rating-system-design"] = "staff"
    data["evidence-system-design"] = ""
    response = engineer_client.post_form("/reviews/self", {**data, "lock_version": lock_version(page),
                                                           "action": "submit", "confirm_submit": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = page.split('<div class="error-summary" role="alert"')[1].split("</div>")[0]
    assert 'tabindex="-1" data-focus-on-load' in summary and "There is a problem" in summary
    assert "2 answers need attention" in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [field for field, _ in links] == ["evidence-system-design", "rating-security"]
    assert links[1][1] == "Security: Rate this competency before submitting."
    assert links[0][1].startswith("System design and architecture: A rating above your current level")
    evidence = re.search(r'<textarea[^>]*id="evidence-system-design"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in evidence  # the field the link leads to is the one marked
    assert "review-form.js" in page


def test_the_summary_says_one_answer_in_the_singular_and_the_areas_count_their_errors(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    data = form_for(ladder, 2)
    data.pop("rating-security")
    response = engineer_client.post_form("/reviews/self", {**data, "lock_version": lock_version(page),
                                                           "action": "submit", "confirm_submit": "y"})
    page = response.get_data(as_text=True)
    assert "1 answer needs attention" in page and "1 competency needs attention" in page
    area = next(a for a in ladder.rubric.areas if any(c.key == "security" for c in a.competencies))
    jump = page.split('<nav aria-label="Jump to an area">')[1].split("</nav>")[0]
    row = next(li for li in jump.split("<li>") if f'href="#area-{area.key}"' in li)
    assert "· 1 error<" in row and "1 errors" not in row and "done" not in row
    assert page.count("· 1 error<") == 3  # the jump menu, the area index and the area's heading
    others = [li for li in jump.split("<li>") if 'href="#area-' in li and f"#area-{area.key}" not in li]
    assert others and all("area-errors" not in li for li in others)


def test_a_draft_with_field_errors_lists_them_too(engineer_client, ladder):
    page = engineer_client.get("/reviews/self").get_data(as_text=True)
    response = engineer_client.post_form("/reviews/self", {
        "lock_version": lock_version(page), "action": "save",
        "rating-system-design": "wizard", "evidence-security": "x" * 5001})
    page = response.get_data(as_text=True)
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', page.split('class="error-summary"')[1].split("</div>")[0])
    assert sorted(field for field, _ in links) == ["evidence-security", "rating-system-design"]
    assert "Security: Keep evidence under 5000 characters." in [text for _, text in links]



def test_the_retry_of_a_first_save_whose_answer_was_lost_is_answered_with_the_stored_version(engineer_client):
    token = engineer_client.token("/reviews/self")
    first = {"csrf_token": token, "lock_version": "0", "rating-security": "senior", "evidence-security": "Typed."}
    stored = engineer_client.post("/reviews/self/autosave", headers={"Accept": "application/json"}, data=first)
    retry = engineer_client.post("/reviews/self/autosave", headers={"Accept": "application/json"}, data=first)
    assert retry.status_code == 200 and retry.get_json()["lock_version"] == stored.get_json()["lock_version"]
    assert db.session.scalar(select(func.count(Review.id))) == 1
