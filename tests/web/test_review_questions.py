"""Free-text questions of a cycle: set by admins while the cycle is a draft, answered above the
ratings, saved (and autosaved) with the review, shown as the review itself is."""
import pytest
from sqlalchemy import select

from ladder.extensions import db
from ladder.models import ReviewAnswer, ReviewCycle, ReviewQuestion
from ladder.models.reviews import DEFAULT_QUESTIONS

from ..factories import form_for, lock_version, make_review, rate_all

pytestmark = pytest.mark.dates

SUMMARY = "Shipped the ledger and mentored two engineers."


def add_questions(cycle) -> dict[str, list[ReviewQuestion]]:
    out = {}
    for kind in ("self", "manager"):
        out[kind] = [ReviewQuestion(cycle_id=cycle.id, kind=kind, position=i, prompt=f"{prompt} ({kind})")
                     for i, prompt in enumerate(DEFAULT_QUESTIONS)]
        db.session.add_all(out[kind])
    db.session.flush()
    return out


def cycle_form(cycle, **extra) -> dict:
    return {"name": cycle.name if cycle else "2027 H1",
            "framework_version_id": cycle.ladder_version_id if cycle else 1,
            "opens_on": "2027-01-04", "self_review_due": "2027-01-18", "manager_review_due": "2027-02-01",
            "closes_on": "2027-02-15", **extra}


def prompts(cycle_id: int, kind: str) -> list[str]:
    return list(db.session.scalars(select(ReviewQuestion.prompt).where(
        ReviewQuestion.cycle_id == cycle_id, ReviewQuestion.kind == kind).order_by(ReviewQuestion.position)))


def test_a_new_cycle_asks_the_default_questions_and_admins_edit_them_while_it_is_a_draft(client, org, ladder):
    client.login("admin@example.com")
    page = client.get("/admin/cycles/new").get_data(as_text=True)
    assert "Overall summary\nStrengths\nGrowth areas" in page
    response = client.post_form("/admin/cycles/new",
                                cycle_form(None, self_questions="Overall summary\nStrengths\nGrowth areas",
                                           manager_questions="Overall summary\nStrengths\nGrowth areas"))
    assert response.status_code == 302
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == "2027 H1"))
    assert prompts(cycle.id, "self") == list(DEFAULT_QUESTIONS) == prompts(cycle.id, "manager")
    path = f"/admin/cycles/{cycle.id}/edit"
    edited = client.post_form(path, cycle_form(cycle, self_questions="What are you proudest of?\n\nWhat next?",
                                               manager_questions="Overall summary"))
    assert edited.status_code == 302
    assert prompts(cycle.id, "self") == ["What are you proudest of?", "What next?"]
    assert prompts(cycle.id, "manager") == ["Overall summary"]
    too_long = client.post_form(path, cycle_form(cycle, self_questions="x" * 301, manager_questions="Ok"))
    assert too_long.status_code == 422 and "under 300 characters" in too_long.get_data(as_text=True)


def test_questions_are_fixed_once_the_cycle_is_open(client, org, ladder):
    add_questions(org.cycle)
    db.session.commit()
    client.login("admin@example.com")
    path = f"/admin/cycles/{org.cycle.id}/edit"
    assert "Self-review questions" not in client.get(path).get_data(as_text=True)
    form = cycle_form(org.cycle, self_questions="Sneaky", opens_on=org.cycle.opens_on.isoformat(),
                      self_review_due=org.cycle.self_review_due.isoformat(),
                      manager_review_due=org.cycle.manager_review_due.isoformat(),
                      closes_on=org.cycle.closes_on.isoformat())
    assert client.post_form(path, form).status_code == 302
    assert prompts(org.cycle.id, "self")[0] == "Overall summary (self)"


def test_the_engineer_answers_above_the_ratings_and_a_stale_save_keeps_the_answers(client, org, ladder):
    questions = add_questions(org.cycle)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    assert page.index("Overall summary (self)") < page.index('id="area-')
    assert "Overall summary (manager)" not in page
    summary = f"answer-{questions['self'][0].id}"
    version = lock_version(page)
    data = {"lock_version": version, "action": "save", summary: SUMMARY, **form_for(ladder, 2)}
    assert client.post_form("/reviews/self", data).status_code == 302
    assert db.session.scalar(select(ReviewAnswer.body)) == SUMMARY
    stale = client.post_form("/reviews/self", {**data, summary: "From an old tab."})
    assert stale.status_code == 409 and "From an old tab." in stale.get_data(as_text=True)
    assert db.session.scalar(select(ReviewAnswer.body)) == SUMMARY


def test_autosave_saves_answers_too(client, org, ladder):
    questions = add_questions(org.cycle)
    review = make_review(org.cycle, org.engineer, status="draft")
    db.session.commit()
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    response = client.post(f"/reviews/{review.id}/autosave", headers={"Accept": "application/json"},
                           data={"csrf_token": token, "lock_version": review.lock_version,
                                 f"answer-{questions['self'][1].id}": "Calm in incidents."})
    assert response.status_code == 200
    assert db.session.scalar(select(ReviewAnswer.body)) == "Calm in incidents."


def test_answers_follow_the_reviews_visibility_and_appear_side_by_side_and_in_the_case(client, org, ladder):
    questions = add_questions(org.cycle)
    self_review = make_review(org.cycle, org.engineer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    manager_review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                                 entries=rate_all(ladder, 2), loaded=ladder)
    db.session.add_all([ReviewAnswer(review_id=self_review.id, question_id=questions["self"][0].id, body=SUMMARY),
                        ReviewAnswer(review_id=manager_review.id, question_id=questions["manager"][0].id,
                                     body="A steady senior engineer.")])
    db.session.commit()
    client.login("manager@example.com")
    side = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert "A steady senior engineer." in side and SUMMARY not in side  # the self-review is still a draft
    client.logout()
    client.login("engineer@example.com")
    side = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert SUMMARY in side and "A steady senior engineer." not in side  # not shared yet
    self_review.status = "submitted"
    manager_review.status = "shared"
    db.session.commit()
    side = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert SUMMARY in side and "A steady senior engineer." in side
    shown = client.get(f"/reviews/{manager_review.id}").get_data(as_text=True)
    assert "Overall summary (manager)" in shown and "Strengths (manager)" in shown and "not answered" in shown
    case = client.get(f"/people/{org.engineer.id}/case/staff").get_data(as_text=True)
    assert "A steady senior engineer." in case


def test_side_by_side_reads_the_reviews_their_ratings_and_their_answers_once_each(client, org, ladder,
                                                                                 count_queries):
    add_questions(org.cycle)
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/side-by-side"
    client.get(path)
    with count_queries() as counter:
        page = client.get(path).get_data(as_text=True)
    assert "Overall summary (self)" in page and "Overall summary (manager)" in page

    assert [counter.reading(table) for table in ("reviews", "ratings", "review_questions", "review_cycles")] \
        == [1, 1, 1, 1], counter.statements


def test_a_save_reads_the_ratings_and_the_answers_once_for_the_form_and_the_change(client, org, ladder,
                                                                                  count_queries):
    questions = add_questions(org.cycle)
    review = make_review(org.cycle, org.engineer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.add(ReviewAnswer(review_id=review.id, question_id=questions["self"][0].id, body="Before."))
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    token = client.token("/reviews/self")
    data = {"lock_version": lock_version(page), "action": "save", f"answer-{questions['self'][0].id}": SUMMARY,
            **form_for(ladder, 3, "Changed.")}
    with count_queries() as counter:
        assert client.post("/reviews/self", data={"csrf_token": token, **data}).status_code == 302
    assert [counter.reading(table) for table in ("ratings", "review_answers")] == [1, 1], counter.statements
    assert db.session.scalar(select(ReviewAnswer.body)) == SUMMARY

    saved_version = lock_version(client.get("/reviews/self").get_data(as_text=True))
    with count_queries() as counter:
        response = client.post(f"/reviews/{review.id}/autosave", headers={"Accept": "application/json"},
                               data={"csrf_token": token, "lock_version": saved_version,
                                     f"answer-{questions['self'][0].id}": "Autosaved.",
                                     **form_for(ladder, 3, "Again.")})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [counter.reading(table) for table in ("ratings", "review_answers")] == [1, 1], counter.statements
    assert db.session.scalar(select(ReviewAnswer.body)) == "Autosaved."
    stale = client.post_form("/reviews/self", {**data, f"answer-{questions['self'][0].id}": "From an old tab."})
    assert stale.status_code == 409 and db.session.scalar(select(ReviewAnswer.body)) == "Autosaved."
