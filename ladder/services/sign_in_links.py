"""Invitations and password resets: single-use links that expire, sent by email.

Only a SHA-256 hash of each link's random token is stored, so a copy of the database opens no
account; a link works once (claimed with a conditional UPDATE), and issuing a new one retires
the person's older unused links.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_mailman import EmailMultiAlternatives
from sqlalchemy import Select, exists, select, update

from ..database import affected_rows
from ..extensions import db
from ..models import SignInLink, User
from . import mail

LIFETIMES = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, purpose: str, now: datetime) -> tuple[str, SignInLink]:
    """A new link for the person (older unused ones stop working); returns the raw token, which
    exists only in the email."""
    db.session.execute(update(SignInLink).where(SignInLink.user_id == user.id, SignInLink.used_at.is_(None))
                       .values(used_at=now))
    token = secrets.token_urlsafe(32)
    link = SignInLink(user_id=user.id, purpose=purpose, token_hash=_hash(token), created_at=now,
                      expires_at=now + LIFETIMES[purpose])
    db.session.add(link)
    db.session.flush()
    return token, link


def usable(token: str, now: datetime) -> tuple[SignInLink, User] | None:
    """The link and its person, if the token is one of ours, unused, unexpired, and the account active."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(SignInLink).where(SignInLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = db.session.get(User, link.user_id)
    if user is None or not user.is_active_account:
        return None
    return link, user


def use(link: SignInLink, now: datetime) -> bool:
    """Mark the link used; False if another request used it first (it works exactly once)."""
    result = db.session.execute(update(SignInLink).where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
                                .values(used_at=now))
    return affected_rows(result) == 1


def message_for(user: User, purpose: str, now: datetime, *,
                inviter: str = "Your administrator") -> EmailMultiAlternatives:
    """Issue a link and build the email that carries it."""
    token, link = issue(user, purpose, now)
    url = mail.absolute_url("auth.set_password", token=token)
    if purpose == "invite":
        return mail.build_message(user.email, "invitation", "You are invited to Ladder", person=user, url=url,
                                  inviter=inviter, expires_at=link.expires_at)
    return mail.build_message(user.email, "reset", "Reset your Ladder password", person=user, url=url,
                              expires_at=link.expires_at)


def awaiting_invitation_query(now: datetime) -> Select[User]:
    """Active people who cannot sign in yet (no password) and hold no working invitation."""
    pending = exists().where(SignInLink.user_id == User.id, SignInLink.purpose == "invite",
                             SignInLink.used_at.is_(None), SignInLink.expires_at > now)
    return select(User).where(User.is_active_account.is_(True), User.password_hash.is_(None), ~pending)


def awaiting_invitation(now: datetime) -> list[User]:
    return list(db.session.scalars(awaiting_invitation_query(now).order_by(User.id)))


def invite(people: list[User], now: datetime, *, inviter: str) -> int:
    """Email an invitation to each person over one connection (raises if the mail server refuses;
    the caller rolls back, so no link exists that was not sent)."""
    return mail.send_all([message_for(person, "invite", now, inviter=inviter) for person in people])
