"""Slowing down password guessing without letting anyone lock a colleague out.

Two limits guard sign-in and the password change form:

* per client address (Flask-Limiter, LOGIN_LIMIT_PER_ADDRESS), the ceiling for any one address;
* per account *and* address, an exponential back-off: after LOGIN_BACKOFF_FREE_ATTEMPTS
  failures, each further failure makes that address wait before trying that account again
  (5 s, 10 s, 20 s, ... up to LOGIN_BACKOFF_MAX_SECONDS). The owner, signing in from their own
  address, is not slowed by an attacker elsewhere; a success clears the back-off.

Counts live in the limiter's storage (Redis when RATELIMIT_STORAGE_URI says so, shared by every
worker). When that store is unreachable, this process counts on its own, with a warning in the
log, until it answers again (Flask-Limiter does the same for the per-address limit).
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage, Storage

from .extensions import limiter

logger = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_WAIT_SECONDS = 5
FAILURES_FORGOTTEN_AFTER = 24 * 3600  # seconds without a failure before the count starts again
_process_store = MemoryStorage()


def backoff_seconds(failures: int, free: int, cap: int) -> int:
    """How long to wait after `failures` failures in a row: nothing for the first `free`, then
    5 s doubling each time, at most `cap`."""
    if failures < free:
        return 0
    return min(FIRST_WAIT_SECONDS * 2 ** min(failures - free, 32), cap)


def _in_store(operation: Callable[[Storage], T]) -> T:
    try:
        return operation(limiter.limiter.storage)
    except Exception:  # whatever the store raised, counting goes on here
        logger.warning("Throttle storage unreachable; counting sign-in failures in this process until it answers.")
        return operation(_process_store)


def _keys(account: str) -> tuple[str, str]:
    pair = f"{account}|{get_remote_address()}"
    return f"ladder-backoff-failures/{pair}", f"ladder-backoff-wait/{pair}"


def seconds_to_wait(account: str) -> int:
    """Seconds before this address may try `account` again (0: now)."""
    if not limiter.enabled:
        return 0
    _, wait_key = _keys(account)

    def remaining(store: Storage) -> int:
        return max(math.ceil(store.get_expiry(wait_key) - time.time()), 1) if store.get(wait_key) else 0

    return _in_store(remaining)


def record_failure(account: str) -> None:
    if not limiter.enabled:
        return
    failures_key, wait_key = _keys(account)
    config = current_app.config

    def count(store: Storage) -> None:
        failures = store.incr(failures_key, FAILURES_FORGOTTEN_AFTER)
        wait = backoff_seconds(failures, config["LOGIN_BACKOFF_FREE_ATTEMPTS"], config["LOGIN_BACKOFF_MAX_SECONDS"])
        if wait:
            store.clear(wait_key)
            store.incr(wait_key, wait)

    _in_store(count)


def record_success(account: str) -> None:
    if not limiter.enabled:
        return

    def forget(store: Storage) -> None:
        for key in _keys(account):
            store.clear(key)

    _in_store(forget)
