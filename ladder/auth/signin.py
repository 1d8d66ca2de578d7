"""Starting a session: the one sequence every way of signing in goes through."""
from __future__ import annotations

from flask_login import login_user

from ..models import User
from ..security import start_session_clock


def sign_in(user: User, remember: bool = False) -> None:
    """Sign `user` in on this browser; passwords, set-password links and single sign-on all end
    here, so their sessions follow the same lifetime and revocation rules."""
    login_user(user, remember=remember)
    start_session_clock()
