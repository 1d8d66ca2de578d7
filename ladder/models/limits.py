"""Length limits on free text, enforced by the database as well as by the forms."""
from __future__ import annotations

from sqlalchemy import CheckConstraint


def at_most(column: str, limit: int) -> CheckConstraint:
    """CHECK (length(column) <= limit): PostgreSQL and SQLite both count characters, as the
    forms' Length validators do, and SQLite enforces no declared length of its own."""
    return CheckConstraint(f"length({column}) <= {limit}", name=f"{column}_length")
