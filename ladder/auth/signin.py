"""The one way a person becomes signed in (password, set-password link): a single function, so
what a session starts with is decided in one place."""
from __future__ import annotations

from flask_login import login_user

from ..models import User
from ..security import start_session_clock


def sign_in(user: User, remember: bool = False) -> None:
    """Start a session for `user` (remember-me cookie if asked) with its lifetime counting from now."""
    login_user(user, remember=remember)
    start_session_clock()
