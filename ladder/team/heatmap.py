"""The team heatmap's cells, rendered in Python.

Profiled: with 50 people and 24 competencies the heatmap is 1,200 cells, and rendering each
through Jinja (attribute lookups, a branch, escaping the person's name every time) was the
largest part of the team page. Names are escaped once per person here; output is the same.
"""
from __future__ import annotations

from functools import partial

from markupsafe import Markup, escape

from ..domain.rubric import Rubric, Rule
from ..domain.team import TeamRow

_DOES_NOT_APPLY = object()


def _cell(name: Markup, value) -> str:
    if value is _DOES_NOT_APPLY:
        return f'<td class="heat heat-na" title="{name}: does not apply"></td>'
    if value is None:
        return f'<td class="heat heat-none" title="{name}: not rated">·</td>'
    if value < 0:
        return f'<td class="heat heat-m1" title="{name}: below level">−1</td>'
    if value == 0:
        return f'<td class="heat heat-0" title="{name}: at level">=</td>'
    if value == 1:
        return f'<td class="heat heat-p1" title="{name}: one level above">+1</td>'
    return f'<td class="heat heat-p2" title="{name}: {value} levels above">+{value}</td>'


def points_shade(rule: Rule, points: int) -> str:
    """A points cell's shade: none yet, then the lower, middle and upper thirds of the milestones."""
    if points not in rule.milestone_points:
        return "m1"
    return ("0", "p1", "p2")[3 * rule.milestone_points.index(points) // len(rule.milestone_points)]


def _points_cell(rule: Rule, name: Markup, value) -> str:
    """A points ladder's cell: the points of the milestone reached, shaded as they grow."""
    if value is _DOES_NOT_APPLY or value is None:
        return _cell(name, value)
    return f'<td class="heat heat-{points_shade(rule, value)}" title="{name}: {value} points">{value}</td>'


def heatmap_rows(rubric: Rubric, rows: list[TeamRow]) -> list[tuple[str, Markup]]:
    """Per competency that applies to someone in the rows: its name and the row's cells (one per
    person, in the rows' order; empty where it does not apply to the person).

    A person's cells take a handful of values, so each distinct cell is formatted once per person."""
    render = partial(_points_cell, rubric.rule) if rubric.rule.is_points else _cell
    columns = []
    for row in rows:
        name, cells = escape(row.person.name), {}
        columns.append((row.heat, cells, name))
    out = []
    for competency in rubric.competencies:
        key, parts = competency.key, []
        if not any(key in heat for heat, _, _ in columns):
            continue
        for heat, cells, name in columns:
            value = heat.get(key, _DOES_NOT_APPLY)
            cell = cells.get(value)
            if cell is None:
                cell = cells[value] = render(name, value)
            parts.append(cell)
        # names are escaped above; the cells are fixed markup around integers
        out.append((competency.name, Markup("".join(parts))))  # nosec B704
    return out
