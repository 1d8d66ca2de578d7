"""Charts as plain data: coordinates and labels that a Jinja macro turns into inline SVG.

Charts are drawn on the server so they need no JavaScript, print like the rest of the page
and carry their own text alternative. Nothing here knows about HTML: a chart is numbers and
strings, computed from values, so it can be tested like any other rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..domain.readiness import rating_rank
from ..domain.reviews import Entry
from ..domain.rubric import Rubric

# Series are told apart by line pattern and marker shape as well as colour (print, colour blindness).
SERIES_STYLES = (("series-a", "circle"), ("series-b", "square"), ("series-c", "diamond"))


def wrap_label(text: str, width: int = 20) -> tuple[str, ...]:
    """Split a label into lines of about `width` characters at spaces (SVG text does not wrap)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def relative_label(value: float | None, level_name: str) -> str:
    """A value relative to the person's level, in words: "at Senior", "+0.5 above", "not rated"."""
    if value is None:
        return "not rated"
    if abs(value) < 0.05:
        return f"at {level_name}"
    direction = "above" if value > 0 else "below"
    return f"{value:+.1f} {direction} {level_name}"


def relative_by_area(rubric: Rubric, level_key: str, entries: dict[str, Entry]) -> list[float | None]:
    """Per area (in ladder order), the average rating rank minus the person's level rank.

    0 means "at their level", +1 one level above, -1 below; None when nothing in the area is rated.
    """
    current = rubric.level(level_key)
    values: list[float | None] = []
    for area in rubric.areas:
        rated = [rating_rank(rubric, entries[c.key].rating, current)
                 for c in area.competencies if c.key in entries and entries[c.key].rating]
        ranks = [r for r in rated if r is not None]
        values.append(round(sum(ranks) / len(ranks) - current.rank, 2) if ranks else None)
    return values


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float | None


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    marker: str  # circle, square or diamond
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """An SVG path through the points that have a value (gaps break the line)."""
        parts, pen_down = [], False
        for p in self.points:
            if p.value is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{p.x:.1f},{p.y:.1f}")
            pen_down = True
        return " ".join(parts)

    @property
    def complete(self) -> bool:
        return all(p.value is not None for p in self.points)

    @property
    def outline(self) -> str:
        """The radar's outline as an SVG path: closed when every spoke has a value; otherwise
        open runs through the rated spokes (wrapping past the first), with a gap at each unrated
        one, so "not rated" never looks like "far below the level" at the centre."""
        if self.complete:
            return self.path + " Z" if self.points else ""
        gap = next(i for i, p in enumerate(self.points) if p.value is None)
        turned = self.points[gap + 1:] + self.points[:gap + 1]  # start after a gap: runs do not wrap
        return Series(self.name, self.css_class, self.marker, turned).path


@dataclass(frozen=True)
class RadarAxis:
    label: tuple[str, ...]  # wrapped lines
    x: float  # end of the spoke
    y: float
    label_x: float
    label_y: float
    anchor: str  # start, middle or end


@dataclass(frozen=True)
class Ring:
    value: float
    label: str
    polygon: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Radar:
    width: int
    height: int
    cx: float
    cy: float
    axes: tuple[RadarAxis, ...]
    rings: tuple[Ring, ...]
    series: tuple[Series, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # the text alternative: label, value per series
    title: str
    description: str


def radar(labels: list[str], series: list[tuple[str, list[float | None]]], *, level_name: str,
          title: str, low: float = -1.0, high: float | None = None, size: int = 420) -> Radar:
    """A radar (spider) chart of values relative to a level, one spoke per label.

    The centre is `low` (below the level), rings mark each whole level; a missing value leaves a
    gap in the drawing and reads "not rated" in the text alternative.
    """
    top = max([v for _, values in series for v in values if v is not None] + [1.0])
    high = high if high is not None else float(max(2, math.ceil(top)))
    margin_x, margin_y = 160, 60
    width, height = size + 2 * margin_x, size + 2 * margin_y
    cx, cy, radius = width / 2, height / 2, size / 2
    count = max(len(labels), 3)

    def at(index: int, value: float | None) -> tuple[float, float]:
        share = 0.0 if value is None else (min(max(value, low), high) - low) / (high - low)
        angle = -math.pi / 2 + 2 * math.pi * index / count
        return cx + radius * share * math.cos(angle), cy + radius * share * math.sin(angle)

    axes = []
    for i, label in enumerate(labels):
        x, y = at(i, high)
        angle = -math.pi / 2 + 2 * math.pi * i / count
        lx, ly = cx + (radius + 14) * math.cos(angle), cy + (radius + 14) * math.sin(angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.3 else ("start" if math.cos(angle) > 0 else "end")
        lines = wrap_label(label)
        if math.sin(angle) < -0.3:  # labels above the chart grow upwards
            ly -= 16 * (len(lines) - 1)
        elif abs(math.sin(angle)) <= 0.3:
            ly -= 8 * (len(lines) - 1)
        axes.append(RadarAxis(lines, x, y, lx, ly + 5, anchor))

    rings = []
    value = low + 1
    while value <= high + 1e-9:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, value) for i in range(count)))
        # ring labels sit halfway between the first two spokes, clear of the axis labels
        angle = -math.pi / 2 + math.pi / count
        share = (value - low) / (high - low)
        text = "at level" if value == 0 else f"{value:+g}"
        rings.append(Ring(value, text, points, cx + radius * share * math.cos(angle) + 3,
                          cy + radius * share * math.sin(angle) - 3))
        value += 1

    drawn = []
    for (name, values), (css, marker) in zip(series, SERIES_STYLES, strict=False):
        drawn.append(Series(name, css, marker, tuple(Point(*at(i, v), v) for i, v in enumerate(values))))

    rows = tuple((label, tuple(relative_label(values[i], level_name) for _, values in series))
                 for i, label in enumerate(labels))
    description = "; ".join(f"{label}: " + ", ".join(f"{name} {value}" for (name, _), value in zip(series, cells,
                                                                                                   strict=True))
                            for label, cells in rows)
    return Radar(width, height, cx, cy, tuple(axes), tuple(rings), tuple(drawn), rows, title,
                 f"Average rating by area relative to {level_name} (0 is at level). {description}.")


@dataclass(frozen=True)
class XTick:
    label: str
    x: float


@dataclass(frozen=True)
class GridLine:
    value: float
    label: str
    y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    ticks: tuple[XTick, ...]
    grid: tuple[GridLine, ...]
    series: tuple[Series, ...]
    threshold: GridLine | None
    title: str
    description: str


def percent_line_chart(x_labels: list[str], series: list[tuple[str, list[float | None]]], *, title: str,
                       threshold: float | None = None, width: int = 640, height: int = 280) -> LineChart:
    """Shares (0..1) over time, one line per series, with an optional bar to reach.

    Values are drawn as percentages; every point is labelled with its value so the chart reads
    without colour, and a missing value breaks the line.
    """
    left, right, top, bottom = 56.0, width - 150.0, 20.0, height - 56.0  # room below for labels and ticks
    count = len(x_labels)

    def x_at(index: int) -> float:
        return (left + right) / 2 if count <= 1 else left + (right - left) * index / (count - 1)

    def y_at(share: float) -> float:
        return bottom - (bottom - top) * min(max(share, 0.0), 1.0)

    grid = tuple(GridLine(v, f"{round(v * 100)}%", y_at(v)) for v in (0, 0.25, 0.5, 0.75, 1.0))
    ticks = tuple(XTick(label, x_at(i)) for i, label in enumerate(x_labels))
    drawn = tuple(
        Series(name, css, marker, tuple(Point(x_at(i), y_at(v or 0.0), v) for i, v in enumerate(values)))
        for (name, values), (css, marker) in zip(series, SERIES_STYLES, strict=False)
    )
    line = GridLine(threshold, f"bar {round(threshold * 100)}%", y_at(threshold)) if threshold is not None else None

    def said(values: list[float | None]) -> str:
        return ", ".join(f"{label} {'—' if v is None else f'{round(v * 100)}%'}" for label, v in zip(x_labels, values,
                                                                                                     strict=True))

    description = "; ".join(f"{name}: {said(values)}" for name, values in series)
    if threshold is not None:
        description += f"; the bar is {round(threshold * 100)}%"
    return LineChart(width, height, left, right, top, bottom, ticks, grid, drawn, line, title, description + ".")


@dataclass(frozen=True)
class Segment:
    css_class: str
    x: float
    width: float
    share: float
    label: str  # the share as text, drawn inside the segment when it fits

    @property
    def text_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class StackedBar:
    label: str
    y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class StackedBarChart:
    width: int
    height: int
    left: float
    right: float
    bar_height: float
    parts: tuple[tuple[str, str], ...]  # (name, css class) per segment, for the legend
    bars: tuple[StackedBar, ...]
    title: str
    description: str


STACK_STYLES = ("share-below", "share-at", "share-above")


def stacked_share_chart(rows: list[tuple[str, tuple[float, ...]]], parts: tuple[str, ...], *, title: str,
                        width: int = 640) -> StackedBarChart:
    """One horizontal bar per row, split into shares (0..1) that add up to the whole; each
    segment carries its percentage, so the chart reads without colour."""
    left, right, bar_height, gap = 180.0, width - 16.0, 22.0, 12.0
    bars = []
    for index, (label, shares) in enumerate(rows):
        x, segments = left, []
        for share, css in zip(shares, STACK_STYLES, strict=False):
            segment_width = (right - left) * share
            segments.append(Segment(css, x, segment_width, share,
                                    f"{round(share * 100)}%" if segment_width >= 32 else ""))
            x += segment_width
        bars.append(StackedBar(label, 8.0 + index * (bar_height + gap), tuple(segments)))
    height = int(16 + len(rows) * (bar_height + gap))

    def said(shares: tuple[float, ...]) -> str:
        return ", ".join(f"{name} {round(share * 100)}%" for name, share in zip(parts, shares, strict=False))

    description = "; ".join(f"{label}: {said(shares)}" for label, shares in rows)
    return StackedBarChart(width, height, left, right, bar_height,
                           tuple(zip(parts, STACK_STYLES, strict=False)), tuple(bars), title, description + ".")
