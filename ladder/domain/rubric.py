"""The ladder as plain data: dataclasses, a validating YAML loader and a canonical dumper.

The loader reports every problem at once, each with the file, the key path and the line, so a
person editing the YAML by hand can fix them all in one pass.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Container, Hashable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")
FORMAT_VERSION = 2  # the newest format read; files of format 1 keep importing and mean the same
FORMATS = (1, 2)
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Level keys are as organisations write them (IC3, M5, L4, 1): letters, digits, . _ -
LEVEL_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
KEY_MAX = 64  # the database's key columns
TEXT_LIMITS = {"name": 200, "code": 32}  # and its name and code columns


@dataclass(frozen=True)
class Bar:
    """What readiness for a target level requires."""

    min_coverage: float
    max_blockers: int


@dataclass(frozen=True)
class Level:
    key: str
    name: str
    rank: int
    summary: str = ""
    renamed_from: tuple[str, ...] = ()  # keys this level had in earlier versions
    code: str = ""  # IC3, M5, L4: shown next to the name
    titles: tuple[tuple[str, str], ...] = ()  # (track key, title) where a track names it differently

    def title_on(self, track_key: str) -> str:
        """The level's title on a track (tracks that share a rank may name it differently)."""
        return dict(self.titles).get(track_key, self.name)


@dataclass(frozen=True)
class Transition:
    """A declared move to another track (Senior on ic to Engineering Manager), with its own bar."""

    from_level: str
    to_level: str
    track_key: str  # the track of the level moved to
    bar: Bar | None = None


@dataclass(frozen=True)
class Group:
    """Competencies of which a person practises some (specialisms): only the best `choose` of
    them, by rating, count toward readiness; the others are neither counted nor gaps."""

    key: str
    name: str
    choose: int
    competencies: tuple[str, ...]


COVERAGE, POINTS = "coverage", "points"
RULES = (COVERAGE, POINTS)


@dataclass(frozen=True)
class Rule:
    """How a ladder decides readiness. `coverage`: the share of the competencies expected at the
    target that are rated at it, except optional ones left unrated and all but the best of each
    group. `points`: each competency is rated at a milestone worth points, and a level is reached
    at a points total."""

    kind: str = COVERAGE
    optional: tuple[str, ...] = ()  # coverage: competencies counted only when rated
    groups: tuple[Group, ...] = ()  # coverage: choose-N groups
    milestones: tuple[Level, ...] = ()  # points: the scale every competency is rated on
    milestone_points: tuple[int, ...] = ()  # points: what each milestone is worth, in order
    level_points: tuple[tuple[str, int], ...] = ()  # points: (level key, total at which it is reached)

    @property
    def is_points(self) -> bool:
        return self.kind == POINTS

    @property
    def scale(self) -> list[tuple[Level, int]]:
        """Each milestone with its points, in order."""
        return list(zip(self.milestones, self.milestone_points, strict=True))

    def points_of(self, milestone_key: str | None) -> int:
        """The points a rating is worth (0 when unrated or below the first milestone)."""
        return next((points for milestone, points in self.scale if milestone.key == milestone_key), 0)

    def points_needed(self, level_key: str) -> int:
        return dict(self.level_points).get(level_key, 0)

    def describe(self) -> str:
        """The rule in one line, as the ladder diff shows a change of it."""
        if self.is_points:
            return (f"points: milestones worth {', '.join(map(str, self.milestone_points))}; levels reached at "
                    + ", ".join(f"{key} {total}" for key, total in self.level_points))
        parts = [COVERAGE]
        if self.optional:
            parts.append(f"optional: {', '.join(self.optional)}")
        parts += [f"best {g.choose} of {g.name} ({', '.join(g.competencies)})" for g in self.groups]
        return "; ".join(parts)

    def group_of(self, competency_key: str) -> Group | None:
        return next((g for g in self.groups if competency_key in g.competencies), None)


@dataclass(frozen=True)
class Track:
    key: str
    name: str
    levels: tuple[str, ...]
    renamed_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Competency:
    key: str
    name: str
    description: str
    area_key: str
    tracks: tuple[str, ...]
    expectations: dict[str, str] = field(hash=False)
    renamed_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    description: str
    competencies: tuple[Competency, ...]


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
    # Format 2 declares readiness targets: the next level on a track and these transitions.
    # None (format 1): the next level on the person's track and a level of every other track.
    transitions: tuple[Transition, ...] | None = None
    rule: Rule = Rule()

    @property
    def format(self) -> int:
        """The oldest format that can hold this ladder (a format 1 ladder exports as format 1)."""
        uses_v2 = (self.transitions is not None or self.rule != Rule()
                   or any(lv.code or lv.titles or not KEY_PATTERN.match(lv.key) for lv in self.levels)
                   or any(set(c.expectations) != {lv for t in c.tracks for lv in self.track(t).levels}
                          for c in self.competencies))
        return 2 if uses_v2 else 1

    # Lookups by key are indexed once per rubric (rubrics never change): readiness for a whole
    # organisation calls them millions of times (profiled in docs/performance.md).
    @cached_property
    def _levels_by_key(self) -> dict[str, Level]:
        return {level.key: level for level in self.levels}

    @cached_property
    def _ratable_by_key(self) -> dict[str, Level]:
        """Levels, and a points ladder's milestones: a rating names either."""
        return {level.key: level for level in self.rule.milestones + self.levels}

    @cached_property
    def _tracks_by_key(self) -> dict[str, Track]:
        return {track.key: track for track in self.tracks}

    @cached_property
    def _competencies_by_key(self) -> dict[str, Competency]:
        return {c.key: c for c in self.competencies}

    def level(self, key: str) -> Level:
        """A level, or (a rating on a points ladder) a milestone."""
        try:
            return self._ratable_by_key[key]
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

    def derived(self, kind: str, key: Hashable, build: Callable[[], T]) -> T:
        """What `build()` works out from this rubric for `key` (a readiness plan, a heat table,
        a person's targets), built on first use and kept as long as the rubric. A rubric never
        changes, so nothing derived from it goes stale; the version cache
        (services/version_cache.py) bounds how many rubrics, and so how many tables, are kept."""
        table: dict[Hashable, T] = self._derived.setdefault(kind, {})
        if key not in table:
            table[key] = build()
        return table[key]

    @cached_property
    def _derived(self) -> dict[str, dict[Hashable, Any]]:
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

    @cached_property
    def renames(self) -> dict[str, dict[str, str]]:
        """Per kind ("level", "track", "competency"), each earlier key to the key it has now."""
        things: dict[str, tuple[Level | Track | Competency, ...]] = {
            "level": self.levels, "track": self.tracks, "competency": self.competencies}
        return {kind: {old: item.key for item in items for old in item.renamed_from} for kind, items in things.items()}

    def placement_problem(self, level_key: str, track_key: str) -> str | None:
        """Why a person at this level and track cannot be reviewed on this ladder, if they cannot."""
        problems = []
        if not self.has_level(level_key):
            problems.append(f"unknown level {level_key!r}")
        if not self.has_track(track_key):
            problems.append(f"unknown track {track_key!r}")
        elif not problems and level_key not in self.track(track_key).levels:
            problems.append(f"level {level_key!r} is not on the {track_key!r} track")
        return "; ".join(problems) or None

    def bar_for(self, level_key: str, from_level: str | None = None) -> Bar:
        """The bar toward a level: a declared transition's own bar, else the level's, else the default."""
        for transition in self.transitions or ():
            if transition.bar and transition.to_level == level_key and transition.from_level == from_level:
                return transition.bar
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
        if self.rule.is_points:  # any milestone, whatever the person's level
            return [m for m in self.rule.milestones if m.key in competency.expectations]
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

# Limits on what a ladder file may be. The default ladder has a few hundred values nested 6
# deep; these leave room for any organisation's while bounding the work one upload can cause
# (a 2 MB upload at the cap is refused in under half a second and 20 MB, docs/ladder-format.md).
MAX_NODES = 50_000
MAX_DEPTH = 32

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: 5-10x faster
_SEQUENCE_TAG = "tag:yaml.org,2002:seq"
_MAPPING_TAG = "tag:yaml.org,2002:map"


class _TooBig(Exception):
    """The document breaks a limit; reading stops at once."""

    def __init__(self, problem: Problem):
        self.problem = problem


class _Collection:
    """A mapping or list being built from YAML events."""

    __slots__ = ("value", "path", "pending_key", "key_usable")

    def __init__(self, value: dict | list, path: tuple):
        self.value = value
        self.path = path
        self.pending_key: Any = _NO_KEY
        self.key_usable = True


_NO_KEY = object()


def _read_events(text: str, problems: list[Problem]) -> tuple[Any, dict]:
    """Build Python data from YAML parse events, remembering each key path's line.

    Reading events ourselves (instead of yaml.safe_load) gives line numbers, catches duplicate
    keys (PyYAML silently keeps the last), and is safe for any input: anchors and aliases are
    refused (no alias bombs, no self-referencing data), depth and node count are capped before
    any work is spent on them, and only plain YAML types are built (no python/* tags).
    """
    reader = _EventReader(problems)
    for event in yaml.parse(text, Loader=_PARSER):
        if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
            continue
        if isinstance(event, yaml.DocumentStartEvent):
            if reader.root is not None:
                problems.append(Problem("", "holds more than one YAML document", _line(event)))
                break
            continue
        reader.take(event)
    return reader.root, reader.lines


class _EventReader:
    """The state of `_read_events`: the collections being built and each path's line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()
        self.lines: dict = {}
        self.stack: list[_Collection] = []
        self.root: Any = None
        self.nodes = 0

    def take(self, event: yaml.Event) -> None:
        """One parse event: a collection starts or ends, or a key or a value is read."""
        line = _line(event)
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _TooBig(Problem(_dotted(self.child_path()) if self.stack else "",
                                  "anchors and aliases (& and *) are not allowed in a ladder file", line))
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            done = self.stack.pop()
            _place_or_key(self.stack, done.value, line, self.problems, self.place)
            return
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(Problem("", f"too large: more than {MAX_NODES:,} values", line))
        stack = self.stack
        expecting_key = bool(stack) and isinstance(stack[-1].value, dict) and stack[-1].pending_key is _NO_KEY
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.start_collection(event, line, expecting_key)
            return
        # The caller skips stream and document events; aliases and collection ends are handled above.
        assert isinstance(event, yaml.ScalarEvent)
        if expecting_key:
            self.key(event, line)
        else:
            path = self.child_path() if stack else ()
            self.lines[path] = line
            self.place(_scalar(event, self.resolver, self.constructor, path, self.problems), line)

    def start_collection(self, event: yaml.CollectionStartEvent, line: int, expecting_key: bool) -> None:
        stack = self.stack
        if len(stack) >= MAX_DEPTH:
            raise _TooBig(Problem("", f"nested more than {MAX_DEPTH} levels deep", line))
        is_list = isinstance(event, yaml.SequenceStartEvent)
        if event.tag not in (None, "!", _SEQUENCE_TAG if is_list else _MAPPING_TAG):
            self.problems.append(Problem(_dotted(self.child_path()) if stack else "",
                                         f"unsupported tag {event.tag!r}", line))
        path = (stack[-1].path + ("?",)) if expecting_key else (self.child_path() if stack else ())
        if not expecting_key:
            self.lines[path] = line
        stack.append(_Collection([] if is_list else {}, path))

    def key(self, event: yaml.ScalarEvent, line: int) -> None:
        """A scalar that is a key of the mapping being built."""
        top = self.stack[-1]
        key = event.value
        path = top.path + (key,)
        if not _is_clean(key):
            self.problems.append(Problem(_dotted(top.path), "a key holds a character that is not valid text", line))
            top.key_usable = False
        elif key in top.value:
            self.problems.append(Problem(_dotted(path), "duplicate key", line))
            top.key_usable = False
        top.pending_key = key
        self.lines[path] = line

    def child_path(self) -> tuple:
        top = self.stack[-1]
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        return top.path + (str(top.pending_key),)

    def place(self, value: Any, line: int) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            key = top.pending_key
            top.pending_key = _NO_KEY
            if top.key_usable:
                top.value[key] = value
            top.key_usable = True



def _place_or_key(stack: list[_Collection], value: Any, line: int, problems: list[Problem],
                  place: Callable[[Any, int], None]) -> None:
    """A finished list or mapping: a value, or (refused) a key of the mapping above it."""
    if stack and isinstance(stack[-1].value, dict) and stack[-1].pending_key is _NO_KEY:
        top = stack[-1]
        problems.append(Problem(_dotted(top.path), "a key must be plain text, not a list or mapping", line))
        top.pending_key = "?"
        top.key_usable = False
        return
    place(value, line)


def _scalar(event: yaml.ScalarEvent, resolver: Any, constructor: Any, path: tuple, problems: list[Problem]) -> Any:
    """A scalar's value as YAML's safe schema reads it; unknown tags and invalid text are problems."""
    line = _line(event)
    if not _is_clean(event.value):
        problems.append(Problem(_dotted(path), "holds a character that is not valid text", line))
        return ""
    tag = event.tag
    if tag is None or tag == "!":
        tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == "tag:yaml.org,2002:str":
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
    try:
        return constructor.construct_object(node)
    except (yaml.YAMLError, ValueError, OverflowError):
        problems.append(Problem(_dotted(path), f"unsupported tag or value {event.tag or event.value!r}"[:200], line))
        return ""


def _is_clean(value: str) -> bool:
    """Text a database and a web page can hold: no NUL, no lone surrogate halves."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _line(event: yaml.Event) -> int:
    """The 1-based line an event starts on (the parser always sets its marks)."""
    return event.start_mark.line + 1 if event.start_mark is not None else 0


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
        probe: tuple | None = path
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
        longest = TEXT_LIMITS.get(key)
        if longest is not None and len(value.strip()) > longest:
            self.problem(path + (key,), f"is {len(value.strip())} characters; at most {longest}")
            return ""
        return value.strip()

    def key(self, data: dict, path: tuple) -> str:
        value = data.get("key")
        if not isinstance(value, str) or not KEY_PATTERN.match(value):
            if "key" in data:
                self.problem(path + ("key",), "must be lowercase letters, digits and hyphens")
            return ""
        return self.short_key(value, path + ("key",))

    def short_key(self, value: str, path: tuple) -> str:
        if len(value) > KEY_MAX:
            self.problem(path, f"is {len(value)} characters; at most {KEY_MAX}")
            return ""
        return value

    def sequence(self, data: Any, path: tuple) -> list:
        if not isinstance(data, list) or not data:
            self.problem(path, "must be a non-empty list")
            return []
        return data

    def level_key(self, data: dict, path: tuple, name: str = "key") -> str:
        """A level key as written (IC3, M5, 1): letters, digits and . _ -; numbers are read as text."""
        value = _as_key(data.get(name))
        if not isinstance(value, str) or not LEVEL_KEY_PATTERN.match(value):
            if name in data:
                self.problem(path + (name,), "must be letters, digits, dots, underscores and hyphens")
            return ""
        return self.short_key(value, path + (name,))

    def references(self, data: Any, path: tuple, known: Container[str], kind: str) -> list[str]:
        """A non-empty list of keys of things defined elsewhere in the file (levels, tracks)."""
        found = []
        for i, item in enumerate(self.sequence(data, path)):
            item = _as_key(item)
            if not isinstance(item, str):
                self.problem(path + (i,), f"must be a {kind} key, not {_kind_of(item)}")
            elif item not in known:
                self.problem(path + (i,), f"unknown {kind} {item!r}")
            else:
                found.append(item)
        return found

    def renamed_from(self, data: dict, path: tuple) -> tuple[str, ...]:
        """Earlier keys of a level, track or competency: one key or a list of keys."""
        value = data.get("renamed_from")
        if value is None:
            return ()
        keys = [_as_key(k) for k in ([value] if not isinstance(value, list) else value)]
        if not all(isinstance(k, str) and LEVEL_KEY_PATTERN.match(k) for k in keys):
            self.problem(path + ("renamed_from",), "must be an earlier key, or a list of earlier keys")
            return ()
        return tuple(keys)

    def renames_clash(self, items: list, path: tuple, kind: str) -> None:
        """An earlier key may not also be a current key, nor the earlier key of two things."""
        current = {item.key for item in items}
        seen: set[str] = set()
        for item in items:
            for old in item.renamed_from:
                if old in current:
                    self.problem(path, f"{kind} {item.key!r} is renamed from {old!r}, which is still a {kind} key")
                elif old in seen:
                    self.problem(path, f"two {kind}s are renamed from {old!r}")
                seen.add(old)

    def whole_number(self, data: dict, key: str, path: tuple, minimum: int) -> int | None:
        """A whole number at least `minimum`; None (and a problem naming the value) otherwise."""
        value = data.get(key)
        if key in data and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
            self.problem(path + (key,), f"must be a whole number, {minimum} or more, not {_kind_of(value)}")
            return None
        return value

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
    problems: list[Problem] = []
    try:
        data, lines = _read_events(text, problems)
    except _TooBig as too_big:
        raise RubricError(source, [too_big.problem]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RubricError(source, [Problem("", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                                           mark.line + 1 if mark else None)]) from None
    if data is None and not problems:
        raise RubricError(source, [Problem("", "the file is empty")])
    check = _Validator(lines)
    check.problems.extend(problems)
    rubric = _read(check, data)
    if check.problems:
        raise RubricError(source, check.problems)
    return rubric


@dataclass(frozen=True)
class _Scale:
    """What competencies are read against: each track's levels and every level's rank; on a
    points ladder, expectations are written per milestone instead of per level."""

    track_levels: dict[str, tuple[str, ...]]
    rank_of: dict[str, int]
    milestones: tuple[Level, ...] = ()
    every_level: bool = False  # format 1: an expectation at every level a competency spans

    def spanned(self, tracks: list[str]) -> list[str]:
        """The keys a competency on these tracks may have an expectation at, in order."""
        if self.milestones:
            return [m.key for m in self.milestones]
        return list(dict.fromkeys(lv for t in tracks for lv in self.track_levels[t]))

    def rank(self, key: str) -> int:
        return next((m.rank for m in self.milestones if m.key == key), None) or self.rank_of[key]

    def not_spanned(self, key: str) -> str:
        """Why an expectation or bound cannot be at this key."""
        if self.milestones:
            return f"{key!r} is not a milestone: on a points ladder expectations are written per milestone"
        return f"level {key!r} is not on any of this competency's tracks"


_TOP_KEYS = {"description", "readiness", "version", "transitions"}


def _read(check: _Validator, data: Any) -> Rubric:
    top = check.mapping(data, (), {"format", "key", "name", "levels", "tracks", "areas"}, _TOP_KEYS)
    if "format" in top and top["format"] not in FORMATS:
        check.problem(("format",), f"unsupported format {top['format']!r} (this version reads "
                                   f"{' and '.join(map(str, FORMATS))})")
    levels, titles = _read_levels(check, top.get("levels"))
    rank_of = {level.key: level.rank for level in levels}
    tracks = _read_tracks(check, top.get("tracks"), rank_of)
    track_levels = {track.key: track.levels for track in tracks}
    levels = [_with_titles(check, level, *titles[level.key], track_levels) if level.key in titles else level
              for level in levels]
    readiness = _readiness_section(check, top)
    milestones = _read_milestones(check, readiness, set(rank_of)) if readiness.get("rule") == POINTS else ()
    scale = _Scale(track_levels, rank_of, tuple(m for m, _ in milestones), top.get("format") != 2)
    areas = _read_areas(check, top.get("areas"), scale)
    default_bar, bars = _read_bars(check, readiness, set(rank_of))
    rule = _read_rule(check, readiness, levels, tracks, areas, milestones)
    transitions = None if top.get("format") == 1 and "transitions" not in top else \
        _read_transitions(check, top.get("transitions"), track_levels, set(rank_of), with_bars=not rule.is_points)
    return Rubric(key=check.key(top, ()), name=check.text(top, "name", ()),
                  description=check.text(top, "description", (), False), levels=tuple(levels),
                  tracks=tuple(tracks), areas=tuple(areas), default_bar=default_bar, bars=bars,
                  transitions=transitions, rule=rule)


def _read_levels(check: _Validator, data: Any) -> tuple[list[Level], dict[str, tuple[Any, tuple]]]:
    """The levels, and each one's per-track titles as written (read once the tracks are known)."""
    levels: list[Level] = []
    titles: dict[str, tuple[Any, tuple]] = {}
    for i, raw in enumerate(check.sequence(data, ("levels",))):
        path = ("levels", i)
        raw = check.mapping(raw, path, {"key", "rank"}, {"name", "summary", "renamed_from", "code", "titles"})
        key = check.level_key(raw, path)
        rank = check.whole_number(raw, "rank", path, minimum=1) or 1
        if key and any(level.key == key for level in levels):
            check.problem(path + ("key",), f"duplicate level key {key!r}")
        if key:
            name = check.text(raw, "name", path) if "name" in raw else key  # numbered levels need no name
            levels.append(Level(key, name, rank, check.text(raw, "summary", path, False),
                                check.renamed_from(raw, path), check.text(raw, "code", path, False)))
            if "titles" in raw:
                titles[key] = (raw["titles"], path + ("titles",))
    check.renames_clash(levels, ("levels",), "level")
    return levels, titles


def _read_tracks(check: _Validator, data: Any, rank_of: dict[str, int]) -> list[Track]:
    tracks: list[Track] = []
    for i, raw in enumerate(check.sequence(data, ("tracks",))):
        path = ("tracks", i)
        raw = check.mapping(raw, path, {"key", "name", "levels"}, {"renamed_from"})
        key = check.key(raw, path)
        known = check.references(raw.get("levels"), path + ("levels",), rank_of, "level")
        if len(set(known)) != len(known):
            check.problem(path + ("levels",), "lists a level twice")
        ranks = [rank_of[lv] for lv in known]
        if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
            check.problem(path + ("levels",), "levels must be in strictly increasing rank order")
        if key and any(track.key == key for track in tracks):
            check.problem(path + ("key",), f"duplicate track key {key!r}")
        if key:
            tracks.append(Track(key, check.text(raw, "name", path), tuple(known), check.renamed_from(raw, path)))
    check.renames_clash(tracks, ("tracks",), "track")
    return tracks


def _read_areas(check: _Validator, data: Any, scale: _Scale) -> list[Area]:
    areas: list[Area] = []
    seen_competencies: set[str] = set()
    for i, raw in enumerate(check.sequence(data, ("areas",))):
        path = ("areas", i)
        raw = check.mapping(raw, path, {"key", "name", "competencies"}, {"description"})
        area_key = check.key(raw, path)
        if area_key and any(area.key == area_key for area in areas):
            check.problem(path + ("key",), f"duplicate area key {area_key!r}")
        competencies = []
        for j, craw in enumerate(check.sequence(raw.get("competencies"), path + ("competencies",))):
            cpath = path + ("competencies", j)
            competency = _read_competency(check, craw, cpath, area_key, scale)
            if competency is None:
                continue
            if competency.key in seen_competencies:
                check.problem(cpath + ("key",), f"duplicate competency key {competency.key!r}")
            seen_competencies.add(competency.key)
            competencies.append(competency)
        areas.append(Area(area_key, check.text(raw, "name", path), check.text(raw, "description", path, False),
                          tuple(competencies)))
    check.renames_clash([c for area in areas for c in area.competencies], ("areas",), "competency")
    return areas


# The keys of `readiness` each rule reads (format 1 knows only the coverage bars).
_RULE_KEYS = {COVERAGE: {"default", "levels", "optional", "groups"}, POINTS: {"milestones", "points"}}


def _readiness_section(check: _Validator, top: dict) -> dict:
    """The `readiness` mapping, its keys checked against its rule (coverage when not given)."""
    readiness = top.get("readiness")
    if readiness is None:
        return {}
    rule = readiness.get("rule", COVERAGE) if isinstance(readiness, dict) else COVERAGE
    if rule not in RULES:
        check.problem(("readiness", "rule"), f"unknown rule {rule!r} (allowed: {', '.join(RULES)})")
        rule = COVERAGE
    if top.get("format") == 1:
        allowed = {"default", "levels"}
    else:
        allowed = _RULE_KEYS[rule] | {"rule"}
    required = {"milestones", "points"} if rule == POINTS else set()
    return check.mapping(readiness, ("readiness",), required, allowed - required)


def _read_bars(check: _Validator, readiness: dict, level_keys: set[str]) -> tuple[Bar, dict[str, Bar]]:
    """The coverage bars: the default one, and one per target level where it differs."""
    default_bar = check.bar(readiness["default"], ("readiness", "default")) if "default" in readiness else Bar(0.8, 0)
    per_level = readiness.get("levels") or {}
    if not isinstance(per_level, dict):
        check.problem(("readiness", "levels"), "must be a mapping of level key to bar")
        per_level = {}
    bars: dict[str, Bar] = {}
    for level_key, raw in per_level.items():
        level_key = _as_key(level_key)
        if level_key not in level_keys:
            check.problem(("readiness", "levels", level_key), f"unknown level {level_key!r}")
        bars[level_key] = check.bar(raw, ("readiness", "levels", level_key))
    return default_bar, bars


def _read_milestones(check: _Validator, readiness: dict, level_keys: set[str]) -> tuple[tuple[Level, int], ...]:
    """A points ladder's milestones in order, each with its points, more than the one before."""
    milestones: list[tuple[Level, int]] = []
    for i, raw in enumerate(check.sequence(readiness.get("milestones"), ("readiness", "milestones"))):
        path = ("readiness", "milestones", i)
        raw = check.mapping(raw, path, {"key", "points"}, {"name", "summary"})
        key = check.level_key(raw, path)
        points = check.whole_number(raw, "points", path, minimum=1)
        if key in level_keys or any(m.key == key for m, _ in milestones):
            check.problem(path + ("key",), f"duplicate key {key!r}: milestones and levels need keys of their own")
        elif points is not None and milestones and points <= milestones[-1][1]:
            check.problem(path + ("points",),
                          f"must be more than the milestone before ({milestones[-1][1]}), not {points}")
        elif key and points is not None:
            name = check.text(raw, "name", path) if "name" in raw else f"Milestone {i + 1}"
            milestones.append((Level(key, name, i + 1, check.text(raw, "summary", path, False)), points))
    return tuple(milestones)


def _read_rule(check: _Validator, readiness: dict, levels: list[Level], tracks: list[Track],
               areas: list[Area], milestones: tuple[tuple[Level, int], ...]) -> Rule:
    competency_keys = {c.key for area in areas for c in area.competencies}
    if readiness.get("rule") == POINTS:
        totals = _read_level_points(check, readiness.get("points"), levels, tracks)
        return Rule(POINTS, milestones=tuple(m for m, _ in milestones),
                    milestone_points=tuple(points for _, points in milestones), level_points=totals)
    optional = tuple(check.references(readiness["optional"], ("readiness", "optional"), competency_keys,
                                      "competency")) if "optional" in readiness else ()
    groups = _read_groups(check, readiness["groups"], competency_keys, optional) if "groups" in readiness else ()
    return Rule(COVERAGE, optional=optional, groups=groups)


def _read_level_points(check: _Validator, data: Any, levels: list[Level],
                       tracks: list[Track]) -> tuple[tuple[str, int], ...]:
    """The points total at which each level is reached: every level has one, rising along each track."""
    path = ("readiness", "points")
    if not isinstance(data, dict):
        check.problem(path, "must be a mapping of level key to a points total")
        return ()
    totals = {}
    for level_key, value in data.items():
        level_key = _as_key(level_key)  # numbered levels: `1: 0`
        if not any(level.key == level_key for level in levels):
            check.problem(path + (str(level_key),), f"unknown level {level_key!r}")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            check.problem(path + (str(level_key),), f"must be a whole number, 0 or more, not {_kind_of(value)}")
        else:
            totals[level_key] = value
    written = {_as_key(key) for key in data}
    for level in levels:
        if level.key not in written:
            check.problem(path + (level.key,), "missing the points total at which this level is reached")
    for track in tracks:
        known = [totals[lv] for lv in track.levels if lv in totals]
        if any(b <= a for a, b in zip(known, known[1:], strict=False)):
            check.problem(path, f"totals must rise along the {track.key!r} track, level after level")
    return tuple((level.key, totals[level.key]) for level in levels if level.key in totals)


def _read_groups(check: _Validator, data: Any, competency_keys: set[str],
                 optional: tuple[str, ...]) -> tuple[Group, ...]:
    """Choose-N groups: each competency in at most one group, none of them also optional."""
    groups: list[Group] = []
    claimed: set[str] = set(optional)
    for i, raw in enumerate(check.sequence(data, ("readiness", "groups"))):
        path = ("readiness", "groups", i)
        raw = check.mapping(raw, path, {"key", "name", "choose", "competencies"}, set())
        members = check.references(raw.get("competencies"), path + ("competencies",), competency_keys, "competency")
        for j, key in enumerate(raw["competencies"] if isinstance(raw.get("competencies"), list) else ()):
            if key in members and key in claimed:
                check.problem(path + ("competencies", j), f"competency {key!r} is already optional or in another group")
            claimed.add(key if isinstance(key, str) else "")
        choose = check.whole_number(raw, "choose", path, minimum=1)
        if choose is not None and members and choose >= len(members):
            check.problem(path + ("choose",),
                          f"must be fewer than the group's {len(members)} competencies, not {choose}")
        key = check.key(raw, path)
        if key and choose is not None:
            groups.append(Group(key, check.text(raw, "name", path), choose, tuple(members)))
    return tuple(groups)



def _as_key(value: Any) -> Any:
    """Numbered levels (1, 2, 3) are keys too: whole numbers are read as their text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _with_titles(check: _Validator, level: Level, titles: Any, path: tuple,
                 track_levels: dict[str, tuple[str, ...]]) -> Level:
    """A level with its per-track titles: `titles: {track key: title}` for tracks it is on."""
    if not isinstance(titles, dict):
        check.problem(path, "must be a mapping of track key to title")
        return level
    found = []
    for track_key, title in titles.items():
        if track_key not in track_levels:
            check.problem(path + (track_key,), f"unknown track {track_key!r}")
        elif level.key not in track_levels[track_key]:
            check.problem(path + (track_key,), f"level {level.key!r} is not on the {track_key!r} track")
        elif not isinstance(title, str) or not title.strip():
            check.problem(path + (track_key,), "must be non-empty text")
        else:
            found.append((track_key, title.strip()))
    return replace(level, titles=tuple(found))


def _read_transitions(check: _Validator, data: Any, track_levels: dict[str, tuple[str, ...]],
                      level_keys: set[str], with_bars: bool) -> tuple[Transition, ...]:
    """Format 2's declared moves between tracks; with none, only the next level on a track is a target.
    On a points ladder a move has no bar of its own: the target level's total is the bar."""
    if data is None:
        return ()
    if not isinstance(data, list):
        check.problem(("transitions",), "must be a list")
        return ()
    transitions = []
    for i, raw in enumerate(data):
        path = ("transitions", i)
        raw = check.mapping(raw, path, {"from", "to", "track"}, {"bar"} if with_bars else set())
        from_level, to_level = check.level_key(raw, path, "from"), check.level_key(raw, path, "to")
        track_key = raw.get("track")
        for name, key in (("from", from_level), ("to", to_level)):
            if key and key not in level_keys:
                check.problem(path + (name,), f"unknown level {key!r}")
        if "track" in raw and track_key not in track_levels:
            check.problem(path + ("track",), f"unknown track {track_key!r}")
        elif to_level in level_keys and to_level not in track_levels.get(track_key or "", ()):
            check.problem(path + ("to",), f"level {to_level!r} is not on the {track_key!r} track")
        bar = check.bar(raw["bar"], path + ("bar",)) if "bar" in raw and with_bars else None
        if from_level in level_keys and to_level in level_keys and track_key in track_levels:
            transitions.append(Transition(from_level, to_level, track_key, bar))
    return tuple(transitions)


def _read_competency(check: _Validator, raw: Any, path: tuple, area_key: str, scale: _Scale) -> Competency | None:
    """A competency and its expectations. Format 1 needs one at every level of its tracks;
    format 2 only where it applies (within `from`/`to`, and at least one): no filler text.
    On a points ladder the expectations are per milestone."""
    raw = check.mapping(raw, path, {"key", "name", "tracks", "expectations"},
                        {"description", "renamed_from", "from", "to"})
    key = check.key(raw, path)
    listed = set(check.references(raw.get("tracks"), path + ("tracks",), scale.track_levels, "track"))
    competency_tracks = [t for t in scale.track_levels if t in listed]  # in the ladder's order, as stored
    spanned = scale.spanned(competency_tracks)
    applies = _applies(check, raw, path, spanned, scale)
    expectations = raw.get("expectations")
    if not isinstance(expectations, dict):
        if "expectations" in raw:
            check.problem(path + ("expectations",), "must be a mapping of level key to text")
        expectations = {}
    missing = [lv for lv in spanned if lv in applies and lv not in expectations] if scale.every_level else []
    for level_key in sorted(missing):
        check.problem(path + ("expectations", level_key), "missing expectation for a level this competency spans")
    if not scale.every_level and "expectations" in raw and not expectations:
        check.problem(path + ("expectations",), "needs at least one expectation")
    texts = _expectation_texts(check, expectations, path + ("expectations",), scale, spanned, applies)
    if not key:
        return None
    ordered = {lv: texts[lv] for lv in spanned if texts.get(lv)}
    return Competency(key, check.text(raw, "name", path), check.text(raw, "description", path, False),
                      area_key, tuple(competency_tracks), ordered, check.renamed_from(raw, path))


def _applies(check: _Validator, raw: dict, path: tuple, spanned: list[str], scale: _Scale) -> set[str]:
    """The levels (or milestones) a competency applies at: those it spans, within `from`/`to`."""
    bounds = {"from": 0, "to": max(map(scale.rank, spanned), default=0)}
    for bound in bounds:
        level_key = check.level_key(raw, path, bound) if bound in raw else ""
        if level_key and level_key not in spanned:
            check.problem(path + (bound,), scale.not_spanned(level_key))
        elif level_key:
            bounds[bound] = scale.rank(level_key)
    return {lv for lv in spanned if bounds["from"] <= scale.rank(lv) <= bounds["to"]}


def _expectation_texts(check: _Validator, expectations: dict, path: tuple, scale: _Scale, spanned: list[str],
                       applies: set[str]) -> dict[str, str]:
    texts = {}
    for level_key, value in expectations.items():
        where = path + (str(level_key),)
        if level_key not in spanned:
            check.problem(where, scale.not_spanned(level_key))
        elif level_key not in applies:
            check.problem(where, f"level {level_key!r} is outside this competency's from/to range")
        else:
            texts[level_key] = _expectation_text(value)
            if not texts[level_key]:
                check.problem(where, "must be non-empty text or a list of texts")
    return texts



def _expectation_text(value: Any) -> str:
    """An expectation as Markdown: text keeps its line breaks (lists, paragraphs); a YAML list
    becomes a Markdown list. Empty when it is neither."""
    if isinstance(value, list):
        if not value or not all(isinstance(item, str) and item.strip() for item in value):
            return ""
        return "\n".join("- " + " ".join(item.split()) for item in value)
    if not isinstance(value, str):
        return ""
    lines = [line.rstrip() for line in value.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _kind_of(value: Any) -> str:
    kinds: dict[type, str] = {list: "a list", dict: "a mapping"}
    return kinds.get(type(value), repr(value)[:40])


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem("", f"not UTF-8 text (byte {error.start + 1}); save the file as UTF-8")
        raise RubricError(str(path), [problem]) from None
    return parse_rubric(text, str(path))


def default_rubric_path() -> Path:
    return Path(__file__).resolve().parent.parent / "frameworks" / "engineering.yaml"


# --- Writing ----------------------------------------------------------------------------------

def rubric_to_data(rubric: Rubric, version: int | None = None) -> dict:
    """The canonical document for a rubric; dumping it and parsing it back gives an equal rubric."""
    data: dict[str, Any] = {"format": rubric.format, "key": rubric.key, "name": rubric.name}
    if version is not None:
        data["version"] = version
    if rubric.description:
        data["description"] = rubric.description
    data["levels"] = [
        {"key": lv.key, "name": lv.name, "rank": lv.rank, **({"summary": lv.summary} if lv.summary else {}),
         **({"code": lv.code} if lv.code else {}), **({"titles": dict(lv.titles)} if lv.titles else {}),
         **_renamed_data(lv)}
        for lv in rubric.levels
    ]
    data["tracks"] = [{"key": t.key, "name": t.name, "levels": list(t.levels), **_renamed_data(t)}
                      for t in rubric.tracks]
    if rubric.transitions is not None:
        data["transitions"] = [{"from": t.from_level, "to": t.to_level, "track": t.track_key,
                                **({"bar": _bar_data(t.bar)} if t.bar else {})} for t in rubric.transitions]
    data["readiness"] = _readiness_data(rubric)
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
                    **_renamed_data(c),
                }
                for c in area.competencies
            ],
        }
        for area in rubric.areas
    ]
    return data


def _readiness_data(rubric: Rubric) -> dict:
    """The `readiness` section: the rule (written only when it is not plain coverage) and what it reads."""
    rule = rubric.rule
    if rule.is_points:
        return {"rule": POINTS,
                "milestones": [{"key": m.key, "name": m.name, **({"summary": m.summary} if m.summary else {}),
                                "points": points} for m, points in rule.scale],
                "points": dict(rule.level_points)}
    data: dict[str, Any] = {"default": _bar_data(rubric.default_bar)}
    if rubric.bars:
        data["levels"] = {key: _bar_data(bar) for key, bar in rubric.bars.items()}
    if rule.optional:
        data["optional"] = list(rule.optional)
    if rule.groups:
        data["groups"] = [{"key": g.key, "name": g.name, "choose": g.choose, "competencies": list(g.competencies)}
                          for g in rule.groups]
    return data


def _renamed_data(item: Level | Track | Competency) -> dict:
    return {"renamed_from": list(item.renamed_from)} if item.renamed_from else {}


def _bar_data(bar: Bar) -> dict:
    return {"min_coverage": bar.min_coverage, "max_blockers": bar.max_blockers}


class _Dumper(yaml.SafeDumper):
    """Long texts as folded blocks so exported ladders stay reviewable in a diff."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else ">" if len(value) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_rubric(rubric: Rubric, version: int | None = None) -> str:
    return yaml.dump(rubric_to_data(rubric, version), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=96)
