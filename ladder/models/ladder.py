"""The ladder as stored: a ladder, its immutable published versions and their contents.

The YAML file is the source of truth for people editing a ladder; these tables are what
reviews point at, so a rating always refers to an expectation that still exists.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.statuses import VersionStatus
from ..extensions import Model

VERSION_STATUSES = VersionStatus.values()


class Ladder(Model):
    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    versions: Mapped[list[LadderVersion]] = relationship(
        back_populates="ladder", lazy="raise", order_by="LadderVersion.number"
    )


class LadderVersion(Model):
    """One version of a ladder. Published versions never change; edits make a new draft."""

    __tablename__ = "framework_versions"
    __table_args__ = (
        UniqueConstraint("framework_id", "number"),
        CheckConstraint(f"status IN {VERSION_STATUSES}", name="status"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("default_min_coverage BETWEEN 0 AND 1", name="coverage_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ladder_id: Mapped[int] = mapped_column("framework_id", ForeignKey("frameworks.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    default_min_coverage: Mapped[float] = mapped_column(Float, default=0.8)
    default_max_blockers: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None]
    # Declared readiness moves between tracks, [{from, to, track, bar?}] (format 2); NULL: a
    # format 1 ladder, whose targets are a level of every track.
    transitions: Mapped[list | None] = mapped_column(JSON)
    # The readiness rule when it is not plain coverage: {"rule": "coverage", "optional": [...],
    # "groups": [...]} or {"rule": "points", "milestones": [[key, points], ...], "points": {level: total}};
    # a points ladder's milestones are rows of `levels` (ratings refer to them) on no track.
    readiness_rule: Mapped[dict | None] = mapped_column(JSON)

    ladder: Mapped[Ladder] = relationship(back_populates="versions", lazy="raise")

    @property
    def is_points(self) -> bool:
        """A points ladder: its milestones and totals have no spreadsheet columns."""
        return self.readiness_rule is not None and self.readiness_rule.get("rule") == "points"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class Level(Model):
    __tablename__ = "levels"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int]
    summary: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]
    min_coverage: Mapped[float | None] = mapped_column(Float)
    max_blockers: Mapped[int | None]
    code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    titles: Mapped[dict | None] = mapped_column(JSON, default=dict)  # per-track titles: {track key: title}
    # Earlier keys, space-separated: a new version maps renamed things so people and history carry over.
    renamed_from: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Track(Model):
    __tablename__ = "tracks"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    # Earlier keys, space-separated: a new version maps renamed things so people and history carry over.
    renamed_from: Mapped[str] = mapped_column(String(200), default="", server_default="")


class TrackLevel(Model):
    """The ordered path of levels of one track (levels may be shared between tracks)."""

    __tablename__ = "track_levels"
    __table_args__ = (UniqueConstraint("track_id", "level_id"),)

    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("levels.id", ondelete="CASCADE"), index=True)


class Area(Model):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]


class Competency(Model):
    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("framework_versions.id", ondelete="CASCADE"), index=True
    )
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int]
    # Earlier keys, space-separated: a new version maps renamed things so people and history carry over.
    renamed_from: Mapped[str] = mapped_column(String(200), default="", server_default="")


class CompetencyTrack(Model):
    __tablename__ = "competency_tracks"

    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True
    )
    track_id: Mapped[int] = mapped_column(
        ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Expectation(Model):
    """What a competency looks like at one level: observable behaviour, scope and impact."""

    __tablename__ = "expectations"

    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True
    )
    level_id: Mapped[int] = mapped_column(
        ForeignKey("levels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)
