"""One-shot form tokens: a form that creates a record, sent twice, creates it once.

The form carries a random token issued with the page (`OneShotForm`); the record stores it in
a unique column (ladder/models/once.py). `create_once` looks for a record made with the token
before creating one, and when two requests race past that look-up, the database refuses the
second insert and the loser is given the winner's record: a double click or a retry after a
lost answer lands on what the first request made, never on an error.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField
from wtforms.validators import Optional, Regexp

from .extensions import db
from .models.once import TOKEN_MAX
from .unit_of_work import StaleRecord, unit_of_work

Record = TypeVar("Record")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class OneShotForm(FlaskForm):
    """A form that creates a record; render `form.creation_token` next to the CSRF token.
    A form sent without one (a script) still works, without the protection."""

    creation_token = HiddenField(default=new_token, validators=[
        Optional(), Regexp(rf"^[A-Za-z0-9_-]{{16,{TOKEN_MAX}}}$", message="Reload the page and send the form again.")])


class LostRace(Exception):
    """Another request created a conflicting record at the same moment (not with this token)."""


def created_with(model: type[Record], token: str | None, **owner) -> Record | None:
    """The record of `model` created with `token` (by `owner`, e.g. author_id=...), if any."""
    if not token:
        return None
    return db.session.scalar(select(model).where(
        model.creation_token == token, *(getattr(model, name) == value for name, value in owner.items())))


def create_once(model: type[Record], token: str | None, create: Callable[[], Record],
                **owner) -> tuple[Record, bool]:
    """Create a record with `create()` (which adds and flushes it with `token`) and commit, or
    return the record this token already created: (record, created?). Raises LostRace when the
    database refused the record for another reason (a unique rule such as one open pairing),
    StaleRecord when a record it changes was saved elsewhere first; any error rolls back."""
    existing = created_with(model, token, **owner)
    if existing is not None:
        return existing, False
    try:
        with unit_of_work():
            record = create()
    except (IntegrityError, StaleRecord) as error:  # a version check lost to the same form, too
        existing = created_with(model, token, **owner)
        if existing is not None:
            return existing, False
        if isinstance(error, StaleRecord):
            raise
        raise LostRace() from error
    return record, True
