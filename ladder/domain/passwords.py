"""The password policy (OWASP ASVS 2.1): length, and not a common password in disguise."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words make a good password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    common = common_passwords()
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    repeated = next((lowered[:n] for n in range(1, len(lowered) // 2 + 1)
                     if len(lowered) % n == 0 and lowered[:n] * (len(lowered) // n) == lowered), None)
    if lowered in common or stem in common or (repeated and repeated in common) or len(set(lowered)) < 4:
        return "That password is too common or too easy to guess; choose another."
    personal = {part for part in re.split(r"[\W_]+", f"{email.split('@')[0]} {name}".lower()) if len(part) >= 4}
    if any(part in lowered for part in personal):
        return "Do not use your name or email address in your password."
    return None
