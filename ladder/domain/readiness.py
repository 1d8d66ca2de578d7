"""Promotion readiness: coverage, gaps and blockers toward a target level, explained.

Everything here is computed from the rubric and one review's ratings, so a manager can see
exactly why the figure is what it is. The ladder declares the rule: `coverage` (the share of
the competencies expected at the target rated at it; optional ones count only when rated, and
of a choose-N group only the best N) or `points` (milestones worth points, a level reached at
a points total).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .rubric import Bar, Competency, Group, Level, Rubric, Rule
from .statuses import BELOW_CURRENT


@dataclass(frozen=True)
class Target:
    """Where someone could go next on one track."""

    track_key: str
    track_name: str
    level: Level | None  # None: already at the top of that track

    @property
    def title(self) -> str:
        """The target level's title on its track ("" at the top of the track)."""
        return self.level.title_on(self.track_key) if self.level else ""


@dataclass(frozen=True)
class Gap:
    competency: Competency
    rated: Level | None  # None when rated "below current level"
    distance: int  # ranks between the rating and the target (points: 1, the next milestone)
    expectation: str  # what the person must show next (the target level's or next milestone's expectation)
    points: int = 0  # points rule: what reaching the next milestone adds
    next_milestone: Level | None = None  # points rule: the milestone to reach next


class _Figures:
    """Coverage and the bar from three counts (points: two totals): one definition for the full
    readiness and its summary."""

    __slots__ = ()
    source: str | None
    bar: Bar

    if TYPE_CHECKING:  # read-only here: the summary stores the counts, the full readiness counts its lists
        @property
        def met_count(self) -> int: ...
        @property
        def applicable_count(self) -> int: ...
        @property
        def blocker_count(self) -> int: ...

    points: int | None  # points rule: the person's total; None on a coverage ladder
    points_needed: int | None  # points rule: the target level's total

    @property
    def is_points(self) -> bool:
        return self.points_needed is not None

    @property
    def coverage(self) -> float:
        """The share of the bar reached: competencies met, or points toward the total (at most 1)."""
        if self.points_needed is not None:
            return min(1.0, (self.points or 0) / self.points_needed) if self.points_needed else 1.0
        return self.met_count / self.applicable_count if self.applicable_count else 0.0

    @property
    def meets_bar(self) -> bool:
        if self.points_needed is not None:
            return self.source is not None and (self.points or 0) >= self.points_needed
        return (
            self.source is not None
            and self.coverage >= self.bar.min_coverage - 1e-9
            and self.blocker_count <= self.bar.max_blockers
        )

    @property
    def points_to_go(self) -> int:
        return max(0, (self.points_needed or 0) - (self.points or 0))

    @property
    def percent(self) -> int:
        return round(self.coverage * 100)


@dataclass(frozen=True)
class Readiness(_Figures):
    """Readiness explained: which competencies count, which are met, the gaps and the blockers."""

    target: Level
    source: str | None  # "manager", "self" or None when there is no review to go on
    applicable: tuple[Competency, ...]
    met: tuple[Competency, ...]
    gaps: tuple[Gap, ...]
    unrated: tuple[Competency, ...]
    blockers: tuple[Competency, ...]
    bar: Bar
    # Expected at the target but not counted, with why: its group (only the best of it count),
    # or None for an optional competency left unrated.
    set_aside: tuple[tuple[Competency, Group | None], ...] = ()
    points: int | None = None
    points_needed: int | None = None

    @property
    def met_count(self) -> int:
        return len(self.met)

    @property
    def applicable_count(self) -> int:
        return len(self.applicable)

    @property
    def blocker_count(self) -> int:
        return len(self.blockers)


@dataclass(frozen=True, slots=True)
class ReadinessSummary(_Figures):
    """Only the figures a list shows (coverage, the bar, how many blockers): the team page and
    the org report compute this for every row, and building gaps they never show was half the cost."""

    target: Level
    source: str | None
    met_count: int
    applicable_count: int
    blocker_count: int
    bar: Bar
    points: int | None = None
    points_needed: int | None = None


def readiness_targets(rubric: Rubric, level_key: str, track_key: str) -> list[Target]:
    """Where a person could go next. A ladder that declares its transitions (format 2): the next
    level on the person's own track and each transition from their level to another track,
    nothing else (a Staff engineer is not a target for management because ranks are equal).
    A format 1 ladder: the next level on the person's track, and on any other track the first
    level that belongs to it alone at or above the person's rank (a Senior engineer's
    management target is Engineering Manager, not the shared Senior).
    Worked out once per rubric, level and track: list pages ask for every row."""
    return list(rubric.derived("targets", (level_key, track_key), lambda: _targets(rubric, level_key, track_key)))


def _targets(rubric: Rubric, level_key: str, track_key: str) -> tuple[Target, ...]:
    if rubric.transitions is not None:
        return _declared_targets(rubric, level_key, track_key)
    current = rubric.level(level_key)
    targets = []
    for track in rubric.tracks:
        path = rubric.track_levels(track.key)
        if track.key == track_key:
            candidates = [lv for lv in path if lv.rank > current.rank]
        else:
            shared = {lv for other in rubric.tracks if other.key != track.key for lv in other.levels}
            candidates = [lv for lv in path if lv.key not in shared and lv.rank >= current.rank]
            candidates = candidates or [lv for lv in path if lv.rank > current.rank]
        targets.append(Target(track.key, track.name, candidates[0] if candidates else None))
    return tuple(targets)


def _declared_targets(rubric: Rubric, level_key: str, track_key: str) -> tuple[Target, ...]:
    current = rubric.level(level_key)
    own = rubric.track(track_key)
    above = [lv for lv in rubric.track_levels(track_key) if lv.rank > current.rank]
    targets = [Target(own.key, own.name, above[0] if above else None)]
    for transition in rubric.transitions or ():
        if transition.from_level == level_key and transition.track_key != track_key \
                and all(t.track_key != transition.track_key for t in targets):
            track = rubric.track(transition.track_key)
            targets.append(Target(track.key, track.name, rubric.level(transition.to_level)))
    return tuple(targets)


def rating_rank(rubric: Rubric, rating: str | None, current: Level) -> int | None:
    """A rating as a rank: a level's rank, one below the current level for "below", or None."""
    if rating is None:
        return None
    if rating == BELOW_CURRENT:
        return current.rank - 1
    return rubric.level(rating).rank


@dataclass(frozen=True)
class _Plan:
    """What readiness from one level toward one target needs, computed once per rubric."""

    current: Level
    target: Level
    applicable: tuple[Competency, ...]  # expected at the target
    ranks: dict[str, int]  # rating (level key or "below") -> rank
    bar: Bar
    outcomes: dict[str, int]  # rating -> MET, GAP or BLOCKER
    # Coverage with choices: competencies counted only when rated, and (choose, members) groups
    # of which the best `choose` count. Both empty on most ladders: everything applicable counts.
    optional: frozenset[str] = frozenset()
    groups: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def counted(self, ratings: Mapping[str, str | None]) -> tuple[Competency, ...]:
        """The competencies that count toward readiness for these ratings."""
        if not self.optional and not self.groups:
            return self.applicable
        left_out = {key for key in self.optional if ratings.get(key) is None}
        for choose, members in self.groups:
            best = sorted(members, key=lambda key: -self._rank(ratings.get(key)))  # stable: file order on ties
            left_out.update(best[choose:])
        return tuple(c for c in self.applicable if c.key not in left_out)

    def _rank(self, rating: str | None) -> int:
        return -1 if rating is None else self.ranks[rating]


MET, GAP, BLOCKER = 0, 1, 2


def _plan(rubric: Rubric, level_key: str, target_key: str) -> _Plan:
    return rubric.derived("readiness", (level_key, target_key), lambda: _build_plan(rubric, level_key, target_key))


def _build_plan(rubric: Rubric, level_key: str, target_key: str) -> _Plan:
    current = rubric.level(level_key)
    target = rubric.level(target_key)
    ranks = dict(rubric.rank_of)
    ranks[BELOW_CURRENT] = current.rank - 1
    outcomes = {rating: MET if rank >= target.rank else BLOCKER if rank < current.rank else GAP
                for rating, rank in ranks.items()}
    applicable = tuple(c for c in rubric.competencies if target.key in c.expectations)
    keys = {c.key for c in applicable}
    groups = tuple((g.choose, tuple(k for k in g.competencies if k in keys)) for g in rubric.rule.groups)
    return _Plan(current, target, applicable, ranks, rubric.bar_for(target.key, level_key), outcomes,
                 frozenset(rubric.rule.optional) & keys,
                 tuple((n, members) for n, members in groups if len(members) > n))


def compute_readiness(rubric: Rubric, level_key: str, target_key: str,
                      ratings: Mapping[str, str | None], source: str | None) -> Readiness:
    """Coverage, gaps and blockers for someone at `level_key` toward `target_key`.

    `ratings` maps competency keys to a level key, "below" or None (not rated). Only
    competencies with an expectation at the target count (optional ones when rated, the best
    of each group); blockers are those of them rated below the person's current level. Each
    rating is classified by the plan built once per rubric, level and target, the same table
    `summarize_readiness` counts with. On a points ladder: `points_readiness`.
    """
    if rubric.rule.is_points:
        return points_readiness(rubric, target_key, ratings, source)
    plan = _plan(rubric, level_key, target_key)
    counted = plan.counted(ratings)
    met, gaps, unrated, blockers = [], [], [], []
    for competency in counted:
        rating = ratings.get(competency.key)
        if rating is None:
            unrated.append(competency)
            continue
        outcome = plan.outcomes[rating]
        if outcome == MET:
            met.append(competency)
            continue
        rated_level = None if rating == BELOW_CURRENT else rubric.level(rating)
        gaps.append(Gap(competency, rated_level, plan.target.rank - plan.ranks[rating],
                        competency.expectations[target_key]))
        if outcome == BLOCKER:
            blockers.append(competency)
    gaps.sort(key=lambda gap: (-gap.distance, gap.competency.name))
    kept = {c.key for c in counted}
    set_aside = tuple((c, rubric.rule.group_of(c.key)) for c in plan.applicable if c.key not in kept)
    return Readiness(plan.target, source, counted, tuple(met), tuple(gaps), tuple(unrated),
                     tuple(blockers), plan.bar, set_aside)


def summarize_readiness(rubric: Rubric, level_key: str, target_key: str,
                        ratings: Mapping[str, str | None], source: str | None) -> ReadinessSummary:
    """The same coverage, bar and blocker count as `compute_readiness`, without the lists."""
    if rubric.rule.is_points:
        points_plan = _points_plan(rubric, target_key)
        total = sum(rubric.rule.points_of(ratings.get(c.key)) for c in points_plan.applicable)
        return ReadinessSummary(points_plan.target, source, 0, len(points_plan.applicable), 0, _POINTS_BAR, total,
                                points_plan.needed)
    plan = _plan(rubric, level_key, target_key)
    outcomes = plan.outcomes
    counted = plan.counted(ratings)
    met = blockers = 0
    for competency in counted:
        rating = ratings.get(competency.key)
        if rating is not None:
            outcome = outcomes[rating]
            if outcome == MET:
                met += 1
            elif outcome == BLOCKER:
                blockers += 1
    return ReadinessSummary(plan.target, source, met, len(counted), blockers, plan.bar)


# --- The points rule ----------------------------------------------------------------------------

_POINTS_BAR = Bar(1.0, 0)  # the whole points total, nothing else (kept so lists read one shape)


@dataclass(frozen=True)
class _PointsPlan:
    target: Level
    applicable: tuple[Competency, ...]  # the competencies of the target's tracks
    needed: int


def _points_plan(rubric: Rubric, target_key: str) -> _PointsPlan:
    return rubric.derived("points", target_key, lambda: _build_points_plan(rubric, target_key))


def _build_points_plan(rubric: Rubric, target_key: str) -> _PointsPlan:
    tracks = {t.key for t in rubric.tracks if target_key in t.levels}
    return _PointsPlan(rubric.level(target_key), tuple(c for c in rubric.competencies if tracks & set(c.tracks)),
                       rubric.rule.points_needed(target_key))


def points_readiness(rubric: Rubric, target_key: str, ratings: Mapping[str, str | None],
                     source: str | None) -> Readiness:
    """Points toward a level: the sum of the points of the milestone reached in each competency
    against the level's total. The gaps are what to work on: each competency's next milestone,
    those that add the most points first."""
    plan = _points_plan(rubric, target_key)
    rule = rubric.rule
    rated: list[Competency] = []
    unrated: list[Competency] = []
    gaps: list[Gap] = []
    for competency in plan.applicable:
        rating = ratings.get(competency.key)
        (rated if rule.points_of(rating) else unrated).append(competency)
        gap = _next_milestone(rule, competency, rating)
        if gap is not None:
            gaps.append(gap)
    gaps.sort(key=lambda gap: (-gap.points, gap.competency.name))
    total = sum(rule.points_of(ratings.get(c.key)) for c in plan.applicable)
    return Readiness(plan.target, source, plan.applicable, tuple(rated), tuple(gaps), tuple(unrated), (),
                     _POINTS_BAR, (), total, plan.needed)


def _next_milestone(rule: Rule, competency: Competency, rating: str | None) -> Gap | None:
    """The next milestone of a competency above its rating, and the points it adds (None at the top)."""
    now = rule.points_of(rating)
    reached = next((m for m in rule.milestones if m.key == rating), None)
    for milestone, points in rule.scale:
        if points > now and milestone.key in competency.expectations:
            return Gap(competency, reached, 1, competency.expectations[milestone.key], points - now, milestone)
    return None
