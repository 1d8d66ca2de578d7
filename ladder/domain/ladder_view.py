"""Ways of reading a rubric: what changes from one level to another."""
from __future__ import annotations

from dataclasses import dataclass

from .readiness import readiness_targets
from .rubric import Area, Competency, Level, Rubric


@dataclass(frozen=True)
class LevelChange:
    competency: Competency
    before: str | None  # None: the competency does not apply at the lower level
    after: str | None  # None: it does not apply at the higher level

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "dropped"
        return "changed" if self.before != self.after else "same"


def compare_levels(rubric: Rubric, from_key: str, to_key: str) -> list[LevelChange]:
    """Every competency's expectation at two levels, so a person sees what the step asks of them."""
    changes = []
    for competency in rubric.competencies:
        before = competency.expectations.get(from_key)
        after = competency.expectations.get(to_key)
        if before is None and after is None:
            continue
        changes.append(LevelChange(competency, before, after))
    return changes


def areas_on_track(rubric: Rubric, track_key: str) -> list[tuple[Area, list[Competency]]]:
    """The areas that have competencies on a track, each with those competencies."""
    pairs = [(area, [c for c in area.competencies if track_key in c.tracks]) for area in rubric.areas]
    return [(area, competencies) for area, competencies in pairs if competencies]


def next_levels(rubric: Rubric, level_key: str, track_key: str) -> list[Level]:
    """The levels a person could be ready for next (their readiness targets), nearest track first;
    none when their level or track is not in the ladder."""
    if rubric.placement_problem(level_key, track_key):
        return []
    return [t.level for t in readiness_targets(rubric, level_key, track_key) if t.level is not None]
