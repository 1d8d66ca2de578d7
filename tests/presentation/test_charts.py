"""Charts as data (ladder/presentation/charts.py) and where they appear: the review pages and the person page."""
import re
from datetime import date

import pytest

from ladder.domain.reviews import Entry, area_progress
from ladder.domain.rubric import parse_rubric
from ladder.extensions import db
from ladder.presentation import charts
from ladder.services.readiness import readiness_for, readiness_history

from ..domain.test_readiness import LADDER
from ..factories import make_cycle, make_review, rate_all

pytestmark = pytest.mark.dates

RUBRIC = parse_rubric(LADDER)


def test_labels_wrap_at_spaces_and_values_read_as_words():
    assert charts.wrap_label("Collaboration and communication") == ("Collaboration and", "communication")
    assert charts.wrap_label("Design and engineering quality", 16) == ("Design and", "engineering", "quality")
    assert charts.relative_label(None, "Senior") == "not rated"
    assert charts.relative_label(0.0, "Senior") == "at Senior"
    assert charts.relative_label(0.5, "Senior") == "+0.5 above Senior"
    assert charts.relative_label(-1, "Senior") == "-1.0 below Senior"


def test_relative_by_area_averages_ranks_against_the_level():
    entries = {"shared-1": Entry("staff", ""), "shared-2": Entry("senior", ""), "people": Entry("below", "")}
    assert charts.relative_by_area(RUBRIC, "senior", entries) == [0.0]  # (3 + 2 + 1) / 3 - 2
    assert charts.relative_by_area(RUBRIC, "senior", {}) == [None]
    assert charts.relative_by_area(RUBRIC, "senior", {"shared-1": Entry(None, "")}) == [None]


def test_radar_puts_values_on_spokes_between_centre_and_rim():
    chart = charts.radar(["A", "B", "C", "D"], [("Self", [2.0, 0.0, -1.0, None]), ("Manager", [1.0, 1.0, 1.0, 1.0])],
                         level_name="Senior", title="t")
    assert [r.value for r in chart.rings] == [0, 1, 2]  # low is -1 (the centre), high 2
    self_points = chart.series[0].points
    assert self_points[0].y == chart.cy - chart.height / 2 + 60  # +2 on the rim, straight up
    assert (self_points[2].x, self_points[2].y) == (chart.cx, chart.cy)  # -1 at the centre
    assert self_points[3].value is None and (self_points[3].x, self_points[3].y) == (chart.cx, chart.cy)
    assert chart.series[0].marker != chart.series[1].marker  # told apart without colour
    assert chart.rows[3] == ("D", ("not rated", "+1.0 above Senior"))
    assert "A: Self +2.0 above Senior, Manager +1.0 above Senior" in chart.description


def test_radar_leaves_a_gap_at_unrated_areas_instead_of_drawing_them_at_the_centre():
    chart = charts.radar(["A", "B", "C", "D", "E"], [("Self", [1.0, None, 0.0, 0.0, 1.0]), ("Manager", [1.0] * 5)],
                         level_name="Senior", title="t")
    partial, full = chart.series
    centre = f"{chart.cx:.1f},{chart.cy:.1f}"
    assert centre not in partial.outline and not partial.complete
    assert partial.outline.count("M") == 1 and partial.outline.count("L") == 3  # C → D → E → A, around the gap at B
    assert not partial.outline.endswith("Z")  # open: nothing is filled across the gap
    assert full.complete and full.outline.endswith("Z")


def test_radar_grows_to_fit_values_above_two_levels():
    chart = charts.radar(["A", "B", "C"], [("Self", [3.0, 0.0, 0.0])], level_name="Engineer", title="t")
    assert chart.rings[-1].value == 3


def test_line_chart_labels_every_point_and_breaks_at_gaps():
    chart = charts.percent_line_chart(["2025 H2", "2026 H1", "2026 H2"],
                                      [("Staff", [0.5, None, 0.9]), ("EM", [0.2, 0.4, 0.6])],
                                      title="t", threshold=0.8)
    staff, em = chart.series
    assert staff.path.count("M") == 2 and "L" not in staff.path  # two separate points
    assert em.path.count("M") == 1 and em.path.count("L") == 2
    assert chart.threshold.label == "bar 80%"
    assert staff.points[2].y < chart.threshold.y  # 90% is above the bar
    assert "Staff: 2025 H2 50%, 2026 H1 —, 2026 H2 90%" in chart.description
    single = charts.percent_line_chart(["only"], [("Staff", [1.0])], title="t")
    assert single.series[0].points[0].x == (single.left + single.right) / 2


def test_area_progress_counts_rated_competencies_per_area():
    assert area_progress(RUBRIC, {"shared-1": Entry("senior", ""), "shared-2": Entry(None, "")})["all"].rated == 1


def test_readiness_history_uses_each_cycles_visible_review_in_bounded_queries(org, ladder, count_queries):
    past = make_cycle(ladder.version_id, name="2026 H1", status="closed", opens_on=date(2026, 5, 1))
    make_review(past, org.engineer, kind="self", status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(past, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="self", status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="submitted",
                entries=rate_all(ladder, 3), loaded=ladder)  # not shared: must not count
    db.session.commit()
    targets = [t for t, _ in readiness_for(org.engineer).results]
    with count_queries() as counter:
        history = readiness_history(org.engineer, targets)
    assert counter.count <= 3
    assert [(p.cycle.name, p.source) for p in history] == [("2026 H1", "manager"), ("2026 H2", "self")]
    assert history[0].results["ic"].percent > history[1].results["ic"].percent


def test_person_page_shows_readiness_over_cycles_as_a_chart_with_a_table(client, org, ladder):
    make_review(org.cycle, org.engineer, kind="self", status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("engineer@example.com")
    page = client.get(f"/people/{org.engineer.id}").get_data(as_text=True)
    assert 'role="img"' in page and "readiness over review cycles</title>" in page
    assert re.search(r"<th scope=\"row\">2026 H2</th><td>self-review</td>\s*<td>100%", page)


def test_side_by_side_and_manager_review_pages_draw_the_radar(client, org, ladder):
    make_review(org.cycle, org.engineer, kind="self", status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    for path in (f"/reviews/people/{org.engineer.id}/side-by-side", f"/reviews/people/{org.engineer.id}/manager"):
        page = client.get(path).get_data(as_text=True)
        assert "self-review and manager review by area</title>" in page, path
        assert "+1.0 above Senior Engineer" in page and "not rated" in page  # self at Staff; manager not yet


def test_stacked_share_chart_splits_each_bar_and_says_every_share():
    chart = charts.stacked_share_chart([("Organisation", (0.25, 0.5, 0.25)), ("Ann", (0.0, 0.1, 0.9))],
                                       ("below level", "at level", "above level"), title="Ratings")
    org, ann = chart.bars
    assert [s.width for s in org.segments] == [(chart.right - chart.left) * s for s in (0.25, 0.5, 0.25)]
    assert org.segments[1].x == org.segments[0].x + org.segments[0].width  # stacked end to end
    assert [s.label for s in ann.segments] == ["", "10%", "90%"]  # no label where nothing fits
    assert "Ann: below level 0%, at level 10%, above level 90%" in chart.description
    assert ann.y > org.y and chart.height > ann.y + chart.bar_height
