"""A manager's team page and the organisation's readiness report (page and CSV)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required

from .. import clock
from ..domain.team import SORTS, STATUS_FILTERS, TeamFilter, matches, sort_rows
from ..models import VERDICTS
from ..params import int_arg
from ..services.ladders import current_rubric, ladder_of
from ..services.team import READINESS_SORTS, report_selection, team_selection
from .cells import manager_options, person_url, readiness_cell, status_cell
from .heatmap import heatmap_rows

bp = Blueprint("team", __name__)
for _cell in (readiness_cell, status_cell, manager_options, person_url):
    bp.add_app_template_global(_cell)

PAGE_SIZE = 50


def _filter_from_args() -> TeamFilter:
    args = request.args
    return TeamFilter(scope=args.get("scope", "all") if args.get("scope") in ("direct", "indirect") else "all",
                      level=args.get("level", ""), track=args.get("track", ""),
                      status=args.get("status", "") if args.get("status") in STATUS_FILTERS else "",
                      manager_id=int_arg("manager"), verdict=args.get("verdict", "") if args.get("verdict") in VERDICTS else "")


@bp.route("/team/")
@login_required
def team():
    """Everyone below the signed-in manager, with review status, readiness and a heatmap."""
    everyone = team_selection(current_user, clock.today()).everyone(with_heat=True)
    if not everyone:
        abort(404)
    chosen = _filter_from_args()
    rows = sort_rows([row for row in everyone if matches(row, chosen)], request.args.get("sort", "name"))
    return render_template("team/team.html", rows=rows, total=len(everyone), chosen=chosen, loaded=current_rubric(),
                           heatmaps=_heatmaps(rows), status_filters=STATUS_FILTERS, sorts=SORTS)


def _heatmaps(rows: list) -> list[tuple]:
    """One heatmap per ladder among the rows (ladder, its people's rows, its rows of cells)."""
    by_ladder: dict[str, tuple] = {}
    for row in rows:
        loaded = ladder_of(row.person)
        if loaded is not None:
            by_ladder.setdefault(loaded.rubric.key, (loaded.rubric, []))[1].append(row)
    return [(rubric, people, heatmap_rows(rubric, people)) for rubric, people in by_ladder.values()]


def _selection():
    selection = report_selection(current_user._get_current_object(), _filter_from_args(), clock.today())
    if selection is None:
        abort(404)
    return selection


@bp.route("/reports/readiness")
@login_required
def org_report():
    """Readiness across everyone the viewer may see: filterable, sortable, paginated in SQL
    (readiness is computed for the page shown, not for everyone)."""
    selection = _selection()
    count, managers = selection.count_and_managers()
    pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    rows = selection.page(request.args.get("sort", "name"), page, PAGE_SIZE) if count else []
    return render_template("team/report.html", rows=rows, count=count, page=page, pages=pages,
                           chosen=selection.chosen, managers=managers,
                           loaded=current_rubric(), status_filters=STATUS_FILTERS, sorts=SORTS)


# One set of readiness columns per target kind, named in words (CSV_KIND_NAMES).
CSV_KIND_NAMES = {"next": "next_level", "move": "other_track"}
CSV_COLUMNS = ["name", "email", "manager", "level", "track", "self_review", "manager_review", "readiness_source"]
for _kind in CSV_KIND_NAMES.values():
    CSV_COLUMNS += [f"{_kind}_target", f"{_kind}_track", f"{_kind}_coverage", f"{_kind}_meets_bar",
                    f"{_kind}_blockers", f"{_kind}_verdict"]


def _csv_safe(value) -> str:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_values(row) -> list:
    values = [row.person.name, row.person.email, row.manager_name, row.person.level_key, row.person.track_key,
              row.self_status, row.manager_status, row.source or ""]
    for kind in CSV_KIND_NAMES:
        target, result = row.targets.get(kind, (None, None))
        verdict = row.verdict_for(kind)
        values += [target.level.key if target and target.level else "", target.track_key if target else "",
                   f"{result.coverage:.2f}" if result and result.source else "",
                   ("yes" if result.meets_bar else "no") if result and result.source else "",
                   result.blocker_count if result and result.source else "",
                   verdict.verdict if verdict else ""]
    return [_csv_safe(v) for v in values]


@bp.route("/reports/readiness.csv")
@login_required
def org_report_csv():
    """The org report as CSV, one row per engineer, with the same scope and filters as the page.

    Streamed: rows are written CHUNK people at a time, readiness computed in bulk per chunk,
    so the first byte leaves at once and memory stays flat for any organisation size."""
    selection = _selection()
    sort = request.args.get("sort", "name")

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(CSV_COLUMNS)
        yield flush()
        if sort in READINESS_SORTS:  # everyone's coverage decides the order: sort, then write
            key, reverse = SORTS[sort]
            scored = []
            for chunk in selection.chunks("name"):
                for row in selection.rows(chunk):
                    writer.writerow(_csv_values(row))
                    scored.append((key(row), flush()))
            scored.sort(key=lambda pair: pair[0], reverse=reverse)
            yield "".join(line for _, line in scored)
            return
        for chunk in selection.chunks(sort):
            for row in selection.rows(chunk):
                writer.writerow(_csv_values(row))
            yield flush()

    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=readiness.csv"})
