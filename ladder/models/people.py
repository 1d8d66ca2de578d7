"""People: accounts, reporting lines, levels and tracks."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..domain.notifications import EMAIL_PREFERENCES
from ..extensions import Model

# OWASP's scrypt parameters (N=2^17, r=8, p=1); the app passes config PASSWORD_HASH_METHOD.
PASSWORD_METHOD = "scrypt:131072:8:1"


class User(UserMixin, Model):
    """A person in the organisation; the level and track keys refer to their ladder's latest version
    (no ladder yet, as for a first administrator created before any ladder: the default ladder)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(f"notification_email IN {tuple(EMAIL_PREFERENCES)}", name="notification_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)  # team pages order by name
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Set with an admin-issued one-time password: the person must choose their own at next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    ladder_id: Mapped[int | None] = mapped_column(
        "framework_id", ForeignKey("frameworks.id", ondelete="SET NULL"), index=True)
    level_key: Mapped[str] = mapped_column(String(64), index=True)  # report filters
    track_key: Mapped[str] = mapped_column(String(64), index=True)
    # False for someone with no role on the ladder (people operations, a recruiter): they are not
    # reviewed and not in readiness reports or calibration, whatever their level and track say;
    # they can still manage, mentor and administer.
    on_ladder: Mapped[bool] = mapped_column(default=True, server_default=true())
    title: Mapped[str | None] = mapped_column(String(120))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))  # ix_users_reports
    created_at: Mapped[datetime] = mapped_column(default=clock.now, server_default=func.now())
    # The identity provider's `sub` for this person, remembered at the first single sign-on, so
    # later sign-ins match the provider's account even if its email changes. A unique index
    # rather than a constraint: SQLite adds it without rebuilding the table (and its indexes).
    oidc_subject: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)
    # How notifications reach this person by email: immediately, daily (a digest) or off.
    notification_email: Mapped[str] = mapped_column(String(16), default="immediately", server_default="immediately")
    digest_sent_on: Mapped[date | None] = mapped_column(Date)

    manager: Mapped[User | None] = relationship(
        remote_side=[id], back_populates="reports", lazy="raise"
    )
    reports: Mapped[list[User]] = relationship(back_populates="manager", lazy="raise")

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated people cannot sign in
        return self.is_active_account

    # The random token of the session this request runs in (not a column): set by
    # services.sessions when signing in or loading the session, read by Flask-Login. Declared
    # for mypy alone: the ORM refuses an annotation that is not Mapped[...].
    if TYPE_CHECKING:
        session_token: str | None
    else:
        session_token = None

    def get_id(self) -> str:
        """Flask-Login's identity is the session's token, never the user id, so a cookie is
        only as good as its session record (ladder/services/sessions.py)."""
        if not self.session_token:
            raise RuntimeError("Sign people in with ladder.services.sessions.start_session.")
        return self.session_token

    def __eq__(self, other):
        """The same person (Flask-Login's mixin would compare session tokens)."""
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    __hash__ = object.__hash__

    def set_password(self, password: str, method: str = PASSWORD_METHOD) -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash and check_password_hash(self.password_hash, password))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


# The org report pages in name order, or level then name (case-insensitive, id breaking ties):
# with these, a page of 50 is read in index order instead of sorting everyone (11.6 -> 1 ms on
# PostgreSQL for 2,000 people, EXPLAIN ANALYZE in docs/performance.md).
Index("ix_users_name_order", func.lower(User.name), User.id)
Index("ix_users_level_name_order", User.level_key, func.lower(User.name), User.id)
# A manager's reports, and with them everything a walk down the reporting tree reads (who, their
# name, whether they are on a ladder): on PostgreSQL the recursive query of a tree reads this
# index only, never the table (`services.people.report_tree`; docs/performance.md, eighth pass).
# It also serves the foreign key and "who reports to this manager".
Index("ix_users_reports", User.manager_id, User.id, postgresql_include=["on_ladder", "name"])
