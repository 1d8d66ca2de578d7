"""Filling and reading reviews."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..access import held_for_viewer, person_or_404, review_or_404
from ..domain import permissions
from ..domain import reviews as rules
from ..domain.reviews import Entry
from ..domain.rubric import Rubric
from ..domain.statuses import ReviewKind, ReviewStatus
from ..domain.wording import plural
from ..extensions import db
from ..forms import IrreversibleForm
from ..models import Review, ReviewCycle, ReviewQuestion, User
from ..params import int_arg
from ..presentation import charts
from ..services import peer_feedback
from ..services import reviews as review_service
from ..services.cycles import held_cycle_ids
from ..services.ladders import LoadedVersion, load_version
from ..services.mentorship import goals_by_competency
from ..unit_of_work import StaleRecord, refresh_lock, unit_of_work
from .forms import (
    AcknowledgeForm,
    answers_from_form,
    build_review_form,
    entries_from_form,
    error_summary,
    rating_choices,
    rating_field,
)

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.route("/self", methods=["GET", "POST"])
@login_required
def my_self_review():
    """The signed-in person's self-review in the open cycle (stored by its first save)."""
    cycle = review_service.open_cycle()
    if cycle is None:
        return render_template("reviews/no_cycle.html")
    try:
        review = review_service.review_or_unsaved(cycle, current_user, ReviewKind.SELF, current_user)
    except review_service.NotInCycle:
        return render_template("reviews/no_cycle.html", cycle=cycle)
    if not review.is_editable:
        return redirect(url_for("reviews.show", review_id=review.id))
    return edit_review(review, title="Your self-review", back=url_for("main.home"),
                       autosave_url=url_for("reviews.autosave_self"))


def ratings_radar(rubric, level_key: str, self_entries: dict, manager_entries: dict, subject_name: str):
    """Self vs manager ratings per competency area, relative to the person's level."""
    level_name = rubric.level(level_key).name
    return charts.radar([area.name for area in rubric.areas],
                        [("Self-review", charts.relative_by_area(rubric, level_key, self_entries)),
                         ("Manager review", charts.relative_by_area(rubric, level_key, manager_entries))],
                        level_name=level_name, title=f"{subject_name}: self-review and manager review by area")


@dataclass
class _ReviewForm:
    """The rating form page of one review, as a POST changes it (errors, a conflict, a status)."""

    review: Review
    loaded: LoadedVersion
    rubric: Rubric
    saved: dict[str, Entry]
    stored: review_service.Stored  # the rows `saved` was read from: the save changes these
    questions: list[ReviewQuestion]
    form: FlaskForm
    field_errors: dict[str, str] = field(default_factory=dict)
    conflict: dict[str, Entry] | None = None
    status: int = 200

    @property
    def subject(self) -> User:
        """The person reviewed, read only when the page renders (an autosave answers JSON)."""
        return db.session.get_one(User, self.review.subject_id)


def edit_review(review: Review, *, title: str, back: str, autosave_url: str, side_by_side=None):
    """Show and process the rating form of a draft review (self or manager).

    Saves keep everything typed; a submit with problems still saves the draft and shows a
    message next to each field; a save from a stale page is refused with the input kept.
    A not-started review shows an empty form and is stored by its first save.
    """
    page = _open_review_form(review)
    if request.method == "POST":
        copied = _copy_agreed_ratings(page.form, page.rubric, side_by_side) if side_by_side else None
        response = _post_review_form(page, copied)
        if response is not None:
            return response
    return _render_review_form(page, title=title, back=back, autosave_url=autosave_url, side_by_side=side_by_side)


def _open_review_form(review: Review) -> _ReviewForm:
    loaded = review_service.version_of(review)
    rubric = review_service.rubric_of(review, loaded)
    questions = review_service.questions_for(review)
    stored = review_service.stored_of(review, with_answers=bool(questions))
    saved = review_service.entries_in(stored, loaded)
    formdata = request.form if request.method == "POST" else None
    form = build_review_form(rubric, review.subject_track_key, review.subject_level_key, saved,
                             review.lock_version, formdata, questions=questions,
                             answers={question_id: answer.body for question_id, answer in stored.answers.items()})
    return _ReviewForm(review, loaded, rubric, saved, stored, questions, form)


def _post_review_form(page: _ReviewForm, copied: dict[str, str] | None):
    """Save (and, when asked and complete, submit) what was typed: a response to send, or None
    to show the form again with `page` telling what went wrong."""
    review, form, rubric = page.review, page.form, page.rubric
    entries = entries_from_form(form, rubric) if form.validate() else None
    if entries is not None:
        page.field_errors = rules.draft_errors(rubric, review.subject_track_key, review.subject_level_key, entries)
    if entries is None or page.field_errors:
        page.status = 422
        flash("Some answers need attention; nothing was saved yet.", "error")
        return None
    submitting = form.action.data == "submit"
    try:
        submitted = _save_review(page, entries, submitting=submitting)
    except StaleRecord:
        _show_conflict(page, entries)
        return None
    except review_service.ReviewLocked:
        flash("This review can no longer be changed.", "error")
        return redirect(url_for("reviews.show", review_id=review.id))
    if not submitting:
        return _after_draft_saved(rubric, copied)
    if submitted:
        flash("Submitted. It is now read-only.", "success")
        return redirect(url_for("reviews.show", review_id=review.id))
    _saved_but_not_submitted(page)
    return None


def _save_review(page: _ReviewForm, entries: dict[str, Entry], *, submitting: bool) -> bool:
    """Save the draft and, if asked, submit it when nothing is missing and the box is ticked:
    whether it was submitted. One commit either way."""
    with unit_of_work():
        review_service.save_entries(page.review, entries, actor=current_user,
                                    expected_lock_version=page.form.lock_version.data,
                                    answers=answers_from_form(page.form, page.questions), stored=page.stored)
        if not submitting:
            return False
        page.field_errors = review_service.submit_problems(page.review, entries)
        submitted = not page.field_errors and bool(page.form.confirm_submit.data)
        if submitted:
            review_service.submit(page.review, actor=current_user)
    return submitted


def _show_conflict(page: _ReviewForm, entries: dict[str, Entry]) -> None:
    """Another tab or person saved first: show their saved answers that differ, keep ours."""
    review = page.review
    page.review = review_service.find_review(review.cycle_id, review.subject_id, review.kind) or review
    page.saved = review_service.entries_of(page.review, page.loaded)
    page.conflict = {k: v for k, v in page.saved.items() if entries.get(k) != v}
    refresh_lock(page.form, page.review.lock_version)
    page.status = 409
    flash("This review was saved somewhere else (another tab or person) since you opened it. "
          "Your answers are below and were NOT saved; the saved answers that differ are listed. "
          "Save again to keep yours.", "error")


def _saved_but_not_submitted(page: _ReviewForm) -> None:
    refresh_lock(page.form, page.review.lock_version)
    page.status = 422
    if page.field_errors:
        count = len(page.field_errors)
        flash(f"Your draft is saved, but it cannot be submitted yet: "
              f"{plural(count, 'competency')} {'needs' if count == 1 else 'need'} attention.", "error")
    else:
        page.form.confirm_submit.errors = ["Tick this box to submit: a submitted review is read-only."]
        flash("Your draft is saved. To submit it, tick the box next to Submit to confirm.", "error")


def _render_review_form(page: _ReviewForm, *, title: str, back: str, autosave_url: str, side_by_side):
    review, form, rubric = page.review, page.form, page.rubric
    entries = entries_from_form(form, rubric) if request.method == "POST" else page.saved
    summary = error_summary(form, rubric, page.field_errors, page.questions)
    keys_in_error = {link.competency_key for link in summary}
    area_errors = {area.key: sum(1 for c in area.competencies if c.key in keys_in_error) for area in rubric.areas}
    agreeable = {c.key: side_by_side[c.key].rating for c in rubric.competencies
                 if side_by_side and c.key in side_by_side
                 and side_by_side[c.key].rating in rating_choices(form, c.key)}
    radar = None
    if side_by_side is not None and review.kind == ReviewKind.MANAGER:
        radar = ratings_radar(rubric, review.subject_level_key, side_by_side, page.saved, page.subject.name)
    return render_template("reviews/edit.html", radar=radar, area_progress=rules.area_progress(rubric, entries),
                           review=review, subject=page.subject, loaded=page.loaded,
                           rubric=rubric, form=form, field_errors=page.field_errors, conflict=page.conflict,
                           error_summary=summary, invalid_ids={link.field_id for link in summary},
                           area_errors=area_errors, agreeable=agreeable,
                           progress=rules.progress(rubric, entries), title=title, back=back,
                           side_by_side=side_by_side, autosave_url=autosave_url, questions=page.questions,
                           goals_by_competency=goals_by_competency(review.subject_id)), page.status


def _copy_agreed_ratings(form, rubric, self_entries: dict) -> dict[str, str] | None:
    """Apply a pressed "Agree" (one competency) or "Copy every self-rating" button to the form:
    the self-ratings copied, or None when neither button was pressed."""
    if "agree" not in request.form and "agree_all" not in request.form:
        return None
    ratings = {c.key: form[rating_field(c.key)].data or None for c in rubric.competencies}
    wanted = rules.ratings_to_copy(self_entries, ratings,
                                   request.form.get("agree") if "agree" in request.form else None)
    copied = {key: rating for key, rating in wanted.items() if rating in rating_choices(form, key)}
    for key, rating in copied.items():
        form[rating_field(key)].data = rating
    return copied


def _after_draft_saved(rubric, copied: dict[str, str] | None):
    """Say what a draft save did, and go back to the form (to the competency agreed with)."""
    if copied is None:
        flash("Draft saved.", "success")
    elif "agree" in request.form:
        if copied:
            key = next(iter(copied))
            flash(f"Draft saved: your rating for {rubric.competency(key).name} is now the self-rating.", "success")
            return redirect(f"{request.path}#c-{key}")
        flash("Draft saved. There was no self-rating to copy.", "success")
    elif copied:
        flash(f"Draft saved with {plural(len(copied), 'self-rating')} copied into your review.", "success")
    else:
        flash("Draft saved. Every self-rated competency already has your rating: nothing was copied.", "success")
    return redirect(request.path)


@bp.route("/<int:review_id>/autosave", methods=["POST"])
@login_required
def autosave(review_id: int):
    """Save a draft as the person types (JSON for autosave.js); the same rules as Save draft."""
    review, rel = review_or_404(review_id)
    if review.kind == ReviewKind.SELF:
        allowed = permissions.can_edit_self_review(rel, review.status)
    else:
        allowed = permissions.can_write_manager_review(rel) and review.is_editable
    if not allowed:
        abort(404)
    return _autosave(review)


@bp.route("/self/autosave", methods=["POST"])
@login_required
def autosave_self():
    """Autosave of the self-review form, which may not be started yet (its first save stores it)."""
    return _autosave_in_open_cycle(current_user, ReviewKind.SELF)


@bp.route("/people/<int:user_id>/manager/autosave", methods=["POST"])
@login_required
def autosave_manager(user_id: int):
    """Autosave of the manager review form, which may not be started yet."""
    subject, _ = person_or_404(user_id, permissions.can_write_manager_review)
    return _autosave_in_open_cycle(subject, ReviewKind.MANAGER)


def _autosave_in_open_cycle(subject: User, kind: str):
    """Autosave the subject's review of this kind in the open cycle (stored by this save if it
    is the first); 404 without an open cycle covering the subject."""
    cycle = review_service.open_cycle()
    if cycle is None:
        abort(404)
    try:
        return _autosave(review_service.review_or_unsaved(cycle, subject, kind, current_user))
    except review_service.NotInCycle:
        abort(404)


def _autosave_conflict():
    return jsonify(error="conflict", message="This review was saved somewhere else since you opened it. "
                                             "Use Save draft to compare; your answers stay in this page."), 409


def _autosave(review: Review):
    if not review.is_editable:
        return _autosave_conflict()
    page = _open_review_form(review)
    form, rubric, questions = page.form, page.rubric, page.questions
    entries = entries_from_form(form, rubric) if form.validate() else None
    if entries is None or rules.draft_errors(rubric, review.subject_track_key, review.subject_level_key, entries):
        return jsonify(error="invalid", message="Not saved automatically: an answer needs attention. "
                                                "Use Save draft to see which."), 422
    try:
        with unit_of_work():
            review_service.save_entries(review, entries, actor=current_user,
                                        expected_lock_version=form.lock_version.data,
                                        answers=answers_from_form(form, questions), stored=page.stored)
    except (StaleRecord, review_service.ReviewLocked):
        return _autosave_conflict()
    progress = rules.progress(rubric, entries)
    return jsonify(lock_version=review.lock_version, rated=progress.rated, total=progress.total)


@bp.route("/people/<int:user_id>/manager", methods=["GET", "POST"])
@login_required
def manager_review(user_id: int):
    """The direct manager's review of a report in the open cycle, next to the self-review."""
    subject, rel = person_or_404(user_id, permissions.can_write_manager_review)
    cycle = review_service.open_cycle()
    if cycle is None:
        return render_template("reviews/no_cycle.html")
    try:
        review = review_service.review_or_unsaved(cycle, subject, ReviewKind.MANAGER, current_user)
    except review_service.NotInCycle:
        return render_template("reviews/no_cycle.html", cycle=cycle, subject=subject)
    if not review.is_editable:
        return redirect(url_for("reviews.show", review_id=review.id))
    self_review = review_service.find_review(cycle.id, subject.id, ReviewKind.SELF)
    self_entries = None
    if self_review is not None and permissions.can_view_self_review(rel, self_review.status):
        self_entries = review_service.entries_of(self_review, review_service.version_of(self_review))
    return edit_review(review, title=f"Your review of {subject.name}",
                       back=url_for("people.profile", user_id=subject.id), side_by_side=self_entries,
                       autosave_url=url_for("reviews.autosave_manager", user_id=subject.id))


@bp.route("/people/<int:user_id>/side-by-side")
@login_required
def side_by_side(user_id: int):
    """Self and manager ratings together, largest disagreements first."""
    subject, rel = person_or_404(user_id, permissions.can_view_readiness)
    cycles = review_service.cycles_with_reviews(subject.id)
    cycle = review_service.cycle_or_latest(int_arg("cycle"), cycles)
    if cycle is None:
        abort(404)
    found = review_service.reviews_of(subject.id, [cycle.id])
    self_review, manager = found.get((cycle.id, ReviewKind.SELF)), found.get((cycle.id, ReviewKind.MANAGER))
    visible_self = self_review if self_review and permissions.can_view_self_review(rel, self_review.status) else None
    visible_manager = manager if manager and permissions.can_view_manager_review(
        rel, manager.status, held=cycle.id in held_for_viewer(rel, subject.id)) else None
    visible = [review for review in (visible_self, visible_manager) if review]
    shown = visible_self or visible_manager or self_review or manager
    loaded = review_service.version_of(shown) if shown else load_version(cycle.ladder_version_id)
    entries = review_service.entries_by_review(visible, loaded)
    answers = review_service.answered_by_review(visible)
    self_entries = entries[visible_self.id] if visible_self else {}
    manager_entries = entries[visible_manager.id] if visible_manager else {}
    level_key = visible_self.subject_level_key if visible_self else (
        visible_manager.subject_level_key if visible_manager else subject.level_key)
    rubric = review_service.rubric_of(shown, loaded) if shown else loaded.rubric
    rows = rules.side_by_side(rubric, level_key, self_entries, manager_entries)
    radar = ratings_radar(rubric, level_key, self_entries, manager_entries, subject.name)
    return render_template("reviews/side_by_side.html", radar=radar, subject=subject, cycle=cycle, rubric=rubric,
                           loaded=loaded, rows=rows, self_review=visible_self, manager_review=visible_manager,
                           level_key=level_key, cycles=cycles, rel_is_self=rel.is_self, rel=rel,
                           self_answers=answers[visible_self.id] if visible_self else [],
                           manager_answers=answers[visible_manager.id] if visible_manager else [],
                           peer_feedback=peer_feedback.section_for(subject, current_user, rel, cycle), person=subject)


@bp.route("/<int:review_id>/share", methods=["POST"])
@login_required
def share(review_id: int):
    review, rel = review_or_404(review_id)  # CSRF is checked for every POST by CSRFProtect
    if review.kind != ReviewKind.MANAGER or not permissions.can_write_manager_review(rel):
        abort(404)
    form = IrreversibleForm()
    if not form.validate():
        flash("Not shared yet: tick the box to confirm.", "error")
        return _show(review, rel, share_form=form), 422
    try:
        review_service.share(review, actor=current_user)
    except review_service.ReviewLocked:
        flash("Only a submitted review can be shared.", "error")
        return redirect(url_for("reviews.show", review_id=review.id))
    db.session.commit()
    if review.cycle_id in held_cycle_ids(review.subject_id):
        flash("Shared. The engineer will read your review once the cycle's results are released.", "success")
    else:
        flash("Shared. The engineer can now read your review.", "success")
    return redirect(url_for("reviews.show", review_id=review.id))


@bp.route("/<int:review_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(review_id: int):
    review, rel = review_or_404(review_id)
    if not permissions.can_acknowledge(rel, review.status) or review.kind != ReviewKind.MANAGER:
        abort(404)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _show(review, rel, acknowledge_form=form), 422
    review_service.acknowledge(review, form.comment.data or "", actor=current_user)
    db.session.commit()
    flash("Thank you: your manager can see that you have read the review.", "success")
    return redirect(url_for("reviews.show", review_id=review.id))


@bp.route("/<int:review_id>")
@login_required
def show(review_id: int):
    review, rel = review_or_404(review_id)
    return _show(review, rel)


def _show(review: Review, rel, acknowledge_form: AcknowledgeForm | None = None,
          share_form: IrreversibleForm | None = None):
    loaded = review_service.version_of(review)
    rubric = review_service.rubric_of(review, loaded)
    entries = review_service.entries_of(review, loaded)
    subject = db.session.get_one(User, review.subject_id)
    if review.kind == ReviewKind.SELF:
        can_edit = permissions.can_edit_self_review(rel, review.status)
    else:
        can_edit = permissions.can_write_manager_review(rel) and review.status == ReviewStatus.DRAFT
    can_ack = review.kind == ReviewKind.MANAGER and permissions.can_acknowledge(rel, review.status)
    return render_template("reviews/show.html", review=review, subject=subject, rubric=rubric,
                           loaded=loaded, entries=entries, rel=rel, can_edit=can_edit,
                           can_share=review.kind == ReviewKind.MANAGER and review.status == ReviewStatus.SUBMITTED
                           and permissions.can_write_manager_review(rel),
                           can_acknowledge=can_ack,
                           acknowledge_form=acknowledge_form or (AcknowledgeForm() if can_ack else None),
                           share_form=share_form or IrreversibleForm(), answers=review_service.answered(review),
                           cycle_holds=db.session.get_one(ReviewCycle, review.cycle_id).is_held,
                           progress=rules.progress(rubric, entries))
