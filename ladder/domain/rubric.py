"""The ladder as plain data: dataclasses, a validating YAML loader and a canonical dumper.

The loader reports every problem at once, each with the file, the key path and the line, so a
person editing the YAML by hand can fix them all in one pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

FORMAT_VERSION = 1
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    rank: int
    summary: str = ""


@dataclass(frozen=True)
class Track:
    key: str
    name: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class Competency:
    key: str
    name: str
    description: str
    area_key: str
    tracks: tuple[str, ...]
    expectations: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    description: str
    competencies: tuple[Competency, ...]


@dataclass(frozen=True)
class Bar:
    """What readiness for a target level requires."""

    min_coverage: float
    max_blockers: int


@dataclass(frozen=True)
class Rubric:
    key: str
    name: str
    description: str
    levels: tuple[Level, ...]
    tracks: tuple[Track, ...]
    areas: tuple[Area, ...]
    default_bar: Bar
    bars: dict[str, Bar] = field(hash=False)

    # Lookups by key are indexed once per rubric (rubrics never change): readiness for a whole
    # organisation calls them millions of times (profiled in docs/performance.md).
    @cached_property
    def _levels_by_key(self) -> dict[str, Level]:
        return {level.key: level for level in self.levels}

    @cached_property
    def _tracks_by_key(self) -> dict[str, Track]:
        return {track.key: track for track in self.tracks}

    @cached_property
    def _competencies_by_key(self) -> dict[str, Competency]:
        return {c.key: c for c in self.competencies}

    def level(self, key: str) -> Level:
        try:
            return self._levels_by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def has_level(self, key: str) -> bool:
        return key in self._levels_by_key

    def track(self, key: str) -> Track:
        try:
            return self._tracks_by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def has_track(self, key: str) -> bool:
        return key in self._tracks_by_key

    @cached_property
    def memo(self) -> dict:
        """Structures derived from this rubric (readiness plans, heat tables), built once per
        rubric: a published version never changes, so they never go stale."""
        return {}

    @cached_property
    def rank_of(self) -> dict[str, int]:
        return {level.key: level.rank for level in self.levels}

    @cached_property
    def competencies(self) -> tuple[Competency, ...]:
        return tuple(c for area in self.areas for c in area.competencies)

    def competency(self, key: str) -> Competency:
        try:
            return self._competencies_by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def bar_for(self, level_key: str) -> Bar:
        return self.bars.get(level_key, self.default_bar)

    def track_levels(self, track_key: str) -> list[Level]:
        return [self.level(key) for key in self.track(track_key).levels]

    def competencies_for_track(self, track_key: str) -> list[Competency]:
        return [c for c in self.competencies if track_key in c.tracks]

    def rating_levels(self, competency: Competency, track_key: str, current_level: str) -> list[Level]:
        """The levels someone may be rated at for a competency: at or above their own level.

        Levels come from the person's own track when the competency applies to it, otherwise
        from the competency's first track; ranks make either count toward both tracks.
        """
        track_key = track_key if track_key in competency.tracks else competency.tracks[0]
        floor = self.level(current_level).rank if self.has_level(current_level) else 0
        return [
            level
            for level in self.track_levels(track_key)
            if level.key in competency.expectations and level.rank >= floor
        ]

    def expectation_at_rank(self, competency: Competency, rank: int, prefer_track: str) -> tuple[Level, str] | None:
        """The expectation of a competency at a rank, from the preferred track if it has one."""
        tracks = [prefer_track] + [t for t in competency.tracks if t != prefer_track]
        for track_key in tracks:
            if track_key not in competency.tracks:
                continue
            for level in self.track_levels(track_key):
                if level.rank == rank and level.key in competency.expectations:
                    return level, competency.expectations[level.key]
        return None


@dataclass(frozen=True)
class Problem:
    """One validation error: where (key path and line) and what is wrong."""

    path: str
    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path or '(top)'}: {self.message}"


class RubricError(ValueError):
    """A ladder file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(p.format(source) for p in problems))


# --- Reading YAML with line numbers -----------------------------------------------------------

def _construct(node: yaml.Node, path: tuple, lines: dict, problems: list[Problem]) -> Any:
    """Turn a composed YAML node into Python data, remembering each key path's line.

    Walking nodes ourselves (instead of yaml.safe_load) gives line numbers and catches
    duplicate keys, which PyYAML would otherwise silently overwrite.
    """
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) else key_node.value
            child = path + (str(key),)
            if key in result:
                problems.append(Problem(_dotted(child), "duplicate key", key_node.start_mark.line + 1))
                continue
            result[key] = _construct(value_node, child, lines, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, problems) for i, item in enumerate(node.value)]
    return yaml.SafeLoader(yaml.serialize(node)).get_single_data() if node.tag != "tag:yaml.org,2002:str" else node.value


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Validator:
    """Collects problems while reading the parsed document into dataclasses."""

    def __init__(self, lines: dict):
        self.lines = lines
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str) -> None:
        line = None
        probe = path
        while probe is not None:
            if probe in self.lines:
                line = self.lines[probe]
                break
            probe = probe[:-1] if probe else None
        self.problems.append(Problem(_dotted(path), message, line))

    def mapping(self, data: Any, path: tuple, required: set[str], optional: set[str]) -> dict:
        if not isinstance(data, dict):
            self.problem(path, "must be a mapping")
            return {}
        for key in sorted(required - data.keys()):
            self.problem(path + (key,), "is required")
        for key in sorted(set(data) - required - optional, key=str):
            self.problem(path + (str(key),), f"unknown key (allowed: {', '.join(sorted(required | optional))})")
        return data

    def text(self, data: dict, key: str, path: tuple, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(path + (key,), "must be non-empty text")
            return ""
        return value.strip()

    def key(self, data: dict, path: tuple) -> str:
        value = data.get("key")
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            if "key" in data:
                self.problem(path + ("key",), "must be lowercase letters, digits and hyphens")
            return ""
        return value

    def sequence(self, data: Any, path: tuple) -> list:
        if not isinstance(data, list) or not data:
            self.problem(path, "must be a non-empty list")
            return []
        return data

    def bar(self, data: Any, path: tuple) -> Bar:
        data = self.mapping(data, path, {"min_coverage"}, {"max_blockers"})
        coverage = data.get("min_coverage", 0.8)
        blockers = data.get("max_blockers", 0)
        if not isinstance(coverage, (int, float)) or isinstance(coverage, bool) or not 0 <= coverage <= 1:
            self.problem(path + ("min_coverage",), "must be a number between 0 and 1")
            coverage = 0.8
        if not isinstance(blockers, int) or isinstance(blockers, bool) or blockers < 0:
            self.problem(path + ("max_blockers",), "must be a whole number, 0 or more")
            blockers = 0
        return Bar(float(coverage), blockers)


def parse_rubric(text: str, source: str = "<ladder>") -> Rubric:
    """Parse and validate ladder YAML; raise RubricError listing every problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RubricError(source, [Problem("", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                                           mark.line + 1 if mark else None)]) from None
    if node is None:
        raise RubricError(source, [Problem("", "the file is empty")])
    lines: dict = {}
    problems: list[Problem] = []
    data = _construct(node, (), lines, problems)
    check = _Validator(lines)
    check.problems.extend(problems)
    rubric = _read(check, data)
    if check.problems:
        raise RubricError(source, check.problems)
    return rubric


def _read(check: _Validator, data: Any) -> Rubric:
    top = check.mapping(data, (), {"format", "key", "name", "levels", "tracks", "areas"},
                        {"description", "readiness", "version"})
    if "format" in top and top["format"] != FORMAT_VERSION:
        check.problem(("format",), f"unsupported format {top['format']!r} (this version reads {FORMAT_VERSION})")

    levels: list[Level] = []
    for i, raw in enumerate(check.sequence(top.get("levels"), ("levels",))):
        path = ("levels", i)
        raw = check.mapping(raw, path, {"key", "name", "rank"}, {"summary"})
        key = check.key(raw, path)
        rank = raw.get("rank")
        if "rank" in raw and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 1):
            check.problem(path + ("rank",), "must be a whole number, 1 or more")
            rank = 1
        if key and any(level.key == key for level in levels):
            check.problem(path + ("key",), f"duplicate level key {key!r}")
        if key:
            levels.append(Level(key, check.text(raw, "name", path), rank or 1, check.text(raw, "summary", path, False)))
    level_keys = {level.key for level in levels}
    rank_of = {level.key: level.rank for level in levels}

    tracks: list[Track] = []
    for i, raw in enumerate(check.sequence(top.get("tracks"), ("tracks",))):
        path = ("tracks", i)
        raw = check.mapping(raw, path, {"key", "name", "levels"}, set())
        key = check.key(raw, path)
        path_levels = [lv for lv in check.sequence(raw.get("levels"), path + ("levels",))]
        for j, level_key in enumerate(path_levels):
            if level_key not in level_keys:
                check.problem(path + ("levels", j), f"unknown level {level_key!r}")
        known = [lv for lv in path_levels if lv in level_keys]
        if len(set(known)) != len(known):
            check.problem(path + ("levels",), "lists a level twice")
        ranks = [rank_of[lv] for lv in known]
        if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
            check.problem(path + ("levels",), "levels must be in strictly increasing rank order")
        if key and any(track.key == key for track in tracks):
            check.problem(path + ("key",), f"duplicate track key {key!r}")
        if key:
            tracks.append(Track(key, check.text(raw, "name", path), tuple(known)))
    track_levels = {track.key: track.levels for track in tracks}

    areas: list[Area] = []
    seen_competencies: set[str] = set()
    for i, raw in enumerate(check.sequence(top.get("areas"), ("areas",))):
        path = ("areas", i)
        raw = check.mapping(raw, path, {"key", "name", "competencies"}, {"description"})
        area_key = check.key(raw, path)
        if area_key and any(area.key == area_key for area in areas):
            check.problem(path + ("key",), f"duplicate area key {area_key!r}")
        competencies = []
        for j, craw in enumerate(check.sequence(raw.get("competencies"), path + ("competencies",))):
            cpath = path + ("competencies", j)
            competency = _read_competency(check, craw, cpath, area_key, track_levels)
            if competency is None:
                continue
            if competency.key in seen_competencies:
                check.problem(cpath + ("key",), f"duplicate competency key {competency.key!r}")
            seen_competencies.add(competency.key)
            competencies.append(competency)
        areas.append(Area(area_key, check.text(raw, "name", path), check.text(raw, "description", path, False), tuple(competencies)))

    default_bar = Bar(0.8, 0)
    bars: dict[str, Bar] = {}
    readiness = top.get("readiness")
    if readiness is not None:
        readiness = check.mapping(readiness, ("readiness",), set(), {"default", "levels"})
        if "default" in readiness:
            default_bar = check.bar(readiness["default"], ("readiness", "default"))
        per_level = readiness.get("levels") or {}
        if not isinstance(per_level, dict):
            check.problem(("readiness", "levels"), "must be a mapping of level key to bar")
            per_level = {}
        for level_key, raw in per_level.items():
            if level_key not in level_keys:
                check.problem(("readiness", "levels", level_key), f"unknown level {level_key!r}")
            bars[level_key] = check.bar(raw, ("readiness", "levels", level_key))

    return Rubric(
        key=check.key(top, ()),
        name=check.text(top, "name", ()),
        description=check.text(top, "description", (), False),
        levels=tuple(levels),
        tracks=tuple(tracks),
        areas=tuple(areas),
        default_bar=default_bar,
        bars=bars,
    )


def _read_competency(check: _Validator, raw: Any, path: tuple, area_key: str,
                     track_levels: dict[str, tuple[str, ...]]) -> Competency | None:
    raw = check.mapping(raw, path, {"key", "name", "tracks", "expectations"}, {"description"})
    key = check.key(raw, path)
    competency_tracks = check.sequence(raw.get("tracks"), path + ("tracks",))
    for k, track_key in enumerate(competency_tracks):
        if track_key not in track_levels:
            check.problem(path + ("tracks", k), f"unknown track {track_key!r}")
    competency_tracks = [t for t in competency_tracks if t in track_levels]
    spanned = {lv for t in competency_tracks for lv in track_levels[t]}
    expectations = raw.get("expectations")
    if not isinstance(expectations, dict):
        if "expectations" in raw:
            check.problem(path + ("expectations",), "must be a mapping of level key to text")
        expectations = {}
    for level_key in sorted(spanned - expectations.keys()):
        check.problem(path + ("expectations", level_key), "missing expectation for a level this competency spans")
    for level_key, text in expectations.items():
        if level_key not in spanned:
            check.problem(path + ("expectations", str(level_key)),
                          f"level {level_key!r} is not on any of this competency's tracks")
        elif not isinstance(text, str) or not text.strip():
            check.problem(path + ("expectations", str(level_key)), "must be non-empty text")
    if not key:
        return None
    ordered = {lv: " ".join(str(expectations[lv]).split()) for t in competency_tracks for lv in track_levels[t]
               if lv in expectations and isinstance(expectations[lv], str)}
    return Competency(key, check.text(raw, "name", path), check.text(raw, "description", path, False),
                      area_key, tuple(competency_tracks), ordered)


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    return parse_rubric(path.read_text(encoding="utf-8"), str(path))


def default_rubric_path() -> Path:
    return Path(__file__).resolve().parent.parent / "frameworks" / "engineering.yaml"


# --- Writing ----------------------------------------------------------------------------------

def rubric_to_data(rubric: Rubric, version: int | None = None) -> dict:
    """The canonical document for a rubric; dumping it and parsing it back gives an equal rubric."""
    data: dict[str, Any] = {"format": FORMAT_VERSION, "key": rubric.key, "name": rubric.name}
    if version is not None:
        data["version"] = version
    if rubric.description:
        data["description"] = rubric.description
    data["levels"] = [
        {"key": lv.key, "name": lv.name, "rank": lv.rank, **({"summary": lv.summary} if lv.summary else {})}
        for lv in rubric.levels
    ]
    data["tracks"] = [{"key": t.key, "name": t.name, "levels": list(t.levels)} for t in rubric.tracks]
    data["readiness"] = {"default": _bar_data(rubric.default_bar)}
    if rubric.bars:
        data["readiness"]["levels"] = {key: _bar_data(bar) for key, bar in rubric.bars.items()}
    data["areas"] = [
        {
            "key": area.key,
            "name": area.name,
            **({"description": area.description} if area.description else {}),
            "competencies": [
                {
                    "key": c.key,
                    "name": c.name,
                    **({"description": c.description} if c.description else {}),
                    "tracks": list(c.tracks),
                    "expectations": dict(c.expectations),
                }
                for c in area.competencies
            ],
        }
        for area in rubric.areas
    ]
    return data


def _bar_data(bar: Bar) -> dict:
    return {"min_coverage": bar.min_coverage, "max_blockers": bar.max_blockers}


class _Dumper(yaml.SafeDumper):
    """Long texts as folded blocks so exported ladders stay reviewable in a diff."""


def _str_representer(dumper: yaml.SafeDumper, value: str):
    style = ">" if len(value) > 80 and "\n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_rubric(rubric: Rubric, version: int | None = None) -> str:
    return yaml.dump(rubric_to_data(rubric, version), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=96)
