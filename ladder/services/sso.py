"""Single sign-on: find (or, when allowed, create) the person a provider identity signs in as,
and remember the provider's subject on them. Flushes; the view commits."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.sso import Identity, Refusal, email_refusal
from ..extensions import db
from ..models import User
from .ladders import current_rubric


class SignInRefused(Exception):
    """The identity may not sign in; `person` is who it matched, when it matched anyone."""

    def __init__(self, reason: Refusal, person: User | None = None):
        self.reason = reason
        self.person = person
        super().__init__(reason.value)


def person_for(identity: Identity, *, allowed_domains: tuple[str, ...], create_accounts: bool) -> User:
    """The active person for `identity`: by the remembered subject first, else by the verified
    email (linking the subject on that first sign-in). A person already linked to another
    subject is not taken over by a new provider account with the same email."""
    refusal = email_refusal(identity, allowed_domains)
    if refusal or identity.email is None:  # no refusal means a verified email
        raise SignInRefused(refusal or Refusal.UNVERIFIED_EMAIL)
    email = identity.email.lower()
    person = db.session.scalar(select(User).where(User.oidc_subject == identity.subject))
    if person is None:
        person = db.session.scalar(select(User).where(User.email == email))
        if person is None:
            if not create_accounts:
                raise SignInRefused(Refusal.UNKNOWN_EMAIL)
            person = _new_person(identity, email)
        elif person.oidc_subject is not None:
            raise SignInRefused(Refusal.LINKED_ELSEWHERE, person)
    if not person.is_active:
        raise SignInRefused(Refusal.DEACTIVATED, person)
    person.oidc_subject = identity.subject
    db.session.flush()
    return person


def _new_person(identity: Identity, email: str) -> User:
    """A person created at their first sign-in (OIDC_CREATE_ACCOUNTS): the first level of the
    ladder's first track, no manager, no password; an admin places them afterwards."""
    loaded = current_rubric()
    if loaded is None:  # nothing to place them on yet
        raise SignInRefused(Refusal.UNKNOWN_EMAIL)
    track = loaded.rubric.tracks[0]
    person = User(email=email, name=(identity.name or email.partition("@")[0])[:120],
                  level_key=track.levels[0], track_key=track.key, is_active_account=True)
    db.session.add(person)
    return person
