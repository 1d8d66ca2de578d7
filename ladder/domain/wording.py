"""How counts and statuses are written on every page: one rule each, so no page says
"1 expectations changed" or shows "Not Started" next to "not started"."""
from __future__ import annotations


def plural_noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun that goes with `count`: the singular for exactly one, else the plural
    (given, or made the regular English way: "competency" → "competencies")."""
    if count == 1:
        return singular
    if plural is not None:
        return plural
    if singular.endswith("y") and singular[-2:-1] not in ("a", "e", "i", "o", "u"):
        return singular[:-1] + "ies"
    return singular + "s"


def plural(count: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun: `plural(1, "expectation")` is "1 expectation", 2 gives "2 expectations",
    1200 "1,200 expectations"."""
    return f"{count:,} {plural_noun(count, singular, plural)}"


def percent(share: float) -> str:
    """A share from 0 to 1 as a whole percentage: 0.456 is "46%" (Python rounds halves to even)."""
    return f"{round(share * 100)}%"


def status_label(status: str | None) -> str:
    """A stored status ("not started", "in_progress", "draft") as pages show it: sentence case,
    words separated by spaces ("Not started", "In progress", "Draft")."""
    words = (status or "not started").replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:].lower()


# Column names whose label is not simply the name in words (see `field_label`).
FIELD_LABELS = {
    "is_admin": "Administrator",
    "is_active": "Active",
    "deactivated_at": "Deactivated on",
    "password_hash": "Password",
    "subject_level_key": "Level at the time",
    "subject_track_key": "Track at the time",
    "below_current": "Rated below current level",
    "level_id": "Rating",
    "framework_version_id": "Ladder version",
    "one_on_one_id": "One-to-one",
    "target_level_key": "Target level",
    "lock_version": "Version",
}


def field_label(name: str) -> str:
    """A column or record type name as people read it: "manager_id" → "Manager",
    "self_review_due" → "Self review due", "feedback_note" → "Feedback note"."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = name.removeprefix("is_").removesuffix("_id").removesuffix("_key").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
