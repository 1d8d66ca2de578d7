"""The demo's evidence is about the competency it backs, in the reviews and the promotion case."""
import html
import random
import re

from sqlalchemy import select

from ladder.extensions import db
from ladder.models import User
from ladder.services.demo import PROJECTS, demo_evidence, evidence_texts


def stems(name: str) -> set[str]:
    """The first four letters of each word of a competency's name ("Testing strategy": test, stra)."""
    return {word[:4] for word in re.findall(r"[a-z]+", name.lower()) if len(word) >= 4 and word != "with"}


def mentions(text: str, name: str) -> bool:
    return any(stem in text.lower() for stem in stems(name))


def test_each_default_ladder_competency_has_evidence_about_it(ladder):
    for competency in ladder.rubric.competencies:
        texts = evidence_texts(competency)
        assert len(texts) >= 2, competency.key
        for text in texts:
            assert mentions(text, competency.name), (competency.key, text)
    rng = random.Random(1)
    for competency in ladder.rubric.competencies:
        text = demo_evidence(competency, rng)
        assert mentions(text, competency.name) and any(project in text for project in PROJECTS)


def test_another_ladders_competency_gets_evidence_naming_it():
    class Competency:
        key, name = "sql-fluency", "SQL fluency"

    assert all("sql fluency" in text for text in evidence_texts(Competency()))


def test_the_demo_promotion_case_shows_evidence_about_each_competency(runner, client, app):
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    priya = db.session.scalar(select(User).where(User.email == "priya@example.com"))
    client.login("manager@example.com", "ladder-demo")
    page = client.get(f"/people/{priya.id}/case/staff").get_data(as_text=True)
    rows = re.findall(r'<th scope="row">([^<]+)</th>.*?<td class="evidence small">([^<]*)</td>', page, re.S)
    rated = [(html.unescape(name), html.unescape(text)) for name, text in rows if text.strip()]
    assert len(rated) >= 10
    for name, text in rated:
        assert mentions(text, name), (name, text)
