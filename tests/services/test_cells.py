"""The markup of the list pages' cells and the review form's fields: the macros give the HTML
the pages had (the review fields exactly what WTForms' own widgets write), and each distinct
cell is rendered once a request."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import g, get_template_attribute
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import Select, TextArea

from ladder.team.cells import heatmap_rows, readiness_cell, status_cell

TRICKY = 'Tom & "Jerry" <b>\'s</b>'


class FieldsForm(Form):
    rating = SelectField("Rating", choices=[SelectChoice("", "Not rated yet"), SelectChoice("below", "Below <current>"),
                                            SelectChoice("a&b", 'A "quoted" level')])
    evidence = TextAreaField("Evidence", validators=[Length(max=50)])
    answer = TextAreaField("Answer")


@pytest.mark.parametrize("data", [{}, {"rating": "a&b", "evidence": TRICKY, "answer": "line one\r\nline two"},
                                  {"rating": "below", "evidence": "", "answer": "\r\nstarts with a newline"}])
@pytest.mark.parametrize("error_id", [None, "x-error"])
def test_review_fields_are_what_wtforms_widgets_write(app, data, error_id):
    form = FieldsForm(formdata=MultiDict(data) if data else None)
    invalid = {"aria_invalid": "true", "aria_describedby": error_id} if error_id else {}
    with app.test_request_context():
        select_field = get_template_attribute("macros.html", "select_field")
        textarea_field = get_template_attribute("macros.html", "textarea_field")
        assert select_field(form.rating, error_id) == Select()(form.rating, **invalid)
        for field in (form.evidence, form.answer):
            assert textarea_field(field, 3, error_id) == TextArea()(field, rows=3, **invalid)


def _row(name="Ann", *, target=None, result=None, verdict=None, heat=None):
    targets = {"next": (target, result)} if target is not None else {}
    return SimpleNamespace(person=SimpleNamespace(name=name), target=targets.get,
                           verdict_for=lambda kind: verdict, heat=heat or {})


def test_status_cells(app):
    with app.test_request_context():
        assert status_cell("not started", False) == '<span class="status status-not-started">Not started</span>'
        assert status_cell("submitted", True) == ('<span class="status status-submitted">Submitted</span>'
                                                  ' <span class="badge badge-bad">late</span>')


def test_readiness_cells(app):
    level = SimpleNamespace(key="staff")
    target = SimpleNamespace(level=level, title="Staff <Engineer>")
    result = SimpleNamespace(source="self", percent=75, meets_bar=True, blocker_count=2, is_points=False)
    with app.test_request_context():
        assert readiness_cell(_row(), "next") == '<span class="muted">top of track</span>'
        assert readiness_cell(_row(target=target, result=None), "next") == '<span class="muted">no review yet</span>'
        assert readiness_cell(_row(target=target, result=result,
                                   verdict=SimpleNamespace(label="Ready & now")), "next") == (
            "Staff &lt;Engineer&gt;: <strong>75%</strong>\n    <span class=\"badge badge-ok\">meets bar</span>"
            "\n    <span class=\"badge badge-bad\">2 blockers</span>\n    <small class=\"muted\">(self)</small>"
            "<br><small>Verdict: Ready &amp; now</small>")
        manager = SimpleNamespace(source="manager", percent=40, meets_bar=False, blocker_count=0, is_points=False)
        assert readiness_cell(_row(target=target, result=manager), "next") == (
            "Staff &lt;Engineer&gt;: <strong>40%</strong>\n    \n    \n    ")


def test_heatmap_cells_escape_names_and_render_each_distinct_cell_once(app):
    rubric = SimpleNamespace(competencies=[SimpleNamespace(key=key, name=key.upper()) for key in "abcdefg"],
                             rule=SimpleNamespace(is_points=False))
    heat = {"a": -1, "b": 0, "c": 1, "d": 3, "e": None, "f": 0}  # "g" applies to nobody
    rows = [_row(TRICKY, heat=heat), _row("Bo", heat={"a": 0})]
    with app.test_request_context():
        table = heatmap_rows(rubric, rows)
        assert [name for name, _ in table] == ["A", "B", "C", "D", "E", "F"]
        name = "Tom &amp; &#34;Jerry&#34; &lt;b&gt;&#39;s&lt;/b&gt;"
        assert table[0][1] == [f'<td class="heat heat-m1" title="{name}: below level">−1</td>',
                               '<td class="heat heat-0" title="Bo: at level">=</td>']
        assert [cells[0] for _, cells in table[1:]] == [
            f'<td class="heat heat-0" title="{name}: at level">=</td>',
            f'<td class="heat heat-p1" title="{name}: one level above">+1</td>',
            f'<td class="heat heat-p2" title="{name}: 3 levels above">+3</td>',
            f'<td class="heat heat-none" title="{name}: not rated">·</td>',
            f'<td class="heat heat-0" title="{name}: at level">=</td>']
        assert table[1][1][1] == '<td class="heat heat-na" title="Bo: does not apply"></td>'
        # the heatmap template writes cells without escaping them again: they must be the macro's Markup
        assert all(type(cell) is Markup for _, cells in table for cell in cells)
        assert table[1][1][0] is table[5][1][0]  # the same value for the same person: rendered once
        # 5 distinct cells for the first person, 2 for the second (at level, does not apply)
        assert len([key for key in g.rendered_cells if key[0] == "heat_cell"]) == 7
