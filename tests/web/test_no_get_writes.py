"""No GET writes: every GET route of the app, as every role, leaves every table as it was.

Opening a page must never change what others see (a review "not started" must not become a
"draft" because someone looked at its form) and a cross-site GET must not be able to act.
"""
from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import text

from ladder import clock
from ladder.extensions import db
from ladder.models import Verdict
from ladder.services import sign_in_links

from ..conftest import CsrfClient
from ..factories import make_goal, make_mentorship, make_note, make_one_on_one, make_peer_request, make_review, rate_all

pytestmark = pytest.mark.dates

ROLES = ("engineer", "peer", "manager", "director", "other_manager", "outsider", "mentor", "admin")


@pytest.fixture
def path_values(org, ladder):
    """Real ids for every path argument. The engineer has no review yet (their forms are "not
    started"); the peer has a submitted self-review and a draft manager review."""
    submitted = make_review(org.cycle, org.peer, status="submitted", entries=rate_all(ladder, 1), loaded=ladder)
    draft = make_review(org.cycle, org.peer, kind="manager", author=org.manager)
    make_mentorship(org.mentor, org.engineer)
    note = make_note(org.mentor, org.engineer, "A private note.", role="mentor", visibility="private")
    one_on_one = make_one_on_one(org.manager, org.engineer, "We talked.", role="manager", items=["Write it up"])
    goal = make_goal(org.engineer, "Lead an incident review", due_on=clock.today() + timedelta(days=30))
    invitation, _ = sign_in_links.issue(org.peer, "invite", clock.now())  # opening it must not use it
    verdict = Verdict(subject_id=org.peer.id, author_id=org.manager.id, cycle_id=org.cycle.id,
                      target_level_key="senior", verdict="ready_now", rationale="Consistently at Senior.")
    db.session.add(verdict)
    asked = make_peer_request(org.cycle, org.engineer, org.peer)
    answered = make_peer_request(org.cycle, org.peer, org.engineer, status="answered",
                                 answers={"system-design": {"text": "Clear designs.", "rating": None}})
    db.session.commit()
    return {"filename": ["app.css"], "user_id": [org.engineer.id, org.peer.id],
            "review_id": [submitted.id, draft.id], "note_id": [note.id], "one_on_one_id": [one_on_one.id],
            "goal_id": [goal.id], "cycle_id": [org.cycle.id], "target_key": ["staff"],
            "key": [ladder.rubric.key], "number": [ladder.number],
            "token": [invitation, "not-a-real-token"], "verdict_id": [verdict.id],
            "request_id": [asked.id, answered.id]}


def get_urls(app, values: dict) -> list[str]:
    """Every GET route with every combination of the real values its arguments take."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            names = sorted(rule.arguments)
            missing = [name for name in names if name not in values]
            assert not missing, f"{rule.endpoint}: give the walk a value for {missing}"
            for combination in product(*(values[name] for name in names)):
                urls.append(url_for(rule.endpoint, **dict(zip(names, combination, strict=True))))
    return urls


def row_counts() -> dict[str, int]:
    """Rows in every table (the audit log included), in one statement."""
    tables = [table.name for table in db.metadata.sorted_tables]
    counts = ", ".join(f'(SELECT count(*) FROM "{name}") AS "{name}"' for name in tables)
    return dict(db.session.execute(text(f"SELECT {counts}")).mappings().one())  # nosec B608 (table names)


@pytest.mark.slow  # every GET route for every role
def test_no_get_route_writes_for_any_role(app, org, path_values):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "10000 per minute"
    clients = {"anonymous": CsrfClient(app.test_client())}
    for role in ROLES:
        clients[role] = CsrfClient(app.test_client())
        assert clients[role].login(getattr(org, role).email).status_code == 302, role
    urls = get_urls(app, path_values)
    assert "/reviews/self" in urls and f"/reviews/people/{org.engineer.id}/manager" in urls
    before = row_counts()
    writes = []
    for url, (role, client) in product(urls, clients.items()):
        response = client.get(url)
        assert response.status_code < 500, (url, role)
        response.close()
        after = row_counts()
        if after != before:
            writes.append(f"GET {url} as {role}: " + ", ".join(
                f"{name} {before[name]} -> {after[name]}" for name in after if after[name] != before[name]))
            before = after
    assert writes == []
