"""Team and organisation views, loaded with a bounded number of queries whatever the team size."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..domain.team import TeamRow, heat, is_late, review_state
from ..extensions import db
from ..models import Review, User
from .people import report_ids
from .readiness import readiness_for_people
from .reviews import open_cycle


def people_in_scope(viewer: User) -> list[User] | None:
    """Whom the org report may show: everyone for an admin, the reporting tree for a manager,
    None for anyone else (who may not see the report at all)."""
    if viewer.is_admin:
        return list(db.session.scalars(select(User).where(User.is_active_account).order_by(User.name)))
    ids = report_ids(viewer.id)
    if not ids:
        return None
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


def team_rows(viewer: User, people: list[User], today: date) -> list[TeamRow]:
    """A row per person: review states in the open cycle, lateness, readiness, verdicts, heatmap."""
    if not people:
        return []
    ids = [p.id for p in people]
    known = {p.id: p for p in people} | {viewer.id: viewer}
    missing = {p.manager_id for p in people if p.manager_id and p.manager_id not in known}
    if missing:
        known.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(missing)))})
    cycle = open_cycle()
    states: dict[tuple[int, str], str] = {}
    if cycle is not None:
        for subject_id, kind, status in db.session.execute(
            select(Review.subject_id, Review.kind, Review.status)
            .where(Review.cycle_id == cycle.id, Review.subject_id.in_(ids))
        ):
            states[(subject_id, kind)] = status
    readiness = readiness_for_people(people)
    rows = []
    for person in people:
        entry = readiness[person.id]
        self_status = review_state(states.get((person.id, "self")))
        manager_status = review_state(states.get((person.id, "manager")))
        rubric = entry.loaded.rubric if entry.loaded else None
        rows.append(TeamRow(
            person=person,
            manager_name=known[person.manager_id].name if person.manager_id in known else "",
            is_direct=person.manager_id == viewer.id,
            self_status=self_status,
            manager_status=manager_status,
            self_late=bool(cycle) and is_late(states.get((person.id, "self")), cycle.self_review_due, today,
                                              done=("submitted",)),
            manager_late=bool(cycle) and is_late(states.get((person.id, "manager")), cycle.manager_review_due,
                                                 today, done=("submitted", "shared")),
            targets={target.track_key: (target, result) for target, result in entry.results},
            verdicts=entry.verdicts,
            source=entry.source,
            heat={c.key: heat(rubric, person.level_key, entry.ratings.get(c.key)) for c in rubric.competencies}
            if rubric else {},
        ))
    return rows
