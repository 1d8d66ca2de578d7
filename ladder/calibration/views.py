"""Calibration of a review cycle and the release of held results.

Admins calibrate and release everyone; anyone with reports calibrates their own tree (a
first-line manager sees only their reports) and releases it per team. Engineers and mentors
get a 404, as for any page they may not see.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain import calibration as rules
from ..domain.calibration import CalibrationFilter, Distribution
from ..extensions import db
from ..forms import IrreversibleForm
from ..models import VERDICTS, ReviewCycle, User, Verdict
from ..params import int_arg, page_arg, page_count
from ..presentation import charts
from ..services import calibration as service
from ..services import cycles as cycle_service
from ..services.ladders import load_version
from ..services.readiness import readiness_for
from ..services.reviews import cycle_or_latest
from ..unit_of_work import unit_of_work
from .forms import AdjustVerdictForm

bp = Blueprint("calibration", __name__, url_prefix="/calibration")

SHARE_PARTS = ("below level", "at level", "above level")
CASES_PER_PAGE = 50  # the people-and-verdicts table, so a director's 500 people stay a few screens
MANAGERS_PER_PAGE = 20  # the per-manager table and chart: a director over 2,000 has hundreds of managers


def _viewer() -> User:
    return current_user._get_current_object()


def _calibrator_or_404() -> None:
    if service.scope_condition(_viewer()) is None:
        abort(404)


def _chosen_cycle(cycles: list[ReviewCycle]) -> ReviewCycle:
    """The cycle asked for (?cycle=), else the open one, else the latest, from every cycle
    (newest first, as the page lists them: one statement for both)."""
    cycle = cycle_or_latest(int_arg("cycle"), cycles)
    if cycle is None:
        abort(404)
    return cycle


def _filter(rubric) -> CalibrationFilter:
    """The filters from the query string; values that name nothing in the ladder are ignored."""
    args = request.args
    levels = {lv.key for lv in rubric.levels}
    return CalibrationFilter(manager_id=int_arg("manager"),
                             level=args.get("level", "") if args.get("level") in levels else "",
                             track=args.get("track", "") if args.get("track") in {t.key for t in rubric.tracks} else "",
                             target=args.get("target", "") if args.get("target") in levels else "")


@bp.route("/")
@login_required
def calibration():
    """Rating distributions per manager against the organisation, proposed verdicts next to
    computed readiness, and the cases worth a second look."""
    cycles = list(db.session.scalars(select(ReviewCycle).order_by(ReviewCycle.opens_on.desc())))
    cycle = _chosen_cycle(cycles)
    result = service.calibration_of(cycle, _viewer(), _filter(load_version(cycle.ladder_version_id).rubric),
                                    request.args.get("manager_name"))
    if result is None:  # engineers and mentors calibrate nobody
        abort(404)
    managers, manager_page, manager_pages = _managers_page(result)
    chart = charts.stacked_share_chart(
        [(d.label, (d.below, d.at, d.above)) for d in [result.org, *managers] if d.ratings], SHARE_PARTS,
        title=f"{cycle.name}: manager ratings against each person's level")
    page, pages = _page_number("page", result.case_count, CASES_PER_PAGE)
    cases = result.cases((page - 1) * CASES_PER_PAGE, page * CASES_PER_PAGE)
    contradictions = {(c.subject_id, c.target_key): why for c in cases if (why := rules.contradiction(c))}
    return render_template("calibration/calibration.html", result=result, cycle=cycle, chosen=result.chosen,
                           chart=chart, cases=cases, contradictions=contradictions, page=page, pages=pages,
                           managers=managers, manager_page=manager_page, manager_pages=manager_pages,
                           cycles=cycles, rubric=result.loaded.rubric, can_release=cycle.is_held,
                           verdict_labels=VERDICTS)


def _page_number(parameter: str, rows: int, per_page: int) -> tuple[int, int]:
    """The page the query string asks for (clamped to the pages there are) and the number of pages."""
    pages = page_count(rows, per_page)
    return min(page_arg(parameter), pages), pages


def _managers_page(result: service.Calibration) -> tuple[list[Distribution], int, int]:
    """The managers' rows to render: all of them, by name, when they fit on one page; else a page
    (?managers=) of them, notable first, so a tree of hundreds of managers renders twenty bars and
    rows (the organisation's row and the flags stay counted over everyone)."""
    if len(result.managers) <= MANAGERS_PER_PAGE:
        return result.managers, 1, 1
    page, pages = _page_number("managers", len(result.managers), MANAGERS_PER_PAGE)
    notable = rules.notable_first(result.managers, result.flagged_managers)
    return notable[(page - 1) * MANAGERS_PER_PAGE: page * MANAGERS_PER_PAGE], page, pages


def _verdict_in_scope_or_404(verdict_id: int) -> tuple[Verdict, User, ReviewCycle]:
    """A verdict of a cycle about someone the viewer calibrates; anything else is a 404."""
    verdict = db.session.get(Verdict, verdict_id)
    if verdict is None or verdict.cycle_id is None or not service.in_scope(_viewer(), verdict.subject_id):
        abort(404)
    return verdict, db.session.get(User, verdict.subject_id), db.session.get(ReviewCycle, verdict.cycle_id)


@bp.route("/verdicts/<int:verdict_id>", methods=["GET", "POST"])
@login_required
def adjust_verdict(verdict_id: int):
    """Change a proposed verdict: the original stays in the history, with the new value, who and why."""
    verdict, subject, cycle = _verdict_in_scope_or_404(verdict_id)
    form = AdjustVerdictForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                with unit_of_work():
                    service.adjust_verdict(verdict, form.verdict.data, form.note.data.strip(), actor=_viewer())
            except service.CalibrationError as error:
                form.verdict.errors = [str(error)]
            else:
                flash(f"The verdict about {subject.name} is changed; the original is kept in the history.", "success")
                return redirect(url_for("calibration.calibration", cycle=cycle.id))
        status = 422
    readiness = readiness_for(subject)
    result = next((r for t, r in readiness.results if t.level is not None and t.level.key == verdict.target_level_key),
                  None)
    author = db.session.get(User, verdict.author_id)
    return render_template("calibration/adjust.html", form=form, verdict=verdict, subject=subject, cycle=cycle,
                           author=author, result=result, rubric=readiness.loaded.rubric), status


@bp.route("/cycles/<int:cycle_id>/release", methods=["GET", "POST"])
@login_required
def release(cycle_id: int):
    """Confirm, then release a held cycle's results: an admin for everyone, a manager for their tree."""
    _calibrator_or_404()
    cycle = db.session.get(ReviewCycle, cycle_id)
    if cycle is None:
        abort(404)
    viewer = _viewer()
    manager = None if viewer.is_admin else viewer
    form = IrreversibleForm()
    if request.method == "POST" and cycle.is_held:
        if form.validate():
            try:
                with unit_of_work():
                    release = cycle_service.release_results(cycle, actor=viewer, manager=manager)
            except cycle_service.CycleError as error:
                flash(str(error), "error")
                return redirect(url_for("calibration.calibration", cycle=cycle.id))
            flash(f"Released: {release.people_count} {'person' if release.people_count == 1 else 'people'} "
                  f"can now read their manager review and verdicts of {cycle.name}.", "success")
            return redirect(url_for("calibration.calibration", cycle=cycle.id))
        flash("Nothing was released; see the message below.", "error")
    pending = cycle_service.release_subject_ids(cycle, manager) if cycle.is_held else []
    return render_template("calibration/release.html", cycle=cycle, form=form, pending=len(pending),
                           whole_cycle=manager is None, releases=cycle_service.releases_of(cycle)), \
        422 if form.errors else 200
