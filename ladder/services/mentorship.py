"""Mentorships, feedback notes, 1:1s and goals over the session: query, add, flush, audit.

Visibility is decided by ladder.domain.permissions; the list queries here return only what
the viewer may see, so a template cannot show a record by accident.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..domain import mentorship as rules
from ..domain import permissions
from ..domain.notifications import Kind
from ..domain.permissions import Relation
from ..domain.statuses import AuthorRole, GoalStatus, Visibility
from ..extensions import db
from ..models import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne, User
from ..unit_of_work import StaleRecord
from . import audit
from . import notifications as notification_service
from .ladders import current_rubric, ladder_of, published_ladders
from .people import active_mentorships_clause


class UnknownCompetency(ValueError):
    """A competency tag that is not in the current ladder."""


class MentorshipError(ValueError):
    """A pairing that cannot be made (yourself, or an active pairing already exists)."""


# --- competency tags -------------------------------------------------------------------------

def competency_choices(person: User | None = None) -> list[tuple[str, str, str]]:
    """(key, name, area name) of every competency of the person's ladder (its latest published
    version; without a person, the default ladder's)."""
    loaded = ladder_of(person) if person is not None else current_rubric()
    if loaded is None:
        return []
    return [(c.key, c.name, area.name) for area in loaded.rubric.areas for c in area.competencies]


def competency_names() -> dict[str, str]:
    """Names of the competencies of every published ladder, to show tags by name."""
    names: dict[str, str] = {}
    for loaded in published_ladders().values():
        names.update((c.key, c.name) for c in loaded.rubric.competencies)
    return names


def validate_tags(keys: list[str], subject_id: int, *, keep: list[str] | None = None) -> list[str]:
    """Tags checked against the subject's ladder (tags already stored may stay), in ladder order."""
    known = [key for key, _, _ in competency_choices(db.session.get(User, subject_id))]
    allowed = known + [k for k in (keep or []) if k not in known]
    unknown = rules.unknown_competencies(keys, allowed)
    if unknown:
        raise UnknownCompetency(", ".join(unknown))
    return rules.clean_tags(keys, allowed)


def _changes(obj: FeedbackNote | OneOnOne | Goal, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply `values` to `obj`; return {field: [before, after]} for what changed."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(obj, name)
        if before != value:
            changes[name] = [before.isoformat() if isinstance(before, date) else before,
                             value.isoformat() if isinstance(value, date) else value]
            setattr(obj, name, value)
    return changes


def _check_lock(record: FeedbackNote | OneOnOne | Goal, expected: int | None) -> None:
    if expected is not None and record.lock_version != expected:
        raise StaleRecord()


# --- mentorships -----------------------------------------------------------------------------

def mentorships_of(user_id: int) -> tuple[list[Mentorship], list[Mentorship]]:
    """(pairings where the person is the mentee, pairings where they mentor), newest first."""
    rows = db.session.scalars(
        select(Mentorship).where((Mentorship.mentee_id == user_id) | (Mentorship.mentor_id == user_id))
        .options(selectinload(Mentorship.mentor), selectinload(Mentorship.mentee))
        .order_by(Mentorship.starts_on.desc(), Mentorship.id.desc())
    ).all()
    return [m for m in rows if m.mentee_id == user_id], [m for m in rows if m.mentor_id == user_id]


_ACTIVE_MENTORSHIPS = (  # every home page: built once, the person and the day bound
    select(Mentorship).where(or_(Mentorship.mentee_id == bindparam("user_id"),
                                 Mentorship.mentor_id == bindparam("user_id")),
                             active_mentorships_clause(bindparam("today", type_=Date)))
    .options(joinedload(Mentorship.mentor), joinedload(Mentorship.mentee)).order_by(Mentorship.starts_on))


def active_mentorships(user_id: int, today: date) -> tuple[list[Mentorship], list[Mentorship]]:
    """(active pairings where the person is the mentee, active pairings where they mentor), oldest
    first, with both people joined in: one statement."""
    rows = db.session.scalars(_ACTIVE_MENTORSHIPS, {"user_id": user_id, "today": today}).all()
    return [m for m in rows if m.mentee_id == user_id], [m for m in rows if m.mentor_id == user_id]


def active_mentors(mentee_id: int, today: date) -> list[Mentorship]:
    return active_mentorships(mentee_id, today)[0]


def pair(mentor: User, mentee: User, *, focus: list[str], starts_on: date, ends_on: date | None,
         actor: User, today: date, creation_token: str | None = None) -> Mentorship:
    """Pair a mentor with a mentee; one open pairing per pair of people (the database holds to
    it too), so a pairing whose end date has passed is marked ended first."""
    if mentor.id == mentee.id:
        raise MentorshipError("Nobody can mentor themselves.")
    if ends_on is not None and ends_on < starts_on:
        raise MentorshipError("The end date is before the start date.")
    current = db.session.scalar(select(Mentorship).where(
        Mentorship.mentor_id == mentor.id, Mentorship.mentee_id == mentee.id, Mentorship.ended_on.is_(None)))
    if current is not None and (current.ends_on is None or current.ends_on >= today):
        raise MentorshipError(already_mentors(mentor, mentee))
    if current is not None:
        current.ended_on = current.ends_on
        db.session.flush()
    mentorship = Mentorship(mentor_id=mentor.id, mentee_id=mentee.id, focus=validate_tags(focus, mentee.id),
                            starts_on=starts_on, ends_on=ends_on, created_by_id=actor.id,
                            creation_token=creation_token)
    db.session.add(mentorship)
    db.session.flush()
    audit.record(actor.id, "mentorship.create", "mentorship", mentorship.id, mentee.id)
    return mentorship


def already_mentors(mentor: User, mentee: User) -> str:
    return f"{mentor.name} already mentors {mentee.name}."


def end_mentorship(mentorship: Mentorship, *, actor: User, today: date) -> None:
    """End a pairing now; the row (and everything written during it) stays as history."""
    if mentorship.ended_on is not None:
        return
    mentorship.ended_on = today
    if mentorship.ends_on is None or mentorship.ends_on > today:
        mentorship.ends_on = max(today, mentorship.starts_on)
    db.session.flush()
    audit.record(actor.id, "mentorship.end", "mentorship", mentorship.id, mentorship.mentee_id)


# --- feedback notes --------------------------------------------------------------------------

def visible_notes(subject_id: int, viewer_id: int, rel: Relation) -> list[FeedbackNote]:
    """The subject's feedback notes the viewer may read, newest first."""
    notes = db.session.scalars(
        select(FeedbackNote).where(FeedbackNote.subject_id == subject_id)
        .options(selectinload(FeedbackNote.author))
        .order_by(FeedbackNote.created_at.desc(), FeedbackNote.id.desc())
    )
    return [n for n in notes if permissions.can_view_note(
        rel, visibility=n.visibility, author_role=n.author_role, is_author=n.author_id == viewer_id)]


def create_note(subject: User, *, author: User, rel: Relation, body: str, visibility: str,
                competencies: list[str], creation_token: str | None = None) -> FeedbackNote:
    """A feedback note, in the role the author has toward the engineer (manager or mentor)."""
    role = permissions.note_author_role(rel)
    note = FeedbackNote(subject_id=subject.id, author_id=author.id, author_role=role, body=body,
                        visibility=visibility, competencies=validate_tags(competencies, subject.id),
                        creation_token=creation_token)
    db.session.add(note)
    db.session.flush()
    audit.record(author.id, "note.create", "feedback_note", note.id, subject.id)
    _feedback_shared(note, author)
    return note


def _feedback_shared(note: FeedbackNote, author: User) -> None:
    """Tell the engineer about a note they may read (once per note; a private note tells nobody)."""
    notification_service.notify(note.subject_id, Kind.FEEDBACK_SHARED, note, rel=notification_service.SELF,
                                actor_id=author.id, message=f"{author.name} shared feedback with you.")


def update_note(note: FeedbackNote, *, actor: User, body: str, visibility: str, competencies: list[str],
                expected_lock_version: int) -> dict:
    """Save an edit, refusing a stale one; the audit entry names the fields changed (never the text)."""
    _check_lock(note, expected_lock_version)
    changes = _changes(note, {"body": body, "visibility": visibility,
                              "competencies": validate_tags(competencies, note.subject_id, keep=note.competencies)})
    if changes:
        note.updated_at = clock.now()
        db.session.flush()
        audit.record(actor.id, "note.edit", "feedback_note", note.id, note.subject_id)
        if "visibility" in changes:
            _feedback_shared(note, actor)
    return changes


# --- 1:1s ------------------------------------------------------------------------------------

def visible_one_on_ones(subject_id: int, viewer_id: int, rel: Relation) -> list[OneOnOne]:
    """The subject's 1:1 notes the viewer may read, most recent conversation first."""
    rows = db.session.scalars(
        select(OneOnOne).where(OneOnOne.subject_id == subject_id)
        .options(selectinload(OneOnOne.author), selectinload(OneOnOne.action_items))
        .order_by(OneOnOne.held_on.desc(), OneOnOne.id.desc())
    )
    return [o for o in rows if permissions.can_view_note(
        rel, visibility=o.visibility, author_role=o.author_role, is_author=o.author_id == viewer_id)]


def create_one_on_one(subject: User, *, author: User, rel: Relation, held_on: date, participants: str,
                      notes: str, visibility: str, competencies: list[str],
                      action_items: list[str], creation_token: str | None = None) -> OneOnOne:
    """Record a conversation with its action items (one per non-empty line)."""
    record = OneOnOne(subject_id=subject.id, author_id=author.id, author_role=permissions.note_author_role(rel),
                      held_on=held_on, participants=participants, notes=notes, visibility=visibility,
                      competencies=validate_tags(competencies, subject.id), creation_token=creation_token)
    db.session.add(record)
    db.session.flush()
    for position, text in enumerate(action_items):
        db.session.add(ActionItem(one_on_one_id=record.id, position=position, text=text))
    db.session.flush()
    audit.record(author.id, "one_on_one.create", "one_on_one", record.id, subject.id)
    return record


def update_one_on_one(record: OneOnOne, *, actor: User, held_on: date, participants: str, notes: str,
                      visibility: str, competencies: list[str], expected_lock_version: int) -> dict:
    _check_lock(record, expected_lock_version)
    changes = _changes(record, {"held_on": held_on, "participants": participants, "notes": notes,
                                "visibility": visibility,
                                "competencies": validate_tags(competencies, record.subject_id,
                                                              keep=record.competencies)})
    if changes:
        record.updated_at = clock.now()
        db.session.flush()
        audit.record(actor.id, "one_on_one.edit", "one_on_one", record.id, record.subject_id)
    return changes


def action_items_of(one_on_one_id: int) -> list[ActionItem]:
    return list(db.session.scalars(
        select(ActionItem).where(ActionItem.one_on_one_id == one_on_one_id).order_by(ActionItem.position,
                                                                                     ActionItem.id)))


def add_action_item(record: OneOnOne, text: str, *, actor: User) -> ActionItem:
    position = (db.session.scalar(select(func.max(ActionItem.position))
                                  .where(ActionItem.one_on_one_id == record.id)) or 0) + 1
    item = ActionItem(one_on_one_id=record.id, position=position, text=text)
    db.session.add(item)
    db.session.flush()
    audit.record(actor.id, "action_item.create", "action_item", item.id, record.subject_id)
    return item


def set_action_item_done(item: ActionItem, record: OneOnOne, done: bool, *, actor: User) -> None:
    if item.done != done:
        item.done = done
        db.session.flush()
        audit.record(actor.id, "action_item.done", "action_item", item.id, record.subject_id)


def action_item_token(item: ActionItem) -> str:
    """The creation token of the goal made from an action item: unique, so one goal per item
    however many clicks race (use it with ladder.once.create_once)."""
    return f"action-item-{item.id}"


def goal_from_action_item(item: ActionItem, record: OneOnOne, *, actor: User) -> Goal:
    """Turn an action item into a goal of the engineer."""
    known = {key for key, _, _ in competency_choices()}
    goal = create_goal(db.session.get_one(User, record.subject_id), actor=actor, title=item.text[:200],
                       description=f"From the 1:1 of {record.held_on.strftime('%d %b %Y')}.",
                       competencies=[k for k in record.competencies if k in known], due_on=None,
                       creation_token=action_item_token(item))
    item.goal_id = goal.id
    db.session.flush()
    audit.record(actor.id, "action_item.to_goal", "action_item", item.id, record.subject_id, {"goal_id": goal.id})
    return goal


# --- goals -----------------------------------------------------------------------------------

def goals_of(owner_id: int) -> list[Goal]:
    """Open and in-progress goals first (soonest due first), then done and dropped ones."""
    goals = db.session.scalars(select(Goal).where(Goal.owner_id == owner_id)
                               .options(joinedload(Goal.created_by))).all()
    return sorted(goals, key=lambda g: (not rules.is_goal_open(g.status), g.due_on or date.max, g.id))


def goals_by_competency(subject_id: int) -> dict[str, list[Goal]]:
    """The engineer's goals (except dropped ones) per competency tag, for the review forms."""
    found: dict[str, list[Goal]] = {}
    for goal in goals_of(subject_id):
        if goal.status == GoalStatus.DROPPED:
            continue
        for key in goal.competencies or []:
            found.setdefault(key, []).append(goal)
    return found


def create_goal(owner: User, *, actor: User, title: str, description: str, competencies: list[str],
                due_on: date | None, creation_token: str | None = None) -> Goal:
    goal = Goal(owner_id=owner.id, created_by_id=actor.id, title=title, description=description,
                competencies=validate_tags(competencies, owner.id), due_on=due_on, status=GoalStatus.OPEN,
                creation_token=creation_token)
    db.session.add(goal)
    db.session.flush()
    audit.record(actor.id, "goal.create", "goal", goal.id, owner.id)
    return goal


def update_goal(goal: Goal, *, actor: User, title: str, description: str, competencies: list[str],
                due_on: date | None, status: str, expected_lock_version: int) -> dict:
    """Edit a goal; a status change is also posted as a progress update."""
    _check_lock(goal, expected_lock_version)
    before_status = goal.status
    changes = _changes(goal, {"title": title, "description": description, "due_on": due_on, "status": status,
                              "competencies": validate_tags(competencies, goal.owner_id, keep=goal.competencies)})
    if changes:
        goal.updated_at = clock.now()
        if before_status != status:
            db.session.add(GoalUpdate(goal_id=goal.id, author_id=actor.id, body="",
                                      status_from=before_status, status_to=status))
        db.session.flush()
        audit.record(actor.id, "goal.edit", "goal", goal.id, goal.owner_id)
    return changes


def post_goal_update(goal: Goal, *, actor: User, body: str, status: str | None,
                     expected_lock_version: int | None = None, creation_token: str | None = None) -> GoalUpdate:
    """Progress on a goal: a comment and/or a status change."""
    _check_lock(goal, expected_lock_version)
    before = goal.status
    status_to = status if status is not None and status != before else None
    update = GoalUpdate(goal_id=goal.id, author_id=actor.id, body=body,
                        status_from=before if status_to is not None else None, status_to=status_to,
                        creation_token=creation_token)
    db.session.add(update)
    if status_to is not None:
        goal.status = status_to
    goal.updated_at = clock.now()
    db.session.flush()  # audited by the hook: the update (its comment) and the goal's new status
    return update


def goal_updates(goal_id: int) -> list[GoalUpdate]:
    return list(db.session.scalars(select(GoalUpdate).where(GoalUpdate.goal_id == goal_id)
                                   .options(selectinload(GoalUpdate.author)).order_by(GoalUpdate.created_at,
                                                                                      GoalUpdate.id)))


# --- home page -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonSummary:
    """A mentee or report at a glance before a 1:1: open and overdue goals, the last 1:1."""

    person: User
    mentorship: Mentorship | None
    open_goals: int
    overdue_goals: int
    last_one_on_one: date | None


# the home page's summaries of mentees and reports (people bound as ids), built once
_GOALS_OF_PEOPLE = select(Goal.owner_id, Goal.status, Goal.due_on).where(Goal.owner_id.in_(bindparam("ids",
                                                                                                   expanding=True)))
_BY_VIEWER = OneOnOne.author_id == bindparam("viewer_id")
_LAST_ONE_ON_ONES = (  # (subject, the viewer's own last 1:1, the last a manager may date)
    select(OneOnOne.subject_id, func.max(case((_BY_VIEWER, OneOnOne.held_on))), func.max(OneOnOne.held_on))
    .where(OneOnOne.subject_id.in_(bindparam("ids", expanding=True)),
           or_(_BY_VIEWER, OneOnOne.visibility == Visibility.SHARED, OneOnOne.author_role == AuthorRole.MANAGER))
    .group_by(OneOnOne.subject_id))


def _summaries(mentoring: list[Mentorship], reports: list[User], viewer_id: int,
               today: date) -> tuple[list[PersonSummary], list[PersonSummary]]:
    """The viewer's mentees and reports at a glance, in two statements for both: their goals, and
    their last 1:1 as the viewer may date it. A mentor dates only their own 1:1s; a manager also
    shared ones and managers', never a mentor's private 1:1 (dating it would reveal it)."""
    ids = list({m.mentee_id for m in mentoring} | {person.id for person in reports})
    if not ids:
        return [], []
    goals: dict[int, list[tuple[str, date | None]]] = {}
    for owner_id, status, due_on in db.session.execute(_GOALS_OF_PEOPLE, {"ids": ids}):
        goals.setdefault(owner_id, []).append((status, due_on))
    last = {subject_id: (by_viewer, seen_by_manager) for subject_id, by_viewer, seen_by_manager
            in db.session.execute(_LAST_ONE_ON_ONES, {"ids": ids, "viewer_id": viewer_id})}

    def summary(person: User, mentorship: Mentorship | None, last_one_on_one: date | None) -> PersonSummary:
        theirs = goals.get(person.id, [])
        return PersonSummary(person=person, mentorship=mentorship,
                             open_goals=sum(rules.is_goal_open(status) for status, _ in theirs),
                             overdue_goals=sum(rules.is_overdue(due_on, status, today) for status, due_on in theirs),
                             last_one_on_one=last_one_on_one)

    return ([summary(m.mentee, m, last.get(m.mentee_id, (None, None))[0]) for m in mentoring],
            [summary(person, None, last.get(person.id, (None, None))[1]) for person in reports])


def home_context(viewer: User, today: date) -> dict:
    """What the home page shows about mentorship: my mentees, my mentors and goals, my reports
    (people joined into the rows that name them, not read after: a statement less each)."""
    mentors, mentoring = active_mentorships(viewer.id, today)
    direct = db.session.scalars(select(User).where(User.manager_id == viewer.id,
                                                   User.is_active_account.is_(True)).order_by(User.name)).all()
    mentees, reports = _summaries(mentoring, list(direct), viewer.id, today)
    my_goals = [g for g in goals_of(viewer.id) if rules.is_goal_open(g.status)]
    shared = db.session.scalars(
        select(FeedbackNote).where(FeedbackNote.subject_id == viewer.id, FeedbackNote.visibility == Visibility.SHARED)
        .options(joinedload(FeedbackNote.author)).order_by(FeedbackNote.created_at.desc(), FeedbackNote.id.desc())
        .limit(3)).all()
    return {"mentees": mentees, "mentors": mentors, "goals": my_goals, "shared_notes": shared, "reports": reports,
            "today": today}


def is_overdue(goal: Goal, today: date) -> bool:
    return rules.is_overdue(goal.due_on, goal.status, today)


def now() -> datetime:
    return clock.now()
