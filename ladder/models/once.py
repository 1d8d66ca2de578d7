"""The one-time token a record was created with, unique in the database.

A form that creates something (a note, a 1:1, a goal, a progress update, a pairing, a verdict)
carries a random token issued with the page; the record keeps it. A form sent twice (a double
click, a retry after a lost answer) carries the same token, so the database refuses a second
record and the second request finds the first one instead (see ladder/once.py).
"""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import MappedColumn, mapped_column

TOKEN_MAX = 64


def creation_token_column() -> MappedColumn:
    return mapped_column(String(TOKEN_MAX), unique=True, index=True)
