"""Mentorship pages: every visibility rule per role, on each record's page and on the timeline;
writing notes, 1:1s and goals; action item → goal; overdue goals; pairings; the home page."""
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from ladder import clock
from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import ActionItem, AuditEntry, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne, Verdict

from ..factories import (
    lock_version,
    make_cycle,
    make_goal,
    make_mentorship,
    make_note,
    make_one_on_one,
    make_review,
    rate_all,
)

pytestmark = pytest.mark.dates

ROLES = ("engineer", "peer", "mentor", "manager", "skip_manager", "other_manager", "outsider", "admin")
TODAY = clock.today()


def email(org, role: str) -> str:
    return getattr(org, role).email


@pytest.fixture
def story(org, ladder):
    """Mina mentors Eli; notes and 1:1s of every kind, a goal, reviews, a verdict."""
    make_mentorship(org.mentor, org.engineer, focus=("system-design", "technical-writing"))
    older = make_cycle(ladder.version_id, name="2025 H2", status="closed", opens_on=date(2025, 11, 1))
    old = make_cycle(ladder.version_id, name="2026 H1", status="closed", opens_on=date(2026, 5, 1))
    entries_then = rate_all(ladder, 2)
    entries_now = dict(entries_then, **{"system-design": Entry("staff", "Led the ledger design.")})
    for cycle, entries, when in ((older, entries_then, datetime(2025, 11, 20)),
                                 (old, entries_now, datetime(2026, 5, 20))):
        own = make_review(cycle, org.engineer, status="submitted", entries=entries, loaded=ladder)
        own.submitted_at = when
        mgr = make_review(cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                          entries=entries, loaded=ladder)
        mgr.submitted_at, mgr.shared_at = when, when + timedelta(days=2)
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, target_level_key="staff",
                           verdict="ready_6_months", rationale="VERDICT-RATIONALE one more design."))
    records = {
        "mentor_shared_note": make_note(org.mentor, org.engineer, "MENTOR-SHARED-NOTE", role="mentor",
                                        competencies=["system-design"]),
        "mentor_private_note": make_note(org.mentor, org.engineer, "MENTOR-PRIVATE-NOTE", role="mentor",
                                         visibility="private"),
        "manager_shared_note": make_note(org.manager, org.engineer, "MANAGER-SHARED-NOTE", role="manager"),
        "manager_private_note": make_note(org.manager, org.engineer, "MANAGER-PRIVATE-NOTE", role="manager",
                                          visibility="private"),
        "mentor_shared_1on1": make_one_on_one(org.mentor, org.engineer, "MENTOR-SHARED-1ON1", role="mentor",
                                              items=["ITEM-FROM-SHARED"]),
        "mentor_private_1on1": make_one_on_one(org.mentor, org.engineer, "MENTOR-PRIVATE-1ON1", role="mentor",
                                               visibility="private", items=["ITEM-FROM-PRIVATE"]),
        "manager_private_1on1": make_one_on_one(org.manager, org.engineer, "MANAGER-PRIVATE-1ON1", role="manager",
                                                visibility="private"),
        "goal": make_goal(org.engineer, "GOAL-TITLE", by=org.mentor, competencies=["system-design"],
                          due_on=TODAY + timedelta(days=30)),
    }
    db.session.commit()
    return records


CHAIN = {"manager", "skip_manager"}
SHARED = {"engineer", "mentor"} | CHAIN
VISIBLE_TO = {
    "mentor_shared_note": SHARED,
    "mentor_private_note": {"mentor"},
    "manager_shared_note": SHARED,
    "manager_private_note": CHAIN,
    "mentor_shared_1on1": SHARED,
    "mentor_private_1on1": {"mentor"},
    "manager_private_1on1": CHAIN,
    "goal": SHARED,
}
MARKERS = {
    "mentor_shared_note": "MENTOR-SHARED-NOTE", "mentor_private_note": "MENTOR-PRIVATE-NOTE",
    "manager_shared_note": "MANAGER-SHARED-NOTE", "manager_private_note": "MANAGER-PRIVATE-NOTE",
    "mentor_shared_1on1": "MENTOR-SHARED-1ON1", "mentor_private_1on1": "MENTOR-PRIVATE-1ON1",
    "manager_private_1on1": "MANAGER-PRIVATE-1ON1", "goal": "GOAL-TITLE",
}


def page_of(name: str, record) -> str:
    if name == "goal":
        return f"/goals/{record.id}"
    if "1on1" in name:
        return f"/one-on-ones/{record.id}"
    return f"/notes/{record.id}"


@pytest.mark.parametrize("role", ROLES)
def test_every_record_is_visible_exactly_to_the_brief_on_its_page_the_growth_page_and_the_timeline(client, org, story,
                                                                                                   role):
    client.login(email(org, role))
    growth = client.get(f"/people/{org.engineer.id}/growth")
    timeline = client.get(f"/people/{org.engineer.id}/timeline")
    sees_growth = role in SHARED
    assert growth.status_code == (200 if sees_growth else 404)
    assert timeline.status_code == (200 if sees_growth else 404)
    growth_page, timeline_page = growth.get_data(as_text=True), timeline.get_data(as_text=True)
    for name, record in story.items():
        allowed = role in VISIBLE_TO[name]
        response = client.get(page_of(name, record))
        assert response.status_code == (200 if allowed else 404), (name, role)
        if allowed:
            assert MARKERS[name] in response.get_data(as_text=True)
        assert (MARKERS[name] in timeline_page) is allowed, (name, role, "timeline")
        assert (MARKERS[name] in growth_page) is allowed, (name, role, "growth")


@pytest.mark.parametrize("role", ROLES)
def test_reviews_ratings_and_verdicts_on_the_timeline_never_for_mentors(client, org, story, role):
    client.login(email(org, role))
    response = client.get(f"/people/{org.engineer.id}/timeline")
    if role not in SHARED:
        assert response.status_code == 404
        return
    page = response.get_data(as_text=True)
    sees_reviews = role in {"engineer"} | CHAIN
    assert ("Manager review shared (2026 H1)" in page) is sees_reviews
    assert ("Self-review submitted (2025 H2)" in page) is sees_reviews
    assert ("System design and architecture: Senior Engineer → Staff Engineer" in page) is sees_reviews
    assert ("VERDICT-RATIONALE" in page) is sees_reviews
    if role == "mentor":
        assert "Staff Engineer" not in page and "Verdict" not in page.replace("Verdicts", "")


def test_mentor_cannot_open_reviews_or_filter_to_them(client, org, story):
    client.login(org.mentor.email)
    for review_id in db.session.scalars(select(__import__("ladder.models", fromlist=["Review"]).Review.id)):
        assert client.get(f"/reviews/{review_id}").status_code == 404
    page = client.get(f"/people/{org.engineer.id}/timeline?kind=review").get_data(as_text=True)
    assert "Manager review" not in page and "Nothing matches this filter" in page


def test_timeline_filters_by_kind_and_competency(client, org, story):
    client.login(org.manager.email)
    base = f"/people/{org.engineer.id}/timeline"
    page = client.get(base + "?kind=feedback").get_data(as_text=True)
    assert "MANAGER-PRIVATE-NOTE" in page and "MENTOR-SHARED-1ON1" not in page and "GOAL-TITLE" not in page
    page = client.get(base + "?competency=system-design").get_data(as_text=True)
    assert "MENTOR-SHARED-NOTE" in page and "GOAL-TITLE" in page and "Senior Engineer → Staff Engineer" in page
    assert "MANAGER-SHARED-NOTE" not in page and "VERDICT-RATIONALE" not in page
    assert client.get(base + "?kind=nonsense&competency=nope").status_code == 200


def test_admin_outside_the_chain_sees_pairings_but_no_notes_or_goals(client, org, story):
    client.login(org.admin.email)
    page = client.get(f"/people/{org.engineer.id}/mentorships").get_data(as_text=True)
    assert "Mentor" in page and org.mentor.name in page
    assert client.get(f"/people/{org.engineer.id}/goals/new").status_code == 404
    assert client.get(f"/people/{org.engineer.id}/notes/new").status_code == 404


# --- writing -----------------------------------------------------------------------------------

def test_mentor_writes_a_shared_note_stored_as_typed_and_rendered_safely(client, org, story):
    client.login(org.mentor.email)
    body = "**Great** design review.\n\n<script>alert(1)</script> [x](javascript:alert(1))"
    response = client.post_form(f"/people/{org.engineer.id}/notes/new", {
        "body": body, "visibility": "shared", "competencies": ["system-design", "communication"]})
    assert response.status_code == 302
    note = db.session.scalar(select(FeedbackNote).order_by(FeedbackNote.id.desc()))
    assert note.body == body and note.author_role == "mentor" and note.competencies == ["system-design",
                                                                                        "communication"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>Great</strong>" in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and 'href="javascript' not in page
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "note.create"))


def test_note_form_errors_keep_the_input(client, org, story):
    client.login(org.manager.email)
    path = f"/people/{org.engineer.id}/notes/new"
    response = client.post_form(path, {"body": "", "visibility": "shared"})
    assert response.status_code == 422 and "Write the note." in response.get_data(as_text=True)
    response = client.post_form(path, {"body": "Kept text", "visibility": "shared", "competencies": ["wizardry"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Kept text" in page and "Choose competencies from the ladder." in page
    response = client.post_form(path, {"body": "x" * 20001, "visibility": "private"})
    assert response.status_code == 422 and "under 20000 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(FeedbackNote).where(FeedbackNote.body == "Kept text")) is None


def test_text_fields_are_marked_invalid_only_with_an_error_that_they_point_to(client, org, story):
    client.login(org.manager.email)
    path = f"/people/{org.engineer.id}/notes/new"
    page = client.get(path).get_data(as_text=True)
    assert "aria-invalid" not in page  # never aria-invalid="None": screen readers would announce an error
    page = client.post_form(path, {"body": "", "visibility": "shared"}).get_data(as_text=True)
    assert re.search(r'<textarea[^>]*aria-describedby="body-error"[^>]*aria-invalid="true"'
                     r'|<textarea[^>]*aria-invalid="true"[^>]*aria-describedby="body-error"', page)
    assert '<small class="field-error" id="body-error">Write the note.</small>' in page
    for other in (f"/people/{org.engineer.id}/one-on-ones/new", f"/people/{org.engineer.id}/goals/new"):
        assert "aria-invalid" not in client.get(other).get_data(as_text=True), other


def test_engineers_peers_and_admins_cannot_write_notes(client, org, story):
    for role in ("engineer", "peer", "admin", "outsider"):
        client.login(email(org, role))
        response = client.post_form(f"/people/{org.engineer.id}/notes/new", {"body": "x", "visibility": "shared"},
                                    token_from="/")
        assert response.status_code == 404, role
        client.logout()


def test_author_edits_a_note_and_the_edit_is_recorded(client, org, story):
    note = story["mentor_private_note"]
    client.login(org.mentor.email)
    page = client.get(f"/notes/{note.id}/edit").get_data(as_text=True)
    response = client.post_form(f"/notes/{note.id}/edit", {
        "body": "Rewritten.", "visibility": "shared", "lock_version": lock_version(page)})
    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "note.edit"))
    assert entry.changes["body"] == ["(19 characters)", "(10 characters)"]  # which field, never the text
    assert entry.changes["visibility"] == ["private", "shared"]
    client.logout()
    client.login(org.engineer.email)
    assert "Rewritten." in client.get(f"/notes/{note.id}").get_data(as_text=True)


def test_only_the_author_can_edit(client, org, story):
    client.login(org.manager.email)
    assert client.get(f"/notes/{story['mentor_shared_note'].id}/edit").status_code == 404
    assert client.get(f"/one-on-ones/{story['mentor_shared_1on1'].id}/edit").status_code == 404


def test_stale_note_edit_is_refused_and_keeps_the_input(client, org, story):
    note = story["manager_shared_note"]
    client.login(org.manager.email)
    old = lock_version(client.get(f"/notes/{note.id}/edit").get_data(as_text=True))
    assert client.post_form(f"/notes/{note.id}/edit", {"body": "Tab one", "visibility": "shared",
                                                       "lock_version": old}).status_code == 302
    response = client.post_form(f"/notes/{note.id}/edit", {"body": "Tab two", "visibility": "shared",
                                                            "lock_version": old})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "NOT saved" in page and "Tab two" in page and "Tab one" in page
    assert db.session.get(FeedbackNote, note.id).body == "Tab one"


def test_one_on_one_with_action_items_and_turning_one_into_a_goal(client, org, story):
    client.login(org.mentor.email)
    response = client.post_form(f"/people/{org.engineer.id}/one-on-ones/new", {
        "held_on": TODAY.isoformat(), "participants": "Mina, Eli", "notes": "Talked about *docs*.",
        "visibility": "shared", "competencies": ["technical-writing"],
        "new_action_items": "Write the retry design doc\n\n  Book a review  \n"})
    assert response.status_code == 302
    record = db.session.scalar(select(OneOnOne).order_by(OneOnOne.id.desc()))
    items = db.session.scalars(select(ActionItem).where(ActionItem.one_on_one_id == record.id)
                               .order_by(ActionItem.position)).all()
    assert [i.text for i in items] == ["Write the retry design doc", "Book a review"]
    page = client.get(f"/one-on-ones/{record.id}").get_data(as_text=True)
    assert "<em>docs</em>" in page and "Turn into a goal" in page
    response = client.post_form(f"/action-items/{items[0].id}/goal", {}, token_from=f"/one-on-ones/{record.id}")
    goal = db.session.scalar(select(Goal).where(Goal.title == "Write the retry design doc"))
    assert response.status_code == 302 and response.headers["Location"] == f"/goals/{goal.id}"
    assert goal.owner_id == org.engineer.id and goal.created_by_id == org.mentor.id
    assert goal.competencies == ["technical-writing"] and goal.status == "open"
    assert db.session.get(ActionItem, items[0].id).goal_id == goal.id
    # a second click does not make a second goal
    client.post_form(f"/action-items/{items[0].id}/goal", {}, token_from=f"/one-on-ones/{record.id}")
    assert len(db.session.scalars(select(Goal).where(Goal.title == "Write the retry design doc")).all()) == 1
    page = client.get(f"/one-on-ones/{record.id}").get_data(as_text=True)
    assert f'/goals/{goal.id}">See the goal' in page
    client.logout()
    client.login(org.engineer.email)
    timeline = client.get(f"/people/{org.engineer.id}/timeline").get_data(as_text=True)
    assert "Goal set: Write the retry design doc" in timeline


def test_action_items_of_a_private_one_on_one_are_out_of_reach_for_others(client, org, story):
    item = db.session.scalar(select(ActionItem).where(ActionItem.text == "ITEM-FROM-PRIVATE"))
    client.login(org.manager.email)
    response = client.post_form(f"/action-items/{item.id}/goal", {}, token_from="/")
    assert response.status_code == 404 and db.session.get(ActionItem, item.id).goal_id is None


def test_engineer_ticks_an_action_item_of_a_shared_one_on_one(client, org, story):
    item = db.session.scalar(select(ActionItem).where(ActionItem.text == "ITEM-FROM-SHARED"))
    client.login(org.engineer.email)
    client.post_form(f"/action-items/{item.id}/done", {}, token_from="/")
    assert db.session.get(ActionItem, item.id).done


def test_goal_crud_progress_and_status_changes_by_engineer_manager_and_mentor(client, org, story):
    client.login(org.engineer.email)
    response = client.post_form(f"/people/{org.engineer.id}/goals/new", {
        "title": "Give a talk", "due_on": (TODAY + timedelta(days=10)).isoformat(), "competencies": ["communication"]})
    goal = db.session.scalar(select(Goal).where(Goal.title == "Give a talk"))
    assert response.status_code == 302
    client.logout()
    client.login(org.mentor.email)
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    response = client.post_form(f"/goals/{goal.id}/updates", {"body": "Outline reviewed.", "status": "in_progress",
                                                               "lock_version": lock_version(page)})
    assert response.status_code == 302
    assert db.session.get(Goal, goal.id).status == "in_progress"
    client.logout()
    client.login(org.skip_manager.email)
    page = client.get(f"/goals/{goal.id}/edit").get_data(as_text=True)
    response = client.post_form(f"/goals/{goal.id}/edit", {"title": "Give a talk at the all-hands", "status": "done",
                                                            "lock_version": lock_version(page)})
    assert response.status_code == 302
    updates = db.session.scalars(select(GoalUpdate).where(GoalUpdate.goal_id == goal.id).order_by(GoalUpdate.id)).all()
    assert [(u.status_from, u.status_to) for u in updates] == [("open", "in_progress"), ("in_progress", "done")]
    timeline = client.get(f"/people/{org.engineer.id}/timeline?kind=goal").get_data(as_text=True)
    assert "Outline reviewed." in timeline and "Goal done: Give a talk at the all-hands" in timeline
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"goal.create", "goal.update", "goal.edit"} <= actions


def test_empty_progress_update_is_refused(client, org, story):
    goal = story["goal"]
    client.login(org.engineer.email)
    page = client.get(f"/goals/{goal.id}").get_data(as_text=True)
    response = client.post_form(f"/goals/{goal.id}/updates", {"body": " ", "status": "open",
                                                               "lock_version": lock_version(page)})
    assert response.status_code == 422
    assert "Write what happened or change the status." in response.get_data(as_text=True)


def test_goal_title_is_required_and_input_is_kept(client, org, story):
    client.login(org.engineer.email)
    response = client.post_form(f"/people/{org.engineer.id}/goals/new", {"title": "", "description": "Keep me"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Give the goal a title." in page and "Keep me" in page


def test_overdue_goals_are_highlighted_by_date(client, org, story):
    make_goal(org.engineer, "LATE-OPEN", status="open", due_on=TODAY - timedelta(days=1))
    make_goal(org.engineer, "LATE-BUT-DONE", status="done", due_on=TODAY - timedelta(days=1))
    make_goal(org.engineer, "DUE-TODAY", status="in_progress", due_on=TODAY)
    db.session.commit()
    client.login(org.manager.email)
    page = client.get(f"/people/{org.engineer.id}/growth").get_data(as_text=True)
    rows = {title: row for row in re.findall(r'<li class="goal[^"]*">.*?</li>', page, re.S)
            for title in ("LATE-OPEN", "LATE-BUT-DONE", "DUE-TODAY", "GOAL-TITLE") if title in row}
    assert "goal-overdue" in rows["LATE-OPEN"] and "Overdue since" in rows["LATE-OPEN"]
    for title in ("LATE-BUT-DONE", "DUE-TODAY", "GOAL-TITLE"):
        assert "Overdue" not in rows[title], title


# --- pairings --------------------------------------------------------------------------------

def test_manager_pairs_a_mentor_and_either_side_sees_it(client, org, story):
    client.login(org.manager.email)
    path = f"/people/{org.peer.id}/mentorships"
    response = client.post_form(path, {"mentor_id": org.outsider.id, "focus": ["security"],
                                       "starts_on": TODAY.isoformat()})
    assert response.status_code == 302
    pairing = db.session.scalar(select(Mentorship).where(Mentorship.mentee_id == org.peer.id))
    assert pairing.mentor_id == org.outsider.id and pairing.focus == ["security"]
    client.logout()
    client.login(org.outsider.email)
    assert org.peer.name in client.get(f"/people/{org.outsider.id}/mentorships").get_data(as_text=True)
    assert client.get(f"/people/{org.peer.id}/growth").status_code == 200  # now a mentor
    assert "Your mentees" in client.get("/").get_data(as_text=True)


def test_pairing_refuses_self_duplicates_and_bad_dates(client, org, story):
    client.login(org.admin.email)
    path = f"/people/{org.engineer.id}/mentorships"
    response = client.post_form(path, {"mentor_id": org.mentor.id, "starts_on": TODAY.isoformat()})
    assert response.status_code == 422 and "already mentors" in response.get_data(as_text=True)
    response = client.post_form(path, {"mentor_id": org.peer.id, "starts_on": TODAY.isoformat(),
                                       "ends_on": (TODAY - timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and "on or after the start date" in response.get_data(as_text=True)
    response = client.post_form(path, {"mentor_id": org.engineer.id, "starts_on": TODAY.isoformat()})
    assert response.status_code == 422


def test_peers_and_mentors_cannot_pair(client, org, story):
    for role in ("peer", "mentor", "engineer"):
        client.login(email(org, role))
        response = client.post_form(f"/people/{org.engineer.id}/mentorships",
                                    {"mentor_id": org.outsider.id, "starts_on": TODAY.isoformat()}, token_from="/")
        assert response.status_code == 404, role
        client.logout()
    assert db.session.scalar(select(Mentorship).where(Mentorship.mentor_id == org.outsider.id)) is None


def test_ending_a_mentorship_keeps_history_and_ends_the_mentors_access(client, org, story):
    pairing = db.session.scalar(select(Mentorship))
    client.login(org.manager.email)
    response = client.post_form(f"/mentorships/{pairing.id}/end", {},
                                token_from=f"/people/{org.engineer.id}/mentorships")
    assert response.status_code == 302
    assert db.session.get(Mentorship, pairing.id).ended_on == TODAY
    page = client.get(f"/people/{org.engineer.id}/mentorships").get_data(as_text=True)
    assert "Ended" in page
    client.logout()
    client.login(org.mentor.email)
    assert client.get(f"/people/{org.engineer.id}/growth").status_code == 404
    assert client.get(f"/goals/{story['goal'].id}").status_code == 404
    assert client.get(f"/notes/{story['mentor_shared_note'].id}").status_code == 200  # they wrote it
    assert client.get(f"/notes/{story['mentor_shared_note'].id}/edit").status_code == 404


# --- home and the self-review ------------------------------------------------------------------

def test_home_shows_a_mentor_their_mentees_with_open_goals_and_last_one_on_one(client, org, story):
    make_goal(org.engineer, "Late", due_on=TODAY - timedelta(days=2))
    db.session.commit()
    client.login(org.mentor.email)
    page = client.get("/").get_data(as_text=True)
    assert "Your mentees" in page and org.engineer.name in page
    assert "2 open goals" in page and "1 overdue" in page
    assert "last 1:1 " + (TODAY - timedelta(days=3)).strftime("%d %b %Y") in page


def test_home_shows_an_engineer_their_mentor_goals_and_shared_feedback_only(client, org, story):
    client.login(org.engineer.email)
    page = client.get("/").get_data(as_text=True)
    assert f"Your mentor: <strong>{org.mentor.name}</strong>" in page
    assert "GOAL-TITLE" in page and "MENTOR-SHARED-NOTE" in page
    assert "PRIVATE" not in page


def test_goals_appear_next_to_their_competency_in_the_self_review(client, org, story):
    client.login(org.engineer.email)
    page = client.get("/reviews/self").get_data(as_text=True)
    section = page.split('id="c-system-design"')[1].split('id="c-')[0]
    assert "GOAL-TITLE" in section
    assert "GOAL-TITLE" not in page.split('id="c-testing-strategy"')[1].split('id="c-')[0]


# --- the "done means" ------------------------------------------------------------------

def test_done_means(client, org, story, ladder):
    client.login(org.mentor.email)
    client.post_form(f"/people/{org.engineer.id}/notes/new", {
        "body": "DONE-SHARED-NOTE", "visibility": "shared", "competencies": ["security"]})
    client.post_form(f"/people/{org.engineer.id}/one-on-ones/new", {
        "held_on": TODAY.isoformat(), "notes": "DONE-1ON1", "visibility": "shared",
        "competencies": ["security"], "new_action_items": "DONE-ACTION"})
    item = db.session.scalar(select(ActionItem).where(ActionItem.text == "DONE-ACTION"))
    client.post_form(f"/action-items/{item.id}/goal", {}, token_from="/")
    client.logout()

    client.login(org.engineer.email)
    timeline = client.get(f"/people/{org.engineer.id}/timeline").get_data(as_text=True)
    assert "DONE-SHARED-NOTE" in timeline and "Goal set: DONE-ACTION" in timeline
    review = client.get("/reviews/self").get_data(as_text=True)
    assert "DONE-ACTION" in review.split('id="c-security"')[1].split('id="c-')[0]
    client.logout()

    client.login(org.peer.email)
    assert client.get(f"/people/{org.engineer.id}/timeline").status_code == 404
    assert "DONE-" not in client.get("/").get_data(as_text=True)
    client.logout()

    client.login(org.manager.email)
    timeline = client.get(f"/people/{org.engineer.id}/timeline").get_data(as_text=True)
    assert "DONE-SHARED-NOTE" in timeline and "DONE-1ON1" in timeline and "DONE-ACTION" in timeline
    assert "MENTOR-PRIVATE-NOTE" not in timeline and "MENTOR-PRIVATE-1ON1" not in timeline


def test_stale_goal_update_is_refused_and_keeps_the_text(client, org, story):
    goal = story["goal"]
    client.login(org.engineer.email)
    old = lock_version(client.get(f"/goals/{goal.id}").get_data(as_text=True))
    client.post_form(f"/goals/{goal.id}/updates", {"body": "First", "status": "in_progress", "lock_version": old})
    response = client.post_form(f"/goals/{goal.id}/updates",
                                {"body": "Second tab", "status": "done", "lock_version": old})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "Second tab" in page and "NOT saved" in page
    assert db.session.get(Goal, goal.id).status == "in_progress"


def test_demo_mentor_has_a_mentee_with_history(app):
    from ladder.services.demo import build_demo_org
    from ladder.services.mentorship import goals_of, is_overdue

    build_demo_org(TODAY)
    db.session.commit()
    pairing = db.session.scalar(select(Mentorship))
    assert pairing is not None
    goals = goals_of(pairing.mentee_id)
    assert any(g.status == "done" for g in goals)
    assert sum(is_overdue(g, TODAY) for g in goals) == 1
    notes = db.session.scalars(select(FeedbackNote)).all()
    assert {n.visibility for n in notes} == {"shared", "private"}
    assert db.session.scalar(select(ActionItem).where(ActionItem.goal_id.is_not(None))) is not None


def test_managers_home_never_dates_a_mentors_private_one_on_one(client, org, story):
    for record in db.session.scalars(select(OneOnOne)):
        record.held_on = TODAY - timedelta(days=20)
    make_one_on_one(org.mentor, org.engineer, "secret", role="mentor", visibility="private",
                    held_on=TODAY - timedelta(days=1))
    db.session.commit()
    client.login(org.manager.email)
    page = client.get("/").get_data(as_text=True)
    assert "Your reports" in page
    assert "last 1:1 " + (TODAY - timedelta(days=20)).strftime("%d %b %Y") in page
    assert (TODAY - timedelta(days=1)).strftime("%d %b %Y") not in page
