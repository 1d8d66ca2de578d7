"""A failure halfway through a multi-row write leaves nothing half-written."""
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ladder.domain.people_import import plan_import, read_csv
from ladder.extensions import db
from ladder.models import Rating, Review, User, Verdict
from ladder.models.mentorship import NOTE_MAX
from ladder.models.reviews import EVIDENCE_MAX, RATIONALE_MAX
from ladder.services import people_admin

from ..factories import make_note, make_review, rate_all


@pytest.fixture
def failing_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the failure become a 500, as in production
    return app


def test_a_failure_while_submitting_rolls_back_the_ratings_too(failing_app, client, org, ladder, monkeypatch):
    from ladder.services import reviews

    client.login("engineer@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1)
    data = {"lock_version": lock, "action": "submit", "confirm_submit": "y"}
    for key, entry in rate_all(ladder, 2, "Evidence.").items():
        data[f"rating-{key}"], data[f"evidence-{key}"] = entry.rating, entry.evidence

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reviews, "submit", explode)  # after the ratings were written and flushed
    response = client.post_form("/reviews/self", data)
    assert response.status_code == 500
    assert db.session.scalar(select(Review)) is None  # its first save, rolled back as a whole
    assert db.session.scalar(select(func.count(Rating.id))) == 0


def test_a_failure_halfway_through_an_import_creates_nobody(app, ladder, monkeypatch):
    db.session.add(User(email="boss@example.com", name="Bo Boss", level_key="sem", track_key="management"))
    db.session.commit()
    csv_text = "email,name,level,track,manager_email\n" + "".join(
        f"p{i}@example.com,Person {i},senior,ic,boss@example.com\n" for i in range(300))
    rows, _ = read_csv(csv_text)
    plan = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
    calls = []

    def progress(count):
        calls.append(count)
        if len(calls) == 1:  # after the first batch is written
            raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        people_admin.apply_import(plan, progress=progress)
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 1


def _too_long_evidence(org, ladder):
    review = make_review(org.cycle, org.engineer, entries=rate_all(ladder, 2), loaded=ladder)
    db.session.scalars(select(Rating).where(Rating.review_id == review.id)).first().evidence = "x" * (EVIDENCE_MAX + 1)


def _too_long_rationale(org, ladder):
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, target_level_key="staff",
                           verdict="not_yet", rationale="x" * (RATIONALE_MAX + 1)))


def _too_long_note(org, ladder):
    make_note(org.manager, org.engineer, "x" * (NOTE_MAX + 1), role="manager")


@pytest.mark.parametrize("write", [_too_long_evidence, _too_long_rationale, _too_long_note])
def test_the_database_refuses_text_longer_than_the_forms_allow(org, ladder, write):
    """The forms say so first, with the input kept; the database is the backstop for any other path."""
    with pytest.raises(IntegrityError, match="_length"):  # the length check, not another constraint
        write(org, ladder)
        db.session.flush()
    db.session.rollback()
