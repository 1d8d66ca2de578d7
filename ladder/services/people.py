"""The reporting tree and a viewer's relation to a person."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CTE, BindParameter, ColumnElement, Select, bindparam, or_, select

from .. import clock
from ..domain.permissions import Relation
from ..extensions import db
from ..models import Mentorship, User


def management_chain_ids(user_id: int) -> list[int]:
    """Everyone above a person, nearest first (one recursive query)."""
    chain = select(User.manager_id.label("id"), db.literal(1).label("depth")).where(
        User.id == user_id).cte("chain", recursive=True)
    chain = chain.union_all(
        select(User.manager_id, chain.c.depth + 1).join(chain, User.id == chain.c.id)
        .where(chain.c.depth < 100)
    )
    rows = db.session.execute(select(chain.c.id).where(chain.c.id.is_not(None)).order_by(chain.c.depth))
    return [row.id for row in rows]


def report_tree(manager_id: int | BindParameter[int]) -> CTE:
    """Everyone below a manager (an id, or a bind parameter in a statement built once) as a
    recursive CTE: id, name, manager_id, on_ladder, depth. Those columns are what
    `ix_users_reports` holds, so PostgreSQL walks the tree in the index alone, and a query that
    needs no more (who reports to whom, their names) reads no users row."""
    columns = (User.id, User.name, User.manager_id, User.on_ladder)
    tree = select(*columns, db.literal(1).label("depth")).where(
        User.manager_id == manager_id).cte("tree", recursive=True)
    return tree.union_all(
        select(*columns, tree.c.depth + 1).join(tree, User.manager_id == tree.c.id).where(tree.c.depth < 100)
    )


def report_ids_query(manager_id: int) -> Select[int]:
    """Everyone below a manager, as a SELECT of ids to use inside another query (one recursive CTE)."""
    return select(report_tree(manager_id).c.id)


def report_ids(manager_id: int, *, direct_only: bool = False) -> list[int]:
    """Everyone below a manager in the reporting tree (direct reports only if asked)."""
    if direct_only:
        return list(db.session.scalars(select(User.id).where(User.manager_id == manager_id)))
    return list(db.session.scalars(report_ids_query(manager_id)))


_ANY_REPORT = select(User.id).where(User.manager_id == bindparam("manager_id")).limit(1)


def has_reports(manager_id: int) -> bool:
    """Whether anyone reports to this person (every page's navigation asks: built once)."""
    return db.session.scalar(_ANY_REPORT, {"manager_id": manager_id}) is not None


def relation(viewer: User, subject: User) -> Relation:
    """How the viewer relates to the subject, for the permission rules."""
    if viewer.id == subject.id:
        return Relation(is_self=True, is_admin=viewer.is_admin)
    chain = management_chain_ids(subject.id)
    return Relation(
        is_manager=viewer.id in chain,
        is_direct_manager=subject.manager_id == viewer.id,
        is_mentor=is_mentor_of(viewer.id, subject.id),
        is_admin=viewer.is_admin,
    )


def active_mentorships_clause(today: date | BindParameter[date]) -> ColumnElement[bool]:
    """SQL for "the pairing is active today" (the same rule as domain.mentorship); the day may
    be a bind parameter, in a statement built once."""
    return (Mentorship.ended_on.is_(None) & (Mentorship.starts_on <= today)
            & or_(Mentorship.ends_on.is_(None), Mentorship.ends_on >= today))


def is_mentor_of(viewer_id: int, subject_id: int, today: date | None = None) -> bool:
    """Whether the viewer mentors the subject in an active pairing."""
    today = today or clock.today()
    return db.session.scalar(select(Mentorship.id).where(
        Mentorship.mentor_id == viewer_id, Mentorship.mentee_id == subject_id,
        active_mentorships_clause(today)).limit(1)) is not None


def would_create_cycle(user_id: int, new_manager_id: int | None) -> bool:
    """Whether making `new_manager_id` the manager of `user_id` would loop the tree."""
    if new_manager_id is None:
        return False
    return new_manager_id == user_id or user_id in management_chain_ids(new_manager_id)
