"""Mentorship pages: pairings, feedback notes, 1:1s, goals and the engineer's timeline.

Every record is loaded through ladder.access (load, check, or 404); views parse forms, call
ladder.services.mentorship, commit once and flash.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from .. import clock
from ..access import goal_or_404, mentorship_or_404, note_or_404, one_on_one_or_404, person_or_404
from ..domain import permissions
from ..domain.mentorship import TIMELINE_KINDS
from ..domain.statuses import Visibility
from ..extensions import db
from ..forms import ConfirmForm
from ..models import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne, User
from ..once import LostRace, create_once, created_with
from ..services import mentorship as service
from ..services.timeline import timeline as build_timeline
from ..unit_of_work import StaleRecord, reload_after_conflict, unit_of_work
from .forms import (
    ActionItemForm,
    GoalForm,
    GoalUpdateForm,
    MentorshipForm,
    NoteForm,
    OneOnOneForm,
    set_competency_choices,
)

bp = Blueprint("mentorship", __name__)

STALE_MESSAGE = ("This was saved somewhere else (another tab or person) since you opened it. "
                 "Your version is below and was NOT saved; the saved version is shown for comparison. "
                 "Save again to keep yours.")


def today() -> date:
    return clock.today()


@bp.context_processor
def mentorship_helpers():
    return {"competency_names": service.competency_names(), "today": today(),
            "is_overdue": service.is_overdue, "TIMELINE_KINDS": TIMELINE_KINDS}


def _lock(form) -> int:
    """The version an edit was made from; a form without one counts as stale, never as fresh."""
    return form.lock_version.data if form.lock_version.data is not None else -1


def _tags_problem(form) -> None:
    form.competencies.errors = list(form.competencies.errors) + ["Choose competencies from the ladder."]


# --- the growth page and the timeline --------------------------------------------------------

@bp.route("/people/<int:user_id>/growth")
@login_required
def growth(user_id: int):
    """One engineer's goals, feedback, 1:1s and mentors: the page to open before a 1:1."""
    person, rel = person_or_404(user_id, permissions.can_view_growth)
    return render_template(
        "mentorship/growth.html", person=person, rel=rel,
        goals=service.goals_of(person.id),
        notes=service.visible_notes(person.id, current_user.id, rel),
        one_on_ones=service.visible_one_on_ones(person.id, current_user.id, rel),
        mentors=service.active_mentors(person.id, today()),
        can_write=permissions.can_write_note(rel), can_edit_goals=permissions.can_edit_goals(rel),
        can_manage=permissions.can_manage_mentorships(rel))


@bp.route("/people/<int:user_id>/timeline")
@login_required
def timeline(user_id: int):
    """Everything about an engineer's growth the viewer may see, newest first, filterable."""
    person, rel = person_or_404(user_id, permissions.can_view_growth)
    kind = request.args.get("kind") or None
    competency = request.args.get("competency") or None
    names = service.competency_names()
    if kind not in TIMELINE_KINDS:
        kind = None
    if competency not in names:
        competency = None
    entries = build_timeline(person, current_user, rel, today(), kind=kind, competency=competency)
    return render_template("mentorship/timeline.html", person=person, rel=rel, entries=entries,
                           kind=kind, competency=competency, names=names)


# --- mentorships -----------------------------------------------------------------------------

@bp.route("/people/<int:user_id>/mentorships", methods=["GET", "POST"])
@login_required
def mentorships(user_id: int):
    """The pairings of a person (as mentee and as mentor); admins and managers pair here."""
    person, rel = person_or_404(user_id, permissions.can_view_mentorships)
    can_manage = permissions.can_manage_mentorships(rel)
    form = None
    status = 200
    if can_manage:
        form = MentorshipForm(data={"starts_on": today()} if request.method == "GET" else None)
        form.mentor_id.choices = [SelectChoice(0, "Choose a mentor")] + [
            SelectChoice(u.id, f"{u.name} ({u.title or u.email})") for u in db.session.scalars(
                select(User).where(User.id != person.id, User.is_active_account.is_(True)).order_by(User.name))]
        set_competency_choices(form.focus, service.competency_choices(person))
        if request.method == "POST":
            if form.validate() and form.mentor_id.data:
                mentor = db.session.get_one(User, form.mentor_id.data)  # one of the validated choices
                try:
                    _, created = create_once(
                        Mentorship, form.creation_token.data, lambda: service.pair(
                            mentor, person, focus=form.focus.data or [], starts_on=form.starts_on.data,
                            ends_on=form.ends_on.data, actor=current_user, today=today(),
                            creation_token=form.creation_token.data),
                        created_by_id=current_user.id)
                except service.MentorshipError as exc:
                    form.mentor_id.errors = [str(exc)]
                except LostRace:  # the same pairing made at the same moment from another page
                    form.mentor_id.errors = [service.already_mentors(mentor, person)]
                except service.UnknownCompetency:
                    form.focus.errors = ["Choose competencies from the ladder."]
                else:
                    _flash_created(created, f"{mentor.name} now mentors {person.name}.")
                    return redirect(url_for(".mentorships", user_id=person.id))
            elif not form.mentor_id.data and not form.mentor_id.errors:
                form.mentor_id.errors = ["Choose a mentor."]
            status = 422
    elif request.method == "POST":
        abort(404)
    as_mentee, as_mentor = service.mentorships_of(person.id)
    return render_template("mentorship/mentorships.html", person=person, rel=rel, form=form,
                           as_mentee=as_mentee, as_mentor=as_mentor, end_form=ConfirmForm(),
                           can_manage=can_manage), status


@bp.route("/mentorships/<int:mentorship_id>/end", methods=["POST"])
@login_required
def end_mentorship(mentorship_id: int):
    mentorship, mentee, rel = mentorship_or_404(mentorship_id)
    if not (permissions.can_manage_mentorships(rel) or current_user.id in (mentorship.mentor_id, mentorship.mentee_id)):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.end_mentorship(mentorship, actor=current_user, today=today())
    db.session.commit()
    flash("The mentorship has ended; its history is kept.", "success")
    return redirect(url_for(".mentorships", user_id=mentee.id))


ALREADY_SENT = "This form was already sent: here is what it saved (nothing was added twice)."


def _flash_created(created: bool, message: str) -> None:
    """The usual message, or for a form sent again, that nothing new was made."""
    flash(message if created else ALREADY_SENT, "success" if created else "info")


def _new_tagged_form(form_class, person: User):
    """A form for a new note or goal; on first display pre-tagged with ?competency=... (a gap
    on the readiness page links here that way)."""
    form = form_class(data={"lock_version": 0, "competencies": request.args.getlist("competency")}
                      if request.method == "GET" else None)
    set_competency_choices(form.competencies, service.competency_choices(person))
    return form


# --- feedback notes --------------------------------------------------------------------------

@bp.route("/people/<int:user_id>/notes/new", methods=["GET", "POST"])
@login_required
def new_note(user_id: int):
    person, rel = person_or_404(user_id, permissions.can_write_note)
    form = _new_tagged_form(NoteForm, person)
    if form.validate_on_submit():
        try:
            note, created = create_once(FeedbackNote, form.creation_token.data, lambda: service.create_note(
                person, author=current_user, rel=rel, body=form.body.data, visibility=form.visibility.data,
                competencies=form.competencies.data or [], creation_token=form.creation_token.data),
                author_id=current_user.id)
        except service.UnknownCompetency:
            _tags_problem(form)
        else:
            shared = " The engineer can read it." if note.visibility == Visibility.SHARED else ""
            _flash_created(created, "Note saved." + shared)
            return redirect(url_for(".note", note_id=note.id))
    return render_template("mentorship/note_form.html", form=form, person=person, rel=rel, note=None,
                           saved=None), 422 if request.method == "POST" else 200


@bp.route("/notes/<int:note_id>")
@login_required
def note(note_id: int):
    note, person, rel = note_or_404(note_id)
    return render_template("mentorship/note.html", note=note, person=person, rel=rel,
                           can_edit=permissions.can_edit_note(rel, is_author=note.author_id == current_user.id),
                           author=db.session.get(User, note.author_id))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit_note(note_id: int):
    note, person, rel = note_or_404(note_id)
    if not permissions.can_edit_note(rel, is_author=note.author_id == current_user.id):
        abort(404)
    form = NoteForm(obj=note if request.method == "GET" else None)
    set_competency_choices(form.competencies, service.competency_choices(person), keep=note.competencies)
    saved = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                with unit_of_work():
                    service.update_note(note, actor=current_user, body=form.body.data, visibility=form.visibility.data,
                                        competencies=form.competencies.data or [],
                                        expected_lock_version=_lock(form))
            except StaleRecord:
                note = reload_after_conflict(FeedbackNote, note_id, form, STALE_MESSAGE)
                saved, status = note, 409
            except service.UnknownCompetency:
                _tags_problem(form)
            else:
                flash("Note updated; the previous text is kept in the history.", "success")
                return redirect(url_for(".note", note_id=note.id))
    return render_template("mentorship/note_form.html", form=form, person=person, rel=rel, note=note,
                           saved=saved), status


# --- 1:1s ------------------------------------------------------------------------------------

@bp.route("/people/<int:user_id>/one-on-ones/new", methods=["GET", "POST"])
@login_required
def new_one_on_one(user_id: int):
    person, rel = person_or_404(user_id, permissions.can_write_note)
    form = OneOnOneForm(data={"lock_version": 0, "held_on": today(),
                              "participants": f"{current_user.name}, {person.name}"}
                        if request.method == "GET" else None)
    set_competency_choices(form.competencies, service.competency_choices(person))
    if form.validate_on_submit():
        try:
            record, created = create_once(OneOnOne, form.creation_token.data, lambda: service.create_one_on_one(
                person, author=current_user, rel=rel, held_on=form.held_on.data,
                participants=(form.participants.data or "").strip(), notes=form.notes.data,
                visibility=form.visibility.data, competencies=form.competencies.data or [],
                action_items=form.action_item_lines(), creation_token=form.creation_token.data),
                author_id=current_user.id)
        except service.UnknownCompetency:
            _tags_problem(form)
        else:
            _flash_created(created, "1:1 saved.")
            return redirect(url_for(".one_on_one", one_on_one_id=record.id))
    return render_template("mentorship/one_on_one_form.html", form=form, person=person, rel=rel, record=None,
                           saved=None), 422 if request.method == "POST" else 200


def _one_on_one_page(record, person, rel, *, item_form=None, status=200):
    is_author = record.author_id == current_user.id
    return render_template(
        "mentorship/one_on_one.html", record=record, person=person, rel=rel,
        author=db.session.get(User, record.author_id), items=service.action_items_of(record.id),
        can_edit=permissions.can_edit_note(rel, is_author=is_author),
        can_act=permissions.can_edit_goals(rel), item_form=item_form or ActionItemForm(),
        button=ConfirmForm()), status


@bp.route("/one-on-ones/<int:one_on_one_id>")
@login_required
def one_on_one(one_on_one_id: int):
    record, person, rel = one_on_one_or_404(one_on_one_id)
    return _one_on_one_page(record, person, rel)


@bp.route("/one-on-ones/<int:one_on_one_id>/edit", methods=["GET", "POST"])
@login_required
def edit_one_on_one(one_on_one_id: int):
    record, person, rel = one_on_one_or_404(one_on_one_id)
    if not permissions.can_edit_note(rel, is_author=record.author_id == current_user.id):
        abort(404)
    form = OneOnOneForm(obj=record if request.method == "GET" else None)
    set_competency_choices(form.competencies, service.competency_choices(person), keep=record.competencies)
    saved = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                with unit_of_work():
                    service.update_one_on_one(record, actor=current_user, held_on=form.held_on.data,
                                              participants=(form.participants.data or "").strip(),
                                              notes=form.notes.data, visibility=form.visibility.data,
                                              competencies=form.competencies.data or [],
                                              expected_lock_version=_lock(form))
                    for text in form.action_item_lines():
                        service.add_action_item(record, text, actor=current_user)
            except StaleRecord:
                record = reload_after_conflict(OneOnOne, one_on_one_id, form, STALE_MESSAGE)
                saved, status = record, 409
            except service.UnknownCompetency:
                _tags_problem(form)
            else:
                flash("1:1 updated; the previous text is kept in the history.", "success")
                return redirect(url_for(".one_on_one", one_on_one_id=record.id))
    return render_template("mentorship/one_on_one_form.html", form=form, person=person, rel=rel,
                           record=record, saved=saved), status


@bp.route("/one-on-ones/<int:one_on_one_id>/action-items", methods=["POST"])
@login_required
def add_action_item(one_on_one_id: int):
    record, person, rel = one_on_one_or_404(one_on_one_id)
    if not permissions.can_edit_note(rel, is_author=record.author_id == current_user.id):
        abort(404)
    form = ActionItemForm()
    if not form.validate_on_submit():
        return _one_on_one_page(record, person, rel, item_form=form, status=422)
    service.add_action_item(record, form.text.data.strip(), actor=current_user)
    db.session.commit()
    flash("Action item added.", "success")
    return redirect(url_for(".one_on_one", one_on_one_id=record.id))


def _action_item_or_404(item_id: int):
    """An action item, visible when its 1:1 is; acting on it needs goal rights on the engineer."""
    item = db.session.get(ActionItem, item_id)
    if item is None:
        abort(404)
    record, person, rel = one_on_one_or_404(item.one_on_one_id)
    if not permissions.can_edit_goals(rel):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return item, record, person


@bp.route("/action-items/<int:item_id>/done", methods=["POST"])
@login_required
def toggle_action_item(item_id: int):
    item, record, _ = _action_item_or_404(item_id)
    service.set_action_item_done(item, record, not item.done, actor=current_user)
    db.session.commit()
    return redirect(url_for(".one_on_one", one_on_one_id=record.id))


@bp.route("/action-items/<int:item_id>/goal", methods=["POST"])
@login_required
def action_item_to_goal(item_id: int):
    """Turn an action item into a goal in one step (a second click opens the same goal)."""
    item, record, person = _action_item_or_404(item_id)
    goal, created = create_once(Goal, service.action_item_token(item),
                                lambda: service.goal_from_action_item(item, record, actor=current_user))
    if created:
        flash(f"Goal created for {person.name}. Add a due date and competencies if you like.", "success")
    return redirect(url_for(".goal", goal_id=goal.id))


# --- goals -----------------------------------------------------------------------------------

@bp.route("/people/<int:user_id>/goals/new", methods=["GET", "POST"])
@login_required
def new_goal(user_id: int):
    person, rel = person_or_404(user_id, permissions.can_edit_goals)
    form = _new_tagged_form(GoalForm, person)
    if form.validate_on_submit():
        try:
            goal, created = create_once(Goal, form.creation_token.data, lambda: service.create_goal(
                person, actor=current_user, title=form.title.data.strip(), description=form.description.data,
                competencies=form.competencies.data or [], due_on=form.due_on.data,
                creation_token=form.creation_token.data), created_by_id=current_user.id)
        except service.UnknownCompetency:
            _tags_problem(form)
        else:
            _flash_created(created, "Goal created.")
            return redirect(url_for(".goal", goal_id=goal.id))
    return render_template("mentorship/goal_form.html", form=form, person=person, goal=None, saved=None), \
        422 if request.method == "POST" else 200


def _goal_page(goal, person, rel, *, update_form=None, status=200):
    if update_form is None:
        update_form = GoalUpdateForm(data={"status": goal.status, "lock_version": goal.lock_version})
    return render_template("mentorship/goal.html", goal=goal, person=person, rel=rel,
                           updates=service.goal_updates(goal.id), update_form=update_form,
                           created_by=db.session.get(User, goal.created_by_id) if goal.created_by_id else None,
                           can_edit=permissions.can_edit_goals(rel)), status


@bp.route("/goals/<int:goal_id>")
@login_required
def goal(goal_id: int):
    goal, person, rel = goal_or_404(goal_id)
    return _goal_page(goal, person, rel)


@bp.route("/goals/<int:goal_id>/updates", methods=["POST"])
@login_required
def post_goal_update(goal_id: int):
    """A progress note and/or a status change by the engineer, a manager or a mentor."""
    goal, person, rel = goal_or_404(goal_id)
    if not permissions.can_edit_goals(rel):
        abort(404)
    form = GoalUpdateForm()
    if form.validate_on_submit():
        body = form.body.data.strip()
        if created_with(GoalUpdate, form.creation_token.data, author_id=current_user.id, goal_id=goal.id):
            flash(ALREADY_SENT, "info")  # checked first: a status change sent again now changes nothing
            return redirect(url_for(".goal", goal_id=goal.id))
        if not body and form.status.data == goal.status:
            form.body.errors = ["Write what happened or change the status."]
        else:
            try:
                _, created = create_once(GoalUpdate, form.creation_token.data, lambda: service.post_goal_update(
                    goal, actor=current_user, body=body, status=form.status.data,
                    expected_lock_version=_lock(form), creation_token=form.creation_token.data),
                    author_id=current_user.id, goal_id=goal.id)
            except StaleRecord:
                goal = reload_after_conflict(Goal, goal_id, form, "The goal changed since you opened it (see below). "
                                             "Your update was NOT saved; post it again to keep it.")
                return _goal_page(goal, person, rel, update_form=form, status=409)
            _flash_created(created, "Progress posted.")
            return redirect(url_for(".goal", goal_id=goal.id))
    return _goal_page(goal, person, rel, update_form=form, status=422)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_goal(goal_id: int):
    goal, person, rel = goal_or_404(goal_id)
    if not permissions.can_edit_goals(rel):
        abort(404)
    form = GoalForm(obj=goal if request.method == "GET" else None)
    set_competency_choices(form.competencies, service.competency_choices(person), keep=goal.competencies)
    saved = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                with unit_of_work():
                    service.update_goal(goal, actor=current_user, title=form.title.data.strip(),
                                        description=form.description.data, competencies=form.competencies.data or [],
                                        due_on=form.due_on.data, status=form.status.data,
                                        expected_lock_version=_lock(form))
            except StaleRecord:
                goal = reload_after_conflict(Goal, goal_id, form, STALE_MESSAGE)
                saved, status = goal, 409
            except service.UnknownCompetency:
                _tags_problem(form)
            else:
                flash("Goal updated.", "success")
                return redirect(url_for(".goal", goal_id=goal.id))
    return render_template("mentorship/goal_form.html", form=form, person=person, goal=goal, saved=saved), status
