"""A person's page: readiness toward both tracks, verdicts, reviews, the promotion case."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..access import held_for_viewer, person_or_404
from ..domain import permissions
from ..domain import reviews as rules
from ..domain.statuses import ReviewKind
from ..models import Verdict
from ..once import create_once
from ..presentation import charts
from ..services import peer_feedback
from ..services import reviews as review_service
from ..services.mentorship import goals_by_competency
from ..services.readiness import readiness_for, readiness_history
from ..services.verdicts import record_verdict, verdict_history
from .forms import VerdictForm

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.app_template_global()
def verdict_labels_by_id(verdicts) -> dict[int, str]:
    """Each verdict's label by id: a verdict changed in calibration names the one it replaced."""
    return {v.id: v.label for v in verdicts}


def _verdict_form(readiness, formdata=None) -> VerdictForm:
    form = VerdictForm(formdata=formdata)
    form.target.choices = [SelectChoice(t.level.key, f"{t.title} ({t.track_name})")
                           for t, _ in readiness.results if t.level is not None]
    return form


@bp.route("/<int:user_id>")
@login_required
def profile(user_id: int):
    person, rel = person_or_404(user_id)
    return render_template("people/profile.html", **_profile_context(person, rel))


def _profile_context(person, rel, verdict_form: VerdictForm | None = None) -> dict:
    """What the person page shows this viewer: readiness, verdicts and reviews only to the
    engineer and their managers (someone without a ladder role has none); goals next to the gaps
    they address."""
    context = {"person": person, "rel": rel}
    if permissions.can_view_readiness(rel) and person.on_ladder:
        readiness = readiness_for(person, viewer_id=current_user.id)
        context.update(readiness=readiness, verdicts=verdict_history(person.id, viewer_id=current_user.id),
                       reviews=_visible_reviews(person.id, rel), goals_by_competency=goals_by_competency(person.id),
                       peer_feedback=peer_feedback.section_for(person, current_user, rel, _feedback_cycle(person.id)),
                       **_history_context(person, readiness))
        if permissions.can_record_verdict(rel):
            context["verdict_form"] = verdict_form or _verdict_form(readiness)
    return context


def _feedback_cycle(person_id: int):
    """The cycle whose peer feedback the person page shows: the open one, else their latest."""
    return review_service.open_cycle() or next(iter(review_service.cycles_with_reviews(person_id)), None)


def _history_context(person, readiness) -> dict:
    """Readiness toward today's targets over past cycles, as a line chart and a table."""
    targets = [t for t, _ in readiness.results if t.level is not None]
    history = readiness_history(person, targets, viewer_id=current_user.id)
    if not history or not targets:
        return {"history": history, "history_chart": None, "history_targets": targets}
    bars = {readiness.loaded.rubric.bar_for(t.level.key, person.level_key).min_coverage for t in targets}
    series = [(f"Toward {t.title}", [p.results[t.track_key].coverage if p.results.get(t.track_key) else None
                                         for p in history]) for t in targets]
    chart = charts.percent_line_chart([p.cycle.name for p in history], series,
                                      title=f"{person.name}: readiness over review cycles",
                                      threshold=bars.pop() if len(bars) == 1 else None)
    return {"history": history, "history_chart": chart, "history_targets": targets}


def _visible_reviews(subject_id: int, rel):
    """The person's reviews this viewer may open, newest cycle first."""
    held = held_for_viewer(rel, subject_id)
    out = []
    cycles = review_service.cycles_with_reviews(subject_id)
    reviews = review_service.reviews_of(subject_id, [cycle.id for cycle in cycles])
    for cycle in cycles:
        self_review = reviews.get((cycle.id, ReviewKind.SELF))
        if self_review is not None and permissions.can_view_self_review(rel, self_review.status):
            out.append((cycle, self_review))
        manager = reviews.get((cycle.id, ReviewKind.MANAGER))
        if manager is not None and permissions.can_view_manager_review(rel, manager.status, held=cycle.id in held):
            out.append((cycle, manager))
    return out


@bp.route("/<int:user_id>/verdicts", methods=["POST"])
@login_required
def add_verdict(user_id: int):
    person, rel = person_or_404(user_id, permissions.can_record_verdict)
    if not person.on_ladder:
        abort(404)
    readiness = readiness_for(person, viewer_id=current_user.id)
    form = _verdict_form(readiness, request.form)
    if not form.validate():
        flash("The verdict was not recorded; see the messages below.", "error")
        return render_template("people/profile.html", **_profile_context(person, rel, form)), 422
    _, created = create_once(Verdict, form.creation_token.data, lambda: record_verdict(
        person, form.target.data, form.verdict.data, form.rationale.data.strip(), author=current_user,
        readiness=readiness, creation_token=form.creation_token.data), author_id=current_user.id, subject_id=person.id)
    flash("Verdict recorded." if created else "This verdict was already recorded (the form was sent twice).",
          "success" if created else "info")
    return redirect(url_for("people.profile", user_id=person.id) + "#verdicts")


@bp.route("/<int:user_id>/case/<target_key>")
@login_required
def promotion_case(user_id: int, target_key: str):
    """Everything a promotion committee needs for one person and target, printable."""
    person, rel = person_or_404(user_id, permissions.can_view_readiness)
    if not person.on_ladder:
        abort(404)
    readiness = readiness_for(person, viewer_id=current_user.id)
    pair = next(((t, r) for t, r in readiness.results if t.level is not None and t.level.key == target_key), None)
    if pair is None:
        abort(404)
    target, result = pair
    entries, answers = {}, []
    if readiness.review is not None:
        entries = review_service.entries_of(readiness.review, readiness.loaded)
        answers = review_service.answered(readiness.review)
    verdicts = [v for v in verdict_history(person.id, viewer_id=current_user.id) if v.target_level_key == target_key]
    return render_template("people/case.html", person=person, target=target, result=result,
                           readiness=readiness, rubric=readiness.loaded.rubric, entries=entries,
                           verdicts=verdicts, answers=answers,
                           progress=rules.progress(readiness.loaded.rubric, entries))
