"""Signed-in sessions, one database record per browser or device.

The session cookie and the "keep me signed in" cookie (Flask-Login's, HMAC-signed) carry a
random token; the database keeps its SHA-256 only. Every request finds its record by that hash
(one indexed query, joined to the person), so revoking a record ends the session wherever its
cookies are: signing out, "sign out everywhere", a password change, a one-time password,
deactivation (reactivating brings none back) and removing one device from the account page.

Every way of signing in calls `start_session`. Records are bookkeeping, not people's data:
they are written with statements rather than through the unit of work, so the audit log does
not fill with sign-ins (the actions that end sessions are recorded by their views).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import ColumnElement, bindparam, delete, insert, or_, select, update

from .. import clock
from ..database import affected_rows
from ..domain.devices import describe_device
from ..extensions import db
from ..models import User, UserSession

TOKEN_BYTES = 32
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _lifetime(remember: bool) -> timedelta:
    """Absolute lifetime: the remember-me cookie's for a remembered device, else the session's."""
    return current_app.config["REMEMBER_COOKIE_DURATION"] if remember else current_app.permanent_session_lifetime


def start_session(user: User, *, remember: bool = False) -> None:
    """Sign `user` in on this browser with a new record and token. The Flask session is
    emptied first, so nothing from before sign-in survives (its CSRF token included), and a
    remember-me cookie is issued only when asked for. The caller has checked the credentials
    and that the account is active; the caller commits."""
    now = clock.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.execute(delete(UserSession).where(  # what can no longer sign anyone in
        UserSession.user_id == user.id, or_(UserSession.revoked_at.is_not(None), UserSession.expires_at <= now)))
    g.user_session_id = db.session.scalar(insert(UserSession).values(
        user_id=user.id, token_hash=_digest(token), remember=remember, created_at=now, last_seen_at=now,
        expires_at=now + _lifetime(remember),
        device=describe_device(request.user_agent.string)[:80]).returning(UserSession.id))
    session.clear()
    session.permanent = True
    user.session_token = token
    login_user(user, remember=remember)
    if not remember:
        session["_remember"] = "clear"  # drop a remember-me cookie left from an earlier sign-in


_SESSION_AND_USER = (select(UserSession, User).join(User, User.id == UserSession.user_id)
                     .where(UserSession.token_hash == bindparam("token_hash")))  # every request: built once


def load_user(token: str) -> User | None:
    """Flask-Login's user loader: the person whose live session record has this token.

    A record that is revoked, past its lifetime, or (unless remembered) idle for longer than
    SESSION_IDLE_MINUTES signs no one in; an expired one sets `g.session_expired` so the
    person is told why. last_seen_at is refreshed at most once a minute."""
    row = db.session.execute(_SESSION_AND_USER, {"token_hash": _digest(token)}).first()
    if row is None:
        return None
    record, user = row
    now = clock.now()
    if record.revoked_at is not None or not user.is_active:
        return None
    if now >= record.expires_at or (not record.remember and now - record.last_seen_at > _idle_limit()):
        g.session_expired = True
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
        db.session.commit()
    if not session.permanent:  # restored from a remember-me cookie: a session cookie like any other
        session.permanent = True
    user.session_token = token
    g.user_session_id = record.id
    return user


def current_session_id() -> int | None:
    """The record of the session this request runs in (None when signed out)."""
    session_id: int | None = g.get("user_session_id")
    return session_id


def _revoke(*conditions: ColumnElement[bool]) -> int:
    result = db.session.execute(update(UserSession).where(UserSession.revoked_at.is_(None), *conditions)
                                .values(revoked_at=clock.now()))
    return affected_rows(result)


def end_session() -> None:
    """Sign this browser out: its record is revoked, so a copy of its cookies is worthless too,
    and its cookies are cleared."""
    if current_session_id() is not None:
        _revoke(UserSession.id == current_session_id())
    session.clear()
    logout_user()  # also clears the remember-me cookie


def end_all_sessions(user: User, *, except_current: bool = False) -> int:
    """Revoke every session of `user` (on every device, remembered or not), or every one but
    the session this request runs in. Returns how many were ended."""
    conditions = [UserSession.user_id == user.id]
    if except_current and current_session_id() is not None:
        conditions.append(UserSession.id != current_session_id())
    return _revoke(*conditions)


def end_one_session(user: User, session_id: int) -> bool:
    """Revoke one of `user`'s own sessions (a device on the account page); False if there is no
    such live session of theirs."""
    return _revoke(UserSession.id == session_id, UserSession.user_id == user.id) == 1


def live_sessions(user: User) -> list[UserSession]:
    """The sessions that would still sign `user` in, most recently used first."""
    now = clock.now()
    return list(db.session.scalars(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None), UserSession.expires_at > now,
            or_(UserSession.remember, UserSession.last_seen_at >= now - _idle_limit()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))
