"""Calibration figures for one review cycle, as plain data in and out (no database, no clock).

Directors and admins compare managers before results go out: how each manager's ratings sit
against the person's level (below, at, above) next to the whole organisation's, how far
managers rate above or below the self-reviews (leniency), the proposed verdicts per level and
track next to computed readiness, and the cases worth a second look.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .readiness import readiness_targets, summarize_readiness
from .rubric import Rubric

READY_NOW = "ready_now"
NOT_YET = "not_yet"
WIDE_MARGIN = 0.20  # "ready now" with coverage this far under the bar contradicts readiness
MIN_REPORTS_FOR_PATTERN = 2  # one "ready now" report is not a pattern


@dataclass(frozen=True)
class RatingCounts:
    """Manager ratings against each person's level (a rating's rank is its level's rank; "below"
    is the person's level's rank - 1), and the manager-minus-self rank differences over the
    competencies rated in both reviews. Counted by the database, per manager."""

    below: int = 0
    at: int = 0
    above: int = 0
    gap_sum: int = 0
    gaps: int = 0

    def __add__(self, other: RatingCounts) -> RatingCounts:
        return RatingCounts(self.below + other.below, self.at + other.at, self.above + other.above,
                            self.gap_sum + other.gap_sum, self.gaps + other.gaps)


def rating_counts(mine: dict[int, int], theirs: dict[int, int], level_rank: int) -> RatingCounts:
    """The counts of one manager review from the ranks it gives per competency (`mine`), the
    submitted self-review's (`theirs`, empty if none) and the person's level's rank: what the
    database counts at submission, for rows built in memory (the synthetic organisation)."""
    gaps = [rank - theirs[competency] for competency, rank in mine.items() if competency in theirs]
    ranks = list(mine.values())
    return RatingCounts(sum(r < level_rank for r in ranks), sum(r == level_rank for r in ranks),
                        sum(r > level_rank for r in ranks), sum(gaps), len(gaps))


@dataclass(frozen=True)
class Distribution:
    """How one manager's (or the organisation's) ratings sit against each person's level."""

    label: str
    manager_id: int | None  # None for the organisation
    people: int
    ratings: int
    below: float  # shares of ratings, 0..1
    at: float
    above: float
    mean_gap: float | None  # mean of manager rank - self rank, over competencies rated in both

    @property
    def is_org(self) -> bool:
        return self.manager_id is None


def distribution(label: str, manager_id: int | None, people: int, counts: RatingCounts) -> Distribution:
    """Shares of manager ratings below, at and above the person's level, and the mean
    manager-minus-self gap (positive: the manager rates higher than the engineer did)."""
    total = counts.below + counts.at + counts.above
    share = (lambda n: n / total) if total else (lambda n: 0.0)
    return Distribution(label, manager_id, people, total, share(counts.below), share(counts.at), share(counts.above),
                        round(counts.gap_sum / counts.gaps, 2) if counts.gaps else None)


def distributions(people: dict[int | None, int], counts: dict[int | None, RatingCounts], manager_names: dict[int, str],
                  org_label: str = "Organisation") -> tuple[Distribution, list[Distribution]]:
    """The organisation's distribution and one per manager with rated reports (by name), from
    the people per manager (None: no manager) and their rating counts."""
    rows = [distribution(manager_names.get(mid, "No manager"), mid, n, counts.get(mid, RatingCounts()))
            for mid, n in people.items() if mid is not None]
    rows.sort(key=lambda d: d.label.lower())
    return distribution(org_label, None, sum(people.values()), sum(counts.values(), RatingCounts())), rows


def readiness_figures(rubric: Rubric, level_key: str, track_key: str, ratings: dict[str, str | None],
                      source: str | None) -> dict[str, list]:
    """Per target level, [coverage, bar, meets the bar] from one review's ratings (none: from
    nothing rated): all of readiness calibration shows, kept on a review when it is submitted."""
    figures = {}
    for target in readiness_targets(rubric, level_key, track_key):
        if target.level is not None:
            summary = summarize_readiness(rubric, level_key, target.level.key, ratings, source)
            figures[target.level.key] = [summary.coverage, summary.bar.min_coverage, summary.meets_bar]
    return figures


class VerdictCase(NamedTuple):
    """A person's proposed verdict toward one target next to the readiness computed from the cycle
    (the rows of the calibration page's table: built for the page shown)."""

    subject_id: int
    subject_name: str
    manager_id: int | None
    level_key: str
    track_key: str
    target_key: str
    verdict: str | None  # None: no verdict proposed yet
    verdict_id: int | None
    coverage: float | None  # None: nothing rated to compute from
    bar: float  # the minimum coverage toward the target
    meets_bar: bool  # coverage and blockers both within the bar
    adjusted_from: str | None = None  # the verdict it replaced in calibration, if any


def contradiction(case: VerdictCase) -> str | None:
    """Why a verdict contradicts computed readiness by a wide margin, or None.

    "Ready now" with coverage more than WIDE_MARGIN under the bar, or "not yet" with the bar met.
    """
    if case.verdict is None or case.coverage is None:
        return None
    if case.verdict == READY_NOW and case.coverage < case.bar - WIDE_MARGIN:
        return (f"Ready now, but coverage is {round(case.coverage * 100)}% against a bar of "
                f"{round(case.bar * 100)}%")
    if case.verdict == NOT_YET and case.meets_bar:
        return f"Not yet, but the bar is met ({round(case.coverage * 100)}% against {round(case.bar * 100)}%)"
    return None


def notable_first(managers: list[Distribution], flagged: set[int]) -> list[Distribution]:
    """Managers in the order calibration reads them when they do not fit on one page: those whose
    every report is "ready now" first, then the largest teams, then by name."""
    return sorted(managers, key=lambda d: (d.manager_id not in flagged, -d.people, d.label.lower()))


@dataclass
class LevelTrackGroup:
    """Proposed verdicts of the people at one level on one track toward one target."""

    level_key: str
    track_key: str
    target_key: str
    people: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # verdict -> people
    no_verdict: int = 0
    meeting_bar: int = 0
    rated: int = 0  # people with a computed coverage (something rated)
    coverage_sum: float = 0.0

    @property
    def mean_coverage(self) -> float | None:
        return self.coverage_sum / self.rated if self.rated else None


class VerdictTally:
    """The proposed verdicts counted per level, track and target next to computed readiness, and
    the managers who propose "ready now" for every report: added one case at a time, so a tree of
    thousands is counted without a case object for each person and target."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], dict[str, LevelTrackGroup]] = {}  # (level, track) -> target -> group
        self._verdicts: dict[int, dict[int, set[str]]] = {}  # manager -> report -> the verdicts proposed

    def add(self, subject_id: int, manager_id: int | None, level_key: str, track_key: str,
            targets: list[tuple[str, list]], verdicts: Mapping[str, str], rated: bool) -> None:
        """One person's targets, each (target, [coverage, bar, meets the bar]) as readiness keeps
        them, with the verdicts proposed toward them (target -> verdict; a target without one has
        none yet) and whether anything was rated (if not, the coverage computed from nothing is
        not counted). Taken as the page holds them: a case tuple a person and target cost more
        than the counting, for thousands of people."""
        if (at_place := self._groups.get(place := (level_key, track_key))) is None:
            at_place = self._groups[place] = {}
        for target_key, (coverage, _, meets_bar) in targets:
            if (group := at_place.get(target_key)) is None:
                group = at_place[target_key] = LevelTrackGroup(level_key, track_key, target_key)
            group.people += 1
            if (verdict := verdicts.get(target_key)) is None:
                group.no_verdict += 1
            else:
                group.counts[verdict] = group.counts.get(verdict, 0) + 1
                if manager_id is not None:
                    self._verdicts.setdefault(manager_id, {}).setdefault(subject_id, set()).add(verdict)
            if rated and coverage is not None:
                group.rated += 1
                group.coverage_sum += coverage
                group.meeting_bar += meets_bar

    def groups(self, level_order: list[str]) -> list[LevelTrackGroup]:
        """Verdict counts next to computed readiness per level, track and target, in ladder order."""
        rank = {key: i for i, key in enumerate(level_order)}
        return sorted((group for at_place in self._groups.values() for group in at_place.values()),
                      key=lambda g: (rank.get(g.level_key, len(rank)), g.track_key, g.target_key))

    def all_ready_now_managers(self) -> set[int]:
        """Managers with at least MIN_REPORTS_FOR_PATTERN reports with a verdict, every one "ready now"."""
        return {manager_id for manager_id, reports in self._verdicts.items()
                if len(reports) >= MIN_REPORTS_FOR_PATTERN and all(v == {READY_NOW} for v in reports.values())}


@dataclass(frozen=True)
class CalibrationFilter:
    """What the calibration page is narrowed to; empty means everyone."""

    manager_id: int | None = None
    level: str = ""
    track: str = ""
    target: str = ""

    @property
    def keeps_everyone(self) -> bool:
        """No filter on people (targets aside): the page's first view."""
        return self.manager_id is None and not self.level and not self.track

    def keeps_person(self, manager_id: int | None, level_key: str, track_key: str) -> bool:
        return ((self.manager_id is None or manager_id == self.manager_id)
                and (not self.level or level_key == self.level)
                and (not self.track or track_key == self.track))

    def keeps_target(self, target_key: str) -> bool:
        return not self.target or target_key == self.target
