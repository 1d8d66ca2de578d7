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
    Framework,
    FrameworkVersion,
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


def frameworks() -> list[tuple[Framework, list[FrameworkVersion]]]:
    """Every framework with all its versions, newest first."""
    result = []
    for framework in db.session.scalars(select(Framework).order_by(Framework.name)):
        versions = list(db.session.scalars(select(FrameworkVersion).where(FrameworkVersion.framework_id == framework.id)
                                           .order_by(FrameworkVersion.number.desc())))
        result.append((framework, versions))
    return result


def cycles_per_version() -> dict[int, int]:
    return dict(db.session.execute(select(ReviewCycle.framework_version_id, func.count(ReviewCycle.id))
                                   .group_by(ReviewCycle.framework_version_id)).all())


def version_by_number(framework_key: str, number: int) -> FrameworkVersion | None:
    return db.session.scalar(select(FrameworkVersion).join(Framework)
                             .where(Framework.key == framework_key, FrameworkVersion.number == number))


def draft_of(framework_id: int) -> FrameworkVersion | None:
    return db.session.scalar(select(FrameworkVersion).where(FrameworkVersion.framework_id == framework_id,
                                                            FrameworkVersion.status == VersionStatus.DRAFT))


def yaml_of(version: FrameworkVersion) -> str:
    return dump_rubric(load_version(version.id).rubric, version.number)


def _store_draft(rubric: Rubric, framework_name: str | None) -> FrameworkVersion:
    version = store_rubric(rubric, publish=False)
    if framework_name is not None:  # a draft does not rename the live ladder until published
        db.session.get_one(Framework, version.framework_id).name = framework_name
    db.session.flush()
    return version


def create_draft(framework: Framework, *, actor: User) -> FrameworkVersion:
    """A new draft with the content of the latest published version (one draft at a time)."""
    existing = draft_of(framework.id)
    if existing is not None:
        raise LadderError(f"Version {existing.number} is already a draft; edit it or delete it first.")
    latest = latest_published(framework.key)
    if latest is None:
        raise LadderError("This framework has no published version to start from.")
    version = _store_draft(load_version(latest.id).rubric, framework.name)
    audit.record(actor.id, "ladder.draft", "framework_version", version.id, None,
                 {"framework": framework.key, "number": version.number, "from": latest.number})
    return version


def parse_for(framework: Framework | None, text: str, source: str) -> Rubric:
    """The one validator for ladder YAML (file uploads and the browser editor alike), plus the
    rule that a draft keeps its framework's key."""
    rubric = parse_rubric(text, source)
    if framework is not None and rubric.key != framework.key:
        raise RubricError(source, [Problem("key", f"must stay {framework.key!r}: this is a draft of that ladder",
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


def replace_draft(version: FrameworkVersion, rubric: Rubric, *, actor: User) -> FrameworkVersion:
    """Give a draft new content, keeping its number (the draft is stored again as a whole)."""
    if version.is_published:
        raise LadderError("Published versions never change; create a draft to edit the ladder.")
    framework = db.session.get_one(Framework, version.framework_id)
    before = load_version(version.id).rubric
    number, old_id = version.number, version.id
    db.session.delete(version)
    db.session.flush()
    _forget_content_rows()
    forget_version(old_id)
    new_version = _store_draft(rubric, framework.name)
    assert new_version.number == number, "a draft is always the newest version"
    changes = diff_rubrics(before, rubric).summary()
    audit.record(actor.id, "ladder.edit", "framework_version", new_version.id, None,
                 {"framework": framework.key, "number": number, **changes})
    return new_version


def upload_draft(text: str, source: str, *, actor: User) -> FrameworkVersion:
    """A draft from an uploaded YAML file (a new framework if the key is new); invalid files
    raise RubricError listing every problem and change nothing."""
    rubric = parse_rubric(text, source)
    return _uploaded_draft(rubric, _without_draft(rubric.key), source, actor.id)


def spreadsheet_draft(text: str, source: str, *, key: str, name: str | None, actor_id: int | None) -> FrameworkVersion:
    """A draft from a spreadsheet (CSV) of a new ladder or of an existing one, whose latest
    published version keeps what a spreadsheet has no column for (readiness bars, transitions,
    renames). Invalid rows raise RubricError naming each row and column; nothing changes."""
    framework = _without_draft(key)
    latest = latest_published(key) if framework is not None else None
    name = name or (framework.name if framework is not None else None)
    if not name:
        raise LadderError(f"There is no ladder {key!r} yet: give the new ladder a name.")
    rubric = read_ladder_csv(text, key=key, name=name, base=load_version(latest.id).rubric if latest else None,
                             source=source)
    return _uploaded_draft(rubric, framework, source, actor_id)


def _without_draft(key: str) -> Framework | None:
    """The ladder of this key, if any; refused if it already has a draft (one at a time)."""
    framework = db.session.scalar(select(Framework).where(Framework.key == key))
    if framework is not None:
        existing = draft_of(framework.id)
        if existing is not None:
            raise LadderError(f"{framework.name} already has a draft (version {existing.number}); "
                              "edit it, or delete it before uploading another.")
    return framework


def _uploaded_draft(rubric: Rubric, framework: Framework | None, source: str, actor_id: int | None) -> FrameworkVersion:
    version = _store_draft(rubric, framework.name if framework else None)
    audit.record(actor_id, "ladder.upload", "framework_version", version.id, None,
                 {"framework": rubric.key, "number": version.number, "file": source[:200]})
    return version


def csv_of(version: FrameworkVersion) -> str:
    """A version as spreadsheet rows (the columns a spreadsheet import reads)."""
    return ladder_csv(load_version(version.id).rubric)


def delete_draft(version: FrameworkVersion, *, actor: User) -> None:
    if version.is_published:
        raise LadderError("Published versions are kept forever: reviews refer to them.")
    framework = db.session.get_one(Framework, version.framework_id)
    audit.record(actor.id, "ladder.delete_draft", "framework_version", version.id, None,
                 {"framework": framework.key, "number": version.number})
    forget_version(version.id)
    db.session.delete(version)
    db.session.flush()
    _forget_content_rows()
    if not db.session.scalar(select(func.count(FrameworkVersion.id))
                             .where(FrameworkVersion.framework_id == framework.id)):
        db.session.delete(framework)  # an uploaded ladder that was never published
        db.session.flush()


def diff_against_published(version: FrameworkVersion,
                           against_number: int | None = None) -> tuple[FrameworkVersion | None, LadderDiff | None]:
    """The diff of a version against another one: by default the latest published version
    (or, for a published version, the one before it)."""
    framework = db.session.get_one(Framework, version.framework_id)
    if against_number is not None:
        base = version_by_number(framework.key, against_number)
    else:
        base = db.session.scalar(select(FrameworkVersion).where(
            FrameworkVersion.framework_id == framework.id, FrameworkVersion.status == VersionStatus.PUBLISHED,
            FrameworkVersion.number < version.number).order_by(FrameworkVersion.number.desc()).limit(1))
    if base is None:
        return None, None
    return base, diff_rubrics(load_version(base.id).rubric, load_version(version.id).rubric)


def misfits_of(version: FrameworkVersion) -> list[Misfit]:
    """The active people on the ladder who would have no level or track in this version."""
    framework = db.session.get_one(Framework, version.framework_id)
    return misfits(load_version(version.id).rubric, placements.placements_on(framework))


def publish(version: FrameworkVersion, *, actor: User, now: datetime | None = None) -> None:
    """Make a draft the current ladder; from now on it never changes."""
    if version.is_published:
        raise LadderError(f"Version {version.number} is already published.")
    base, diff = diff_against_published(version)
    if base is not None and diff is not None and diff.empty:
        raise LadderError(f"This draft is identical to version {base.number}; there is nothing to publish.")
    framework = db.session.get_one(Framework, version.framework_id)
    rubric = load_version(version.id).rubric
    try:
        placements.check_fit(framework, rubric, f"version {version.number}")
    except placements.PeopleDoNotFit as error:
        raise LadderError(str(error)) from None
    version.status = VersionStatus.PUBLISHED
    version.published_at = (now or clock.now())
    framework.name = version.name
    db.session.flush()
    forget_version(version.id)
    moved = placements.carry_over(framework, rubric)
    audit.record(actor.id, "ladder.publish", "framework_version", version.id, None,
                 {"framework": framework.key, "number": version.number, "people_moved": moved,
                  **(diff.summary() if diff else {})})
