"""Integers from URLs and query strings, bounded to what the database can hold.

A Python int beyond the database's integer makes the driver raise (SQLite: OverflowError,
PostgreSQL: out of range), which would be a 500. No id or number that large can exist, so
in a path it does not match (a 404) and in a query string it counts as absent.
"""
from __future__ import annotations

from typing import overload

from flask import request
from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER, the ids' type


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only values the database can hold."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's parameter name)
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


@overload
def int_arg(name: str, default: int) -> int: ...
@overload
def int_arg(name: str, default: None = None) -> int | None: ...


def int_arg(name: str, default: int | None = None) -> int | None:
    """The query-string integer `name`, or `default` when it is missing, not a number, or
    beyond what the database can hold."""
    value = request.args.get(name, type=int)
    return value if value is not None and abs(value) <= DB_INT_MAX else default


def page_arg(name: str = "page") -> int:
    """The page the query string asks for: 1 when it is missing, not a number or below 1."""
    return max(int_arg(name, 1), 1)


def page_count(rows: int, per_page: int) -> int:
    """How many pages `rows` fill at `per_page` a page: one when there are none."""
    return max((rows + per_page - 1) // per_page, 1)
