"""Storing rubrics as ladder versions and reading them back as plain domain data."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import bindparam, func, select

from .. import clock
from ..domain.rubric import Area as RubricArea
from ..domain.rubric import Bar, Group, Rubric, Rule, Transition, default_rubric_path, load_rubric
from ..domain.rubric import Competency as RubricCompetency
from ..domain.rubric import Level as RubricLevel
from ..domain.rubric import Track as RubricTrack
from ..domain.statuses import VersionStatus
from ..extensions import db
from ..models import (
    Area,
    Competency,
    CompetencyTrack,
    Expectation,
    Ladder,
    LadderVersion,
    Level,
    Track,
    TrackLevel,
    User,
)
from .placements import carry_over, check_fit, default_ladder
from .version_cache import cached_version, forget_this_request, once_per_request, published_versions


@dataclass(frozen=True)
class LoadedVersion:
    """A ladder version as domain data, with the row ids ratings refer to."""

    version_id: int
    number: int
    status: str
    rubric: Rubric
    competency_ids: dict[str, int]
    level_ids: dict[str, int]

    @cached_property  # computed once per cached version, not once per rating row
    def competency_keys(self) -> dict[int, str]:
        return {v: k for k, v in self.competency_ids.items()}

    @cached_property
    def level_keys(self) -> dict[int, str]:
        return {v: k for k, v in self.level_ids.items()}


def store_rubric(rubric: Rubric, *, publish: bool, now: datetime | None = None) -> LadderVersion:
    """Add the rubric as the next version of its ladder (creating the ladder if new)."""
    ladder = db.session.scalar(select(Ladder).where(Ladder.key == rubric.key))
    if ladder is None:
        ladder = Ladder(key=rubric.key, name=rubric.name)
        db.session.add(ladder)
        db.session.flush()
    ladder.name = rubric.name
    number = (db.session.scalar(
        select(func.max(LadderVersion.number)).where(LadderVersion.ladder_id == ladder.id)
    ) or 0) + 1
    version = LadderVersion(
        ladder_id=ladder.id, number=number, name=rubric.name,
        description=rubric.description,
        status=VersionStatus.PUBLISHED if publish else VersionStatus.DRAFT,
        published_at=(now or clock.now()) if publish else None,
        default_min_coverage=rubric.default_bar.min_coverage,
        default_max_blockers=rubric.default_bar.max_blockers,
        transitions=None if rubric.transitions is None else [
            {"from": t.from_level, "to": t.to_level, "track": t.track_key,
             "bar": [t.bar.min_coverage, t.bar.max_blockers] if t.bar else None} for t in rubric.transitions],
        readiness_rule=_rule_data(rubric.rule),
    )
    db.session.add(version)
    db.session.flush()

    level_rows: dict[str, Level] = {}
    for position, level in enumerate(rubric.levels + rubric.rule.milestones):
        bar = rubric.bars.get(level.key)
        level_rows[level.key] = Level(version_id=version.id, key=level.key, name=level.name, rank=level.rank,
                    summary=level.summary, position=position,
                    min_coverage=bar.min_coverage if bar else None,
                    max_blockers=bar.max_blockers if bar else None, renamed_from=" ".join(level.renamed_from),
                    code=level.code, titles=dict(level.titles))
    db.session.add_all(level_rows.values())
    track_rows = {t.key: Track(version_id=version.id, key=t.key, name=t.name, position=i,
                               renamed_from=" ".join(t.renamed_from))
                  for i, t in enumerate(rubric.tracks)}
    db.session.add_all(track_rows.values())
    db.session.flush()
    db.session.add_all(
        TrackLevel(track_id=track_rows[t.key].id, position=i, level_id=level_rows[lv].id)
        for t in rubric.tracks for i, lv in enumerate(t.levels)
    )
    position = 0
    for area_position, area in enumerate(rubric.areas):
        area_row = Area(version_id=version.id, key=area.key, name=area.name,
                        description=area.description, position=area_position)
        db.session.add(area_row)
        db.session.flush()
        for competency in area.competencies:
            row = Competency(version_id=version.id, area_id=area_row.id, key=competency.key,
                             name=competency.name, description=competency.description,
                             position=position, renamed_from=" ".join(competency.renamed_from))
            position += 1
            db.session.add(row)
            db.session.flush()
            db.session.add_all(CompetencyTrack(competency_id=row.id, track_id=track_rows[t].id)
                               for t in competency.tracks)
            db.session.add_all(Expectation(competency_id=row.id, level_id=level_rows[lv].id, text=text)
                               for lv, text in competency.expectations.items())
    db.session.flush()
    if publish:
        forget_this_request()  # this request may already know which version was current
    return version


def _rule_data(rule: Rule) -> dict | None:
    """The readiness rule as stored (None for plain coverage; milestones are level rows)."""
    if rule == Rule():
        return None
    if rule.is_points:
        return {"rule": rule.kind, "milestones": [[m.key, p] for m, p in rule.scale],
                "points": dict(rule.level_points)}
    return {"rule": rule.kind, "optional": list(rule.optional),
            "groups": [[g.key, g.name, g.choose, list(g.competencies)] for g in rule.groups]}


def _rule_of(data: dict | None, levels: dict[str, RubricLevel]) -> Rule:
    if data is None:
        return Rule()
    if data["rule"] == "points":
        return Rule("points", milestones=tuple(levels[key] for key, _ in data["milestones"]),
                    milestone_points=tuple(points for _, points in data["milestones"]),
                    level_points=tuple(data["points"].items()))
    return Rule(data["rule"], optional=tuple(data["optional"]),
                groups=tuple(Group(key, name, choose, tuple(members)) for key, name, choose, members in data["groups"]))


def load_version(version_id: int) -> LoadedVersion:
    """The rubric of a ladder version, from the version cache when it is published (the
    cache and its rules: services/version_cache.py)."""
    return cached_version(version_id, _read_version)


def forget_version(version_id: int) -> None:
    """Drop a version from the cache after its row changed status or was deleted, and what this
    request already worked out about which versions are current."""
    published_versions().discard(version_id)
    forget_this_request()


def _track_paths(version_id: int, tracks: Sequence[Track], level_keys: dict[int, str]) -> dict[int, list[str]]:
    """Each track's levels in order, by track id."""
    paths: dict[int, list[str]] = {t.id: [] for t in tracks}
    for row in db.session.scalars(
        select(TrackLevel).join(Track, Track.id == TrackLevel.track_id)
        .where(Track.version_id == version_id).order_by(TrackLevel.track_id, TrackLevel.position)
    ):
        paths[row.track_id].append(level_keys[row.level_id])
    return paths


def _competency_tracks(version_id: int, competencies: Sequence[Competency],
                       track_keys: dict[int, str]) -> dict[int, list[str]]:
    """The tracks each competency applies to, by competency id."""
    comp_tracks: dict[int, list[str]] = {c.id: [] for c in competencies}
    for row in db.session.scalars(
        select(CompetencyTrack).join(Track, Track.id == CompetencyTrack.track_id)
        .where(Track.version_id == version_id).order_by(Track.position)
    ):
        comp_tracks[row.competency_id].append(track_keys[row.track_id])
    return comp_tracks


def _expectation_texts(version_id: int, competencies: Sequence[Competency],
                       level_keys: dict[int, str]) -> dict[int, dict[str, str]]:
    """{competency id: {level key: what is expected}}."""
    texts: dict[int, dict[str, str]] = {c.id: {} for c in competencies}
    for row in db.session.scalars(
        select(Expectation).join(Competency, Competency.id == Expectation.competency_id)
        .where(Competency.version_id == version_id)
    ):
        texts[row.competency_id][level_keys[row.level_id]] = row.text
    return texts


def _rubric_levels(levels: Sequence[Level]) -> dict[str, RubricLevel]:
    """Every level row by key: the ladder's levels and, on a points ladder, its milestones."""
    return {lv.key: RubricLevel(lv.key, lv.name, lv.rank, lv.summary, tuple(lv.renamed_from.split()), lv.code,
                                tuple((lv.titles or {}).items())) for lv in levels}


def _rubric_competency(row: Competency, area_key: str, track_keys: list[str], scale: list[str],
                       texts: dict[str, str]) -> RubricCompetency:
    """A competency with its expectations in the order of its scale (levels, or milestones)."""
    ordered = {lv: texts[lv] for lv in scale if lv in texts}
    return RubricCompetency(row.key, row.name, row.description, area_key, tuple(track_keys), ordered,
                            tuple(row.renamed_from.split()))


def _read_version(version_id: int) -> LoadedVersion:
    version = db.session.get_one(LadderVersion, version_id)
    ladder = db.session.get_one(Ladder, version.ladder_id)
    levels = db.session.scalars(select(Level).where(Level.version_id == version_id).order_by(Level.position)).all()
    level_keys = {lv.id: lv.key for lv in levels}
    tracks = db.session.scalars(select(Track).where(Track.version_id == version_id).order_by(Track.position)).all()
    track_keys = {t.id: t.key for t in tracks}
    paths = _track_paths(version_id, tracks, level_keys)
    competencies = db.session.scalars(
        select(Competency).where(Competency.version_id == version_id).order_by(Competency.position)
    ).all()
    comp_tracks = _competency_tracks(version_id, competencies, track_keys)
    texts = _expectation_texts(version_id, competencies, level_keys)
    areas = db.session.scalars(select(Area).where(Area.version_id == version_id).order_by(Area.position)).all()

    rubric_tracks = tuple(RubricTrack(t.key, t.name, tuple(paths[t.id]), tuple(t.renamed_from.split()))
                          for t in tracks)
    path_of = {t.key: t.levels for t in rubric_tracks}

    all_levels = _rubric_levels(levels)
    rule = _rule_of(version.readiness_rule, all_levels)
    milestone_keys = [m.key for m in rule.milestones]

    def competency(row: Competency, area_key: str) -> RubricCompetency:
        scale = milestone_keys or [lv for t in comp_tracks[row.id] for lv in path_of[t]]
        return _rubric_competency(row, area_key, comp_tracks[row.id], scale, texts[row.id])

    rubric = Rubric(
        key=ladder.key,
        name=version.name,
        description=version.description,
        levels=tuple(level for key, level in all_levels.items() if key not in milestone_keys),
        tracks=rubric_tracks,
        areas=tuple(
            RubricArea(a.key, a.name, a.description,
                       tuple(competency(c, a.key) for c in competencies if c.area_id == a.id))
            for a in areas
        ),
        default_bar=Bar(version.default_min_coverage, version.default_max_blockers),
        bars={lv.key: Bar(lv.min_coverage, lv.max_blockers or 0) for lv in levels if lv.min_coverage is not None},
        transitions=None if version.transitions is None else tuple(
            Transition(t["from"], t["to"], t["track"],
                       Bar(*t["bar"]) if t["bar"] else None) for t in version.transitions),
        rule=rule,
    )
    return LoadedVersion(version.id, version.number, version.status, rubric,
                         {c.key: c.id for c in competencies}, {lv.key: lv.id for lv in levels})


_LATEST_PUBLISHED = (select(LadderVersion).join(Ladder)
                     .where(Ladder.key == bindparam("key"), LadderVersion.status == VersionStatus.PUBLISHED)
                     .order_by(LadderVersion.number.desc()).limit(1))


def latest_published(ladder_key: str) -> LadderVersion | None:
    """The newest published version of a ladder (every page asks for the current ladder)."""
    return db.session.scalar(_LATEST_PUBLISHED, {"key": ladder_key})


def versions_of(ladder_key: str) -> list[LadderVersion]:
    return list(db.session.scalars(
        select(LadderVersion).join(Ladder).where(Ladder.key == ladder_key)
        .order_by(LadderVersion.number)
    ))


def current_rubric() -> LoadedVersion | None:
    """The latest published version of the default ladder (looked up once a request: templates
    name levels with it once a row, 134 times on a calibration page)."""
    def look_up() -> LoadedVersion | None:
        version_id = default_ladder()[2]
        return load_version(version_id) if version_id is not None else None
    return once_per_request("current rubric", look_up)


_ALL_PUBLISHED = (select(LadderVersion.ladder_id, LadderVersion.id)
                  .where(LadderVersion.status == VersionStatus.PUBLISHED)
                  .order_by(LadderVersion.ladder_id, LadderVersion.number.desc()))


def published_ladders() -> dict[int, LoadedVersion]:
    """Every ladder's latest published version, by ladder id (one query, once a request)."""
    def look_up() -> dict[int, LoadedVersion]:
        ladders: dict[int, LoadedVersion] = {}
        for ladder_id, version_id in db.session.execute(_ALL_PUBLISHED).all():
            if ladder_id not in ladders:
                ladders[ladder_id] = load_version(version_id)
        return ladders
    return once_per_request("published", look_up)


def published_by_key() -> dict[str, LoadedVersion]:
    return {loaded.rubric.key: loaded for loaded in published_ladders().values()}


def ladder_of(person: User) -> LoadedVersion | None:
    """The latest published version of a person's ladder (the default ladder when they have none)."""
    if person.ladder_id is not None:
        return published_ladders().get(person.ladder_id)
    return current_rubric()


def import_rubric(rubric: Rubric, *, publish: bool = True) -> tuple[LadderVersion, bool]:
    """Store a rubric unless it equals the latest published version; returns (version, created).

    Publishing checks that everyone on the ladder has a place in it (raising PeopleDoNotFit,
    storing nothing) and carries people on renamed levels and tracks over.
    """
    latest = latest_published(rubric.key)
    if latest is not None and load_version(latest.id).rubric == rubric:
        return latest, False
    ladder = db.session.scalar(select(Ladder).where(Ladder.key == rubric.key))
    if publish and ladder is not None:
        check_fit(ladder, rubric, f"the imported {rubric.name}")
    version = store_rubric(rubric, publish=publish)
    if publish:
        carry_over(db.session.get_one(Ladder, version.ladder_id), rubric)
    return version, True


def load_default_ladder() -> tuple[LadderVersion, bool]:
    return import_rubric(load_rubric(default_rubric_path()))
