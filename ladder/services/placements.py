"""Who is on which ladder, and keeping people placed when a ladder changes.

Every person has a ladder (users.framework_id); someone created before any ladder existed has
none yet and is on the default ladder (`default_ladder_key`).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import ColumnElement, bindparam, or_, select

from ..domain.ladder_fit import Misfit, Placement, carried_over, describe, misfits
from ..domain.rubric import Rubric
from ..domain.statuses import VersionStatus
from ..extensions import db
from ..models import FeedbackNote, Goal, Ladder, LadderVersion, Mentorship, OneOnOne, User, Verdict
from .version_cache import once_per_request


class PeopleDoNotFit(ValueError):
    """People would sit on a level or track a ladder version does not have."""

    def __init__(self, found: list[Misfit], what: str):
        self.misfits = found
        super().__init__(describe(found, what))


_DEFAULT_LADDER = (select(Ladder.id, Ladder.key, LadderVersion.id.label("version_id"))
                   .join(LadderVersion).where(LadderVersion.status == VersionStatus.PUBLISHED)
                   .order_by((Ladder.key == bindparam("configured")).desc(), Ladder.id,
                             LadderVersion.number.desc()).limit(1))


def default_ladder() -> tuple[int | None, str, int | None]:
    """(id, key, latest published version id) of the default ladder: the configured
    LADDER_DEFAULT_FRAMEWORK once it is published, else the first ladder the organisation
    published, so an install that runs only its own ladders never needs the built-in one.
    One query, once a request."""
    def look_up() -> tuple[int | None, str, int | None]:
        configured = current_app.config["LADDER_DEFAULT_FRAMEWORK"]
        row = db.session.execute(_DEFAULT_LADDER, {"configured": configured}).first()
        return (row.id, row.key, row.version_id) if row else (None, configured, None)
    return once_per_request("default ladder", look_up)


def default_ladder_key() -> str:
    """The key of the ladder of anyone who has none, and of pages about no one in particular."""
    return default_ladder()[1]


def default_ladder_id() -> int | None:
    return default_ladder()[0]


def ladder_id_of(person: User) -> int | None:
    """The id of a person's ladder (the default ladder's when they have none)."""
    return person.ladder_id if person.ladder_id is not None else default_ladder_id()


def placed_on(ladder: Ladder) -> ColumnElement[bool]:
    """A filter on User: the people on this ladder."""
    if ladder.key == default_ladder_key():
        return or_(User.ladder_id == ladder.id, User.ladder_id.is_(None))
    return User.ladder_id == ladder.id


def placements_on(ladder: Ladder) -> list[Placement]:
    """The active people on a ladder, with their level and track (an operator account created
    before any ladder, with no level yet, and people without a ladder role are placed on none)."""
    rows = db.session.execute(
        select(User.id, User.name, User.email, User.level_key, User.track_key)
        .where(placed_on(ladder), User.is_active_account.is_(True), User.on_ladder.is_(True),
               User.level_key != "")
        .order_by(User.name, User.id)
    ).all()
    return [Placement(*row) for row in rows]


def check_fit(ladder: Ladder, rubric: Rubric, what: str) -> None:
    """Raise PeopleDoNotFit naming everyone on the ladder this version would leave without a place."""
    found = misfits(rubric, placements_on(ladder))
    if found:
        raise PeopleDoNotFit(found, what)


def carry_over(ladder: Ladder, rubric: Rubric) -> int:
    """Move people (and their verdicts' targets) from renamed level and track keys to the new
    keys, and competency tags from renamed competencies, audited like any change to them;
    returns how many people moved. Run when the version becomes the ladder."""
    moves = {}
    for placement in placements_on(ladder):
        after = carried_over(rubric, placement)
        if after is not placement:
            moves[placement.person_id] = after
    for person in db.session.scalars(select(User).where(User.id.in_(list(moves)))) if moves else ():
        person.level_key, person.track_key = moves[person.id].level_key, moves[person.id].track_key
    renamed_levels = rubric.renames["level"]
    if renamed_levels:
        for verdict in db.session.scalars(select(Verdict).where(
                Verdict.target_level_key.in_(list(renamed_levels)),
                Verdict.subject_id.in_(select(User.id).where(placed_on(ladder))))):
            verdict.target_level_key = renamed_levels[verdict.target_level_key]
    _carry_competency_tags(ladder, rubric.renames["competency"])
    db.session.flush()
    return len(moves)


def _carry_competency_tags(ladder: Ladder, renamed: dict[str, str]) -> None:
    """Notes, 1:1s, goals and mentorships tagged with a renamed competency get its new key."""
    if not renamed:
        return
    people = select(User.id).where(placed_on(ladder))
    for model, owner, column in ((FeedbackNote, FeedbackNote.subject_id, "competencies"),
                                 (OneOnOne, OneOnOne.subject_id, "competencies"),
                                 (Goal, Goal.owner_id, "competencies"),
                                 (Mentorship, Mentorship.mentee_id, "focus")):
        for row in db.session.scalars(select(model).where(owner.in_(people))):
            keys = getattr(row, column) or []
            if any(key in renamed for key in keys):
                setattr(row, column, [renamed.get(key, key) for key in keys])
