"""All models, importable from one place (Alembic's autogenerate needs them all loaded)."""
from .audit import AuditEntry
from .ladder import (
    Area,
    Competency,
    CompetencyTrack,
    Expectation,
    Framework,
    FrameworkVersion,
    Level,
    Track,
    TrackLevel,
)
from .mentorship import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne
from .people import User
from .reviews import BELOW_CURRENT, VERDICTS, Rating, Review, ReviewCycle, ReviewCycleLadder, Verdict

__all__ = [
    "Area", "AuditEntry", "BELOW_CURRENT", "Competency", "CompetencyTrack", "Expectation",
    "Framework", "FrameworkVersion", "Level", "Rating", "Review", "ReviewCycle", "ReviewCycleLadder", "Track",
    "TrackLevel", "User", "VERDICTS", "Verdict",
    "ActionItem", "FeedbackNote", "Goal", "GoalUpdate", "Mentorship", "OneOnOne",
]
