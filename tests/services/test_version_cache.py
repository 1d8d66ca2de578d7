"""The version cache: published versions kept and reused, drafts never kept, a bounded size."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from ladder.extensions import db
from ladder.models import Ladder, LadderVersion
from ladder.services.ladder_admin import create_draft
from ladder.services.ladders import current_rubric, load_version
from ladder.services.version_cache import PublishedVersions, published_versions

from ..factories import make_user


def _version(version_id: int, status: str = "published"):
    return SimpleNamespace(version_id=version_id, status=status)


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used():
    cache = PublishedVersions(2)
    one, two, three = _version(1), _version(2), _version(3)
    cache.keep(one)
    cache.keep(two)
    assert cache.get(1) is one  # 1 is now the most recently used
    cache.keep(three)
    assert len(cache) == 2
    assert cache.get(2) is None and cache.get(1) is one and cache.get(3) is three


def test_drafts_are_never_kept_and_a_discarded_version_is_read_again():
    cache = PublishedVersions(4)
    cache.keep(_version(1, "draft"))
    assert cache.get(1) is None and len(cache) == 0
    cache.keep(_version(2))
    cache.discard(2)
    assert cache.get(2) is None
    with pytest.raises(ValueError):
        PublishedVersions(0)


@pytest.mark.fresh_app(LADDER_VERSION_CACHE_SIZE=3)
def test_the_size_comes_from_the_configuration(app):
    assert published_versions().size == 3


def test_a_published_version_is_read_once_and_reused_a_draft_every_time(app, ladder, count_queries):
    published = load_version(ladder.version_id)
    with count_queries() as counter:
        assert load_version(ladder.version_id) is published
    assert counter.count == 0
    admin = make_user("admin@example.com", "senior", "ic", admin=True)
    ladder_row = db.session.get(Ladder, db.session.get(LadderVersion, ladder.version_id).ladder_id)
    draft = create_draft(ladder_row, actor=admin)
    db.session.commit()
    first = load_version(draft.id)
    assert first.status == "draft" and load_version(draft.id) is not first
    assert published_versions().get(draft.id) is None


def test_which_version_is_current_is_looked_up_once_a_request(app, ladder, count_queries):
    with app.app_context(), app.test_request_context():  # a request of its own, as in a server
        current_rubric()
        with count_queries() as counter:
            assert current_rubric().version_id == ladder.version_id
        assert counter.count == 0
    with app.app_context(), app.test_request_context(), count_queries() as counter:
        current_rubric()
        assert counter.count == 1  # a new request asks again (a publish may have happened)
