"""Recording promotion-readiness verdicts next to the computed figure."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import User, Verdict
from . import audit
from .cycles import held_from_viewer
from .readiness import PersonReadiness
from .reviews import open_cycle


def record_verdict(subject: User, target_level_key: str, verdict: str, rationale: str, *,
                   author: User, readiness: PersonReadiness, creation_token: str | None = None) -> Verdict:
    """Add a verdict (history is kept: a new verdict never replaces an old one)."""
    computed = next((r.coverage for t, r in readiness.results if r and r.target.key == target_level_key), None)
    cycle = open_cycle()
    row = Verdict(subject_id=subject.id, author_id=author.id, target_level_key=target_level_key,
                  verdict=verdict, rationale=rationale, computed_coverage=computed,
                  cycle_id=cycle.id if cycle else None, creation_token=creation_token)
    db.session.add(row)
    db.session.flush()
    audit.record(author.id, "verdict.create", "verdict", row.id, subject.id,
                 {"target": target_level_key, "verdict": verdict, "computed_coverage": computed})
    return row


def verdict_history(subject_id: int, *, viewer_id: int = 0) -> list[Verdict]:
    """Every verdict about a person, newest first, with authors loaded; the viewer's own verdicts
    of a cycle that still holds results from them are left out."""
    return list(db.session.scalars(
        select(Verdict).options(joinedload(Verdict.author))
        .where(Verdict.subject_id == subject_id, ~held_from_viewer(Verdict.subject_id, Verdict.cycle_id))
        .order_by(Verdict.created_at.desc(), Verdict.id.desc()), {"viewer": viewer_id}
    ))
