"""Whether people fit a ladder version: their level and track must exist in the version they
will be reviewed on, or a review of them could not be shown. Renamed keys carry over."""
from __future__ import annotations

from dataclasses import dataclass

from .rubric import Rubric

SHOWN_MISFITS = 20


@dataclass(frozen=True)
class Placement:
    """Where one person sits on their ladder."""

    person_id: int
    name: str
    email: str
    level_key: str
    track_key: str


@dataclass(frozen=True)
class Misfit:
    """A person whose level or track the version does not have, and why."""

    name: str
    email: str
    problem: str

    def __str__(self) -> str:
        return f"{self.name} ({self.email}): {self.problem}"


def carried_over(rubric: Rubric, placement: Placement) -> Placement:
    """The placement with level and track keys the version renamed replaced by their new keys."""
    level = rubric.renames["level"].get(placement.level_key, placement.level_key)
    track = rubric.renames["track"].get(placement.track_key, placement.track_key)
    if (level, track) == (placement.level_key, placement.track_key):
        return placement
    return Placement(placement.person_id, placement.name, placement.email, level, track)


def misfits(rubric: Rubric, placements: list[Placement]) -> list[Misfit]:
    """Everyone who, after renames, has a level or track the version does not have."""
    found = []
    for placement in placements:
        moved = carried_over(rubric, placement)
        problem = rubric.placement_problem(moved.level_key, moved.track_key)
        if problem:
            found.append(Misfit(placement.name, placement.email, problem))
    return found


def describe(found: list[Misfit], what: str) -> str:
    """One message naming every misfit (the first SHOWN_MISFITS, then how many more)."""
    shown = "; ".join(str(m) for m in found[:SHOWN_MISFITS])
    more = f"; and {len(found) - SHOWN_MISFITS} more" if len(found) > SHOWN_MISFITS else ""
    people = "person does" if len(found) == 1 else "people do"
    return (f"{len(found)} {people} not fit {what}: {shown}{more}. Move them to a level and track of "
            "that version, or map renamed keys with renamed_from.")
