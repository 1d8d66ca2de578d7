"""Rules of a review form: what can be rated, progress, and what submission requires."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .readiness import rating_rank, readiness_targets
from .rubric import Competency, Rubric
from .statuses import BELOW_CURRENT


@dataclass
class Entry:
    """What a person typed for one competency (kept verbatim, even when it is invalid)."""

    rating: str | None
    evidence: str


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int

    @property
    def complete(self) -> bool:
        return self.rated == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.rated / self.total) if self.total else 100


def reviewed_rubric(rubric: Rubric, level_key: str, track_key: str) -> Rubric:
    """The ladder as one person is reviewed on it: only the competencies that apply to them,
    those with an expectation at their level on their track or at one of their readiness
    targets (a ladder with many tracks does not ask a backend engineer about ML fluency).
    The same rubric when everything applies, as on the default ladder; worked out once per
    rubric, level and track."""
    if rubric.placement_problem(level_key, track_key):
        return rubric
    return rubric.derived("reviewed", (level_key, track_key), lambda: _reviewed(rubric, level_key, track_key))


def _reviewed(rubric: Rubric, level_key: str, track_key: str) -> Rubric:
    targets = [(t.track_key, t.level.key) for t in readiness_targets(rubric, level_key, track_key)
               if t.level is not None]
    keep = {c.key for c in rubric.competencies
            if _applies(rubric, c, track_key, level_key)
            or any(_applies(rubric, c, target_track, target_level) for target_track, target_level in targets)}
    if len(keep) == len(rubric.competencies):
        return rubric
    areas = (replace(a, competencies=tuple(c for c in a.competencies if c.key in keep)) for a in rubric.areas)
    return replace(rubric, areas=tuple(a for a in areas if a.competencies))


def _applies(rubric: Rubric, competency: Competency, track_key: str, level_key: str) -> bool:
    """Whether a competency applies at a level of a track: it has an expectation there (on a
    points ladder, every competency of the track applies: it is rated at a milestone)."""
    return track_key in competency.tracks and (rubric.rule.is_points or level_key in competency.expectations)


def allowed_ratings(rubric: Rubric, competency_key: str, track_key: str, level_key: str) -> list[str]:
    """Rating values offered for one competency: "below" and the levels at or above current."""
    competency = rubric.competency(competency_key)
    return [BELOW_CURRENT] + [lv.key for lv in rubric.rating_levels(competency, track_key, level_key)]


def progress(rubric: Rubric, entries: dict[str, Entry]) -> Progress:
    """Ratings a submission needs, and how many are given: optional competencies are not counted,
    and of a choose-N group only N (the ladder's readiness rule)."""
    return _progress(rubric, rubric.competencies, _rated(rubric, entries))


def area_progress(rubric: Rubric, entries: dict[str, Entry]) -> dict[str, Progress]:
    """Progress per competency area, so a long form shows where work remains."""
    rated = _rated(rubric, entries)
    return {area.key: _progress(rubric, area.competencies, rated) for area in rubric.areas}


def _rated(rubric: Rubric, entries: dict[str, Entry]) -> set[str]:
    return {c.key for c in rubric.competencies if entries.get(c.key) and entries[c.key].rating}


def _progress(rubric: Rubric, competencies: tuple[Competency, ...], rated: set[str]) -> Progress:
    done = total = 0
    for required, members in required_ratings(rubric, competencies):
        total += required
        done += min(required, len(rated.intersection(members)))
    return Progress(done, total)


def required_ratings(rubric: Rubric, competencies: tuple[Competency, ...]) -> list[tuple[int, tuple[str, ...]]]:
    """How many of which competencies must be rated: (1, (key,)) for an ordinary one, (N, the
    group's keys here) for a choose-N group; optional competencies need no rating."""
    keys = [c.key for c in competencies if c.key not in rubric.rule.optional]
    out: list[tuple[int, tuple[str, ...]]] = []
    grouped: set[str] = set()
    for group in rubric.rule.groups:
        members = tuple(k for k in keys if k in group.competencies)
        grouped.update(members)
        if members:
            out.append((min(group.choose, len(members)), members))
    return [(1, (key,)) for key in keys if key not in grouped] + out


def draft_errors(rubric: Rubric, track_key: str, level_key: str,
                 entries: dict[str, Entry]) -> dict[str, str]:
    """Problems that even a draft may not have: a rating that is not an allowed value."""
    errors = {}
    for key, entry in entries.items():
        if entry.rating and entry.rating not in allowed_ratings(rubric, key, track_key, level_key):
            errors[key] = "Choose one of the listed levels."
    return errors


def submit_errors(rubric: Rubric, track_key: str, level_key: str,
                  entries: dict[str, Entry]) -> dict[str, str]:
    """Per-competency messages that block submission: unrated (unless optional, or enough of its
    group is rated), or above level without evidence; in the form's order."""
    errors = draft_errors(rubric, track_key, level_key, entries)
    rated = _rated(rubric, entries)
    for required, members in required_ratings(rubric, rubric.competencies):
        if len(rated.intersection(members)) < required:
            message = "Rate this competency before submitting." if len(members) == 1 else \
                f"Rate at least {required} of {_group_names(rubric, members)} before submitting."
            errors.update({key: message for key in members if key not in rated and key not in errors})
    if not rubric.rule.is_points:  # milestones are not levels: no rating is "above" one's own
        current = rubric.level(level_key)
        for key in sorted(rated - errors.keys()):
            entry = entries[key]
            assert entry.rating is not None  # `rated` holds only the competencies given a rating
            if entry.rating != BELOW_CURRENT and rubric.level(entry.rating).rank > current.rank \
                    and not entry.evidence.strip():
                errors[key] = f"A rating above your current level ({current.name}) needs evidence."
    return {c.key: errors[c.key] for c in rubric.competencies if c.key in errors} | errors


def _group_names(rubric: Rubric, members: tuple[str, ...]) -> str:
    names = [rubric.competency(key).name for key in members]
    return ", ".join(names[:-1]) + " or " + names[-1]


def ratings_to_copy(self_entries: dict[str, Entry], manager_ratings: dict[str, str | None],
                    only: str | None = None) -> dict[str, str]:
    """The self-ratings a manager agrees with, per competency: the one competency `only` names,
    or (without it) every self-rated competency the manager has not rated yet."""
    if only is not None:
        entry = self_entries.get(only)
        return {only: entry.rating} if entry and entry.rating and only in manager_ratings else {}
    return {key: entry.rating for key, entry in self_entries.items()
            if entry.rating and key in manager_ratings and not manager_ratings[key]}


@dataclass(frozen=True)
class SideBySideRow:
    competency_key: str
    self_entry: Entry | None
    manager_entry: Entry | None
    difference: int | None  # manager rank minus self rank; None when either is unrated


def side_by_side(rubric: Rubric, level_key: str, self_entries: dict[str, Entry],
                 manager_entries: dict[str, Entry]) -> list[SideBySideRow]:
    """Both ratings per competency, the largest disagreements first (they drive calibration)."""
    current = rubric.level(level_key)
    rows = []
    for competency in rubric.competencies:
        mine, theirs = self_entries.get(competency.key), manager_entries.get(competency.key)
        self_rank = rating_rank(rubric, mine.rating if mine else None, current)
        manager_rank = rating_rank(rubric, theirs.rating if theirs else None, current)
        difference = None if self_rank is None or manager_rank is None else manager_rank - self_rank
        rows.append(SideBySideRow(competency.key, mine, theirs, difference))
    order = {c.key: i for i, c in enumerate(rubric.competencies)}
    return sorted(rows, key=lambda r: (r.difference is None, -abs(r.difference or 0), order[r.competency_key]))


def below_current_label(rubric: Rubric, current: str = "") -> str:
    """How the "below their level" rating reads: on a points ladder it is no milestone yet."""
    if rubric.rule.is_points:
        return "No milestone yet"
    return f"Below current level ({current})" if current else "Below current level"
