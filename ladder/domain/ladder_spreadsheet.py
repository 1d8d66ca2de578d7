"""A ladder kept in a spreadsheet: CSV rows (competency, area, track, level, expectation) become
the ladder data that the YAML reader validates, and a version becomes the same rows again.

The rows are converted into format 2 data and checked by `parse_rubric`, the one validator of
ladder files, so a spreadsheet is held to exactly the rules of a YAML file; every problem it
finds is reported at the row and column it came from, with the cell's value. What a
spreadsheet has no column for (readiness bars, transitions, renames, the description) is kept
from the ladder's latest version when there is one.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from .rubric import (
    LEVEL_KEY_PATTERN,
    MAX_NODES,
    Bar,
    Competency,
    Level,
    Problem,
    Rubric,
    RubricError,
    Track,
    parse_rubric,
)
from .spreadsheet import SEPARATORS, TRIGGERS, spreadsheet_safe

# The columns, in the order an export writes them; header names are matched case-insensitively,
# with spaces, underscores or hyphens between words.
COLUMNS = ("area key", "area", "area description", "competency key", "competency", "description",
           "track key", "track", "level key", "level", "level code", "rank", "level summary", "expectation")
REQUIRED = ("competency", "area", "track", "level", "expectation")
ALIASES = {"competency description": "description", "level rank": "rank", "order": "rank",
           "level order": "rank", "expectations": "expectation", "summary": "level summary",
           "code": "level code"}
# Written only when the ladder has a value for them (the rest always are).
OPTIONAL_EXPORT = ("area description", "description", "level code", "level summary")
# What the database holds (ladder/models/ladder.py): a longer cell is refused at its row.
LIMITS = {"area": 200, "competency": 200, "track": 200, "level": 200, "level code": 32, "area key": 64,
          "competency key": 64, "track key": 64, "level key": 64}
KEY_MAX = 64
MAX_ROWS = 10_000  # a ladder of 9 tracks x 8 levels x 100 competencies fits; the YAML reader's cap follows
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when installed: 10x faster
NOT_APPLICABLE = {"-", "\u2013", "\u2014"}  # a dash in a cell: no expectation there

_UNESCAPE = re.compile(rf"(^|[{re.escape(SEPARATORS)}])(\s*)'(?=[{TRIGGERS}])")
_LEADING_CONTROL = re.compile(r"^'(?=[\t\r])")


@dataclass(frozen=True)
class Cell:
    """Where a value came from, to name it in an error."""

    row: int
    column: str
    letter: str
    value: str

    def problem(self, message: str) -> Problem:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        suffix = f" (the cell holds {shown!r})" if self.value and repr(self.value) not in message else ""
        return Problem(f"row {self.row}, column {self.letter} ({self.column})", message + suffix)


def _column_name(header: str) -> str:
    name = " ".join(re.sub(r"[_-]", " ", header.strip().lstrip("\ufeff").lower()).split())
    return ALIASES.get(name, name)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def spreadsheet_text(value: str) -> str:
    """A cell's text as typed: the apostrophe an export puts before a formula trigger removed
    (the inverse of `spreadsheet_safe`), line breaks as \\n, surrounding space trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _UNESCAPE.sub(lambda match: match.group(1) + match.group(2), _LEADING_CONTROL.sub("", value))
    return value.strip()


def decode(raw: bytes, source: str) -> str:
    """The text of an uploaded file: UTF-8, with or without the byte-order mark Excel writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RubricError(source, [Problem("", f"not UTF-8 text (byte {error.start + 1}); in Excel, "
                                               "save as \"CSV UTF-8 (Comma delimited)\"")]) from None


@dataclass
class _Row:
    number: int  # the spreadsheet's row number: the header is row 1
    cells: dict[str, Cell]

    def text(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.value if cell else ""

    def cell(self, column: str) -> Cell:
        return self.cells.get(column) or Cell(self.number, column, "?", "")


def _delimiter(header_line: str) -> str:
    """The separator of the header line: Excel writes `;` where the decimal mark is a comma."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def read_rows(text: str, source: str) -> tuple[list[str], list[_Row]]:
    """The header (canonical column names) and the non-blank rows; file-level problems raise."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise RubricError(source, [Problem("", "the file is empty")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
    try:
        header = [_column_name(name) for name in next(reader)]
        problems = _header_problems(header)
        if problems:
            raise RubricError(source, problems)
        rows: list[_Row] = []
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # blank rows (Excel writes ;;;; lines at the end of a sheet)
            if len(rows) >= MAX_ROWS:
                raise RubricError(source, [Problem(f"row {number}", f"more than {MAX_ROWS:,} rows; split the ladder")])
            extra = [i for i, value in enumerate(values) if i >= len(header) and value.strip()]
            if extra:
                raise RubricError(source, [Problem(f"row {number}, column {_letter(extra[0])}",
                                                   f"a value beyond the {len(header)} columns of the header")])
            cells = {name: Cell(number, name, _letter(i), spreadsheet_text(values[i]))
                     for i, name in enumerate(header) if name and i < len(values)}
            rows.append(_Row(number, cells))
    except csv.Error as error:
        raise RubricError(source, [Problem(f"row {reader.line_num}", f"not valid CSV ({error})")]) from None
    if not rows:
        raise RubricError(source, [Problem("", "the file has a header but no rows")])
    return header, rows


def _header_problems(header: list[str]) -> list[Problem]:
    problems = []
    for i, name in enumerate(header):
        where = f"row 1, column {_letter(i)}"
        if name and name not in COLUMNS:
            problems.append(Problem(where, f"unknown column {name!r} (columns: {', '.join(COLUMNS)})"))
        elif name and header.index(name) != i:
            problems.append(Problem(where, f"the column {name!r} appears twice"))
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(Problem("row 1", f"missing column(s): {', '.join(missing)} "
                                         f"(found: {', '.join(name for name in header if name) or 'none'})"))
    return problems


def slug(text: str) -> str:
    """A key made from a name: lowercase letters, digits and hyphens ("Code review" -> code-review)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass
class _Thing:
    """One area, competency, track or level as the rows describe it: its first row and the
    values its rows give, which must agree."""

    key: str
    first: _Row
    values: dict[str, Cell] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        cell = self.values.get(name)
        return cell.value if cell else default


class _Reader:
    """Collects the ladder the rows describe, and every problem with the rows."""

    def __init__(self, header: list[str], rows: list[_Row]):
        self.header = header
        self.rows = rows
        self.problems: list[Problem] = []
        self.areas: dict[str, _Thing] = {}
        self.competencies: dict[str, _Thing] = {}
        self.tracks: dict[str, _Thing] = {}
        self.levels: dict[str, _Thing] = {}
        self.track_levels: dict[str, dict[str, Cell]] = {}  # track -> level -> first cell naming it there
        self.competency_tracks: dict[str, dict[str, Cell]] = {}  # competency -> track -> first cell
        self.expectations: dict[str, dict[str, Cell]] = {}  # competency -> level -> the text's cell
        self.level_names: dict[str, dict[str, Cell]] = {}  # level -> track -> its name on that track
        self.order_edges: dict[tuple[str, str], Cell] = {}  # (lower, higher) level -> the row saying so

    def key_of(self, row: _Row, key_column: str, name_column: str, level: bool = False) -> str | None:
        """The key a row gives in a key column, or one made from the name; None (a problem) if neither."""
        if row.text(key_column):
            return row.text(key_column)
        name = row.text(name_column)
        if not name:
            self.problems.append(row.cell(name_column).problem(
                f"empty: every row needs a value here (or in a {key_column!r} column)"))
            return None
        key = name if level and LEVEL_KEY_PATTERN.match(name) else slug(name)[:KEY_MAX].rstrip("-")
        if not key:
            self.problems.append(row.cell(name_column).problem(
                f"no key can be made from this name; add a {key_column!r} column"))
            return None
        return key

    def settle(self, kind: str, thing: _Thing, name: str, cell: Cell | None) -> None:
        """A value of a thing given again on a later row must be the same."""
        if cell is None or not cell.value:
            return
        known = thing.values.get(name)
        if known is None:
            thing.values[name] = cell
        elif known.value != cell.value:
            self.problems.append(cell.problem(
                f"{kind} {thing.key!r} has {name} {known.value!r} on row {known.row}; one {kind} has one {name}"))

    def thing(self, kind: str, things: dict[str, _Thing], key: str, row: _Row, columns: Iterable[str]) -> _Thing:
        thing = things.setdefault(key, _Thing(key, row))
        for column in columns:
            self.settle(kind, thing, "name" if column == kind else column, row.cells.get(column))
        return thing

    def read(self) -> None:
        previous: _Row | None = None
        last_level: dict[tuple[str, str], str] = {}  # (competency, track) -> the level of its row before
        for row in self.rows:
            if previous is not None:
                self.fill_down(row, previous)
            previous = row
            for column, limit in LIMITS.items():
                if len(row.text(column)) > limit:
                    self.problems.append(row.cell(column).problem(f"longer than {limit} characters"))
            area = self.key_of(row, "area key", "area")
            competency = self.key_of(row, "competency key", "competency")
            track = self.key_of(row, "track key", "track")
            level = self.key_of(row, "level key", "level", level=True)
            if area:
                self.thing("area", self.areas, area, row, ("area", "area description"))
            if competency:
                thing = self.thing("competency", self.competencies, competency, row, ("competency", "description"))
                if area:
                    self.settle_area(thing, area, row)
            if track:
                self.thing("track", self.tracks, track, row, ("track",))
            if not (competency and track and level):
                continue
            self.read_level(row, level, track)
            self.competency_tracks.setdefault(competency, {}).setdefault(track, row.cell("track"))
            text = row.text("expectation")
            if text and text not in NOT_APPLICABLE:
                known = self.expectations.setdefault(competency, {}).setdefault(level, row.cell("expectation"))
                if known.value != text:
                    self.problems.append(row.cell("expectation").problem(
                        f"competency {competency!r} already has a different expectation at level {level!r} "
                        f"on row {known.row}; a level has one expectation per competency, whatever the track"))
            before = last_level.get((competency, track))
            if before is not None and before != level:
                self.order_edges.setdefault((before, level), row.cell("level"))
            last_level[(competency, track)] = level

    def settle_area(self, competency: _Thing, area: str, row: _Row) -> None:
        """A competency belongs to one area: every row of it names the same one."""
        known = competency.values.setdefault("area", Cell(row.number, "area", "", area))
        if known.value != area:
            column = "area key" if row.text("area key") else "area"
            self.problems.append(row.cell(column).problem(
                f"competency {competency.key!r} is in area {known.value!r} on row {known.row}; "
                "a competency belongs to one area"))

    def fill_down(self, row: _Row, previous: _Row) -> None:
        """Blank area and competency cells mean "as the row above" (merged cells in a spreadsheet)."""
        for pair in (("area", "area key"), ("competency", "competency key")):
            if not any(row.text(column) for column in pair):
                for column in pair:
                    if column in previous.cells:
                        row.cells[column] = replace(previous.cells[column], row=row.number)

    def read_level(self, row: _Row, level: str, track: str) -> None:
        rank = row.cells.get("rank")
        if rank and rank.value and not _is_rank(rank.value):
            self.problems.append(rank.problem("a rank must be a whole number, 1 or more"))
        thing = self.thing("level", self.levels, level, row, ("level code", "level summary", "rank"))
        self.track_levels.setdefault(track, {}).setdefault(level, row.cell("level"))
        name = row.cell("level")
        if not name.value:
            return
        if "level key" not in self.header:  # the key is made from the name: one name per level
            self.settle("level", thing, "name", name)
            return
        known = self.level_names.setdefault(level, {}).setdefault(track, name)
        if known.value != name.value:
            self.problems.append(name.problem(f"level {level!r} is called {known.value!r} on the {track!r} track "
                                              f"on row {known.row}; a level has one name per track"))


def _is_rank(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{1,6}", value)) and int(value) >= 1


def _ranks(reader: _Reader) -> dict[str, int]:
    """Each level's rank: the rank column's, else its place in the order the rows give (the
    longest chain of lower levels below it, so parallel tracks get equal ranks)."""
    if "rank" in reader.header:
        ranks: dict[str, int] = {}
        for key, level in reader.levels.items():
            cell = level.values.get("rank")
            if cell is None:
                reader.problems.append(level.first.cell("rank").problem(f"level {key!r} has no rank on any row"))
            elif _is_rank(cell.value):  # other values are a problem of their row
                ranks[key] = int(cell.value)
        return ranks
    order = _level_order(reader, report=True)
    if order is None:
        return {}
    ranks = {}
    for key in order:
        ranks[key] = 1 + max((ranks[low] for (low, high) in reader.order_edges if high == key), default=0)
    return ranks


def _level_order(reader: _Reader, report: bool = False) -> list[str] | None:
    """The levels ordered so each comes after every level a row sequence puts below it (ties in
    the order they first appear); None when rows disagree on the order (a problem if `report`)."""
    first_seen = list(reader.levels)
    below = {key: {low for (low, high) in reader.order_edges if high == key} for key in first_seen}
    order: list[str] = []
    while len(order) < len(first_seen):
        ready = [key for key in first_seen if key not in order and below[key] <= set(order)]
        if not ready and not report:
            return None
        if not ready:
            stuck = [key for key in first_seen if key not in order]
            (low, high), cell = [(edge, cell) for edge, cell in reader.order_edges.items()  # the latest row
                                 if edge[0] in stuck and edge[1] in stuck][-1]
            reader.problems.append(cell.problem(
                f"the rows put the levels {', '.join(map(repr, stuck))} in different orders (here {low!r} comes "
                f"before {high!r}); add a 'rank' column to say which level is higher"))
            return None
        order.append(ready[0])
    return order


def _ordered(keys: Iterable[str], base_keys: Iterable[str]) -> list[str]:
    """The ladder's existing order for keys it already has, then new ones as the rows give them."""
    keys = list(keys)
    kept = [key for key in base_keys if key in keys]
    return kept + [key for key in keys if key not in kept]


class _Located:
    """The ladder data being built, with the cell each value came from."""

    def __init__(self) -> None:
        self.where: dict[str, Cell] = {}

    def at(self, path: str, cell: Cell | None) -> None:
        if cell is not None:
            self.where[path] = cell

    def problem(self, problem: Problem, options: dict[str, str]) -> Problem:
        """A problem of the YAML reader at the row and column the value came from."""
        path = problem.path
        if not path:
            return Problem("", problem.message)  # a line of the generated YAML would mean nothing here
        if path in options:
            return Problem(options[path], problem.message)
        cuts = [len(path)] + [i for i in range(len(path) - 1, 0, -1) if path[i] in ".["]
        for cut in cuts:
            cell = self.where.get(path[:cut])
            if cell is not None:
                return cell.problem(problem.message)
        return Problem(f"{path or 'the ladder'} (kept from the ladder's current version)", problem.message)


def ladder_data(reader: _Reader, key: str, name: str, base: Rubric | None, located: _Located) -> dict:
    """Format 2 ladder data from the rows read: what the spreadsheet has a column for from the
    rows, the rest from `base` (the ladder's latest version) when there is one."""
    build = _Builder(reader, base, located)
    data: dict[str, Any] = {"format": 2, "key": key, "name": name}
    if base and base.description:
        data["description"] = base.description
    data["levels"] = build.levels()
    data["tracks"] = build.tracks()
    if base is not None:
        data.update(_kept_settings(base, set(build.level_keys), {t["key"]: t["levels"] for t in data["tracks"]}))
    data["areas"] = build.areas()
    return data


class _Builder:
    """The levels, tracks and areas of the ladder data, each value located at its cell."""

    def __init__(self, reader: _Reader, base: Rubric | None, located: _Located):
        self.reader, self.located = reader, located
        self.base_levels = {level.key: level for level in base.levels} if base else {}
        self.base_tracks = {track.key: track for track in base.tracks} if base else {}
        self.base_areas = {area.key: area for area in base.areas} if base else {}
        self.base_competencies = {c.key: c for c in base.competencies} if base else {}
        self.ranks = _ranks(reader)
        self.level_keys = _ordered(_level_order(reader) or reader.levels, self.base_levels)
        self.track_keys = _ordered(reader.tracks, self.base_tracks)

    def kept(self, column: str, thing: _Thing, base_value: str) -> str:
        """A column the sheet has wins, even when blank; without the column, the ladder's value."""
        return thing.value(column) if column in self.reader.header else base_value

    def key_cell(self, thing: _Thing, kind: str) -> Cell:
        """Where a key came from: its key column, or the name it was made from."""
        return thing.first.cell(f"{kind} key" if f"{kind} key" in self.reader.header else kind)

    @staticmethod
    def renamed_from(before: Level | Track | Competency | None, current: Iterable[str]) -> dict:
        """Earlier keys kept from the ladder, but not one that is a key again."""
        current = set(current)
        keys = [old for old in (before.renamed_from if before else ()) if old not in current]
        return {"renamed_from": keys} if keys else {}

    def levels(self) -> list[dict]:
        return [self.level(f"levels[{i}]", level_key) for i, level_key in enumerate(self.level_keys)]

    def level(self, path: str, level_key: str) -> dict:
        level, before = self.reader.levels[level_key], self.base_levels.get(level_key)
        per_track = self.reader.level_names.get(level_key, {})
        name_cell, titles = self.level_name(level_key, level, before, per_track)
        entry = {"key": level_key, "name": name_cell.value or level_key, "rank": self.ranks.get(level_key, 1)}
        optional = {"summary": self.kept("level summary", level, before.summary if before else ""),
                    "code": self.kept("level code", level, before.code if before else ""), "titles": titles}
        entry.update({field: value for field, value in optional.items() if value})
        entry.update(self.renamed_from(before, self.level_keys))
        located = self.located
        located.at(path, level.first.cell("level"))
        located.at(f"{path}.key", self.key_cell(level, "level"))
        located.at(f"{path}.name", name_cell)
        located.at(f"{path}.rank", level.values.get("rank") or level.first.cell("level"))
        located.at(f"{path}.summary", level.values.get("level summary"))
        located.at(f"{path}.code", level.values.get("level code"))
        for track_key in titles:
            located.at(f"{path}.titles.{track_key}", per_track.get(track_key))
        return entry

    def level_name(self, level_key: str, level: _Thing, before: Level | None, per_track: dict) -> tuple[Cell, dict]:
        """The cell naming the level, and its titles by track: with one name per track, the
        ladder's name (or the first track's) and the others as titles."""
        on_tracks = [t for t in self.track_keys if level_key in self.reader.track_levels.get(t, {})]
        if not per_track:
            titles = {t: title for t, title in (before.titles if before else ()) if t in on_tracks}
            return level.values.get("name") or level.first.cell("level"), titles
        names = {t: per_track[t] for t in on_tracks if t in per_track}
        name_cell = next((cell for cell in names.values() if before and cell.value == before.name),
                         next(iter(names.values())))
        return name_cell, {t: cell.value for t, cell in names.items() if cell.value != name_cell.value}

    def tracks(self) -> list[dict]:
        reader, located = self.reader, self.located
        position = {key: i for i, key in enumerate(self.level_keys)}
        tracks = []
        for i, track_key in enumerate(self.track_keys):
            track = reader.tracks[track_key]
            on_track = reader.track_levels.get(track_key, {})
            track_levels = sorted(on_track, key=lambda lv: (self.ranks.get(lv, 0), position[lv]))
            tracks.append({"key": track_key, "name": track.value("name") or track_key, "levels": track_levels,
                           **self.renamed_from(self.base_tracks.get(track_key), self.track_keys)})
            located.at(f"tracks[{i}]", track.first.cell("track"))
            located.at(f"tracks[{i}].key", self.key_cell(track, "track"))
            located.at(f"tracks[{i}].name", track.values.get("name"))
            for j, level_key in enumerate(track_levels):
                located.at(f"tracks[{i}].levels[{j}]", on_track[level_key])
            _same_rank_problems(reader, track_key, track_levels, self.ranks, on_track)
        return tracks

    def areas(self) -> list[dict]:
        reader, located = self.reader, self.located
        members: dict[str, list[str]] = {}
        for competency_key, competency in reader.competencies.items():
            members.setdefault(competency.value("area"), []).append(competency_key)
        areas = []
        for i, (area_key, area) in enumerate(reader.areas.items()):
            before = self.base_areas.get(area_key)
            competencies = [self.competency(f"areas[{i}].competencies[{j}]", key)
                            for j, key in enumerate(members.get(area_key, []))]
            description = self.kept("area description", area, before.description if before else "")
            areas.append({"key": area_key, "name": area.value("name") or area_key,
                          **({"description": description} if description else {}), "competencies": competencies})
            located.at(f"areas[{i}]", area.first.cell("area"))
            located.at(f"areas[{i}].key", self.key_cell(area, "area"))
            located.at(f"areas[{i}].name", area.values.get("name"))
            located.at(f"areas[{i}].description", area.values.get("area description"))
        return areas

    def competency(self, path: str, competency_key: str) -> dict:
        reader, located = self.reader, self.located
        competency, before = reader.competencies[competency_key], self.base_competencies.get(competency_key)
        on_tracks = reader.competency_tracks.get(competency_key, {})
        tracks = [t for t in self.track_keys if t in on_tracks]
        texts = reader.expectations.get(competency_key, {})
        description = self.kept("description", competency, before.description if before else "")
        located.at(path, competency.first.cell("competency"))
        located.at(f"{path}.key", self.key_cell(competency, "competency"))
        located.at(f"{path}.name", competency.values.get("name"))
        located.at(f"{path}.description", competency.values.get("description"))
        located.at(f"{path}.expectations", competency.first.cell("competency"))
        for k, track_key in enumerate(tracks):
            located.at(f"{path}.tracks[{k}]", on_tracks[track_key])
        for level_key, cell in texts.items():
            located.at(f"{path}.expectations.{level_key}", cell)
        return {"key": competency_key, "name": competency.value("name") or competency_key,
                **({"description": description} if description else {}), "tracks": tracks,
                "expectations": {lv: texts[lv].value for lv in self.level_keys if lv in texts},
                **self.renamed_from(before, reader.competencies)}


def _same_rank_problems(reader: _Reader, track_key: str, track_levels: list[str], ranks: dict[str, int],
                        on_track: dict[str, Cell]) -> None:
    for lower, higher in itertools.pairwise(track_levels):
        if lower in ranks and higher in ranks and ranks[lower] == ranks[higher]:
            reader.problems.append(on_track[higher].problem(
                f"levels {lower!r} and {higher!r} of the {track_key!r} track have the same rank {ranks[higher]}; "
                "the levels of a track need increasing ranks"))


def _kept_settings(base: Rubric, level_keys: set[str], track_levels: dict[str, list[str]]) -> dict:
    """Readiness bars and transitions of the ladder's latest version, for the levels and tracks
    that remain (a spreadsheet has no columns for them)."""
    def bar(b: Bar) -> dict:
        return {"min_coverage": b.min_coverage, "max_blockers": b.max_blockers}

    settings: dict = {"readiness": {"default": bar(base.default_bar)}}
    bars = {key: bar(b) for key, b in base.bars.items() if key in level_keys}
    if bars:
        settings["readiness"]["levels"] = bars
    if base.transitions is not None:
        settings["transitions"] = [
            {"from": t.from_level, "to": t.to_level, "track": t.track_key, **({"bar": bar(t.bar)} if t.bar else {})}
            for t in base.transitions
            if t.from_level in level_keys and t.to_level in track_levels.get(t.track_key, ())]
    return settings


POINTS_LADDER = ("a points ladder's milestones and points totals have no spreadsheet columns: keep it as a "
                 "YAML file (the YAML download, or `ladder ladders export` and `ladder ladders import`)")


def read_ladder_csv(text: str, *, key: str, name: str, base: Rubric | None = None,
                    source: str = "ladder.csv") -> Rubric:
    """The ladder a spreadsheet describes, validated like a YAML file; RubricError lists every
    problem at its row and column. `base` is the ladder's latest version, if it has one."""
    if base is not None and base.rule.is_points:
        raise RubricError(source, [Problem("", POINTS_LADDER)])
    header, rows = read_rows(text, source)
    reader = _Reader(header, rows)
    reader.read()
    located = _Located()
    data = ladder_data(reader, key, name, base, located) if not reader.problems else {}
    if reader.problems:
        raise RubricError(source, sorted(reader.problems, key=_row_order))
    if _values(data) > MAX_NODES:  # refused before the work of writing and reading it
        raise RubricError(source, [Problem("", f"too large: more than {MAX_NODES:,} values; split the ladder")])
    document = yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=10_000)
    try:
        rubric = parse_rubric(document, source)
    except RubricError as error:
        options = {"key": f"the ladder key {key!r}", "name": f"the ladder name {name!r}"}
        raise RubricError(source, sorted((located.problem(p, options) for p in error.problems),
                                         key=_row_order)) from None
    if (base is None or base.transitions is None) and replace(rubric, transitions=None).format == 1:
        rubric = replace(rubric, transitions=None)  # a format 1 ladder keeps its meaning (targets by rank)
    return rubric


def _values(data: object) -> int:
    """How many values the YAML reader would count in this data (keys, texts, lists, mappings)."""
    if isinstance(data, dict):
        return 1 + sum(1 + _values(value) for value in data.values())
    if isinstance(data, list):
        return 1 + sum(_values(value) for value in data)
    return 1


def _row_order(problem: Problem) -> tuple[int, str]:
    match = re.match(r"row (\d+)", problem.path)
    return (int(match.group(1)) if match else 0, problem.path)


def ladder_rows(rubric: Rubric) -> list[dict[str, str]]:
    """A ladder as spreadsheet rows: every level of each competency's tracks, with its
    expectation or blank where the competency does not apply. Reading them back (into the same
    ladder) gives the same ladder. A points ladder has no rows (ValueError: POINTS_LADDER)."""
    if rubric.rule.is_points:
        raise ValueError(POINTS_LADDER)
    rows = []
    for area in rubric.areas:
        for competency in area.competencies:
            for track_key in competency.tracks:
                track = rubric.track(track_key)
                for level in rubric.track_levels(track_key):
                    rows.append({
                        "area key": area.key, "area": area.name, "area description": area.description,
                        "competency key": competency.key, "competency": competency.name,
                        "description": competency.description, "track key": track.key, "track": track.name,
                        "level key": level.key, "level": level.title_on(track_key), "level code": level.code,
                        "rank": str(level.rank), "level summary": level.summary,
                        "expectation": competency.expectations.get(level.key, ""),
                    })
    return rows


def ladder_csv(rubric: Rubric) -> str:
    """The ladder as CSV (UTF-8 text; the caller adds a byte-order mark for Excel), every cell
    safe to open in a spreadsheet."""
    rows = ladder_rows(rubric)
    columns = [c for c in COLUMNS if c not in OPTIONAL_EXPORT or any(row[c] for row in rows)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([spreadsheet_safe(row[c]) for c in columns] for row in rows)
    return out.getvalue()
