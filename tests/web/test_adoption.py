"""An organisation adopts Ladder on its own ladders, from an empty database, using only the
command line and the web pages as the README documents them: the first administrator, a
ladder of each shape real frameworks have under its own key, 200 people across them, a cycle
over all of them; then every person is reviewed on their own competencies and every page
answers every role without a server error."""
import csv
import io
import re
from datetime import timedelta
from html import unescape
from itertools import cycle as round_robin
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.domain.reviews import reviewed_rubric
from ladder.extensions import db
from ladder.models import Review, User
from ladder.services.ladders import latest_published, load_version

from ..factories import PASSWORD as DEFAULT
from ..factories import SHAPES, password_hash
from .test_authorization_matrix import EXPECTED

pytestmark = [pytest.mark.dates, pytest.mark.slow]

PASSWORD = "a long and quiet river"
PEOPLE = 200


def placements(rubric) -> list[tuple[str, str]]:
    """Every (track, level) a person can hold on the ladder, lowest first."""
    rank = {level.key: level.rank for level in rubric.levels}
    return sorted(((track.key, level) for track in rubric.tracks for level in track.levels),
                  key=lambda placement: (rank[placement[1]], placement[0]))


def people_csv(rubrics: list) -> str:
    """PEOPLE rows spread over the ladders: per ladder a head, four leads reporting to the head,
    everyone else reporting to a lead, at every track and level the ladder has."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "level", "track", "manager_email", "ladder"])
    per_ladder = PEOPLE // len(rubrics)
    for number, rubric in enumerate(rubrics):
        size = per_ladder if number < len(rubrics) - 1 else PEOPLE - per_ladder * (len(rubrics) - 1)
        spots = placements(rubric)
        top = round_robin(reversed(spots))
        spread = round_robin(spots)
        head = f"head.{rubric.key}@example.com"
        leads = [f"lead{n}.{rubric.key}@example.com" for n in range(4)]
        for index in range(size):
            email = head if index == 0 else leads[index - 1] if index <= 4 else f"p{index}.{rubric.key}@example.com"
            track, level = next(top) if index <= 4 else next(spread)
            manager = "" if index == 0 else head if index <= 4 else leads[index % 4]
            writer.writerow([email, f"Person {index} of {rubric.name}", level, track, manager, rubric.key])
    return out.getvalue()


def page_text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_an_organisation_adopts_ladder_on_its_own_ladders(runner, client, app, tmp_path):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "10000 per minute"  # one test address signs in as many people
    created = runner.invoke(args=["admin", "create", "ops@example.com", "--name", "Ops", "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output
    shapes = sorted(SHAPES.glob("*.yaml"))
    assert len(shapes) >= 3
    for path in shapes:
        imported = runner.invoke(args=["ladders", "import", str(path)])
        assert imported.exit_code == 0, (path.name, imported.output)
    rubrics = [load_version(latest_published(key).id).rubric
               for key in sorted({load_rubric_key(path) for path in shapes})]

    people = tmp_path / "people.csv"
    people.write_text(people_csv(rubrics), encoding="utf-8")
    imported = runner.invoke(args=["people", "import", str(people), "--as", "ops@example.com"])
    assert imported.exit_code == 0, imported.output
    assert f"{PEOPLE} added" in imported.output

    today = clock.today()
    self_due, manager_due = (today + timedelta(days=days) for days in (14, 28))
    ladder_options = [option for rubric in rubrics for option in ("--ladder", rubric.key)]
    opened = runner.invoke(args=["cycles", "create", "2027 H1", *ladder_options, "--self-due", self_due.isoformat(),
                                 "--manager-due", manager_due.isoformat(), "--open", "--as", "ops@example.com"])
    assert opened.exit_code == 0, opened.output
    started = int(re.search(r"(\d+) reviews started", opened.output).group(1))
    assert started == db.session.scalar(select(func.count(Review.id)))

    everyone = db.session.scalars(select(User).where(User.email != "ops@example.com")).all()
    for person in everyone:  # as if each had accepted their invitation
        person.password_hash = password_hash()
    db.session.commit()
    # everyone with a manager has a self-review (each ladder's head has no manager to review them)
    assert db.session.scalar(select(func.count(Review.id)).where(Review.kind == "self")) == PEOPLE - len(rubrics)
    by_key = {rubric.key: rubric for rubric in rubrics}
    keys_of = {latest_published(key).ladder_id: key for key in by_key}

    # Each person's self-review asks about exactly the competencies that apply to them.
    for person in [p for p in everyone if p.manager_id][::17]:
        rubric = by_key[keys_of[person.ladder_id]]
        mine = reviewed_rubric(rubric, person.level_key, person.track_key)
        client.login(person.email)
        text = page_text(client.get("/reviews/self"))
        assert f"0 of {len(mine.competencies)} competencies rated" in text, (person.email, rubric.key)
        others = {c.name for c in rubric.competencies} - {c.name for c in mine.competencies}
        assert not [name for name in others if f" {name} " in text], person.email
        client.logout()

    # Every page, as a person, their lead, their head and the administrator, answers without a 5xx.
    for rubric in rubrics:
        engineer = db.session.scalar(select(User).where(User.email == f"p7.{rubric.key}@example.com"))
        own_review = db.session.scalar(select(Review).where(Review.subject_id == engineer.id, Review.kind == "self"))
        records = {"engineer": engineer.id, "self_review": own_review.id, "manager_review": own_review.id,
                   "cycle": own_review.cycle_id}
        for email in (engineer.email, f"lead3.{rubric.key}@example.com", f"head.{rubric.key}@example.com",
                      "ops@example.com"):
            client.login(email, PASSWORD if email == "ops@example.com" else DEFAULT)
            for template, methods in EXPECTED.values():
                if "GET" not in methods:
                    continue
                try:
                    url = template.format(**records)
                except KeyError:
                    continue  # a record kind this organisation has not made yet
                response = client.get(url)
                response.close()
                assert response.status_code < 500, (email, url)
            for url in ("/reports/readiness?sort=move", "/reports/readiness.csv", f"/ladder/?ladder={rubric.key}",
                        f"/reviews/people/{engineer.id}/side-by-side", "/team/", "/team/heatmap"):
                response = client.get(url)
                response.close()
                assert response.status_code < 500, (email, url)
            client.logout()

    # The team pages and the report show the people of every ladder.
    client.login("ops@example.com", PASSWORD)
    report = client.get("/reports/readiness.csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(report)))) - 1 == PEOPLE
    for rubric in rubrics:
        head = db.session.scalar(select(User).where(User.email == f"head.{rubric.key}@example.com"))
        client.logout()
        client.login(head.email)
        team = page_text(client.get("/team/"))
        assert f"Person 7 of {rubric.name}" in team, rubric.key


def load_rubric_key(path: Path) -> str:
    from ladder.domain.rubric import load_rubric

    return load_rubric(path).key
