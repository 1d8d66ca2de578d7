"""The cells of the team page, the org report and the heatmap, each distinct cell rendered once.

The markup is in templates/team/_cells.html. Profiled: a page of 50–60 people has four status
and readiness cells a row and about 1,300 heatmap cells, and calling a macro for each was most
of the pages' rendering. Cells take few distinct values (a status, a person's handful of heat
values), so each distinct one goes through its macro once a request and is reused.
"""
from __future__ import annotations

from flask import current_app, g, url_for
from markupsafe import Markup

from ..domain.rubric import Rubric, Rule
from ..domain.team import TeamRow

CELLS_TEMPLATE = "team/_cells.html"
_SENTINEL = 987654321  # an id no URL contains otherwise
_DOES_NOT_APPLY = object()


def _rendered() -> dict:
    """This request's rendered cells by (macro, arguments), and the template's macros."""
    rendered = g.get("rendered_cells")
    if rendered is None:
        rendered = g.rendered_cells = {"macros": current_app.jinja_env.get_template(CELLS_TEMPLATE).module}
    return rendered


def _render_once(macro: str, *args, rendered: dict | None = None) -> Markup:
    """The macro's output for these arguments, rendered on the first call of the request."""
    rendered = _rendered() if rendered is None else rendered
    key = (macro, *args)
    html = rendered.get(key)
    if html is None:
        html = rendered[key] = getattr(rendered["macros"], macro)(*args)
    return html


def status_cell(status: str, late: bool) -> Markup:
    """A review status, with a "late" badge when it is overdue."""
    return _render_once("status_cell", status, late)


def readiness_cell(row: TeamRow, kind: str) -> Markup:
    """Readiness toward the row's target of one kind (percent, bar, blockers, source) and its verdict."""
    pair = row.target(kind)
    verdict = row.verdict_for(kind)
    label = verdict.label if verdict else None
    if not pair or not pair[0].level:
        return _render_once("readiness_missing", "top of track", label)
    target, result = pair
    if not result or not result.source:
        return _render_once("readiness_missing", "no review yet", label)
    rendered = _rendered()
    figure = f"{result.points} of {result.points_needed} points" if result.is_points else f"{result.percent}%"
    return (_render_once("readiness_score", target.title, figure, rendered=rendered)
            + _render_once("readiness_notes", result.meets_bar, result.blocker_count, result.source == "self", label,
                           rendered=rendered))


def heatmap_rows(rubric: Rubric, rows: list[TeamRow]) -> list[tuple[str, list[Markup]]]:
    """Per competency that applies to someone in the rows: its name and its cells (one per
    person, in the rows' order; a "does not apply" cell where it does not apply to the person)."""
    rendered = _rendered()
    rule = rubric.rule if rubric.rule.is_points else None
    # per person: their heat values, their cells by value (filled below), their name
    people: list[tuple[dict[str, int | None], dict[object, Markup], str]] = [(row.heat, {}, row.person.name)
                                                                            for row in rows]
    out = []
    for competency in rubric.competencies:
        key, cells = competency.key, []
        if not any(key in heat for heat, _, _ in people):
            continue
        for heat, by_value, name in people:
            value = heat.get(key, _DOES_NOT_APPLY)
            cell = by_value.get(value)
            if cell is None:
                cell = by_value[value] = _heat_cell(rule, name, value, rendered)
            cells.append(cell)
        out.append((competency.name, cells))
    return out


def _heat_cell(rule: Rule | None, name: str, value: object, rendered: dict) -> Markup:
    """One heatmap cell: levels above or below the person's own, or on a points ladder (`rule`)
    the points of the milestone reached."""
    if value is _DOES_NOT_APPLY:
        return _render_once("heat_cell", name, False, None, rendered=rendered)
    if rule is not None and isinstance(value, int):
        return _render_once("points_cell", name, value, points_shade(rule, value), rendered=rendered)
    return _render_once("heat_cell", name, True, value, rendered=rendered)


def points_shade(rule: Rule, points: int) -> str:
    """A points cell's shade: none yet, then the lower, middle and upper thirds of the milestones."""
    if points not in rule.milestone_points:
        return "m1"
    return ("0", "p1", "p2")[3 * rule.milestone_points.index(points) // len(rule.milestone_points)]


def person_url(endpoint: str, user_id: int) -> str:
    """url_for(endpoint, user_id=...) for many people: the URL is built once per request and
    endpoint (werkzeug's URL building was a large part of rendering 50–60 rows), then the id
    is put in its place."""
    patterns = g.setdefault("person_url_patterns", {})
    pattern = patterns.get(endpoint)
    if pattern is None:
        pattern = patterns[endpoint] = url_for(endpoint, user_id=_SENTINEL).split(str(_SENTINEL))
        if len(pattern) != 2:
            raise ValueError(f"cannot build {endpoint} URLs by substitution")
    return f"{pattern[0]}{user_id:d}{pattern[1]}"
