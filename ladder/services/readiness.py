"""Readiness for many people at once, with a bounded number of queries.

Pages that show readiness (a person, a team, the org report, the CSV) all load every review,
rating and verdict they need in a fixed number of statements, whatever the number of people:
list pages through `readiness_summaries` (figures only), the person page through
`readiness_for` (gaps and blockers explained).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from flask import Flask, current_app
from sqlalchemy import BindParameter, bindparam, case, func, select

from ..domain.readiness import (
    Readiness,
    ReadinessSummary,
    Target,
    compute_readiness,
    readiness_targets,
    summarize_readiness,
)
from ..domain.rubric import Rubric
from ..domain.statuses import BELOW_CURRENT, ReviewKind, ReviewStatus
from ..extensions import db
from ..models import VERDICTS, Rating, Review, ReviewCycle, User, Verdict
from .cycles import held_from_viewer
from .ladders import LoadedVersion, ladder_of, load_version
from .version_cache import Recent


class Source(NamedTuple):
    """The review a person's readiness goes on, as plain columns: list pages load one per row,
    and ORM objects there were a tenth of the team page (profiled)."""

    review_id: int
    subject_id: int
    kind: str  # "manager" or "self"
    cycle_id: int
    ladder_version_id: int
    lock_version: int  # bumped by every save of the review (its reopening too)
    updated_at: datetime

    @property
    def stamp(self) -> tuple[int, int, datetime, int]:
        """What the review's ratings are as long as it stays the same: see `_ratings_of`."""
        return self.review_id, self.lock_version, self.updated_at, self.ladder_version_id


class LatestVerdict(NamedTuple):
    """The latest verdict toward one target level, as the lists and the readiness panel show it."""

    verdict: str
    created_at: datetime

    @property
    def label(self) -> str:
        return VERDICTS[self.verdict]


@dataclass
class PersonReadiness:
    """Readiness of one person toward the target on every track, and what it is based on.
    List pages hold `ReadinessSummary` results; the person page the full `Readiness`."""

    person: Any  # a User, or the report's lightweight row with the same columns
    source: str | None  # "manager", "self" or None
    loaded: LoadedVersion | None
    ratings: Mapping[str, str | None] = field(default_factory=dict)  # read-only: see `_ratings_of`
    results: list[tuple[Target, Readiness | ReadinessSummary | None]] = field(default_factory=list)
    verdicts: dict[str, LatestVerdict] = field(default_factory=dict)  # by target level key


@dataclass
class PersonReadinessDetail(PersonReadiness):
    """The person page's readiness: full results, and the review and cycle they come from."""

    review: Review | None = None
    cycle: ReviewCycle | None = None


# The statements every list page runs, built once with bind parameters: building a SELECT
# (and its cache key) per request cost more CPU than running it (2.6 -> 1.0 ms, measured).
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_RANKED = (
    select(Review.id, Review.subject_id, Review.kind, Review.cycle_id,
           func.coalesce(Review.ladder_version_id, ReviewCycle.ladder_version_id).label("version_id"),
           Review.lock_version, Review.updated_at,
           func.row_number().over(
               partition_by=Review.subject_id,
               order_by=(ReviewCycle.opens_on.desc(), case((Review.kind == ReviewKind.MANAGER, 1), else_=0).desc(),
                         Review.id.desc()),
           ).label("place"))
    .join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
    .where(Review.subject_id.in_(_IDS),
           ((Review.kind == ReviewKind.MANAGER) & (Review.status == ReviewStatus.SHARED)
            & ~held_from_viewer(Review.subject_id, Review.cycle_id))
           | ((Review.kind == ReviewKind.SELF) & (Review.status == ReviewStatus.SUBMITTED)))
    .subquery()
)
_LATEST_SOURCES = select(*list(_RANKED.c)[:len(Source._fields)]).where(_RANKED.c.place == 1)
_RATING = Rating.__table__.c  # Core columns, not ORM attributes: plain tuples (profiled)
_RATINGS = select(_RATING.review_id, _RATING.competency_id, _RATING.level_id, _RATING.below_current).where(
    _RATING.review_id.in_(_IDS))
_VERDICTS = (select(Verdict.subject_id, Verdict.target_level_key, Verdict.verdict, Verdict.created_at)
             .where(Verdict.subject_id.in_(_IDS), ~held_from_viewer(Verdict.subject_id, Verdict.cycle_id))
             .order_by(Verdict.created_at, Verdict.id))


def _latest_sources(subject_ids: list[int], viewer_id: int) -> dict[int, Source]:
    """Per person, the latest shared manager review, else the latest submitted self-review; for
    the viewer's own row, a manager review their cycle still holds from them does not count.

    One query; a window function keeps only each person's winner (later cycles first, within
    a cycle a shared manager review before the self-review), so only those rows are read.
    """
    rows = db.session.execute(_LATEST_SOURCES, {"ids": subject_ids, "viewer": viewer_id}).all()
    return {row[1]: Source(*row) for row in rows}


def ratings_by_review(review_ids: list[int],
                      loaded_by_review: dict[int, LoadedVersion]) -> dict[int, dict[str, str | None]]:
    """Ratings of many reviews as {review id: {competency key: level key or "below"}} (one query)."""
    result: dict[int, dict[str, str | None]] = {rid: {} for rid in review_ids}
    if not review_ids:
        return result
    # fetched with .all() (one fetchall), not by iterating the result (a fetchone per row):
    # 2.8 -> 1.5 ms CPU for 1,200 ratings (profiled)
    rows = db.session.execute(_RATINGS, {"ids": review_ids}).all()
    per_review = {rid: (result[rid], loaded.level_keys,
                        loaded.competency_keys) for rid, loaded in loaded_by_review.items()}
    for review_id, competency_id, level_id, below in rows:
        ratings, level_keys, competency_keys = per_review[review_id]
        ratings[competency_keys[competency_id]] = BELOW_CURRENT if below else level_keys.get(level_id)
    return result


RATINGS_EXTENSION = "ladder.source_ratings"
DEFAULT_RATINGS_CACHE_SIZE = 4096


def init_app(app: Flask) -> None:
    app.extensions[RATINGS_EXTENSION] = Recent(app.config.get("RATINGS_CACHE_SIZE", DEFAULT_RATINGS_CACHE_SIZE),
                                               "RATINGS_CACHE_SIZE")


def _ratings_of(sources: Iterable[Source],
                loaded_by_review: dict[int, LoadedVersion]) -> dict[int, Mapping[str, str | None]]:
    """The ratings of readiness sources by review id, read only for those the process has not
    kept. A source is a submitted self-review or a shared manager review: its ratings change
    only after it is reopened as a draft, and every save bumps its lock_version and updated_at,
    so the ratings read for a `Source.stamp` stay its ratings. Kept read-only, shared by requests:
    reading them was the largest statement of the team page and the report (1.4 ms of CPU)."""
    kept: Recent[tuple, Mapping[str, str | None]] = current_app.extensions[RATINGS_EXTENSION]
    out: dict[int, Mapping[str, str | None]] = {}
    unread: dict[int, Source] = {}
    for source in sources:
        ratings = kept.get(source.stamp)
        if ratings is None:
            unread[source.review_id] = source
        else:
            out[source.review_id] = ratings
    if unread:
        read = ratings_by_review(list(unread), {rid: loaded_by_review[rid] for rid in unread})
        for review_id, source in unread.items():
            out[review_id] = MappingProxyType(read[review_id])
            kept.put(source.stamp, out[review_id])
    return out


def latest_verdicts(subject_ids: list[int], viewer_id: int = 0) -> dict[int, dict[str, LatestVerdict]]:
    """The latest verdict per person and target level (one query, plain columns); the viewer's
    own verdicts of a cycle that holds results from them are left out."""
    out: dict[int, dict[str, LatestVerdict]] = {sid: {} for sid in subject_ids}
    params = {"ids": subject_ids, "viewer": viewer_id}
    for subject_id, target_key, verdict, created_at in db.session.execute(_VERDICTS, params).all():
        out[subject_id][target_key] = LatestVerdict(verdict, created_at)
    return out


# How readiness toward one target is computed: the full explanation, or only a list's figures.
Compute = Callable[[Rubric, str, str, Mapping[str, str | None], str | None], Readiness | ReadinessSummary]
Entry = TypeVar("Entry", bound="PersonReadiness")


def _readiness(people: list[Any], compute: Compute, entry_type: type[Entry],
               viewer_id: int) -> tuple[dict[int, Entry], dict[int, Source]]:
    """Each person's source review, ratings, verdicts and `compute(...)` toward every track's
    target, in four statements whatever the number of people."""
    ids = [p.id for p in people]
    if not ids:
        return {}, {}
    sources = _latest_sources(ids, viewer_id)
    loaded_by_review = {s.review_id: load_version(s.ladder_version_id) for s in sources.values()}
    ratings = _ratings_of(sources.values(), loaded_by_review)
    verdicts = latest_verdicts(ids, viewer_id)
    out: dict[int, Entry] = {}
    for person in people:
        source = sources.get(person.id)
        loaded = loaded_by_review[source.review_id] if source else ladder_of(person)
        kind = source.kind if source else None
        entry = entry_type(person, kind, loaded, ratings[source.review_id] if source else {},
                           verdicts=verdicts[person.id])
        if (loaded is not None and loaded.rubric.has_level(person.level_key)
                and loaded.rubric.has_track(person.track_key)):
            rubric = loaded.rubric
            for target in readiness_targets(rubric, person.level_key, person.track_key):
                result = None
                if target.level is not None:
                    result = compute(rubric, person.level_key, target.level.key, entry.ratings, kind)
                entry.results.append((target, result))
        out[person.id] = entry
    return out, sources


def readiness_summaries(people: list[Any], *, viewer_id: int = 0) -> dict[int, PersonReadiness]:
    """Coverage, the bar and blocker counts toward every track's target for each person (the
    team page, the org report, the CSV), in a bounded number of queries. `viewer_id`: whoever
    looks, so results held from them are not counted in their own row."""
    return _readiness(people, summarize_readiness, PersonReadiness, viewer_id)[0]


def readiness_for(person: User, *, viewer_id: int = 0) -> PersonReadinessDetail:
    """Full readiness for one person's page: gaps, blockers, unrated competencies, and the
    review and cycle it goes on (one statement more than the summaries). When the viewer is
    the person, manager reviews and verdicts their cycle still holds are left out."""
    entries, sources = _readiness([person], compute_readiness, PersonReadinessDetail, viewer_id)
    entry = entries[person.id]
    source = sources.get(person.id)
    if source is not None:
        entry.review, entry.cycle = db.session.execute(
            select(Review, ReviewCycle).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
            .where(Review.id == source.review_id)).one()
    return entry


@dataclass
class HistoryPoint:
    """Readiness in one past or current cycle, from the review readiness would have used then."""

    cycle: ReviewCycle
    source: str  # "manager" or "self"
    results: dict[str, Readiness | None]  # per track key, toward today's target on that track


def readiness_history(person: User, targets: list[Target], *, viewer_id: int = 0) -> list[HistoryPoint]:
    """Readiness toward today's targets in every cycle the person has a usable review, oldest
    first: a shared manager review (not one held from the viewer), else a submitted self-review
    (what readiness uses), so the history shows nothing the person page would hide. Three
    statements, whatever the number of cycles."""
    rows = db.session.execute(
        select(Review, ReviewCycle).join(ReviewCycle, ReviewCycle.id == Review.cycle_id)
        .where(Review.subject_id == person.id,
               ((Review.kind == ReviewKind.MANAGER) & (Review.status == ReviewStatus.SHARED)
                & ~held_from_viewer(Review.subject_id, Review.cycle_id))
               | ((Review.kind == ReviewKind.SELF) & (Review.status == ReviewStatus.SUBMITTED)))
        .order_by(ReviewCycle.opens_on, Review.id), {"viewer": viewer_id}
    ).all()
    per_cycle: dict[int, tuple[Review, ReviewCycle]] = {}
    for review, cycle in rows:
        if cycle.id not in per_cycle or review.kind == ReviewKind.MANAGER:
            per_cycle[cycle.id] = (review, cycle)
    loaded_by_review = {review.id: load_version(review.ladder_version_id or cycle.ladder_version_id)
                        for review, cycle in per_cycle.values()}
    ratings = ratings_by_review(list(loaded_by_review), loaded_by_review)
    history = []
    for review, cycle in per_cycle.values():
        rubric = loaded_by_review[review.id].rubric
        results: dict[str, Readiness | None] = {}
        for target in targets:
            level = target.level
            results[target.track_key] = (
                compute_readiness(rubric, review.subject_level_key, level.key, ratings[review.id], review.kind)
                if level is not None and rubric.has_level(level.key) and rubric.has_level(review.subject_level_key)
                else None)
        history.append(HistoryPoint(cycle, review.kind, results))
    return history
