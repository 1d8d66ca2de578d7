"""The request's unit of work: one commit, everything rolled back on error, one stale exception,
and the 409 page for a stale record no view answers for itself."""
import pytest
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from ladder.extensions import db
from ladder.models import Review, User
from ladder.unit_of_work import StaleRecord, unit_of_work

from ..factories import make_review


def test_the_block_is_committed_once_it_ends(org):
    with unit_of_work():
        db.session.get(User, org.engineer.id).name = "Renamed"
    db.session.expire_all()
    assert db.session.get(User, org.engineer.id).name == "Renamed"


def test_an_error_in_the_block_rolls_everything_back(org):
    with pytest.raises(ValueError), unit_of_work():
        db.session.get(User, org.engineer.id).name = "Renamed"
        db.session.flush()
        raise ValueError("refused")
    assert db.session.get(User, org.engineer.id).name != "Renamed"


@pytest.mark.commits  # another connection saves first
def test_a_lost_version_check_is_the_one_stale_exception(org):
    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    with db.engine.begin() as connection:  # another request saves the review first
        connection.execute(update(Review).where(Review.id == review.id).values(lock_version=review.lock_version + 1))
    with pytest.raises(StaleRecord), unit_of_work():
        review.status = "submitted"
    assert not db.session.dirty


@pytest.mark.fresh_app  # adds a route
def test_a_stale_record_no_view_answers_for_is_the_409_page(app, client):
    def save_from_a_stale_page():
        raise StaleDataError("UPDATE statement on table 'reviews' expected to update 1 row(s); 0 were matched.")

    app.add_url_rule("/stale-button", view_func=save_from_a_stale_page)
    response = client.get("/stale-button")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Changed elsewhere" in page and "nothing was saved" in page
    assert "UPDATE statement" not in page

    response = client.get("/stale-button", headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.json["error"] == "conflict"
