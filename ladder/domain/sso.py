"""Single sign-on rules: which identities from the organisation's provider may sign in, and
who may still use a password. Plain values in, plain values out."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Refusal(StrEnum):
    """Why a sign-in through the identity provider was refused (also the audit log's reason)."""

    UNVERIFIED_EMAIL = "unverified_email"
    WRONG_DOMAIN = "wrong_domain"
    UNKNOWN_EMAIL = "unknown_email"
    DEACTIVATED = "deactivated"
    LINKED_ELSEWHERE = "linked_elsewhere"  # the email's person is linked to another provider account
    NOT_VERIFIED = "not_verified"  # state, code or ID token failed the protocol's checks
    PROVIDER_ERROR = "provider_error"  # the provider answered with an error, or not at all


class PasswordLogin(StrEnum):
    """PASSWORD_LOGIN: who may sign in with a password."""

    ON = "on"
    ADMINS = "admins"  # break-glass: administrators only, everyone else through the provider
    OFF = "off"


@dataclass(frozen=True)
class Identity:
    """What the provider vouches for: its subject, and the email it may or may not have verified."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None = None

    @property
    def email_domain(self) -> str:
        return (self.email or "").rpartition("@")[2].lower()


def is_verified(claim: object) -> bool:
    """The `email_verified` claim is a JSON boolean; some providers send the string "true"."""
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def email_refusal(identity: Identity, allowed_domains: tuple[str, ...]) -> Refusal | None:
    """Every sign-in needs a verified email, within the allowed domains when some are set."""
    if not identity.email or "@" not in identity.email or not identity.email_verified:
        return Refusal.UNVERIFIED_EMAIL
    if allowed_domains and identity.email_domain not in allowed_domains:
        return Refusal.WRONG_DOMAIN
    return None


def password_allowed(mode: PasswordLogin, is_admin: bool) -> bool:
    """Passwords for everyone, for administrators only (break-glass), or for nobody."""
    return mode == PasswordLogin.ON or (mode == PasswordLogin.ADMINS and is_admin)
