"""The audit log is recorded in one place: a session hook over every audited model."""

from sqlalchemy import select, text

from ladder.extensions import db
from ladder.models import AuditEntry, Rating
from ladder.services import audit

from ..factories import make_review, make_user


def entries(**where):
    query = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return db.session.scalars(query).all()


# Every model is audited except the rows that make up a ladder version's content (stored once
# by store_rubric, never edited in place: the version row itself is audited), the log itself, and
# notifications and sign-in links (derived from audited changes; delivery bookkeeping).
DOCUMENTED_NOT_AUDITED = {"audit_log", "levels", "tracks", "track_levels", "areas", "competencies",
                          "competency_tracks", "expectations", "notifications", "sign_in_links"}


def test_every_model_but_ladder_content_and_the_log_is_audited(app):
    for mapper in db.Model.registry.mappers:
        table = mapper.class_.__tablename__
        assert audit.is_audited(mapper.class_) == (table not in DOCUMENTED_NOT_AUDITED), table
    names = {cls.__name__ for cls in audit.audited_models()}
    assert {"User", "Review", "Rating", "Verdict", "ReviewCycle", "LadderVersion", "Ladder"} <= names


def test_an_insert_update_and_delete_are_recorded_with_actor_and_before_after(app, org):
    with audit.acting_as(org.admin.id):
        person = make_user("new.person@example.com", "engineer", "ic", manager=org.manager)
        db.session.commit()
        person.level_key = "senior"
        person.title = "Senior Engineer"
        db.session.commit()
    created, updated = entries(entity_type="user", entity_id=person.id)
    assert created.action == "user.create" and created.actor_id == org.admin.id
    assert created.subject_id == person.id
    assert created.changes["email"] == [None, "new.person@example.com"]
    assert created.changes["password_hash"] == [None, "(set)"]  # never the hash itself
    assert updated.action == "user.update"
    assert updated.changes == {"level_key": ["engineer", "senior"], "title": [None, "Senior Engineer"]}


def test_ratings_are_filed_under_their_review_without_their_values(app, org, ladder):
    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    db.session.add_all([Rating(review_id=review.id, competency_id=ladder.competency_ids[key],
                               level_id=ladder.level_ids["staff"], evidence="Design doc.")
                        for key in ("system-design", "testing-strategy")])
    db.session.commit()
    entry, = entries(action="rating.create")  # the ratings one flush adds to a review: one row
    assert (entry.entity_type, entry.entity_id, entry.subject_id) == ("review", review.id, org.engineer.id)
    assert entry.changes == {"system-design": "evidence, rating", "testing-strategy": "evidence, rating"}
    rating = db.session.scalar(select(Rating))
    db.session.delete(rating)
    db.session.commit()
    assert "Design doc." not in str(entries(action="rating.delete")[0].changes)


def test_bookkeeping_only_changes_and_rollbacks_leave_no_entry(app, org):
    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    before = len(entries())
    review.updated_at = review.updated_at  # nothing really changes
    db.session.commit()
    org.engineer.name = "Someone else"
    db.session.flush()
    db.session.rollback()
    assert len(entries()) == before


def test_semantic_records_still_work_beside_the_hook(app, org):
    audit.record(org.admin.id, "review.reopen", "review", 7, org.engineer.id, {"reason": "typo"})
    db.session.commit()
    assert entries(action="review.reopen")[0].changes == {"reason": "typo"}
    assert not entries(entity_type="audit_entry")


def test_the_signed_in_person_is_the_actor_of_web_changes(client, org):
    client.login("engineer@example.com")
    client.post_form("/reviews/self", {"lock_version": "0", "action": "save"})  # the first save starts it
    created = entries(entity_type="review")[0]
    assert created.actor_id == org.engineer.id and created.subject_id == org.engineer.id
    assert created.changes["kind"] == [None, "self"]


def test_new_records_are_logged_with_their_id(app, org):
    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    entry = entries(action="review.create")[0]
    assert entry.entity_id == review.id and entry.subject_id == org.engineer.id


# --- No content of drafts, private notes or 1:1s in the log ---------------------------------

SECRETS = ("DRAFT-EVIDENCE-SECRET", "MENTOR-PRIVATE-SECRET", "ONE-ON-ONE-SECRET", "ACTION-ITEM-SECRET",
           "PARTICIPANT-SECRET", "EDITED-NOTE-SECRET", "EDITED-ONE-ON-ONE-SECRET")


def write_private_things(org, ladder):
    """A draft self-review with evidence, a mentor's private note and a private 1:1, each edited once."""
    from ladder.domain.permissions import Relation
    from ladder.domain.reviews import Entry
    from ladder.services import mentorship, reviews

    mentor = Relation(is_mentor=True)
    with audit.acting_as(org.mentor.id):
        note = mentorship.create_note(org.engineer, author=org.mentor, rel=mentor, body="MENTOR-PRIVATE-SECRET",
                                      visibility="private", competencies=[])
        one_on_one = mentorship.create_one_on_one(
            org.engineer, author=org.mentor, rel=mentor, held_on=org.cycle.opens_on, participants="PARTICIPANT-SECRET",
            notes="ONE-ON-ONE-SECRET", visibility="private", competencies=[], action_items=["ACTION-ITEM-SECRET"])
        db.session.commit()
        mentorship.update_note(note, actor=org.mentor, body="EDITED-NOTE-SECRET", visibility="private",
                               competencies=[], expected_lock_version=note.lock_version)
        mentorship.update_one_on_one(one_on_one, actor=org.mentor, held_on=one_on_one.held_on, participants="",
                                     notes="EDITED-ONE-ON-ONE-SECRET", visibility="private", competencies=[],
                                     expected_lock_version=one_on_one.lock_version)
        db.session.commit()
    with audit.acting_as(org.engineer.id):
        review = reviews.get_or_create_review(org.cycle, org.engineer, "self", org.engineer)
        for evidence in ("DRAFT-EVIDENCE-SECRET", "DRAFT-EVIDENCE-SECRET, longer"):
            reviews.save_entries(review, {"system-design": Entry("staff", evidence)}, actor=org.engineer,
                                 expected_lock_version=review.lock_version)
            db.session.commit()
    return note, one_on_one, review


def test_the_log_holds_no_text_of_drafts_private_notes_or_one_on_ones(app, org, ladder):
    note, one_on_one, review = write_private_things(org, ladder)
    raw = db.session.execute(text("SELECT action, entity_type, changes FROM audit_log")).all()
    stored = " ".join(str(row) for row in raw)
    for secret in SECRETS:
        assert secret not in stored
    # who changed which field of which record is kept, with the size of the text
    edit = entries(action="note.edit")[0]
    assert (edit.actor_id, edit.entity_id, edit.subject_id) == (org.mentor.id, note.id, org.engineer.id)
    assert edit.changes["body"] == ["(21 characters)", "(18 characters)"]
    assert entries(action="one_on_one.edit")[0].changes["notes"] == ["(17 characters)", "(24 characters)"]
    assert entries(action="review.save")[-1].changes == {"system-design": "evidence"}


def test_one_edit_is_one_audit_row(app, org, ladder):
    from ladder.domain.reviews import Entry
    from ladder.services import mentorship, reviews

    from ..factories import make_goal

    note, one_on_one, review = write_private_things(org, ladder)
    goal = make_goal(org.engineer, "Lead an incident review")
    db.session.commit()

    def rows_written_by(change) -> int:
        before = len(entries())
        with audit.acting_as(org.mentor.id):
            change()
            db.session.commit()
        return len(entries()) - before

    assert rows_written_by(lambda: mentorship.update_note(
        note, actor=org.mentor, body="Again", visibility="shared", competencies=["system-design"],
        expected_lock_version=note.lock_version)) == 1
    assert rows_written_by(lambda: mentorship.update_one_on_one(
        one_on_one, actor=org.mentor, held_on=one_on_one.held_on, participants="Us", notes="Again",
        visibility="shared", competencies=[], expected_lock_version=one_on_one.lock_version)) == 1
    assert rows_written_by(lambda: mentorship.update_goal(
        goal, actor=org.mentor, title="Lead two incident reviews", description="Soon", competencies=[],
        due_on=None, status="open", expected_lock_version=goal.lock_version)) == 1
    # a save that changes one rating and adds two more: one row, a line per competency
    assert rows_written_by(lambda: reviews.save_entries(review, {
        "system-design": Entry("senior", "Changed"), "testing-strategy": Entry("senior", ""),
        "security": Entry("senior", "")}, actor=org.engineer, expected_lock_version=review.lock_version)) == 1
    save = entries(action="review.save")[-1]
    assert save.changes == {"system-design": "evidence, rating", "testing-strategy": "rating", "security": "rating"}
    assert not entries(action="feedback_note.update") and not entries(action="goal.edit")[1:]


def test_a_semantic_action_names_the_change_it_made(app, org, ladder):
    from ladder.services import reviews

    review = make_review(org.cycle, org.engineer)
    db.session.commit()
    before = len(entries())
    reviews.submit(review, actor=org.engineer)
    db.session.commit()
    submitted, = entries()[before:]
    assert submitted.action == "review.submit" and submitted.changes["status"] == ["draft", "submitted"]
    audit.record(org.admin.id, "review.reopen", "review", review.id, org.engineer.id, {"reason": "typo"})
    db.session.commit()  # nothing changed on the record: the action has a row of its own
    assert entries(action="review.reopen")[0].changes == {"reason": "typo"}


def test_records_of_renamed_models_keep_the_names_already_in_the_log(app, org, ladder):
    """Entries written before a model's Python rename and after it stay one kind of record, with the
    same column names (filters, visibility rules and bulk writes use them)."""
    from ladder.models import Ladder, LadderVersion

    assert audit.entity_type_of(Ladder) == "framework" and audit.entity_type_of(LadderVersion) == "framework_version"
    own, person = db.session.get(LadderVersion, ladder.version_id).ladder_id, org.engineer
    with audit.acting_as(org.admin.id):
        for value in (own, None):
            person.ladder_id = value
            db.session.flush()
    changed = entries(entity_type="user", entity_id=person.id)[-1].changes
    assert "framework_id" in changed and "ladder_id" not in changed
