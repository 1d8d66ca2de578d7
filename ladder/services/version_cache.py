"""The one cache of ladder versions read into memory, and its rules.

- A **published** version never changes (publishing freezes it; editing the ladder makes a new
  draft), so once read it is kept, by version id, and reused by every request of the process.
  What the domain works out from its rubric (readiness plans, heat tables, targets:
  `Rubric.derived`) lives and dies with it.
- A **draft** changes under its editor: it is read anew each time and never kept.
- **Which** version is a ladder's current one changes at any publish: it is looked up once a
  request (`once_per_request`), never kept across requests.
- Bounded: at most `LADDER_VERSION_CACHE_SIZE` versions (default 16) per application, the least
  recently used dropped first. An organisation has a handful of ladders, each with a few
  versions that reviews still point at.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from flask import Flask, current_app, g, has_request_context

if TYPE_CHECKING:
    from .ladders import LoadedVersion

EXTENSION = "ladder.versions"
DEFAULT_SIZE = 16
T = TypeVar("T")


class PublishedVersions:
    """Published versions by id, least recently used first; at most `size` of them."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("LADDER_VERSION_CACHE_SIZE must be at least 1")
        self.size = size
        self._versions: OrderedDict[int, LoadedVersion] = OrderedDict()
        self._lock = threading.Lock()  # threaded servers share the application

    def __len__(self) -> int:
        return len(self._versions)

    def clear(self) -> None:
        """Forget every version: the database they came from was replaced (a restore, a test's rollback)."""
        with self._lock:
            self._versions.clear()

    def get(self, version_id: int) -> LoadedVersion | None:
        with self._lock:
            loaded = self._versions.get(version_id)
            if loaded is not None:
                self._versions.move_to_end(version_id)
            return loaded

    def keep(self, loaded: LoadedVersion) -> None:
        """Keep a published version; a draft is never kept."""
        if loaded.status != "published":
            return
        with self._lock:
            self._versions[loaded.version_id] = loaded
            self._versions.move_to_end(loaded.version_id)
            while len(self._versions) > self.size:
                self._versions.popitem(last=False)

    def discard(self, version_id: int) -> None:
        """Forget a version whose row changed status or was deleted in this process."""
        with self._lock:
            self._versions.pop(version_id, None)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = PublishedVersions(app.config.get("LADDER_VERSION_CACHE_SIZE", DEFAULT_SIZE))


def published_versions() -> PublishedVersions:
    cache: PublishedVersions = current_app.extensions[EXTENSION]
    return cache


def cached_version(version_id: int, read: Callable[[int], LoadedVersion]) -> LoadedVersion:
    """The version from the cache, or `read` from the database (and kept if it is published)."""
    cache = published_versions()
    loaded = cache.get(version_id)
    if loaded is None:
        loaded = read(version_id)
        cache.keep(loaded)
    return loaded


_REQUEST_ANSWERS = "ladder_versions_this_request"


def forget_this_request() -> None:
    """Forget this request's answers: a version was published or deleted during it."""
    g.pop(_REQUEST_ANSWERS, None)


def once_per_request(name: str, compute: Callable[[], T]) -> T:
    """`compute()` the first time a request asks for `name`, then the same answer until the
    request ends (template filters ask for the current ladder once per row). Outside a request
    (commands, jobs) every call asks again: an application context may outlive many changes."""
    if not has_request_context():
        return compute()
    answers: dict[str, T] = g.setdefault(_REQUEST_ANSWERS, {})
    if name not in answers:
        answers[name] = compute()
    return answers[name]
