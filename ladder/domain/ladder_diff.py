"""What changed between two versions of a ladder: levels, tracks, areas, competencies,
expectation texts and readiness bars, added, removed or changed (plain data, no database).

Admins read this before publishing a draft; it is also how they find what a new version means
for people and reviews (a removed level, a rewritten expectation).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .rubric import Bar, Rubric

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
PLURALS = {"level": "levels", "track": "tracks", "area": "areas", "competency": "competencies"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ItemChange:
    """A level, track, area or competency that was added, removed or changed (and which fields)."""

    kind: str  # level | track | area | competency
    key: str
    name: str
    status: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ExpectationChange:
    competency_key: str
    competency_name: str
    level_key: str
    level_name: str
    status: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class BarChange:
    level_key: str | None  # None: the default bar
    old: Bar | None
    new: Bar | None


@dataclass
class LadderDiff:
    items: list[ItemChange] = field(default_factory=list)
    expectations: list[ExpectationChange] = field(default_factory=list)
    bars: list[BarChange] = field(default_factory=list)
    metadata: list[FieldChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.items or self.expectations or self.bars or self.metadata)

    def of_kind(self, kind: str) -> list[ItemChange]:
        return [item for item in self.items if item.kind == kind]

    def removed_keys(self, kind: str) -> list[str]:
        return [item.key for item in self.items if item.kind == kind and item.status == REMOVED]

    def expectations_by_competency(self) -> list[tuple[str, list[ExpectationChange]]]:
        """Expectation changes grouped per competency (in ladder order), for side-by-side display."""
        groups: dict[str, list[ExpectationChange]] = {}
        for change in self.expectations:
            groups.setdefault(change.competency_name, []).append(change)
        return list(groups.items())

    def counts(self) -> dict[tuple[str, str], int]:
        """How many of each kind of thing changed, by (singular noun, status): pages write the
        count with the noun it takes ("1 expectation changed", "2 levels added")."""
        counts: dict[tuple[str, str], int] = {}
        for kind, status in [(item.kind, item.status) for item in self.items] + [
                ("expectation", change.status) for change in self.expectations]:
            counts[(kind, status)] = counts.get((kind, status), 0) + 1
        if self.bars:
            counts[("readiness bar", CHANGED)] = len(self.bars)
        return counts

    def summary(self) -> dict[str, int]:
        """The counts keyed as the audit log stores them ("competencies added")."""
        return {f"{PLURALS.get(noun, noun + 's')} {status}": count for (noun, status), count in self.counts().items()}


def _compare_items(kind: str, old: dict, new: dict, fields: tuple[str, ...], out: list[ItemChange]) -> None:
    for key, item in new.items():
        if key not in old:
            out.append(ItemChange(kind, key, item.name, ADDED))
            continue
        changes = tuple(FieldChange(f, getattr(old[key], f), getattr(item, f)) for f in fields
                        if getattr(old[key], f) != getattr(item, f))
        if changes:
            out.append(ItemChange(kind, key, item.name, CHANGED, changes))
    for key, item in old.items():
        if key not in new:
            out.append(ItemChange(kind, key, item.name, REMOVED))


def diff_rubrics(old: Rubric, new: Rubric) -> LadderDiff:
    """Every difference from `old` (usually the latest published version) to `new` (a draft)."""
    result = LadderDiff()
    for name in ("name", "description"):
        if getattr(old, name) != getattr(new, name):
            result.metadata.append(FieldChange(name, getattr(old, name), getattr(new, name)))
    if old.rule != new.rule:
        result.metadata.append(FieldChange("readiness rule", old.rule.describe(), new.rule.describe()))
    _compare_items("level", {lv.key: lv for lv in old.levels}, {lv.key: lv for lv in new.levels},
                   ("name", "rank", "summary"), result.items)
    _compare_items("track", {t.key: t for t in old.tracks}, {t.key: t for t in new.tracks},
                   ("name", "levels"), result.items)
    _compare_items("area", {a.key: a for a in old.areas}, {a.key: a for a in new.areas},
                   ("name", "description"), result.items)
    old_comp = {c.key: c for c in old.competencies}
    new_comp = {c.key: c for c in new.competencies}
    _compare_items("competency", old_comp, new_comp, ("name", "description", "area_key", "tracks"), result.items)

    result.expectations.extend(_expectation_changes(old, new, old_comp, new_comp))
    result.bars.extend(_bar_changes(old, new))
    return result


def _expectation_changes(old: Rubric, new: Rubric, old_comp: dict, new_comp: dict) -> list[ExpectationChange]:
    """Expectations added, removed or reworded, competency by competency in the new order."""

    def level_name(key: str) -> str:  # a level, or a points ladder's milestone
        for rubric in (new, old):
            try:
                return rubric.level(key).name
            except KeyError:
                continue
        return key

    changes = []
    for key in list(new_comp) + [k for k in old_comp if k not in new_comp]:
        before = old_comp[key].expectations if key in old_comp else {}
        after = new_comp[key].expectations if key in new_comp else {}
        name = (new_comp.get(key) or old_comp[key]).name
        for level_key in list(after) + [lv for lv in before if lv not in after]:
            old_text, new_text = before.get(level_key), after.get(level_key)
            if old_text == new_text:
                continue
            status = ADDED if old_text is None else REMOVED if new_text is None else CHANGED
            changes.append(ExpectationChange(key, name, level_key, level_name(level_key), status, old_text, new_text))
    return changes


def _bar_changes(old: Rubric, new: Rubric) -> list[BarChange]:
    changes = []
    if old.default_bar != new.default_bar:
        changes.append(BarChange(None, old.default_bar, new.default_bar))
    for level_key in list(new.bars) + [k for k in old.bars if k not in new.bars]:
        if old.bars.get(level_key) != new.bars.get(level_key):
            changes.append(BarChange(level_key, old.bars.get(level_key), new.bars.get(level_key)))
    return changes


def word_diff(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Both texts as (kind, words) segments, kind 'same' or 'changed', to highlight a rewrite
    word by word on each side."""
    a, b = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("same", "".join(a[i1:i2])))
            right.append(("same", "".join(b[j1:j2])))
        else:
            if i2 > i1:
                left.append(("changed", "".join(a[i1:i2])))
            if j2 > j1:
                right.append(("changed", "".join(b[j1:j2])))
    return left, right
