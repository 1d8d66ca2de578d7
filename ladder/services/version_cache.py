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

`Recent`, the bounded store, also keeps the ratings of submitted reviews (services/readiness.py).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from flask import Flask, current_app, g, has_request_context

if TYPE_CHECKING:
    from .ladders import LoadedVersion

EXTENSION = "ladder.versions"
DEFAULT_SIZE = 16
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` entries, the least recently used dropped first; safe to share between the
    threads of a threaded server. For what never changes once read (a published version, a
    submitted review's ratings), so nothing kept here needs invalidating across processes."""

    def __init__(self, size: int, setting: str) -> None:
        if size < 1:
            raise ValueError(f"{setting} must be at least 1")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget everything: the database it came from was replaced (a restore, a test's rollback)."""
        with self._lock:
            self._entries.clear()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)


class PublishedVersions(Recent[int, "LoadedVersion"]):
    """Published versions by id, least recently used first; at most `size` of them."""

    def __init__(self, size: int) -> None:
        super().__init__(size, "LADDER_VERSION_CACHE_SIZE")

    def keep(self, loaded: LoadedVersion) -> None:
        """Keep a published version; a draft is never kept."""
        if loaded.status == "published":
            self.put(loaded.version_id, loaded)


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
