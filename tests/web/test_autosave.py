"""Saving drafts as people type (the JSON endpoint behind ladder/static/autosave.js)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.extensions import db
from ladder.models import Rating, Review
from ladder.unit_of_work import StaleRecord

from ..factories import make_review, rate_all

JSON = {"Accept": "application/json"}


@pytest.fixture
def draft(org, ladder):
    review = make_review(org.cycle, org.engineer, status="draft")
    db.session.commit()
    return review


def post_json(client, review, data, token_from="/reviews/self"):
    token = client.token(token_from)
    return client.post(f"/reviews/{review.id}/autosave", data={"csrf_token": token, **data}, headers=JSON)


def test_autosave_saves_and_returns_the_new_lock_and_progress(client, draft, ladder):
    client.login("engineer@example.com")
    response = post_json(client, draft, {"lock_version": 1, "rating-security": "staff",
                                         "evidence-security": "Ran the threat model."})
    assert response.status_code == 200
    body = response.get_json()
    assert body["rated"] == 1 and body["total"] == len(ladder.rubric.competencies)
    assert body["lock_version"] == 2
    rating = db.session.scalar(select(Rating).where(Rating.review_id == draft.id))
    assert rating.evidence == "Ran the threat model."
    # the page's own Save draft then works with the lock the script put into the form
    page = client.get("/reviews/self").get_data(as_text=True)
    assert f'value="{body["lock_version"]}"' in page and "data-autosave-url" in page and "autosave.js" in page


def test_autosave_from_a_stale_page_is_refused_not_overwritten(client, draft):
    client.login("engineer@example.com")
    first = post_json(client, draft, {"lock_version": 1, "evidence-security": "Tab one."})
    assert first.status_code == 200
    second = post_json(client, draft, {"lock_version": 1, "evidence-security": "Tab two."})
    assert second.status_code == 409 and "saved somewhere else" in second.get_json()["message"]
    assert db.session.scalar(select(Rating.evidence).where(Rating.review_id == draft.id)) == "Tab one."


def test_autosave_of_an_invalid_answer_saves_nothing(client, draft):
    client.login("engineer@example.com")
    response = post_json(client, draft, {"lock_version": 1, "rating-security": "wizard"})
    assert response.status_code == 422
    assert db.session.get(Review, draft.id).lock_version == 1


def test_signed_out_autosave_gets_a_401_the_script_can_act_on(client, draft):
    token = client.token("/auth/login")
    response = client.post(f"/reviews/{draft.id}/autosave", data={"csrf_token": token, "lock_version": 1}, headers=JSON)
    assert response.status_code == 401 and response.get_json()["error"] == "signed_out"


def test_expired_session_autosave_gets_a_401(app, client, draft):
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    with clock.shifted_by(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 2)):
        response = client.post(f"/reviews/{draft.id}/autosave", data={"csrf_token": token, "lock_version": 1},
                               headers=JSON)
    assert response.status_code == 401


def test_nobody_else_can_autosave_and_submitted_reviews_are_closed(client, org, ladder, draft):
    client.login("manager@example.com")
    response = post_json(client, draft, {"lock_version": 1, "evidence-security": "Not mine."}, token_from="/")
    assert response.status_code == 404
    submitted = make_review(org.cycle, org.peer, status="submitted", entries=rate_all(ladder, 1), loaded=ladder)
    db.session.commit()
    client.logout()
    client.login("peer@example.com")
    assert post_json(client, submitted, {"lock_version": 1}, token_from="/").status_code == 404


def test_the_script_is_served_and_allowed_by_the_csp(client, org):
    response = client.get("/static/autosave.js")
    assert response.status_code == 200 and "ladder-draft:" in response.get_data(as_text=True)
    response.close()
    assert "script-src 'self'" in client.get("/auth/login").headers["Content-Security-Policy"]
    assert not re.search(r"<script>(?!</script>)", client.get("/auth/login").get_data(as_text=True))


def test_autosave_after_the_session_cookie_is_gone_is_a_401_not_a_csrf_page(client, draft):
    client.login("engineer@example.com")
    token = client.token("/reviews/self")
    client.client.delete_cookie("session")
    response = client.post(f"/reviews/{draft.id}/autosave", data={"csrf_token": token, "lock_version": 1}, headers=JSON)
    assert response.status_code == 401 and response.get_json()["error"] == "signed_out"


@pytest.mark.commits  # the other worker's save is committed through its own connection
def test_a_save_that_loses_the_race_is_a_conflict_not_a_500(app, draft):
    """Two saves read the same version; the one that writes second is refused."""
    from sqlalchemy import update

    from ladder.domain.reviews import Entry
    from ladder.models import User
    from ladder.services import reviews

    review = db.session.get(Review, draft.id)
    engineer = db.session.get(User, draft.subject_id)
    # another worker commits a save after we loaded the review (version 1 -> 2)
    with db.engine.begin() as connection:
        connection.execute(update(Review).where(Review.id == draft.id).values(lock_version=2))
    with pytest.raises(StaleRecord):
        reviews.save_entries(review, {"security": Entry("staff", "Mine.")}, actor=engineer, expected_lock_version=1)
    db.session.rollback()


SAVE = {"lock_version": 1, "rating-security": "staff", "evidence-security": "Ran the threat model."}


def test_the_retry_of_a_save_whose_answer_was_lost_gets_the_current_version_not_a_conflict(client, draft, monkeypatch):
    """The save commits, then the connection dies before the answer (503, saved: true); the
    script sends the same save again, with the version it had."""
    from sqlalchemy.exc import OperationalError

    from ladder.domain import reviews as rules
    from ladder.models import AuditEntry

    client.login("engineer@example.com")

    def connection_lost(*_):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    token = client.token("/reviews/self")
    with monkeypatch.context() as patched:
        patched.setattr(rules, "progress", connection_lost)  # runs after the commit
        lost = client.post(f"/reviews/{draft.id}/autosave", data={"csrf_token": token, **SAVE}, headers=JSON)
    assert lost.status_code == 503 and lost.get_json()["saved"] is True
    saves = db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "review.save"))
    retry = post_json(client, draft, SAVE)
    assert retry.status_code == 200 and retry.get_json()["lock_version"] == 2
    assert db.session.get(Review, draft.id).lock_version == 2  # nothing written again
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "review.save")) == saves


def test_a_different_save_from_the_same_old_version_is_still_a_conflict(client, draft):
    client.login("engineer@example.com")
    assert post_json(client, draft, SAVE).status_code == 200
    other = post_json(client, draft, {**SAVE, "evidence-security": "Ran the threat model twice."})
    assert other.status_code == 409
    # and once someone else saved something else, the old save is no longer "already stored"
    assert post_json(client, draft, {**SAVE, "lock_version": 2, "evidence-security": "Changed."}).status_code == 200
    assert post_json(client, draft, SAVE).status_code == 409
    assert db.session.scalar(select(Rating.evidence).where(Rating.review_id == draft.id)) == "Changed."


def test_the_service_treats_a_stale_save_that_changes_nothing_as_stored(draft):
    from ladder.domain.reviews import Entry
    from ladder.models import User
    from ladder.services import reviews

    engineer = db.session.get(User, draft.subject_id)
    mine = {"security": Entry("staff", "Mine.")}
    reviews.save_entries(draft, mine, actor=engineer, expected_lock_version=1)
    db.session.commit()
    assert draft.lock_version == 2
    assert reviews.already_stored(draft, mine, expected_lock_version=1)
    reviews.save_entries(draft, mine, actor=engineer, expected_lock_version=1)  # no StaleRecord
    assert draft.lock_version == 2
    assert not reviews.already_stored(draft, {"security": Entry("staff", "Yours.")}, expected_lock_version=1)
    assert not reviews.already_stored(draft, mine, expected_lock_version=3)  # a version it never had
    with pytest.raises(StaleRecord):
        reviews.save_entries(draft, {"security": Entry("senior", "Mine.")}, actor=engineer, expected_lock_version=1)
