"""Filling and reading reviews."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..access import review_or_404
from ..domain import permissions
from ..domain import reviews as rules
from ..extensions import db
from ..models import Review, User
from ..services import reviews as review_service
from ..services.mentorship import goals_by_competency
from .forms import build_review_form, entries_from_form, refresh_lock

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.route("/self", methods=["GET", "POST"])
@login_required
def my_self_review():
    """The signed-in person's self-review in the open cycle (started on first visit)."""
    cycle = review_service.open_cycle()
    if cycle is None:
        return render_template("reviews/no_cycle.html")
    review = review_service.find_review(cycle.id, current_user.id, "self")
    if review is None:
        if request.method == "POST" or cycle.status != "open":
            abort(404)
        review = review_service.get_or_create_review(cycle, current_user, "self", current_user)
        db.session.commit()
    if not review.is_editable:
        return redirect(url_for("reviews.show", review_id=review.id))
    return edit_review(review, title="Your self-review", back=url_for("main.home"))


def edit_review(review: Review, *, title: str, back: str, side_by_side=None):
    """Show and process the rating form of a draft review (self or manager).

    Saves keep everything typed; a submit with problems still saves the draft and shows a
    message next to each field; a save from a stale page is refused with the input kept.
    """
    loaded = review_service.version_of(review)
    rubric = loaded.rubric
    saved = review_service.entries_of(review, loaded)
    subject = db.session.get(User, review.subject_id)
    formdata = request.form if request.method == "POST" else None
    form = build_review_form(rubric, review.subject_track_key, review.subject_level_key, saved,
                             review.lock_version, formdata)
    field_errors: dict[str, str] = {}
    conflict = None
    status = 200
    if request.method == "POST":
        entries = entries_from_form(form, rubric) if form.validate() else None
        if entries is not None:
            field_errors = rules.draft_errors(rubric, review.subject_track_key, review.subject_level_key, entries)
        if entries is None or field_errors:
            status = 422
            flash("Some answers need attention; nothing was saved yet.", "error")
        else:
            try:
                review_service.save_entries(review, entries, actor=current_user,
                                            expected_lock_version=form.lock_version.data)
            except review_service.StaleReview:
                db.session.rollback()
                conflict = {k: v for k, v in saved.items() if entries.get(k) != v}
                refresh_lock(form, review.lock_version)
                status = 409
                flash("This review was saved somewhere else (another tab or person) since you opened it. "
                      "Your answers are below and were NOT saved; the saved answers that differ are listed. "
                      "Save again to keep yours.", "error")
            except review_service.ReviewLocked:
                db.session.rollback()
                flash("This review can no longer be changed.", "error")
                return redirect(url_for("reviews.show", review_id=review.id))
            else:
                if form.action.data != "submit":
                    db.session.commit()
                    flash("Draft saved.", "success")
                    return redirect(request.path)
                field_errors = review_service.submit_problems(review, entries)
                if not field_errors:
                    review_service.submit(review, actor=current_user)
                    db.session.commit()
                    flash("Submitted. It is now read-only.", "success")
                    return redirect(url_for("reviews.show", review_id=review.id))
                db.session.commit()
                refresh_lock(form, review.lock_version)
                status = 422
                flash(f"Your draft is saved, but it cannot be submitted yet: "
                      f"{len(field_errors)} competencies need attention.", "error")
    entries = entries_from_form(form, rubric) if request.method == "POST" else saved
    return render_template("reviews/edit.html", review=review, subject=subject, loaded=loaded,
                           rubric=rubric, form=form, field_errors=field_errors, conflict=conflict,
                           progress=rules.progress(rubric, entries), title=title, back=back,
                           side_by_side=side_by_side,
                           goals_by_competency=goals_by_competency(review.subject_id)), status


@bp.route("/<int:review_id>")
@login_required
def show(review_id: int):
    review, rel = review_or_404(review_id)
    loaded = review_service.version_of(review)
    entries = review_service.entries_of(review, loaded)
    subject = db.session.get(User, review.subject_id)
    return render_template("reviews/show.html", review=review, subject=subject, rubric=loaded.rubric,
                           loaded=loaded, entries=entries, rel=rel,
                           can_edit=permissions.can_edit_self_review(rel, review.status) if review.kind == "self" else False,
                           progress=rules.progress(loaded.rubric, entries))
