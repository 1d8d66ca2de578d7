"""Recording changes in the audit log."""
from __future__ import annotations

from ..extensions import db
from ..models import AuditEntry


def record(actor_id: int | None, action: str, entity_type: str, entity_id: int | None,
           subject_id: int | None = None, changes: dict | None = None) -> AuditEntry:
    """Add an audit entry to the session; it is committed with the change it describes."""
    entry = AuditEntry(actor_id=actor_id, action=action, entity_type=entity_type,
                       entity_id=entity_id, subject_id=subject_id, changes=changes or {})
    db.session.add(entry)
    return entry
