"""Manager reviews: writing, side by side, sharing, acknowledging, and who may see them."""
import re

import pytest
from sqlalchemy import func, select

from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import AuditEntry, Review

from ..factories import lock_version, make_review, rate_all

pytestmark = pytest.mark.dates


def form_data(ladder, rank: int) -> dict:
    data = {}
    for key, entry in rate_all(ladder, rank, "Seen in the ledger project.").items():
        data[f"rating-{key}"] = entry.rating
        data[f"evidence-{key}"] = entry.evidence
    return data


@pytest.fixture
def submitted_self(org, ladder):
    entries = rate_all(ladder, 3, "I led it.")
    entries["security"] = Entry("senior", "Patched the CVEs.")
    review = make_review(org.cycle, org.engineer, status="submitted", entries=entries, loaded=ladder)
    db.session.commit()
    return review


def test_manager_writes_submits_and_shares(client, org, ladder, submitted_self):
    client.login("manager@example.com")
    page = client.get(f"/reviews/people/{org.engineer.id}/manager").get_data(as_text=True)
    assert "Your review of Engineer" in page
    assert "Self-rating:" in page and "I led it." in page  # side by side while writing
    data = {**form_data(ladder, 2), "lock_version": lock_version(page), "action": "submit", "confirm_submit": "y"}
    response = client.post_form(f"/reviews/people/{org.engineer.id}/manager", data)
    assert response.status_code == 302
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    assert review.status == "submitted" and review.author_id == org.manager.id
    # not visible to the engineer until shared
    client.logout()
    client.login("engineer@example.com")
    assert client.get(f"/reviews/{review.id}").status_code == 404
    client.logout()
    client.login("manager@example.com")
    shown = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "Share with Engineer" in shown
    assert client.post_form(f"/reviews/{review.id}/share", {"confirm": "y"},
                            token_from=f"/reviews/{review.id}").status_code == 302
    assert db.session.get(Review, review.id).status == "shared"
    client.logout()
    client.login("engineer@example.com")
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "Manager review of Engineer" in page and "Seen in the ledger project." in page
    # read, then acknowledge
    assert page.index("Seen in the ledger project.") < page.index("Acknowledge that I have read it")
    response = client.post_form(f"/reviews/{review.id}/acknowledge", {"comment": "Thanks, <i>fair</i>."},
                                token_from=f"/reviews/{review.id}")
    assert response.status_code == 302
    page = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "acknowledged this review" in page and "Thanks, &lt;i&gt;fair&lt;/i&gt;." in page
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"review.submit", "review.share", "review.acknowledge"} <= actions


def test_side_by_side_puts_the_largest_disagreements_first(client, org, ladder, submitted_self):
    entries = rate_all(ladder, 2)
    entries["system-design"] = Entry("below", "Needs work.")
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="draft",
                entries=entries, loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    page = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    table = page.split('<table class="side-by-side">')[1]  # the radar's data table comes first
    rows = re.findall(r'<th scope="row">([^<]+)</th>', table)
    assert rows[0] == "System design and architecture"  # self Staff vs manager below Senior: -2
    assert "-2 levels" in page
    assert rows.index("Security") > rows.index("Distributed systems")  # security agrees, comes late


def test_manager_draft_is_invisible_on_the_engineers_side_by_side(client, org, ladder, submitted_self):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                entries=rate_all(ladder, 2, "Secret draft words."), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert "Secret draft words." not in page and "I led it." in page


def test_self_review_draft_is_invisible_to_the_manager_until_submitted(client, org, ladder):
    review = make_review(org.cycle, org.engineer, status="draft",
                         entries=rate_all(ladder, 2, "Private thoughts."), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    assert client.get(f"/reviews/{review.id}").status_code == 404
    page = client.get(f"/reviews/people/{org.engineer.id}/manager").get_data(as_text=True)
    assert "Private thoughts." not in page
    side_by_side = client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True)
    assert "Private thoughts." not in side_by_side
    review.status = "submitted"
    db.session.commit()
    assert client.get(f"/reviews/{review.id}").status_code == 200


@pytest.mark.parametrize("viewer", ["other.manager@example.com", "peer@example.com", "mentor@example.com",
                                    "admin@example.com", "outsider@example.com"])
def test_outsiders_get_404_on_manager_review_readiness_and_side_by_side(client, org, ladder, submitted_self, viewer):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login(viewer)
    assert client.get(f"/reviews/{review.id}").status_code == 404
    assert client.get(f"/reviews/{submitted_self.id}").status_code == 404
    assert client.get(f"/reviews/people/{org.engineer.id}/side-by-side").status_code == 404
    assert client.get(f"/people/{org.engineer.id}/case/staff").status_code == 404
    assert client.get(f"/reviews/people/{org.engineer.id}/manager").status_code == 404
    profile = client.get(f"/people/{org.engineer.id}")
    assert profile.status_code == (200 if viewer == "admin@example.com" else 404)
    assert "coverage" not in profile.get_data(as_text=True)


def test_only_the_direct_manager_writes_and_shares(client, org, ladder):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("director@example.com")
    assert client.get(f"/reviews/{review.id}").status_code == 200  # the chain may read it
    assert client.get(f"/reviews/people/{org.engineer.id}/manager").status_code == 404
    token = client.token(f"/reviews/{review.id}")
    assert client.post(f"/reviews/{review.id}/share", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Review, review.id).status == "submitted"


def test_engineer_cannot_acknowledge_an_unshared_review(client, org, ladder):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    token = client.token("/")
    assert client.post(f"/reviews/{review.id}/acknowledge", data={"csrf_token": token}).status_code == 404


def test_opening_the_manager_form_stores_nothing_until_the_first_save(client, org, ladder):
    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    logged = db.session.scalar(select(func.count(AuditEntry.id)))
    page = client.get(path).get_data(as_text=True)
    assert "Your review of Engineer" in page and lock_version(page) == "0"
    assert f'data-autosave-url="{path}/autosave"' in page
    assert db.session.scalar(select(Review)) is None
    assert db.session.scalar(select(func.count(AuditEntry.id))) == logged
    client.logout()
    client.login("director@example.com")
    row = next(r for r in client.get("/team/").get_data(as_text=True).split("<tr") if "Engineer</a>" in r)
    assert row.count(">Not started<") == 2  # self-review and manager review
    client.logout()
    client.login("manager@example.com")
    response = client.post(f"{path}/autosave", headers={"Accept": "application/json"}, data={
        "csrf_token": client.token(path), "lock_version": "0", "rating-security": "senior"})
    assert response.status_code == 200
    review = db.session.scalar(select(Review))
    assert (review.kind, review.status, review.author_id) == ("manager", "draft", org.manager.id)


def test_sharing_needs_the_confirmation(client, org, ladder, submitted_self):
    review = make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                         entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    refused = client.post_form(f"/reviews/{review.id}/share", {}, token_from=f"/reviews/{review.id}")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "tick the box to confirm" in page and 'aria-invalid="true"' in page
    assert db.session.get(Review, review.id).status == "submitted"


def test_agree_copies_one_self_rating_into_the_draft(client, org, ladder, submitted_self):
    from ladder.services import reviews as review_service

    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    page = client.get(path).get_data(as_text=True)
    assert '<button type="submit" name="agree" value="security"' in page
    assert '<button type="submit" name="agree_all" value="1"' in page
    response = client.post_form(path, {"lock_version": lock_version(page), "agree": "security",
                                       "rating-testing-strategy": "senior", "evidence-security": "Saw it."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{path}#c-security")
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    saved = review_service.entries_of(review, review_service.version_of(review))
    assert saved["security"] == Entry("senior", "Saw it.")  # the engineer's "senior", with what was typed
    assert saved["testing-strategy"].rating == "senior"
    assert "your rating for Security is now the self-rating" in client.get(path).get_data(as_text=True)


def test_agree_all_copies_only_the_competencies_not_rated_yet(client, org, ladder, submitted_self):
    from ladder.services import reviews as review_service

    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    page = client.get(path).get_data(as_text=True)
    response = client.post_form(path, {"lock_version": lock_version(page), "agree_all": "1",
                                       "rating-security": "below"})
    assert response.status_code == 302
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    saved = review_service.entries_of(review, review_service.version_of(review))
    self_saved = review_service.entries_of(submitted_self, review_service.version_of(submitted_self))
    assert saved["security"].rating == "below"  # the manager's own rating stays
    others = [c.key for c in ladder.rubric.competencies if c.key != "security"]
    assert all(saved[key].rating == self_saved[key].rating for key in others)
    count = len(others)
    assert f"Draft saved with {count} self-ratings copied" in client.get(path).get_data(as_text=True)


def test_agree_from_a_stale_page_is_refused_and_saves_nothing(client, org, ladder, submitted_self):
    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    page = client.get(path).get_data(as_text=True)
    assert 'name="agree_all"' in page
    assert client.post_form(path, {"lock_version": lock_version(page), "action": "save",
                                   "rating-security": "below"}).status_code == 302
    saved_version = db.session.scalar(select(Review.lock_version).where(Review.kind == "manager"))
    response = client.post_form(path, {"lock_version": lock_version(page), "agree_all": "1"})
    assert response.status_code == 409 and "NOT saved" in response.get_data(as_text=True)
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    assert review.lock_version == saved_version
    from ladder.models import Rating
    assert db.session.scalar(select(func.count(Rating.id)).where(Rating.review_id == review.id)) == 1


def test_agree_is_offered_only_once_the_self_review_is_submitted(client, org, ladder):
    self_review = make_review(org.cycle, org.engineer, status="draft", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    path = f"/reviews/people/{org.engineer.id}/manager"
    page = client.get(path).get_data(as_text=True)
    assert 'name="agree' not in page
    response = client.post_form(path, {"lock_version": lock_version(page), "agree_all": "1"})
    assert response.status_code == 302
    review = db.session.scalar(select(Review).where(Review.kind == "manager"))
    from ladder.models import Rating
    assert db.session.scalar(select(func.count(Rating.id)).where(
        Rating.review_id == review.id, Rating.level_id.is_not(None))) == 0
    self_review.status = "submitted"
    db.session.commit()
    assert 'name="agree_all"' in client.get(path).get_data(as_text=True)


def test_the_manager_form_keeps_each_competencys_description_and_expectations_folded(client, org,
                                                                                     ladder, submitted_self):
    client.login("manager@example.com")
    page = client.get(f"/reviews/people/{org.engineer.id}/manager").get_data(as_text=True)
    competency = ladder.rubric.competencies[0]
    article = page.split(f'<h3 id="c-{competency.key}">')[1].split("</article>")[0]
    folded = article.split('<details class="expectations-details">')[1].split("</details>")[0]
    assert str(competency.description)[:30] in folded
    assert "<details open" not in page.split('<form method="post"')[1]
