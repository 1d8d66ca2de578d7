"""Ladder versions for admins: drafts from the latest published version, editing a draft's YAML
with the same validator as file imports, the diff, publishing. Published versions never change."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from .. import clock
from ..domain.ladder_diff import LadderDiff, diff_rubrics
from ..domain.ladder_fit import Misfit, misfits
from ..domain.ladder_spreadsheet import ladder_csv, read_ladder_csv
from ..domain.rubric import Problem, Rubric, RubricError, dump_rubric, parse_rubric
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
    ReviewCycle,
    Track,
    TrackLevel,
    User,
)
from . import audit, placements
from .ladders import forget_version, latest_published, load_version, store_rubric


class LadderError(ValueError):
    """An action on a ladder version that is not allowed (a published version, a second draft)."""


def ladders() -> list[tuple[Ladder, list[LadderVersion]]]:
    """Every ladder with all its versions, newest first."""
    result = []
    for ladder in db.session.scalars(select(Ladder).order_by(Ladder.name)):
        versions = list(db.session.scalars(select(LadderVersion).where(LadderVersion.ladder_id == ladder.id)
                                           .order_by(LadderVersion.number.desc())))
        result.append((ladder, versions))
    return result


def cycles_per_version() -> dict[int, int]:
    return dict(db.session.execute(select(ReviewCycle.ladder_version_id, func.count(ReviewCycle.id))
                                   .group_by(ReviewCycle.ladder_version_id)).all())


def version_by_number(ladder_key: str, number: int) -> LadderVersion | None:
    return db.session.scalar(select(LadderVersion).join(Ladder)
                             .where(Ladder.key == ladder_key, LadderVersion.number == number))


def draft_of(ladder_id: int) -> LadderVersion | None:
    return db.session.scalar(select(LadderVersion).where(LadderVersion.ladder_id == ladder_id,
                                                            LadderVersion.status == VersionStatus.DRAFT))


def yaml_of(version: LadderVersion) -> str:
    return dump_rubric(load_version(version.id).rubric, version.number)


def _store_draft(rubric: Rubric, ladder_name: str | None) -> LadderVersion:
    version = store_rubric(rubric, publish=False)
    if ladder_name is not None:  # a draft does not rename the live ladder until published
        db.session.get_one(Ladder, version.ladder_id).name = ladder_name
    db.session.flush()
    return version


def create_draft(ladder: Ladder, *, actor: User) -> LadderVersion:
    """A new draft with the content of the latest published version (one draft at a time)."""
    existing = draft_of(ladder.id)
    if existing is not None:
        raise LadderError(f"Version {existing.number} is already a draft; edit it or delete it first.")
    latest = latest_published(ladder.key)
    if latest is None:
        raise LadderError("This ladder has no published version to start from.")
    version = _store_draft(load_version(latest.id).rubric, ladder.name)
    audit.record(actor.id, "ladder.draft", "framework_version", version.id, None,
                 {"framework": ladder.key, "number": version.number, "from": latest.number})
    return version


def parse_for(ladder: Ladder | None, text: str, source: str) -> Rubric:
    """The one validator for ladder YAML (file uploads and the browser editor alike), plus the
    rule that a draft keeps its ladder's key."""
    rubric = parse_rubric(text, source)
    if ladder is not None and rubric.key != ladder.key:
        raise RubricError(source, [Problem("key", f"must stay {ladder.key!r}: this is a draft of that ladder",
                                           _line_of_key(text))])
    return rubric


def _line_of_key(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("key:"):
            return number
    return None


def _forget_content_rows() -> None:
    """The database cascaded the draft's rows away; drop their stale copies from the session
    (SQLite may hand the same ids to the rows stored next)."""
    content = (Area, Competency, CompetencyTrack, Expectation, Level, Track, TrackLevel)
    for obj in [o for o in db.session.identity_map.values() if isinstance(o, content)]:
        db.session.expunge(obj)


def replace_draft(version: LadderVersion, rubric: Rubric, *, actor: User) -> LadderVersion:
    """Give a draft new content, keeping its number (the draft is stored again as a whole)."""
    if version.is_published:
        raise LadderError("Published versions never change; create a draft to edit the ladder.")
    ladder = db.session.get_one(Ladder, version.ladder_id)
    before = load_version(version.id).rubric
    number, old_id = version.number, version.id
    db.session.delete(version)
    db.session.flush()
    _forget_content_rows()
    forget_version(old_id)
    new_version = _store_draft(rubric, ladder.name)
    assert new_version.number == number, "a draft is always the newest version"
    changes = diff_rubrics(before, rubric).summary()
    audit.record(actor.id, "ladder.edit", "framework_version", new_version.id, None,
                 {"framework": ladder.key, "number": number, **changes})
    return new_version


def upload_draft(text: str, source: str, *, actor: User) -> LadderVersion:
    """A draft from an uploaded YAML file (a new ladder if the key is new); invalid files
    raise RubricError listing every problem and change nothing."""
    rubric = parse_rubric(text, source)
    return _uploaded_draft(rubric, _without_draft(rubric.key), source, actor.id)


def spreadsheet_draft(text: str, source: str, *, key: str, name: str | None, actor_id: int | None) -> LadderVersion:
    """A draft from a spreadsheet (CSV) of a new ladder or of an existing one, whose latest
    published version keeps what a spreadsheet has no column for (readiness bars, transitions,
    renames). Invalid rows raise RubricError naming each row and column; nothing changes."""
    ladder = _without_draft(key)
    latest = latest_published(key) if ladder is not None else None
    name = name or (ladder.name if ladder is not None else None)
    if not name:
        raise LadderError(f"There is no ladder {key!r} yet: give the new ladder a name.")
    rubric = read_ladder_csv(text, key=key, name=name, base=load_version(latest.id).rubric if latest else None,
                             source=source)
    return _uploaded_draft(rubric, ladder, source, actor_id)


def _without_draft(key: str) -> Ladder | None:
    """The ladder of this key, if any; refused if it already has a draft (one at a time)."""
    ladder = db.session.scalar(select(Ladder).where(Ladder.key == key))
    if ladder is not None:
        existing = draft_of(ladder.id)
        if existing is not None:
            raise LadderError(f"{ladder.name} already has a draft (version {existing.number}); "
                              "edit it, or delete it before uploading another.")
    return ladder


def _uploaded_draft(rubric: Rubric, ladder: Ladder | None, source: str, actor_id: int | None) -> LadderVersion:
    version = _store_draft(rubric, ladder.name if ladder else None)
    audit.record(actor_id, "ladder.upload", "framework_version", version.id, None,
                 {"framework": rubric.key, "number": version.number, "file": source[:200]})
    return version


def csv_of(version: LadderVersion) -> str:
    """A version as spreadsheet rows (the columns a spreadsheet import reads)."""
    return ladder_csv(load_version(version.id).rubric)


def delete_draft(version: LadderVersion, *, actor: User) -> None:
    if version.is_published:
        raise LadderError("Published versions are kept forever: reviews refer to them.")
    ladder = db.session.get_one(Ladder, version.ladder_id)
    audit.record(actor.id, "ladder.delete_draft", "framework_version", version.id, None,
                 {"framework": ladder.key, "number": version.number})
    forget_version(version.id)
    db.session.delete(version)
    db.session.flush()
    _forget_content_rows()
    if not db.session.scalar(select(func.count(LadderVersion.id))
                             .where(LadderVersion.ladder_id == ladder.id)):
        db.session.delete(ladder)  # an uploaded ladder that was never published
        db.session.flush()


def diff_against_published(version: LadderVersion,
                           against_number: int | None = None) -> tuple[LadderVersion | None, LadderDiff | None]:
    """The diff of a version against another one: by default the latest published version
    (or, for a published version, the one before it)."""
    ladder = db.session.get_one(Ladder, version.ladder_id)
    if against_number is not None:
        base = version_by_number(ladder.key, against_number)
    else:
        base = db.session.scalar(select(LadderVersion).where(
            LadderVersion.ladder_id == ladder.id, LadderVersion.status == VersionStatus.PUBLISHED,
            LadderVersion.number < version.number).order_by(LadderVersion.number.desc()).limit(1))
    if base is None:
        return None, None
    return base, diff_rubrics(load_version(base.id).rubric, load_version(version.id).rubric)


def misfits_of(version: LadderVersion) -> list[Misfit]:
    """The active people on the ladder who would have no level or track in this version."""
    ladder = db.session.get_one(Ladder, version.ladder_id)
    return misfits(load_version(version.id).rubric, placements.placements_on(ladder))


def publish(version: LadderVersion, *, actor: User, now: datetime | None = None) -> None:
    """Make a draft the current ladder; from now on it never changes."""
    if version.is_published:
        raise LadderError(f"Version {version.number} is already published.")
    base, diff = diff_against_published(version)
    if base is not None and diff is not None and diff.empty:
        raise LadderError(f"This draft is identical to version {base.number}; there is nothing to publish.")
    ladder = db.session.get_one(Ladder, version.ladder_id)
    rubric = load_version(version.id).rubric
    try:
        placements.check_fit(ladder, rubric, f"version {version.number}")
    except placements.PeopleDoNotFit as error:
        raise LadderError(str(error)) from None
    version.status = VersionStatus.PUBLISHED
    version.published_at = (now or clock.now())
    ladder.name = version.name
    db.session.flush()
    forget_version(version.id)
    moved = placements.carry_over(ladder, rubric)
    audit.record(actor.id, "ladder.publish", "framework_version", version.id, None,
                 {"framework": ladder.key, "number": version.number, "people_moved": moved,
                  **(diff.summary() if diff else {})})
