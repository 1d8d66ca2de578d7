"""A manager's team page and the organisation's readiness report (page and CSV)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required

from .. import clock
from ..domain.spreadsheet import spreadsheet_safe
from ..domain.team import SORTS, STATUS_FILTERS, TeamFilter, page_groups
from ..models import VERDICTS
from ..params import int_arg, page_arg, page_count
from ..services.ladders import current_rubric, ladder_of
from ..services.people import report_ids
from ..services.team import READINESS_SORTS, Scoped, report_view, team_view
from .cells import heatmap_rows, person_url, points_shade, readiness_cell, status_cell

bp = Blueprint("team", __name__)
for _cell in (readiness_cell, status_cell, person_url, points_shade):
    bp.add_app_template_global(_cell)

PAGE_SIZE = 50


def _filter_from_args() -> TeamFilter:
    args = request.args
    return TeamFilter(scope=args.get("scope", "all") if args.get("scope") in ("direct", "indirect") else "all",
                      level=args.get("level", ""), track=args.get("track", ""),
                      status=args.get("status", "") if args.get("status") in STATUS_FILTERS else "",
                      manager_id=int_arg("manager"),
                      verdict=args.get("verdict", "") if args.get("verdict") in VERDICTS else "")


def _pages(scoped: Scoped) -> tuple[int, int | None]:
    """(page asked for, within range; number of pages) for the people selected at PAGE_SIZE a
    page; None pages when there are more than were counted (any page asked for is served)."""
    if scoped.more_than_counted:
        return page_arg(), None
    pages = page_count(scoped.count, PAGE_SIZE)
    return min(page_arg(), pages), pages


@bp.route("/team/")
@login_required
def team():
    """Everyone below the signed-in manager, manager by manager, PAGE_SIZE people a page, with
    review status, readiness and a heatmap of the page. A manager filter outside the viewer's
    own tree is ignored: it never widens what the page shows."""
    today = clock.today()
    scoped = team_view(current_user, _filter_from_args(), request.args.get("manager_name"), today)
    if scoped is None:
        if report_ids(current_user.id, direct_only=True):  # reports, none of them on a ladder
            return render_template("team/no_ladder_roles.html")
        abort(404)
    page, pages = _pages(scoped)
    rows = scoped.selection.page(request.args.get("sort", "name"), page, PAGE_SIZE,
                                 groups=scoped.groups, with_heat=True) if scoped.count else []
    shown = page_groups(scoped.groups, rows, (page - 1) * PAGE_SIZE)
    cycle = scoped.selection.cycle
    return render_template("team/team.html", groups=shown, rows=rows, count=scoped.count, total=scoped.total,
                           page=page, pages=pages, scoped=scoped, chosen=scoped.selection.chosen,
                           loaded=current_rubric(), status_filters=STATUS_FILTERS, sorts=SORTS,
                           heatmaps=_heatmaps(shown), side_by_side_query=f"?cycle={cycle.id}" if cycle else "")


def _heatmaps(groups: list) -> list[tuple]:
    """One heatmap per ladder among the page's people: (ladder, its manager groups in page order
    as (group, its people on that ladder), those people's rows, their rows of cells)."""
    by_ladder: dict[str, tuple] = {}
    for group in groups:
        for row in group.rows:
            loaded = ladder_of(row.person)
            if loaded is None:
                continue
            heat_groups = by_ladder.setdefault(loaded.rubric.key, (loaded.rubric, []))[1]
            if not heat_groups or heat_groups[-1][0] is not group:
                heat_groups.append((group, []))
            heat_groups[-1][1].append(row)
    out = []
    for rubric, heat_groups in by_ladder.values():
        rows = [row for _, group_rows in heat_groups for row in group_rows]
        out.append((rubric, heat_groups, rows, heatmap_rows(rubric, rows)))
    return out


def _report() -> Scoped:
    scoped = report_view(current_user._get_current_object(), _filter_from_args(), request.args.get("manager_name"),
                         clock.today(), exact_count=request.args.get("count") == "all")
    if scoped is None:
        abort(404)
    return scoped


@bp.route("/reports/readiness")
@login_required
def org_report():
    """Readiness across everyone the viewer may see: filterable, sortable, paginated in SQL
    (readiness is computed for the page shown, not for everyone)."""
    scoped = _report()
    page, pages = _pages(scoped)
    rows = scoped.selection.page(request.args.get("sort", "name"), page, PAGE_SIZE) if scoped.count else []
    return render_template("team/report.html", rows=rows, count=scoped.count, page=page, pages=pages,
                           more_than=scoped.count - 1 if scoped.more_than_counted else None, page_size=PAGE_SIZE,
                           chosen=scoped.selection.chosen, scoped=scoped,
                           loaded=current_rubric(), status_filters=STATUS_FILTERS, sorts=SORTS)


# One set of readiness columns per target kind, named in words (CSV_KIND_NAMES). On a points
# ladder coverage is the share of the target's points total reached, and the points columns say
# the totals (empty on coverage ladders).
CSV_KIND_NAMES = {"next": "next_level", "move": "other_track"}
CSV_COLUMNS = ["name", "email", "manager", "level", "track", "self_review", "manager_review", "readiness_source"]
for _kind in CSV_KIND_NAMES.values():
    CSV_COLUMNS += [f"{_kind}_target", f"{_kind}_track", f"{_kind}_coverage", f"{_kind}_meets_bar",
                    f"{_kind}_blockers", f"{_kind}_points", f"{_kind}_points_needed", f"{_kind}_verdict"]


def _csv_values(row) -> list:
    values = [row.person.name, row.person.email, row.manager_name, row.person.level_key, row.person.track_key,
              row.self_status, row.manager_status, row.source or ""]
    for kind in CSV_KIND_NAMES:
        target, result = row.targets.get(kind, (None, None))
        verdict = row.verdict_for(kind)
        values += [target.level.key if target and target.level else "", target.track_key if target else "",
                   *_csv_figures(result), verdict.verdict if verdict else ""]
    return [spreadsheet_safe(v) for v in values]


def _csv_figures(result) -> list:
    """Coverage, meets the bar, blockers, points and points needed (empty without a review;
    the points only on a points ladder)."""
    if not result or not result.source:
        return [""] * 5
    points = [result.points, result.points_needed] if result.is_points else ["", ""]
    return [f"{result.coverage:.2f}", "yes" if result.meets_bar else "no", result.blocker_count, *points]


@bp.route("/reports/readiness.csv")
@login_required
def org_report_csv():
    """The org report as CSV, one row per engineer, with the same scope and filters as the page.

    Streamed: rows are written CHUNK people at a time, readiness computed in bulk per chunk,
    so the first byte leaves at once and memory stays flat for any organisation size."""
    selection = _report().selection
    sort = request.args.get("sort", "name")

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)  # a separator inside a cell stays in it

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
