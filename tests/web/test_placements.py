"""Everyone keeps a place on their ladder: cycles, publishing and imports refuse versions that
would leave someone without a level or track, naming each person; renamed keys carry over."""
import re
from dataclasses import replace
from html import unescape

import pytest
from sqlalchemy import select

from ladder.domain.rubric import dump_rubric, parse_rubric
from ladder.extensions import db
from ladder.models import Goal, Ladder, Review, ReviewCycle, User, Verdict
from ladder.services.ladders import current_rubric, import_rubric, load_version

from ..factories import MINIMAL, SHAPE_NAMES, make_cycle, make_goal, make_review, make_user

pytestmark = pytest.mark.dates


def rename_level(rubric, old, new, *, renamed_from=()):
    """The rubric with one level key changed everywhere it appears."""
    def key(k):
        return new if k == old else k
    levels = tuple(replace(lv, key=new, renamed_from=renamed_from) if lv.key == old else lv for lv in rubric.levels)
    tracks = tuple(replace(t, levels=tuple(key(k) for k in t.levels)) for t in rubric.tracks)
    areas = tuple(replace(a, competencies=tuple(
        replace(c, expectations={key(k): v for k, v in c.expectations.items()}) for c in a.competencies))
        for a in rubric.areas)
    return replace(rubric, levels=levels, tracks=tracks, areas=areas,
                   bars={key(k): v for k, v in rubric.bars.items()})


def lees_self_review(client, org, version, level: str, track: str, cycle_name: str) -> tuple[User, str]:
    """Lee, signed in, and Lee's self-review page: Lee placed at `level` on `track` of `version`'s ladder, in a new
    cycle on that version (the org's own cycle closed)."""
    lee = make_user("lee@example.com", level, track, manager=org.manager, name="Lee")
    lee.ladder_id = version.ladder_id
    org.cycle.status = "closed"
    make_cycle(version.id, name=cycle_name)
    db.session.commit()
    client.login("lee@example.com")
    return lee, client.get("/reviews/self").get_data(as_text=True)


def test_a_cycle_on_another_ladder_reviews_only_its_people_and_names_those_who_do_not_fit(client, org, ladder):
    tiny_version, _ = import_rubric(parse_rubric(MINIMAL.replace("key: senior, name: Senior", "key: mid, name: Mid")
                                                 .replace("[junior, senior]", "[junior, mid]")
                                                 .replace("senior: Writes", "mid: Writes")))
    tiny = db.session.get(Ladder, tiny_version.ladder_id)
    org.engineer.ladder_id = tiny.id  # still at 'senior', which the tiny ladder does not have
    org.cycle.status = "closed"
    cycle = make_cycle(tiny_version.id, name="Tiny 2027", status="draft")
    db.session.commit()
    client.login("admin@example.com")
    response = client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}",
                                follow_redirects=True)
    page = unescape(response.get_data(as_text=True))
    assert ("1 person does not fit the ladder versions of this cycle: "
            "Engineer (engineer@example.com): unknown level 'senior'") in page
    assert db.session.get(ReviewCycle, cycle.id).status == "draft"

    db.session.get(User, org.engineer.id).level_key = "mid"
    db.session.commit()
    response = client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}",
                                follow_redirects=True)
    assert "2 reviews started." in response.get_data(as_text=True)
    subjects = set(db.session.scalars(select(Review.subject_id).where(Review.cycle_id == cycle.id)))
    assert subjects == {org.engineer.id}  # the people on the engineering ladder are not in it
    client.logout()
    client.login("engineer@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    assert "rated against Tiny ladder v1" in page and "Writes code others build on." in page


def publish_draft(client, text):
    client.post_form("/admin/ladders/engineering/draft", {}, token_from="/admin/ladders")
    response = client.post_form("/admin/ladders/engineering/2/edit", {"yaml_text": text})
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", response.get_data(as_text=True))
    return client.post_form("/admin/ladders/engineering/2/publish", {}, token_from="/admin/ladders/engineering/2/diff",
                            follow_redirects=True)


def test_publishing_a_version_without_someones_level_is_refused_naming_them(client, org, ladder):
    client.login("admin@example.com")
    renamed = rename_level(ladder.rubric, "staff", "staff-engineer")
    page = unescape(publish_draft(client, dump_rubric(renamed)).get_data(as_text=True))
    assert "1 person does not fit version 2: Mentor (mentor@example.com): unknown level 'staff'" in page
    diff_page = unescape(client.get("/admin/ladders/engineering/2/diff").get_data(as_text=True))
    assert "no place in this version" in diff_page
    assert current_rubric().number == 1
    assert db.session.get(User, org.mentor.id).level_key == "staff"


def rename_competency(rubric, old, new):
    return replace(rubric, areas=tuple(replace(a, competencies=tuple(
        replace(c, key=new, renamed_from=(old,)) if c.key == old else c for c in a.competencies))
        for a in rubric.areas))


def test_renamed_from_carries_people_verdicts_and_competency_tags_over(client, org, ladder):
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, cycle_id=org.cycle.id,
                           target_level_key="staff", verdict="ready_now", rationale="Leads the platform."))
    goal = make_goal(org.engineer, "Write the design doc", competencies=["system-design", "testing-strategy"])
    db.session.commit()
    client.login("admin@example.com")
    renamed = rename_level(ladder.rubric, "staff", "staff-engineer", renamed_from=("staff",))
    renamed = rename_competency(renamed, "system-design", "design")
    page = publish_draft(client, dump_rubric(renamed)).get_data(as_text=True)
    assert "Version 2 is published" in page
    assert db.session.get(User, org.mentor.id).level_key == "staff-engineer"
    assert db.session.scalar(select(Verdict.target_level_key)) == "staff-engineer"
    assert db.session.get(Goal, goal.id).competencies == ["design", "testing-strategy"]
    assert "renamed_from:\n  - staff" in client.get("/admin/ladders/engineering/2.yaml").get_data(as_text=True)


def test_importing_a_version_without_someones_level_lists_them_and_imports_nothing(runner, org, ladder, tmp_path):
    path = tmp_path / "renamed.yaml"
    path.write_text(dump_rubric(rename_level(ladder.rubric, "senior", "senior-engineer")))
    result = runner.invoke(args=["ladders", "import", str(path)])
    assert result.exit_code == 1
    for person in ("Engineer (engineer@example.com)", "Outsider (outsider@example.com)", "Admin (admin@example.com)"):
        assert f"{person}: unknown level 'senior'" in result.output
    assert len(load_version(ladder.version_id).rubric.levels) == len(ladder.rubric.levels)
    assert db.session.scalar(select(User.level_key).where(User.id == org.engineer.id)) == "senior"
    assert runner.invoke(args=["ladders", "import", "--draft", str(path)]).exit_code == 0


def test_a_renamed_key_may_not_still_be_in_use():
    text = MINIMAL.replace("{key: lead, name: Lead, rank: 3}", "{key: lead, name: Lead, rank: 3, renamed_from: senior}")
    with pytest.raises(Exception) as info:
        parse_rubric(text)
    assert "level 'lead' is renamed from 'senior', which is still a level key" in str(info.value)


def test_one_cycle_reviews_each_person_on_their_own_ladder(client, runner, org, ladder):
    tiny_version, _ = import_rubric(parse_rubric(MINIMAL))
    kim = make_user("kim@example.com", "junior", "ic", manager=org.manager)
    kim.ladder_id = tiny_version.ladder_id
    lone = make_user("lone@example.com", "junior", "ic", manager=org.manager)
    other, _ = import_rubric(parse_rubric(MINIMAL.replace("key: tiny", "key: other").replace("Tiny ladder",
                                                                                             "Other ladder")))
    lone.ladder_id = other.ladder_id
    org.cycle.status = "closed"
    db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/cycles/new").get_data(as_text=True)
    assert "Also review the people on" in page and "Tiny ladder v1" in page
    form = {"name": "2027 H1", "framework_version_id": str(ladder.version_id),
            "other_version_ids": [str(tiny_version.id)],
            "opens_on": "2027-01-04", "self_review_due": "2027-01-18", "manager_review_due": "2027-02-01",
            "closes_on": "2027-02-15"}
    response = client.post_form("/admin/cycles/new", form)
    cycle = db.session.scalar(select(ReviewCycle).where(ReviewCycle.name == "2027 H1"))
    assert response.status_code == 302
    cycle_page = client.get(f"/admin/cycles/{cycle.id}").get_data(as_text=True)
    assert "Engineering career ladder v1, Tiny ladder v1" in cycle_page
    response = client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}",
                                follow_redirects=True)
    assert "is open" in response.get_data(as_text=True)
    reviews = {r.subject_id: r.ladder_version_id for r in db.session.scalars(
        select(Review).where(Review.cycle_id == cycle.id, Review.kind == "self"))}
    assert reviews[kim.id] == tiny_version.id and reviews[org.engineer.id] == ladder.version_id
    assert lone.id not in reviews  # the other ladder is not in this cycle
    client.logout()
    client.login("kim@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "rated against Tiny ladder v1" in text and "0 of 1 competencies rated" in text
    client.logout()
    client.login("lone@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    assert "2027 H1 does not cover your ladder" in page
    assert db.session.scalar(select(Review.id).where(Review.subject_id == lone.id)) is None


def test_the_cli_scripts_a_cycle_over_several_ladders(runner, org, ladder):
    import_rubric(parse_rubric(MINIMAL))
    org.cycle.status = "closed"
    db.session.commit()
    result = runner.invoke(args=["cycles", "create", "All ladders", "--ladder", "engineering", "--ladder", "tiny",
                                 "--self-due", "2099-01-01", "--manager-due", "2099-02-01"])
    assert result.exit_code == 0, result.output
    assert "Created All ladders on Engineering career ladder v1, Tiny ladder v1 (draft)." in result.output
    twice = runner.invoke(args=["cycles", "create", "Twice", "--ladder", "tiny", "--ladder", "tiny",
                                "--self-due", "2099-01-01", "--manager-due", "2099-02-01"])
    assert twice.exit_code == 1 and "one version of each ladder" in twice.output


def test_people_read_their_own_ladder_and_can_switch_to_the_others(client, org, ladder):
    tiny_version, _ = import_rubric(parse_rubric(MINIMAL))
    kim = make_user("kim@example.com", "junior", "ic", manager=org.manager)
    kim.ladder_id = tiny_version.ladder_id
    db.session.commit()
    client.login("kim@example.com")
    page = client.get("/ladder/").get_data(as_text=True)
    assert "<h1>Tiny ladder</h1>" in page and 'href="/ladder/?ladder=engineering"' in page
    assert "<h1>Engineering career ladder</h1>" in client.get("/ladder/?ladder=engineering").get_data(as_text=True)
    assert client.get("/ladder/?ladder=nope").status_code == 404
    assert client.get("/ladder/compare?ladder=tiny&from=junior&to=senior").status_code == 200
    client.logout()
    client.login("manager@example.com")
    team = client.get("/team/").get_data(as_text=True)
    assert "Junior<br><small class=\"muted\">IC</small>" in team  # titles from Kim's own ladder
    assert "Toward the next level" in team and "Toward another track" in team and "(ic)" not in team
    kim_row = team.split(">Kim</a>")[1].split("</tr>")[0]
    assert kim_row.count("no review yet") == 2  # Kim's own targets (Senior, Lead), not empty columns
    assert "Heatmap: competencies × people on Engineering career ladder" in team
    tiny_heatmap = team.split("Heatmap: competencies × people on Tiny ladder")[1]
    assert tiny_heatmap.count('class="person-col"') == 1 and "<th scope=\"row\">Coding</th>" in tiny_heatmap
    assert "Kim" in client.get(f"/people/{kim.id}").get_data(as_text=True)


def test_the_home_page_speaks_of_the_persons_own_ladder(client, org, ladder):
    client.login("engineer@example.com")
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/").get_data(as_text=True)).split())
    assert "See your readiness toward Staff Engineer and Engineering Manager" in text
    assert "What changes from Senior Engineer to Staff Engineer" in text
    tiny_version, _ = import_rubric(parse_rubric(MINIMAL))
    kim = make_user("kim@example.com", "junior", "ic", manager=org.manager)
    kim.ladder_id = tiny_version.ladder_id
    db.session.commit()
    client.logout()
    client.login("kim@example.com")
    page = client.get("/").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "See what each level of Tiny ladder expects, on the ic, management tracks" in text
    assert "What changes from Junior to Senior" in text and "Staff" not in text
    assert "/ladder/compare?ladder=tiny&amp;from=junior&amp;to=senior" in page


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_each_shape_is_stored_and_read_back_unchanged(app, name):
    from ..factories import shape

    rubric = shape(name)
    version, created = import_rubric(rubric)
    db.session.commit()
    assert created and load_version(version.id).rubric == rubric
    assert import_rubric(rubric) == (version, False)  # importing it again changes nothing


def test_on_a_nine_track_ladder_people_rate_their_own_competencies_toward_declared_targets(client, org, ladder):
    from ..factories import shape

    version, _ = import_rubric(shape("nine-tracks"))
    boss = make_user("boss@example.com", "M4", "management")
    ada = make_user("ada@example.com", "IC3", "ml", manager=boss, name="Ada")
    sam = make_user("sam@example.com", "IC4", "software", manager=boss, name="Sam")
    for person in (boss, ada, sam):
        person.ladder_id = version.ladder_id
    org.cycle.status = "closed"
    cycle = make_cycle(version.id, name="Nine 2027", status="draft")
    db.session.commit()
    client.login("admin@example.com")
    client.post_form(f"/admin/cycles/{cycle.id}/open", {}, token_from=f"/admin/cycles/{cycle.id}")
    assert db.session.get(ReviewCycle, cycle.id).status == "open"
    client.logout()
    client.login("ada@example.com")
    page = client.get("/reviews/self").get_data(as_text=True)
    assert "<li>Builds and evaluates models: owns a system.</li>" in page  # a Markdown list, kept a list
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "0 of 4 competencies rated" in text and "ML fluency" in text
    assert "Organisational design" not in text and "Threat modelling" not in text
    client.logout()
    client.login("sam@example.com")
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/people/{sam.id}").get_data(as_text=True)).split())
    assert "Toward Senior Staff Engineer" in text and "Toward Engineering Manager" in text
    assert "Toward Senior Engineering Manager" not in text


@pytest.mark.slow  # every page about one person
def test_every_page_about_someone_on_another_ladder_answers_without_a_server_error(client, org, ladder):
    """A crawl of every GET route, as the person, their manager and an admin, on a cycle that
    covers the default ladder and a nine-track one."""
    from ladder.domain.reviews import Entry, reviewed_rubric
    from ladder.models import ReviewCycleLadder

    from ..factories import make_note, shape
    from .test_authorization_matrix import EXPECTED

    version, _ = import_rubric(shape("nine-tracks"))
    nine = load_version(version.id)
    boss = make_user("boss@example.com", "M4", "management", manager=org.director)
    ada = make_user("ada@example.com", "IC4", "ml", manager=boss, name="Ada")
    boss.ladder_id = ada.ladder_id = version.ladder_id
    db.session.add(ReviewCycleLadder(cycle_id=org.cycle.id, ladder_version_id=version.id))
    entries = {c.key: Entry("IC4", "Shipped it.") for c in reviewed_rubric(nine.rubric, "IC4", "ml").competencies}
    self_review = make_review(org.cycle, ada, status="submitted", entries=entries, loaded=nine)
    manager_review = make_review(org.cycle, ada, kind="manager", author=boss, status="shared",
                                 entries=entries, loaded=nine)
    goal = make_goal(ada, "Publish the evaluation", competencies=["ml-fluency"])
    note = make_note(boss, ada, "Good work on **evaluation**.", role="manager", visibility="shared")
    db.session.add(Verdict(subject_id=ada.id, author_id=boss.id, cycle_id=org.cycle.id, target_level_key="M3",
                           verdict="ready_6_months", rationale="Growing."))
    db.session.commit()
    records = {"engineer": ada.id, "outsider": org.outsider.id, "self_review": self_review.id,
               "manager_review": manager_review.id, "goal": goal.id, "cycle": org.cycle.id, "note": note.id}
    for email in ("ada@example.com", "boss@example.com", "admin@example.com", "director@example.com"):
        client.login(email)
        for template, methods in EXPECTED.values():
            if "GET" not in methods:
                continue
            try:
                url = template.format(**records)
            except KeyError:
                continue  # a record kind this crawl does not build
            response = client.get(url.replace("/case/staff", "/case/M3"))
            response.close()
            assert response.status_code < 500, (email, url)
        for url in (f"/people/{ada.id}/case/IC5", "/reports/readiness?sort=move", "/ladder/?ladder=nine-tracks",
                    "/ladder/compare?ladder=nine-tracks&from=IC4&to=M3", f"/reviews/people/{ada.id}/side-by-side"):
            assert client.get(url).status_code < 500, (email, url)
        client.logout()
    client.login("ada@example.com")
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/people/{ada.id}").get_data(as_text=True)).split())
    assert "Toward Senior Staff Engineer" in text and "Toward Engineering Manager" in text


def test_competency_tags_come_from_the_persons_own_ladder(app, org, ladder):
    from ladder.services.mentorship import UnknownCompetency, competency_names, validate_tags

    from ..factories import shape

    version, _ = import_rubric(shape("nine-tracks"))
    ada = make_user("ada@example.com", "IC4", "ml", manager=org.manager)
    ada.ladder_id = version.ladder_id
    db.session.commit()
    assert validate_tags(["ml-fluency"], ada.id) == ["ml-fluency"]
    with pytest.raises(UnknownCompetency):
        validate_tags(["security"], ada.id)  # a competency of the default ladder only
    assert validate_tags(["security"], org.engineer.id) == ["security"]
    assert competency_names()["ml-fluency"] == "ML fluency" and competency_names()["security"]


def test_a_level_shared_by_role_ladders_is_called_by_each_roles_title(client, org, ladder):
    from ..factories import shape

    version, _ = import_rubric(shape("role-ladders"))
    _, page = lees_self_review(client, org, version, "L4", "tech-lead", "Roles 2027")
    assert "Lee · Senior Tech Lead · Tech lead track" in page
    assert '<option value="L5">Staff Tech Lead</option>' in page and "Principal Developer" not in page
    matrix = client.get("/ladder/?track=tech-lead").get_data(as_text=True)
    assert '<th scope="col">Staff Tech Lead</th>' in matrix and '<th scope="col">Principal Developer</th>' not in matrix


def test_peer_feedback_is_asked_on_the_persons_own_ladder(client, org, ladder):
    """Someone on another ladder that the cycle covers is asked about their own competencies,
    not the cycle's main ladder's (which may not even have their level)."""
    from ladder.domain.peer_feedback import applicable_competencies
    from ladder.models import ReviewCycleLadder

    from ..factories import shape

    version, _ = import_rubric(shape("nine-tracks"))
    nine = load_version(version.id)
    ada = make_user("ada@example.com", "IC4", "ml", manager=org.manager, name="Ada")
    ada.ladder_id = version.ladder_id
    db.session.add(ReviewCycleLadder(cycle_id=org.cycle.id, ladder_version_id=version.id))
    db.session.commit()
    client.login("ada@example.com")
    page = client.get(f"/people/{ada.id}/peer-feedback/request").get_data(as_text=True)
    own = applicable_competencies(nine.rubric, "ml", "IC4")
    assert own and all(f'value="{c.key}"' in page for c in own)
    assert 'value="system-design"' not in page  # the default ladder's competency


@pytest.fixture
def points_team(org, ladder):
    """The "points" shape published, with Ada (Senior Engineer) reporting to Boss (Senior Group
    Lead) on it; the default ladder's cycle closed. (loaded version, boss, ada)"""
    from ..factories import shape

    version, _ = import_rubric(shape("points"))
    boss = make_user("boss@example.com", "SGL", "lead", name="Boss")
    ada = make_user("ada@example.com", "SE", "ic", manager=boss, name="Ada")
    boss.ladder_id = ada.ladder_id = version.ladder_id
    org.cycle.status = "closed"
    return load_version(version.id), boss, ada


def test_on_a_points_ladder_ratings_become_points_and_readiness_shows_them(client, org, points_team):
    """A person's milestones, their points, readiness toward the title at a points total, on
    the person page, the team page and heatmap, the CSV, the promotion case and the review form."""
    import csv
    import io

    from ladder.domain.reviews import Entry

    points, boss, ada = points_team
    cycle = make_cycle(points.version_id, name="Points 2027")
    keys = [c.key for c in points.rubric.competencies]
    milestones = dict.fromkeys(keys[:4], "M3") | dict.fromkeys(keys[4:8], "M2") | {keys[8]: "below"}  # 24 + 12
    make_review(cycle, ada, kind="manager", author=boss, status="shared", loaded=points,
                entries={key: Entry(value, "Shown in the launch.") for key, value in milestones.items()})
    db.session.commit()

    client.login("ada@example.com")
    form = client.get("/reviews/self").get_data(as_text=True)
    assert '<option value="M3">Milestone 3 (6 points)</option>' in form and "No milestone yet" in form
    assert "0 of 16 competencies rated" in " ".join(re.sub(r"<[^>]+>", " ", form).split())
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/people/{ada.id}").get_data(as_text=True)).split())
    assert "Toward Staff Engineer" in text and "36 of 57 points" in text and "21 to go" in text
    assert "Staff Engineer is reached at 57 points" in text
    assert "What to work on: the next milestones worth the most points" in text
    assert "Foundations — at Milestone 3; Milestone 4 adds 6 points" in text
    assert "Toward Senior Group Lead" in text  # the declared move, at the same total
    client.logout()

    client.login("boss@example.com")
    team = client.get("/team/").get_data(as_text=True)
    assert "Staff Engineer: <strong>36 of 57 points</strong>" in team
    assert 'title="Ada: 6 points">6</td>' in team and "no milestone yet" in team
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/readiness.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["email"] == "ada@example.com")
    assert (row["next_level_points"], row["next_level_points_needed"],
            row["next_level_meets_bar"]) == ("36", "57", "no")
    case = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/people/{ada.id}/case/ST").get_data(as_text=True)).split())
    assert "Milestones reached toward Staff Engineer" in case and "36 of 57 points" in case


def test_the_timeline_of_someone_on_a_points_ladder_says_no_milestone_yet(client, points_team):
    """A rating changed from "below" reads in the ladder's own words, not "Below current level"."""
    from datetime import timedelta

    from ladder import clock
    from ladder.domain.reviews import Entry

    points, boss, ada = points_team
    first_key = points.rubric.competencies[0].key
    for name, opens_on, rating in (("Points 2026", clock.today() - timedelta(days=200), "below"),
                                   ("Points 2027", None, "M2")):
        cycle = make_cycle(points.version_id, name=name, opens_on=opens_on,
                           status="closed" if rating == "below" else "open")
        review = make_review(cycle, ada, kind="manager", author=boss, status="shared", loaded=points,
                             entries={first_key: Entry(rating, "Shown in the launch.")})
        review.shared_at = clock.now() - timedelta(days=190 if rating == "below" else 1)
    db.session.commit()
    client.login("boss@example.com")
    text = unescape(client.get(f"/people/{ada.id}/timeline").get_data(as_text=True))
    assert "No milestone yet → Milestone 2" in text and "Below current level" not in text


def test_the_ladder_and_compare_pages_of_a_points_ladder_show_milestones_and_totals(client, org, ladder):
    from ..factories import shape

    import_rubric(shape("points"))
    db.session.commit()
    client.login("engineer@example.com")
    matrix = " ".join(re.sub(r"<[^>]+>", " ",
                             client.get("/ladder/?ladder=points&track=lead").get_data(as_text=True)).split())
    assert "Senior Group Lead reached at 57 points" in matrix and "Milestone 5 20 points" in matrix
    assert "Practises mobile apps in the whole company" in matrix  # the milestones are the columns
    compare = client.get("/ladder/compare?ladder=points&from=SE&to=ST")
    text = " ".join(re.sub(r"<[^>]+>", " ", compare.get_data(as_text=True)).split())
    assert compare.status_code == 200 and "Senior Engineer at 36 points, Staff Engineer at 57 points, 21 more" in text


def test_a_self_review_needs_one_of_a_choose_one_group_and_no_optional_rating(client, org, ladder):
    from ..domain.test_readiness import CHOICES
    from ..factories import lock_version

    version, _ = import_rubric(parse_rubric(CHOICES))
    lee, page = lees_self_review(client, org, version, "senior", "ic", "Choices 2027")
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Optional: it counts toward readiness only when rated." in text
    assert "One of Specialism: rate at least 1; only the best 1 counts toward readiness." in text
    assert "0 of 6 competencies rated" in text  # five shared and one of the three specialisms; talks is optional
    data = {f"rating-shared-{i}": "senior" for i in range(1, 6)} | {"rating-web": "staff", "evidence-web": "Led it."}
    response = client.post_form("/reviews/self", {**data, "lock_version": lock_version(page), "action": "submit",
                                                  "confirm_submit": "y"}, follow_redirects=True)
    assert response.status_code == 200
    review = db.session.scalar(select(Review).where(Review.subject_id == lee.id))
    assert review.status == "submitted"
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get(f"/people/{lee.id}").get_data(as_text=True)).split())
    assert "Not counted" in text and "Backend: only the best 1 of Specialism counts" in text
    assert "Talks: optional, and not rated" in text
