"""Peer feedback pages: asking colleagues about a person, the peer's answer page, declining.

Requests are loaded through ladder.access (load, check, or 404); the engineer and their
managers read the answers on the person page and the side-by-side view (templates include
peer_feedback/_section.html).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import clock
from ..access import peer_request_or_404, person_or_404
from ..domain import permissions
from ..domain.peer_feedback import Answer, answers_from_data
from ..extensions import db
from ..models import PeerFeedbackRequest, ReviewCycle, User
from ..once import LostRace, create_once
from ..services import peer_feedback as service
from ..services import reviews as review_service
from ..unit_of_work import StaleRecord, reload_after_conflict, unit_of_work
from .forms import DeclineForm, RequestForm, answer_field, build_answer_form, rating_field

bp = Blueprint("peer_feedback", __name__)

STALE_MESSAGE = ("This request changed since you opened it (saved in another tab, submitted or declined). "
                 "Your answers are below and were NOT saved.")


@bp.route("/people/<int:user_id>/peer-feedback/request", methods=["GET", "POST"])
@login_required
def request_feedback(user_id: int):
    """The engineer (about themselves) or a manager in their chain asks colleagues for feedback."""
    subject, rel = person_or_404(user_id, permissions.can_request_peer_feedback)
    cycle = review_service.open_cycle()
    if cycle is None:
        return render_template("reviews/no_cycle.html")
    if not subject.on_ladder:
        return render_template("reviews/no_cycle.html", cycle=cycle, subject=subject)
    loaded = service.version_of(cycle, subject)
    today = clock.today()
    form = RequestForm(data={"due_on": min(today + timedelta(days=14), cycle.closes_on)}
                       if request.method == "GET" else None)
    form.peers.choices = [SelectChoice(str(u.id), u.name) for u in service.colleagues(subject)]
    applicable = service.applicable_keys(loaded, subject)
    form.competencies.choices = [SelectChoice(key, loaded.rubric.competency(key).name) for key in applicable]
    if form.validate_on_submit():
        try:
            _, created = create_once(PeerFeedbackRequest, form.creation_token.data, lambda: service.request_feedback(
                cycle, subject, requester=current_user, peer_ids=form.peers.data,
                competencies=form.competencies.data or [],
                due_on=form.due_on.data, today=today, creation_token=form.creation_token.data)[0],
                requester_id=current_user.id)
        except service.RequestRefused as refused:
            for name, message in refused.problems.items():
                form[name].errors = list(form[name].errors) + [message]
        except LostRace:  # the same colleague asked at the same moment from another page
            form.peers.errors = list(form.peers.errors) + ["Some of these colleagues were already asked in this cycle."]
        else:
            flash("Feedback requested. Your colleagues see it on their home page." if created
                  else "This request was already sent (the form was sent twice).", "success" if created else "info")
            return redirect(url_for("people.profile", user_id=subject.id) + "#peer-feedback")
    existing = [r for r in service.requests_about(cycle.id, subject.id)
                if permissions.can_follow_peer_request(rel, is_requester=r.requester_id == current_user.id)]
    return render_template("peer_feedback/request_form.html", form=form, subject=subject, cycle=cycle,
                           existing=existing, rel=rel), 422 if request.method == "POST" else 200


def _page(feedback_request: PeerFeedbackRequest, subject: User, rel, *, form=None, decline_form=None,
          problems=None, status=200):
    cycle = db.session.get(ReviewCycle, feedback_request.cycle_id)
    loaded = service.version_of(cycle, subject)
    names = {c.key: c.name for c in loaded.rubric.competencies}
    options = service.rating_options(feedback_request, loaded, subject)
    is_peer = feedback_request.peer_id == current_user.id
    can_answer = permissions.can_answer_peer_request(is_peer=is_peer, status=feedback_request.status)
    if can_answer and form is None:
        form = build_answer_form(names, options, answers_from_data(feedback_request.answers),
                                 feedback_request.lock_version)
    if can_answer and decline_form is None:
        decline_form = DeclineForm(data={"lock_version": feedback_request.lock_version})
    return render_template(
        "peer_feedback/request.html", feedback_request=feedback_request, subject=subject, cycle=cycle, rel=rel,
        rubric=loaded.rubric, names=names, form=form if can_answer else None,
        decline_form=decline_form if can_answer else None, problems=problems or {},
        answers=answers_from_data(feedback_request.answers), answer_field=answer_field, rating_field=rating_field,
        peer=db.session.get(User, feedback_request.peer_id),
        requester=db.session.get(User, feedback_request.requester_id), is_peer=is_peer, today=clock.today()), status


@bp.route("/peer-feedback/<int:request_id>", methods=["GET", "POST"])
@login_required
def show(request_id: int):
    """The peer writes (save a draft, submit); once submitted, everyone who may open it reads it."""
    feedback_request, subject, rel = peer_request_or_404(request_id)
    if request.method == "GET":
        return _page(feedback_request, subject, rel)
    is_peer = feedback_request.peer_id == current_user.id
    if not is_peer:
        abort(404)
    cycle = db.session.get(ReviewCycle, feedback_request.cycle_id)
    loaded = service.version_of(cycle, subject)
    options = service.rating_options(feedback_request, loaded, subject)
    names = {c.key: c.name for c in loaded.rubric.competencies}
    form = build_answer_form(names, options, {}, feedback_request.lock_version, request.form)
    if not permissions.can_answer_peer_request(is_peer=is_peer, status=feedback_request.status):
        flash("Your answer was already submitted (or you declined): it can no longer change.", "info")
        return redirect(url_for(".show", request_id=feedback_request.id))
    if not form.validate():
        flash("Some answers need attention; nothing was saved yet.", "error")
        return _page(feedback_request, subject, rel, form=form, status=422)
    answers = {key: Answer(form[answer_field(key)].data or "", form[rating_field(key)].data or None) for key in options}
    submitting = form.action.data == "submit"
    try:
        with unit_of_work():
            service.save_answers(feedback_request, answers, options=options, submit=submitting,
                                 expected_lock_version=form.lock_version.data)
    except service.AnswerRefused as refused:
        flash("Some answers need attention; nothing was saved yet.", "error")
        return _page(feedback_request, subject, rel, form=form, problems=refused.problems, status=422)
    except StaleRecord:
        feedback_request = reload_after_conflict(PeerFeedbackRequest, request_id, form, STALE_MESSAGE)
        return _page(feedback_request, subject, rel, form=form, status=409)
    flash("Submitted, thank you. Your answer can no longer change." if submitting else "Draft saved.", "success")
    return redirect(url_for(".show", request_id=feedback_request.id))


@bp.route("/peer-feedback/<int:request_id>/decline", methods=["POST"])
@login_required
def decline(request_id: int):
    feedback_request, subject, rel = peer_request_or_404(request_id)
    if feedback_request.peer_id != current_user.id:
        abort(404)
    form = DeclineForm()
    if not permissions.can_answer_peer_request(is_peer=True, status=feedback_request.status):
        flash("This request was already answered or declined.", "info")
        return redirect(url_for(".show", request_id=feedback_request.id))
    if not form.validate_on_submit():
        return _page(feedback_request, subject, rel, decline_form=form, status=422)
    try:
        with unit_of_work():
            service.decline(feedback_request, (form.reason.data or "").strip(),
                            expected_lock_version=form.lock_version.data)
    except StaleRecord:
        feedback_request = db.session.get(PeerFeedbackRequest, request_id)
        flash("This request changed since you opened it; nothing was declined. Look again below.", "error")
        return _page(feedback_request, subject, rel, decline_form=form, status=409)
    requester = db.session.get(User, feedback_request.requester_id)
    flash(f"Declined. {requester.name} can see that you declined.", "success")
    return redirect(url_for("main.home"))
