"""Table cells of the team page and the org report, rendered in Python.

Profiled: with 50–60 rows, the Jinja macros for the readiness and status cells (four calls a
row) and the manager filter's options (hundreds for an admin) were most of the pages'
rendering. These functions give the same HTML the macros gave; every text is escaped.
"""
from __future__ import annotations

from flask import g, url_for
from markupsafe import Markup, escape

from ..domain.team import TeamRow
from ..domain.wording import plural, status_label

_SENTINEL = 987654321  # an id no URL contains otherwise
_SEP = "\n    "  # the macro's whitespace between badges, kept so the HTML is unchanged


def status_cell(status: str, late: bool) -> Markup:
    """A review status, with a "late" badge when it is overdue."""
    html = f'<span class="status status-{escape(status.replace(" ", "-"))}">{escape(status_label(status))}</span>'
    return Markup(html + ' <span class="badge badge-bad">late</span>' if late else html)  # nosec B704 (escaped)


def readiness_cell(row: TeamRow, track: str) -> Markup:
    """Readiness toward the row's target on one track (percent, bar, blockers, source) and its verdict."""
    pair = row.target(track)
    if not pair or not pair[0].level:
        html = '<span class="muted">top of track</span>'
    elif not pair[1] or not pair[1].source:
        html = '<span class="muted">no review yet</span>'
    else:
        result = pair[1]
        blockers = result.blocker_count
        figure = f"{result.points} of {result.points_needed} points" if result.is_points else f"{result.percent}%"
        html = (f"{escape(pair[0].title)}: <strong>{figure}</strong>{_SEP}"
                + ('<span class="badge badge-ok">meets bar</span>' if result.meets_bar else "") + _SEP
                + (f'<span class="badge badge-bad">{plural(blockers, "blocker")}</span>' if blockers else "") + _SEP
                + ('<small class="muted">(self)</small>' if result.source == "self" else ""))
    verdict = row.verdict_for(track)
    if verdict:
        html += f"<br><small>Verdict: {escape(verdict.label)}</small>"
    return Markup(html)  # nosec B704 (every text above is escaped)


def manager_options(managers: list[tuple[int, str]], chosen_id: int | None) -> Markup:
    """The manager filter's <option>s, the chosen one selected."""
    return Markup("".join(  # nosec B704 (names escaped, ids are integers)
        f'<option value="{manager_id}" {"selected" if manager_id == chosen_id else ""}>{escape(name)}</option>'
        for manager_id, name in managers))


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
