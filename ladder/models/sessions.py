"""Signed-in sessions: one record per browser or device that signed in."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import Model


class UserSession(Model):
    """A sign-in on one browser. Its cookies carry a random token; only the token's SHA-256 is
    stored, so a copy of the database signs no one in. Revoking the record ends the session
    wherever its cookies are (see ladder/services/sessions.py)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)  # "keep me signed in on this device"
    device: Mapped[str] = mapped_column(String(80), default="")  # "Firefox on Linux", not the raw User-Agent
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
