"""Who may see and do what, as plain rules over a viewer's relation to a person.

Views never decide access themselves: they load a record through a helper that builds the
`Relation` and asks one of these functions, and answer 404 when the answer is no.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    """How a viewer relates to the person a record is about."""

    is_self: bool = False
    is_manager: bool = False  # anywhere above the person in the reporting tree
    is_direct_manager: bool = False
    is_mentor: bool = False
    is_admin: bool = False


def can_view_profile(rel: Relation) -> bool:
    return rel.is_self or rel.is_manager or rel.is_mentor or rel.is_admin


def can_view_self_review(rel: Relation, status: str) -> bool:
    """The author always; managers only once it is submitted (drafts are private)."""
    return rel.is_self or (rel.is_manager and status != "draft")


def can_edit_self_review(rel: Relation, status: str) -> bool:
    return rel.is_self and status == "draft"


def can_view_manager_review(rel: Relation, status: str) -> bool:
    """The management chain always; the engineer once it is shared."""
    return rel.is_manager or (rel.is_self and status == "shared")


def can_write_manager_review(rel: Relation) -> bool:
    return rel.is_direct_manager


def can_view_readiness(rel: Relation) -> bool:
    """Ratings-derived, so never for mentors or admins outside the chain."""
    return rel.is_self or rel.is_manager


def can_record_verdict(rel: Relation) -> bool:
    return rel.is_manager


def can_acknowledge(rel: Relation, status: str) -> bool:
    return rel.is_self and status == "shared"


def can_read_own_audit_entry(entity_type: str, review: tuple[str, str] | None, *, authored: bool) -> bool:
    """Which changes to their own records a person may read in the audit log.

    Their profile and verdicts about them; changes to a review only while they may read the
    review itself (their self-review; a manager review once shared); anything else (notes,
    goals of other areas) only if they made the change, so a private note never leaks.
    """
    if entity_type in ("user", "verdict"):
        return True
    if entity_type == "review":
        if review is None:
            return False
        kind, status = review
        return kind == "self" or status == "shared"
    return authored
