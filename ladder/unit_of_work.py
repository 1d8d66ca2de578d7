"""A request's unit of work: services add and flush, the view commits once, here.

A record edited from a stale page (another tab or person saved it first) is refused with one
exception, `StaleRecord`, whichever way the race was lost: a service saw that the page's
`lock_version` is not the record's, or SQLAlchemy's version check (`version_id_col`) found the
row changed at flush or commit (`StaleDataError`). The view answers with its page, status 409,
the user's input kept and the saved record shown for comparison (`reload_after_conflict`); a
stale record no view answers for (a button, with no input to keep) is the 409 error page.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from flask import Flask, flash, jsonify, render_template
from sqlalchemy.orm.exc import StaleDataError

from .database import wants_json
from .extensions import db


class Versioned(Protocol):
    """A model saved under a version check (`version_id_col`)."""

    @property
    def lock_version(self) -> int: ...


Record = TypeVar("Record", bound=Versioned)


class StaleRecord(Exception):
    """The record changed since the page was loaded; saving would overwrite someone's work."""


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block's service calls added and flushed, once. Any error in the block or
    the commit rolls everything back; a lost version check comes out as StaleRecord."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleRecord() from None
    except BaseException:
        db.session.rollback()
        raise


def refresh_lock(form, lock_version: int) -> None:
    """Point a re-rendered form at the record's current version (the next save overwrites it)."""
    form.lock_version.data = lock_version
    form.lock_version.raw_data = [str(lock_version)]


def reload_after_conflict(model: type[Record], record_id: int, form, message: str) -> Record:
    """After a StaleRecord: the record as saved now, the form (which keeps what the user typed)
    pointed at its version so that saving again keeps theirs, and the message saying so."""
    record = db.session.get(model, record_id)
    # The view loaded it before saving, and records edited under a version check are never deleted.
    assert record is not None
    refresh_lock(form, record.lock_version)
    flash(message, "error")
    return record


CHANGED_ELSEWHERE = ("This was changed somewhere else (another tab or person) since you opened it, so nothing "
                     "was saved. Go back and reload the page to see what was saved.")


def conflict_page(error: Exception):
    """The 409 answer for a stale record that reached no view's own conflict page."""
    db.session.rollback()
    if wants_json():
        return jsonify(error="conflict", message=CHANGED_ELSEWHERE), 409
    return render_template("errors/error.html", code=409, error=error, message=CHANGED_ELSEWHERE), 409


def register(app: Flask) -> None:
    app.register_error_handler(StaleRecord, conflict_page)
    app.register_error_handler(StaleDataError, conflict_page)  # a view's plain db.session.commit()
