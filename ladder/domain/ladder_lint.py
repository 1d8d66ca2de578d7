"""Warnings about a valid ladder that is probably not what its authors meant: nobody else ships
a linter for career ladders, and these are the mistakes hand-written ladders make."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from .rubric import Rubric

# An expectation under two thirds the length of the one below it usually lost detail: a higher
# level should say what more is expected (a few characters shorter is only wording).
SHORTER = 2 / 3


@dataclass(frozen=True)
class LintWarning:
    where: str  # the competency or track it is about
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lint(rubric: Rubric) -> list[LintWarning]:
    """Expectations that repeat or are shorter than the level below, competencies that skip a
    level of a track, and tracks nobody can leave (when the ladder declares its transitions)."""
    warnings = []
    for competency in rubric.competencies:
        where = f"competency {competency.key!r}"
        seen: set[tuple[str, str]] = set()
        for track_key in competency.tracks:
            path = rubric.track_levels(track_key)
            written = [i for i, lv in enumerate(path) if lv.key in competency.expectations]
            if not written:
                continue
            for i in range(written[0], written[-1] + 1):
                if path[i].key not in competency.expectations:
                    warnings.append(LintWarning(where, f"skips level {path[i].key!r} on the {track_key!r} track"))
            for below, above in itertools.pairwise(written):
                pair = (path[below].key, path[above].key)
                if pair in seen:
                    continue
                seen.add(pair)
                lower, upper = (competency.expectations[k] for k in pair)
                if " ".join(lower.split()).lower() == " ".join(upper.split()).lower():
                    warnings.append(LintWarning(where, f"the expectation at {pair[1]!r} repeats {pair[0]!r}"))
                elif len(upper) < SHORTER * len(lower):
                    warnings.append(LintWarning(where, f"the expectation at {pair[1]!r} is much shorter than at "
                                                       f"{pair[0]!r}: does it say what more is expected?"))
    if rubric.transitions is not None and len(rubric.tracks) > 1:
        for track in rubric.tracks:
            if not any(t.from_level in track.levels and t.track_key != track.key for t in rubric.transitions):
                warnings.append(LintWarning(f"track {track.key!r}", "has no transitions out to another track"))
    return warnings
