"""A manager's team page and the organisation's readiness report (page and CSV)."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from ..domain.team import SORTS, STATUS_FILTERS, TeamFilter, matches, sort_rows
from ..extensions import db
from ..models import VERDICTS, User
from ..services.ladders import current_rubric
from ..services.people import report_ids
from ..services.team import people_in_scope, team_rows

bp = Blueprint("team", __name__)

PAGE_SIZE = 50


def _filter_from_args() -> TeamFilter:
    args = request.args
    return TeamFilter(scope=args.get("scope", "all") if args.get("scope") in ("direct", "indirect") else "all",
                      level=args.get("level", ""), track=args.get("track", ""),
                      status=args.get("status", "") if args.get("status") in STATUS_FILTERS else "",
                      manager_id=args.get("manager", type=int), verdict=args.get("verdict", "") if args.get("verdict") in VERDICTS else "")


@bp.route("/team/")
@login_required
def team():
    """Everyone below the signed-in manager, with review status, readiness and a heatmap."""
    ids = report_ids(current_user.id)
    if not ids:
        abort(404)
    people = list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))
    chosen = _filter_from_args()
    rows = [row for row in team_rows(current_user, people, date.today()) if matches(row, chosen)]
    return render_template("team/team.html", rows=sort_rows(rows, request.args.get("sort", "name")),
                           total=len(people), chosen=chosen, loaded=current_rubric(),
                           status_filters=STATUS_FILTERS, sorts=SORTS)


def _report_rows():
    people = people_in_scope(current_user)
    if people is None:
        abort(404)
    chosen = _filter_from_args()
    rows = [row for row in team_rows(current_user, people, date.today()) if matches(row, chosen)]
    return sort_rows(rows, request.args.get("sort", "name")), chosen, people


@bp.route("/reports/readiness")
@login_required
def org_report():
    """Readiness across everyone the viewer may see: filterable, sortable, paginated."""
    rows, chosen, people = _report_rows()
    page = max(request.args.get("page", 1, type=int), 1)
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    managers = sorted({(row.person.manager_id, row.manager_name) for row in rows if row.person.manager_id},
                      key=lambda pair: pair[1])
    return render_template("team/report.html", rows=rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                           count=len(rows), page=page, pages=pages, chosen=chosen, managers=managers,
                           loaded=current_rubric(), status_filters=STATUS_FILTERS, sorts=SORTS)


CSV_COLUMNS = ["name", "email", "manager", "level", "track", "self_review", "manager_review", "readiness_source"]
for _track in ("ic", "management"):
    CSV_COLUMNS += [f"{_track}_target", f"{_track}_coverage", f"{_track}_meets_bar", f"{_track}_blockers", f"{_track}_verdict"]


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/reports/readiness.csv")
@login_required
def org_report_csv():
    """The org report as CSV, one row per engineer, with the same scope and filters as the page."""
    rows, _, _ = _report_rows()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = [row.person.name, row.person.email, row.manager_name, row.person.level_key, row.person.track_key,
                  row.self_status, row.manager_status, row.source or ""]
        for track in ("ic", "management"):
            target, result = row.targets.get(track, (None, None))
            verdict = row.verdict_for(track)
            values += [target.level.key if target and target.level else "",
                       f"{result.coverage:.2f}" if result and result.source else "",
                       ("yes" if result.meets_bar else "no") if result and result.source else "",
                       len(result.blockers) if result and result.source else "",
                       verdict.verdict if verdict else ""]
        writer.writerow([_csv_safe(v) for v in values])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=readiness.csv"})
