"""Review cycles: create, open, completion, close, reopen one review."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..domain.cycles import parse_questions
from ..domain.statuses import CycleStatus, ReviewKind
from ..domain.wording import plural
from ..extensions import db
from ..forms import ConfirmForm
from ..models import LadderVersion, Review, ReviewCycle, User
from ..models.reviews import DEFAULT_QUESTIONS
from ..services import cycles as cycle_service
from ..services.cycles import CycleData, CycleError, Questions
from ..services.ladders import current_rubric
from ..unit_of_work import unit_of_work
from .forms import CycleForm, ReopenReviewForm
from .views import bp


def cycle_or_404(cycle_id: int) -> ReviewCycle:
    cycle = db.session.get(ReviewCycle, cycle_id)
    if cycle is None:
        abort(404)
    return cycle


def _version_choices(form: CycleForm) -> None:
    choices = [(v.id, f"{v.name} v{v.number}") for v in cycle_service.published_versions()]
    form.ladder_version_id.choices = choices
    form.other_version_ids.choices = choices


def _data(form: CycleForm) -> CycleData:
    others = tuple(v for v in form.other_version_ids.data or () if v != form.ladder_version_id.data)
    return CycleData(form.name.data.strip(), form.ladder_version_id.data, form.opens_on.data,
                     form.self_review_due.data, form.manager_review_due.data, form.closes_on.data,
                     bool(form.hold_results.data), peer_feedback_anonymous=bool(form.peer_feedback_anonymous.data),
                     other_version_ids=others)


def _questions(form: CycleForm, cycle: ReviewCycle | None) -> Questions | None:
    """The questions typed in the form; None once the cycle has opened (they are fixed then)."""
    if cycle is not None and cycle.status != CycleStatus.DRAFT:
        return None
    return {ReviewKind.SELF: parse_questions(form.self_questions.data or "")[0],
            ReviewKind.MANAGER: parse_questions(form.manager_questions.data or "")[0]}


def _questions_text(questions: Questions) -> dict[str, str]:
    return {"self_questions": "\n".join(questions[ReviewKind.SELF]),
            "manager_questions": "\n".join(questions[ReviewKind.MANAGER])}


@bp.route("/cycles")
def cycles():
    rows = db.session.execute(select(ReviewCycle, LadderVersion)
                              .join(LadderVersion, LadderVersion.id == ReviewCycle.ladder_version_id)
                              .order_by(ReviewCycle.opens_on.desc())).all()
    return render_template("admin/cycles.html", rows=rows)


@bp.route("/cycles/new", methods=["GET", "POST"])
def new_cycle():
    latest = current_rubric()
    defaults = _questions_text({kind: list(DEFAULT_QUESTIONS) for kind in ReviewKind})
    form = CycleForm(data={"ladder_version_id": latest.version_id if latest else None, **defaults}
                     if request.method == "GET" else None)
    _version_choices(form)
    if not form.ladder_version_id.choices:
        flash("Publish a ladder version before creating a cycle.", "error")
        return redirect(url_for("admin.ladders"))
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    cycle = cycle_service.create_cycle(_data(form), _questions(form, None))
            except CycleError as error:
                form.name.errors.append(str(error))
            else:
                flash(f"Created {cycle.name}. Open it when everyone's reporting lines are right.", "success")
                return redirect(url_for("admin.cycle", cycle_id=cycle.id))
        return render_template("admin/cycle_form.html", form=form, cycle=None), 422
    return render_template("admin/cycle_form.html", form=form, cycle=None)


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
def edit_cycle(cycle_id: int):
    cycle = cycle_or_404(cycle_id)
    saved = None if request.method == "POST" else {**_questions_text(cycle_service.questions_of(cycle.id)),
                                                   "other_version_ids": cycle_service.other_version_ids(cycle)}
    form = CycleForm(obj=None if request.method == "POST" else cycle, data=saved)
    _version_choices(form)
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    cycle_service.update_cycle(cycle, _data(form), _questions(form, cycle))
            except CycleError as error:
                cycle = cycle_or_404(cycle_id)
                form.name.errors.append(str(error))
            else:
                flash(f"Saved {cycle.name}.", "success")
                return redirect(url_for("admin.cycle", cycle_id=cycle.id))
        return render_template("admin/cycle_form.html", form=form, cycle=cycle), 422
    return render_template("admin/cycle_form.html", form=form, cycle=cycle)


@bp.route("/cycles/<int:cycle_id>")
def cycle(cycle_id: int):
    """The cycle and its completion: who is late, per manager."""
    cycle = cycle_or_404(cycle_id)
    versions = [db.session.get(LadderVersion, v)
                for v in (cycle.ladder_version_id, *cycle_service.other_version_ids(cycle))]
    today = clock.today()
    groups = cycle_service.completion_of(cycle, today)
    return render_template("admin/cycle.html", cycle=cycle, versions=versions, groups=groups, today=today,
                           form=ConfirmForm(), releases=cycle_service.releases_of(cycle))


def _action(cycle_id: int, action):
    cycle = cycle_or_404(cycle_id)
    if not ConfirmForm().validate():
        flash("Your form expired; try again.", "error")
        return redirect(url_for("admin.cycle", cycle_id=cycle.id))
    try:
        with unit_of_work():
            message = action(cycle)
    except CycleError as error:
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(url_for("admin.cycle", cycle_id=cycle_id))


def _started(created: int, skipped: list[str]) -> str:
    message = f"{plural(created, 'review')} started."
    if skipped:
        message += f" Not started: {'; '.join(skipped)}."
    return message


@bp.route("/cycles/<int:cycle_id>/open", methods=["POST"])
def open_cycle(cycle_id: int):
    def act(cycle):
        created, skipped = cycle_service.open_cycle(cycle, actor=current_user)
        return f"{cycle.name} is open. " + _started(created, skipped)
    return _action(cycle_id, act)


@bp.route("/cycles/<int:cycle_id>/start-missing", methods=["POST"])
def start_missing(cycle_id: int):
    """People added (or given a manager) after opening get their reviews too."""
    def act(cycle):
        if cycle.status != CycleStatus.OPEN:
            raise CycleError("Only an open cycle can start reviews.")
        return _started(*cycle_service.start_reviews(cycle, actor_id=current_user.id))
    return _action(cycle_id, act)


@bp.route("/cycles/<int:cycle_id>/close", methods=["POST"])
def close_cycle(cycle_id: int):
    def act(cycle):
        cycle_service.close_cycle(cycle, actor=current_user)
        return f"{cycle.name} is closed; its reviews are read-only."
    return _action(cycle_id, act)


@bp.route("/reviews/<int:review_id>/reopen", methods=["GET", "POST"])
def reopen_review(review_id: int):
    """Return one submitted review to draft, with the reason recorded."""
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    cycle = cycle_or_404(review.cycle_id)
    subject = db.session.get_one(User, review.subject_id)
    author = db.session.get_one(User, review.author_id)
    form = ReopenReviewForm()
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    cycle_service.reopen_review(review, form.reason.data, actor=current_user)
            except CycleError as error:
                flash(str(error), "error")
                return redirect(url_for("admin.cycle", cycle_id=cycle.id))
            flash(f"The {review.kind} review of {subject.name} is a draft again; {author.name} can edit it.", "success")
            return redirect(url_for("admin.cycle", cycle_id=cycle.id))
        return render_template("admin/reopen.html", form=form, review=review, cycle=cycle, subject=subject,
                               author=author), 422
    return render_template("admin/reopen.html", form=form, review=review, cycle=cycle, subject=subject, author=author)
