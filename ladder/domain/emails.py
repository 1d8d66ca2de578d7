"""One rule for email addresses, used wherever one is typed or imported: sign-in, the admin's
person form, the people import (web and command line).

An address is normalised (Unicode NFKC, so full-width letters become plain ones; lower case)
and refused, with a message saying why, when it hides invisible characters, mixes alphabets
(a Cyrillic `е` among Latin letters imitates another person's address), or is not a valid
address, including special-use domains such as `.local` that no mail reaches.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

EMAIL_MAX = 254
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}  # controls, zero-width and format marks, spaces


class EmailProblem(ValueError):
    """Why a typed address is refused, in words for the person who typed it."""


def _script(character: str) -> str:
    return unicodedata.name(character, "UNKNOWN").split()[0]


def normalise_email(typed: str) -> str:
    """The address as Ladder stores and compares it, or EmailProblem."""
    return _normalised((typed or "").strip())


@lru_cache(maxsize=65536)
def _normalised(text: str) -> str:
    """Cached: an import of 50,000 people checks each address (and each manager's) several
    times, and the checks took most of its time (224 of 520 s profiled)."""
    if not text:
        raise EmailProblem("Enter an email address.")
    if any(unicodedata.category(c) in INVISIBLE_CATEGORIES for c in text):
        raise EmailProblem("The email address contains an invisible character or a space; type it again.")
    address = unicodedata.normalize("NFKC", text).lower()
    scripts = sorted({_script(c) for c in address if c.isalpha()})
    if len(scripts) > 1:
        raise EmailProblem(f"The email address mixes alphabets ({' and '.join(s.title() for s in scripts)}), "
                           "so it can look like another address; type it in one alphabet.")
    if len(address) > EMAIL_MAX:
        raise EmailProblem(f"The email address is longer than {EMAIL_MAX} characters.")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise EmailProblem(f"Not a valid email address: {error}") from None
    return address
