"""Long pages open with a table of contents: a labelled nav whose every link lands on a section."""
import re

import pytest

from ladder.extensions import db

from ..factories import make_review, rate_all

pytestmark = pytest.mark.dates


def contents_of(page: str) -> list[str]:
    """The anchors the page's "On this page" nav links to, checking each is an id on the page."""
    nav = re.search(r'<nav aria-label="On this page"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "no table of contents"
    anchors = re.findall(r'href="#([^"]+)"', nav.group(1))
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor
    return anchors


@pytest.fixture
def reviewed(org, ladder):
    self_review = make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    db.session.commit()
    return self_review


def test_person_page_links_to_each_of_its_sections(client, org, reviewed):
    client.login("manager@example.com")
    anchors = contents_of(client.get(f"/people/{org.engineer.id}").get_data(as_text=True))
    assert anchors[:4] == ["readiness", "history", "verdicts", "reviews"]
    assert "peer-feedback" in anchors


def test_review_side_by_side_and_promotion_case_link_to_their_sections(client, org, ladder, reviewed):
    client.login("manager@example.com")
    review_anchors = contents_of(client.get(f"/reviews/{reviewed.id}").get_data(as_text=True))
    assert [f"area-{area.key}" for area in ladder.rubric.areas] == [a for a in review_anchors if a.startswith("area-")]
    side = contents_of(client.get(f"/reviews/people/{org.engineer.id}/side-by-side").get_data(as_text=True))
    assert {"radar-h", "by-competency-h"} <= set(side)
    case = contents_of(client.get(f"/people/{org.engineer.id}/case/staff").get_data(as_text=True))
    assert case[0] == "case-readiness-h" and case[-1] == "case-verdicts-h"
