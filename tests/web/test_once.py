"""A form that creates a record, sent twice (double click, retry, six at once), creates it once;
the database keeps one open pairing per mentor and mentee and one goal per action item."""
import re
import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from ladder import clock, create_app
from ladder.extensions import db, limiter
from ladder.models import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne, Verdict

from ..conftest import CsrfClient
from ..factories import make_goal, make_mentorship, make_one_on_one

pytestmark = pytest.mark.dates

RACERS = 6


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def form_of(client, path: str) -> dict:
    """What a browser would send from the page: its CSRF and creation tokens."""
    page = client.get(path).get_data(as_text=True)
    return {"csrf_token": hidden(page, "csrf_token"), "creation_token": hidden(page, "creation_token")}


@pytest.fixture
def unthrottled():
    """Six browsers sign in as one person within a second; the throttle has its own tests."""
    limiter.enabled = False
    yield
    limiter.enabled = True


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def creations(org):
    """(who, form page, post path, data, model, where-clause of what it makes) per creating form."""
    engineer = org.engineer.id
    return {
        "note": ("manager", f"/people/{engineer}/notes/new", f"/people/{engineer}/notes/new",
                 {"body": "Sent twice", "visibility": "shared"}, FeedbackNote, FeedbackNote.body == "Sent twice"),
        "one_on_one": ("manager", f"/people/{engineer}/one-on-ones/new", f"/people/{engineer}/one-on-ones/new",
                       {"held_on": clock.today().isoformat(), "notes": "Sent twice", "visibility": "shared",
                        "new_action_items": "One item"}, OneOnOne, OneOnOne.notes == "Sent twice"),
        "goal": ("manager", f"/people/{engineer}/goals/new", f"/people/{engineer}/goals/new",
                 {"title": "Sent twice", "status": "open"}, Goal, Goal.title == "Sent twice"),
        "mentorship": ("manager", f"/people/{engineer}/mentorships", f"/people/{engineer}/mentorships",
                       {"mentor_id": str(org.mentor.id), "starts_on": clock.today().isoformat()}, Mentorship,
                       Mentorship.mentee_id == engineer),
        "verdict": ("manager", f"/people/{engineer}", f"/people/{engineer}/verdicts",
                    {"target": "staff", "verdict": "not_yet", "rationale": "Sent twice"}, Verdict,
                    Verdict.rationale == "Sent twice"),
    }


@pytest.mark.parametrize("kind", ["note", "one_on_one", "goal", "mentorship", "verdict"])
def test_a_form_sent_twice_creates_one_record_and_lands_on_it(client, org, kind):
    who, page, path, data, model, made = creations(org)[kind]
    client.login(getattr(org, who).email)
    sent = {**data, **form_of(client, page)}
    first = client.post(path, data=sent)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    second = client.post(path, data=sent)
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    assert count(model, made) == 1
    assert "already" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert client.post(path, data={**data, **form_of(client, page)}).status_code in (302, 422)  # a new form


def test_a_goal_update_sent_twice_is_posted_once(client, org):
    goal = make_goal(org.engineer, "Ship it", by=org.manager)
    db.session.commit()
    client.login(org.manager.email)
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    sent = {"csrf_token": hidden(page, "csrf_token"), "creation_token": hidden(page, "creation_token"),
            "lock_version": hidden(page, "lock_version"), "body": "Halfway", "status": "in_progress"}
    first = client.post(f"/goals/{goal.id}/updates", data=sent)
    second = client.post(f"/goals/{goal.id}/updates", data=sent)  # stale lock_version, same token
    assert first.status_code == second.status_code == 302
    assert count(GoalUpdate, GoalUpdate.goal_id == goal.id) == 1


def _race(app, org, who, page_path, post_path, data_of):
    """RACERS signed-in browsers post at the same moment; returns their status codes."""
    clients = []
    for _ in range(RACERS):
        racer = CsrfClient(app.test_client())
        racer.login(who)
        page = racer.get(page_path).get_data(as_text=True)
        clients.append((racer, {"csrf_token": hidden(page, "csrf_token"),
                                "creation_token": hidden(page, "creation_token") if "creation_token" in page else ""}))
    barrier = threading.Barrier(RACERS)
    statuses = [None] * RACERS

    def post(index: int) -> None:
        racer, form = clients[index]
        with app.app_context():
            barrier.wait()
            statuses[index] = racer.post(post_path, data=data_of(form)).status_code
            db.session.remove()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.commits  # racing threads, each on its own connection
def test_six_simultaneous_sends_of_one_note_form_store_one_note(app, org, unthrottled):
    token = {}

    def data_of(form):
        token.setdefault("value", form["creation_token"])  # the same form, retried
        return {**form, "creation_token": token["value"], "body": "Raced", "visibility": "private"}

    path = f"/people/{org.engineer.id}/notes/new"
    statuses = _race(app, org, org.manager.email, path, path, data_of)
    assert statuses == [302] * RACERS
    assert count(FeedbackNote, FeedbackNote.body == "Raced") == 1


@pytest.mark.commits  # racing threads, each on its own connection
def test_six_simultaneous_pairings_of_the_same_people_make_one(app, org, unthrottled):
    """Six tabs (six different tokens): one pairing, the others a clear message, no 500."""
    path, mentor_id = f"/people/{org.engineer.id}/mentorships", str(org.mentor.id)
    statuses = _race(app, org, org.manager.email, path, path, lambda form: {
        **form, "mentor_id": mentor_id, "starts_on": clock.today().isoformat()})
    assert sorted(statuses) == [302] + [422] * (RACERS - 1)
    assert count(Mentorship, Mentorship.mentee_id == org.engineer.id, Mentorship.ended_on.is_(None)) == 1


@pytest.mark.commits  # racing threads, each on its own connection
def test_six_simultaneous_clicks_turn_an_action_item_into_one_goal(app, org, unthrottled):
    make_mentorship(org.mentor, org.engineer)
    record = make_one_on_one(org.manager, org.engineer, "notes", role="manager", items=["Raced item"])
    db.session.commit()
    item = db.session.scalar(select(ActionItem).where(ActionItem.one_on_one_id == record.id))
    statuses = _race(app, org, org.manager.email, f"/one-on-ones/{record.id}", f"/action-items/{item.id}/goal",
                     lambda form: {"csrf_token": form["csrf_token"]})
    assert statuses == [302] * RACERS
    assert count(Goal, Goal.title == "Raced item") == 1


def test_the_database_refuses_a_second_open_pairing(org):
    make_mentorship(org.mentor, org.engineer)
    db.session.commit()
    with pytest.raises(Exception, match="(?i)unique"):
        make_mentorship(org.mentor, org.engineer)
    db.session.rollback()


def test_pairing_again_after_a_pairing_lapsed_marks_the_old_one_ended(client, org):
    old = make_mentorship(org.mentor, org.engineer, starts_on=clock.today() - timedelta(days=90),
                          ends_on=clock.today() - timedelta(days=10))
    db.session.commit()
    client.login(org.manager.email)
    path = f"/people/{org.engineer.id}/mentorships"
    response = client.post(path, data={**form_of(client, path), "mentor_id": str(org.mentor.id),
                                       "starts_on": clock.today().isoformat()})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Mentorship, old.id).ended_on == old.ends_on
    assert count(Mentorship, Mentorship.mentee_id == org.engineer.id) == 2


def test_migration_names_open_duplicate_pairings_and_closes_lapsed_ones(tmp_path, capfd):
    """Upgrading a database that already holds duplicates (made by the race) stops with their
    ids; a duplicate whose end date has passed is marked ended instead."""
    from alembic.script import ScriptDirectory

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        before = ScriptDirectory(directory).get_revision("0010").down_revision
        upgrade(directory=directory, revision=before)
        with db.engine.begin() as connection:
            for user_id, email in ((1, "mentor@example.com"), (2, "mentee@example.com")):
                connection.execute(text(
                    "INSERT INTO users (id, email, name, level_key, track_key, is_admin, is_active_account, "
                    "must_change_password, session_version, title, created_at) "
                    "VALUES (:id, :email, :email, 'senior', 'ic', 0, 1, 0, 1, '', CURRENT_TIMESTAMP)"),
                    {"id": user_id, "email": email})
            today = clock.today()
            for pairing_id, ends_on in ((1, today - timedelta(days=5)), (2, None), (3, None)):
                connection.execute(text(
                    "INSERT INTO mentorships (id, mentor_id, mentee_id, focus, starts_on, ends_on, created_at) "
                    "VALUES (:id, 1, 2, '[]', :starts, :ends, CURRENT_TIMESTAMP)"),
                    {"id": pairing_id, "starts": today - timedelta(days=60), "ends": ends_on})
        with pytest.raises(SystemExit):
            upgrade(directory=directory, revision="0010")
        assert "mentor@example.com mentoring mentee@example.com: mentorships 2, 3" in capfd.readouterr().err
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE mentorships SET ended_on = starts_on WHERE id = 3"))
        upgrade(directory=directory, revision="0010")
        with db.engine.connect() as connection:
            ended = dict(connection.execute(text("SELECT id, ended_on FROM mentorships")).all())
        assert ended[1] == str(today - timedelta(days=5)) and ended[2] is None
        db.engine.dispose()
