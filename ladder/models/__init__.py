"""All models, importable from one place (Alembic's autogenerate needs them all loaded)."""
from .audit import AuditEntry
from .ladder import (
    Area,
    Competency,
    CompetencyTrack,
    Expectation,
    Ladder,
    LadderVersion,
    Level,
    Track,
    TrackLevel,
)
from .mentorship import ActionItem, FeedbackNote, Goal, GoalUpdate, Mentorship, OneOnOne
from .notifications import Notification, SignInLink
from .peer_feedback import PeerFeedbackRequest
from .people import User
from .reviews import (
    VERDICTS,
    Rating,
    ReleasedSubject,
    ResultRelease,
    Review,
    ReviewAnswer,
    ReviewCycle,
    ReviewCycleLadder,
    ReviewQuestion,
    Verdict,
)
from .sessions import UserSession

__all__ = [
    "Area", "AuditEntry", "Competency", "CompetencyTrack", "Expectation",
    "Ladder", "LadderVersion", "Level", "Rating", "ReleasedSubject", "ResultRelease", "Review", "ReviewAnswer",
    "ReviewCycle", "ReviewCycleLadder", "ReviewQuestion", "Track",
    "TrackLevel", "User", "UserSession", "VERDICTS", "Verdict",
    "ActionItem", "FeedbackNote", "Goal", "GoalUpdate", "Mentorship", "OneOnOne",
    "Notification", "PeerFeedbackRequest", "SignInLink",
]
