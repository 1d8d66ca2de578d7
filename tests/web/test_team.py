"""The team page, the heatmap, the org readiness report and its CSV."""
import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from ladder.domain.reviews import Entry
from ladder.extensions import db
from ladder.models import Rating, Review, User, Verdict
from ladder.services import team as team_service
from ladder.services.people import report_ids_query

from ..factories import make_review, make_user, password_hash, rate_all

pytestmark = pytest.mark.dates


def build_team(org, ladder, size: int):
    """`size` reports under a new manager, each with a submitted self-review, a shared manager
    review and a verdict, half of them via a team lead (indirect reports). Written in a few
    batched flushes, so 500 people stay quick to build."""
    boss = make_user(f"boss{size}@example.com", "em", "management", manager=org.director)
    lead = make_user(f"lead{size}@example.com", "staff", "ic", manager=boss)
    people = [User(email=f"p{size}-{i}@example.com", name=f"P{size} {i}", level_key="senior", track_key="ic",
                   manager_id=(boss if i % 2 else lead).id, password_hash=password_hash())
              for i in range(size - 1)]
    db.session.add_all(people)
    db.session.flush()
    reviews = []
    for person in people:
        reviews.append((Review(cycle_id=org.cycle.id, subject_id=person.id, author_id=person.id, kind="self",
                               status="submitted", subject_level_key="senior", subject_track_key="ic"), 2))
        reviews.append((Review(cycle_id=org.cycle.id, subject_id=person.id, author_id=boss.id, kind="manager",
                               status="shared", subject_level_key="senior", subject_track_key="ic"), 3))
        db.session.add(Verdict(subject_id=person.id, author_id=boss.id, target_level_key="staff",
                               verdict="ready_now", rationale="ok"))
    db.session.add_all(review for review, _ in reviews)
    db.session.flush()
    entries = {rank: rate_all(ladder, rank) for rank in (2, 3)}
    db.session.add_all(
        Rating(review_id=review.id, competency_id=ladder.competency_ids[key],
               level_id=None if entry.rating == "below" else ladder.level_ids[entry.rating],
               below_current=entry.rating == "below", evidence=entry.evidence)
        for review, rank in reviews for key, entry in entries[rank].items())
    db.session.commit()
    return boss


def test_team_page_shows_direct_and_indirect_reports_with_status_and_readiness(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 3), loaded=ladder)
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, target_level_key="staff",
                           verdict="ready_now", rationale="Yes."))
    db.session.commit()
    client.login("director@example.com")
    page = client.get("/team/").get_data(as_text=True)
    for name in ("Engineer", "Peer", "Manager", "Other Manager", "Outsider", "Mentor"):
        assert f">{name}</a>" in page
    assert "Staff Engineer: <strong>100%</strong>" in page and "Verdict: Ready now" in page
    direct = client.get("/team/?scope=direct").get_data(as_text=True)
    assert ">Manager</a>" in direct and ">Engineer</a>" not in direct
    indirect = client.get("/team/?scope=indirect&level=senior").get_data(as_text=True)
    assert ">Engineer</a>" in indirect and ">Manager</a>" not in indirect and ">Peer</a>" not in indirect


def test_late_reviews_are_flagged(client, org, ladder):
    org.cycle.opens_on = date(2020, 1, 1)
    org.cycle.self_review_due = date(2020, 1, 15)
    org.cycle.manager_review_due = date(2020, 2, 1)
    make_review(org.cycle, org.peer, status="submitted", entries=rate_all(ladder, 1), loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    late = client.get("/team/?status=late").get_data(as_text=True)
    assert ">Engineer</a>" in late and ">Peer</a>" in late  # engineer: nothing; peer: manager review missing
    assert late.count('badge-bad">late') == 3


def test_heatmap_has_values_and_a_legend(client, org, ladder):
    entries = rate_all(ladder, 2)
    entries["system-design"] = Entry("principal", "Org-wide design.")
    entries["security"] = Entry("below", "")
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=entries, loaded=ladder)
    db.session.commit()
    client.login("manager@example.com")
    page = client.get("/team/").get_data(as_text=True)
    assert "Heatmap: competencies × people" in page and "below their level" in page
    assert 'title="Engineer: 2 levels above">+2<' in page
    assert 'title="Engineer: below level">−1<' in page
    assert 'title="Peer: not rated">·<' in page


def test_people_without_reports_have_no_team_page(client, org):
    client.login("engineer@example.com")
    assert client.get("/team/").status_code == 404
    assert client.get("/reports/readiness").status_code == 404
    assert client.get("/reports/readiness.csv").status_code == 404


@pytest.mark.slow  # 500 people
def test_pages_use_the_same_number_of_queries_for_5_50_and_500_people(client, org, ladder, count_queries,
                                                                    monkeypatch):
    paths = ["/team/", "/team/?page=2&sort=next", "/team/?sort=level&level=senior&page=3", "/reports/readiness",
             "/reports/readiness?sort=next", "/reports/readiness.csv", "/reports/readiness.csv?sort=move",
             "/team/?manager_name=lead", "/reports/readiness?manager_name=boss&status=late"]
    admin_paths = ["/reports/readiness", "/reports/readiness?manager_name=boss", "/reports/readiness?manager_name=xyz"]
    counts = {path: [] for path in (*paths, *(f"admin {path}" for path in admin_paths))}
    monkeypatch.setattr(team_service, "MANAGER_LIST_LIMIT", 2)  # the admin's report: a text field above 2 managers
    for size in (5, 50, 500):
        boss = build_team(org, ladder, size)
        for email, prefix, wanted in ((boss.email, "", paths), ("admin@example.com", "admin ", admin_paths)):
            client.login(email)
            for path in wanted:
                client.get(path).get_data()  # warm the ladder cache
                with count_queries() as counter:
                    response = client.get(path)
                    body = response.get_data(as_text=True)  # the CSV streams: count what it runs too
                assert response.status_code == 200
                assert body.count(">P") >= min(size, 50) - 1 or prefix or "csv" in path or "manager_name" in path
                counts[prefix + path].append(counter.count)
            client.logout()
    for path, found in counts.items():
        assert len(set(found)) == 1, (path, found)
        assert found[0] <= 15, (path, found)


def _groups(page: str) -> list[str]:
    """The manager groups of a team page, as their summaries read (tags and spacing dropped)."""
    return [" ".join(re.sub(r"<[^>]+>", " ", summary).split())
            for summary in re.findall(r'<details class="team-group" open>\s*<summary>(.*?)</summary>', page, re.S)]


def test_team_page_groups_people_by_manager_fifty_a_page_and_keeps_filters_across_pages(client, org, ladder):
    boss = build_team(org, ladder, 120)  # 60 report to the boss directly (the lead among them), 60 to the lead
    client.login(boss.email)
    first = client.get("/team/").get_data(as_text=True)
    assert "120 people (direct and indirect reports), grouped by manager · page 1 of 3." in first
    assert _groups(first) == ["Your direct reports · 60 people · more on the next page"]
    assert first.count('<tr>\n        <th scope="row">') == 50
    second = client.get("/team/?page=2").get_data(as_text=True)
    assert _groups(second) == ["Your direct reports · 60 people (continued)",
                               "Lead120 · 60 people · more on the next page"]
    assert 'scope="colgroup" colspan="10" class="group-col">Your direct reports<' in second  # the heatmap too
    assert 'scope="colgroup" colspan="40" class="group-col">Lead120<' in second
    filtered = client.get("/team/?level=senior&sort=level").get_data(as_text=True)
    assert "119 people of 120" in filtered
    assert 'href="/team/?level=senior&amp;sort=level&amp;page=2">Next</a>' in filtered


def test_team_page_filters_by_a_managers_whole_team(client, org, ladder):
    boss = build_team(org, ladder, 30)
    lead = db.session.scalar(select(User).where(User.email == "lead30@example.com"))
    client.login("director@example.com")
    page = client.get(f"/team/?manager={lead.id}").get_data(as_text=True)
    assert _groups(page) == ["Lead30 · 15 people"] and ">Engineer</a>" not in page
    page = client.get(f"/team/?manager={boss.id}").get_data(as_text=True)
    assert _groups(page) == ["Boss30 · 15 people", "Lead30 · 15 people"]  # the lead's people are in the boss's team



def test_team_groups_count_people_on_the_ladder_and_those_a_review_status_filter_keeps(client, org, ladder):
    """The groups are counted from the tree alone without filters and with each person's row
    and reviews under a filter: both ways leave out people with no ladder role."""
    boss = build_team(org, ladder, 30)
    lead = db.session.scalar(select(User).where(User.email == "lead30@example.com"))
    make_user("newcomer@example.com", "senior", "ic", manager=lead)  # no self-review yet
    off_ladder = make_user("recruiter@example.com", "senior", "ic", manager=boss)
    off_ladder.on_ladder = False
    db.session.commit()
    client.login(boss.email)
    everyone = client.get("/team/").get_data(as_text=True)
    assert "31 people (direct and indirect reports)" in everyone
    assert _groups(everyone) == ["Your direct reports · 15 people", "Lead30 · 16 people"]
    late = client.get("/team/?status=self-not-submitted").get_data(as_text=True)
    assert "2 people of 31 (direct and indirect reports)" in late  # the lead has no self-review either
    assert _groups(late) == ["Your direct reports · 1 person", "Lead30 · 1 person"]
    assert ">Newcomer</a>" in late and "Recruiter" not in late

def test_a_manager_filter_outside_the_viewers_tree_shows_nobody_else(client, org):
    client.login("manager@example.com")
    page = client.get(f"/team/?manager={org.other_manager.id}").get_data(as_text=True)
    assert ">Outsider</a>" not in page and ">Mentor</a>" not in page  # the other manager's reports
    assert ">Engineer</a>" in page and ">Peer</a>" in page  # the filter is ignored, not obeyed
    offered = re.findall(r'<option value="(\d+)" ', page.split('name="manager"')[1].split("</select>")[0])
    assert offered == [str(org.manager.id)]


def test_each_team_row_links_to_the_side_by_side_review_of_the_open_cycle(client, org, ladder):
    make_review(org.cycle, org.engineer, status="submitted", entries=rate_all(ladder, 2), loaded=ladder)
    db.session.commit()
    client.login("director@example.com")
    page = client.get("/team/").get_data(as_text=True)
    link = f"/reviews/people/{org.engineer.id}/side-by-side?cycle={org.cycle.id}"
    assert f'<a class="small" href="{link}">Review side by side</a>' in page
    assert "Side by side" in client.get(link).get_data(as_text=True)


def test_readiness_columns_name_the_tracks_in_words(client, org):
    client.login("manager@example.com")
    for path in ("/team/", "/reports/readiness"):
        page = client.get(path).get_data(as_text=True)
        assert "Toward the next level</th>" in page and "Toward another track</th>" in page
        assert "(ic)" not in page and "(management)" not in page


@pytest.mark.slow  # a team of 1,200
def test_csv_streams_every_person_of_a_large_team(client, org, ladder):
    boss = build_team(org, ladder, 1200)  # more than two chunks of the stream
    client.login(boss.email)
    response = client.get("/reports/readiness.csv")
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1200 and len({row["email"] for row in rows}) == 1200
    in_name_order = db.session.scalars(  # the database's own collation decides the order
        select(User.email).where(User.id.in_(report_ids_query(boss.id))).order_by(func.lower(User.name), User.id)).all()
    assert [row["email"] for row in rows] == in_name_order  # the chunks arrive in order
    assert sum(row["next_level_meets_bar"] == "yes" for row in rows) == 1199  # everyone rated at Staff but the lead


def test_org_report_is_scoped_to_what_the_viewer_may_see(client, org):
    client.login("manager@example.com")
    page = client.get("/reports/readiness").get_data(as_text=True)
    assert ">Engineer</a>" in page and ">Outsider</a>" not in page
    client.logout()
    client.login("admin@example.com")
    page = client.get("/reports/readiness").get_data(as_text=True)
    assert ">Engineer</a>" in page and ">Outsider</a>" in page and ">Director</a>" in page


def test_the_admins_report_counts_up_to_a_limit_then_pages_on_and_counts_all_on_demand(client, org, ladder,
                                                                                      count_queries, monkeypatch):
    """At 50,000 people an exact count read the whole users table for every page of the report."""
    monkeypatch.setattr(team_service, "COUNT_LIMIT", 60)
    build_team(org, ladder, 120)
    total = db.session.scalar(select(func.count()).where(User.is_active_account, User.on_ladder.is_(True)))
    client.login("admin@example.com")
    first = client.get("/reports/readiness").get_data(as_text=True)
    assert "More than 60 people (" in first and "Page 1</span>" in first and "Page 1 of" not in first
    assert 'href="/reports/readiness?page=2">Next</a>' in first
    third = client.get("/reports/readiness?page=3").get_data(as_text=True)  # beyond what was counted
    assert third.count('<th scope="row">') == total - 100 and ">Next</a>" not in third
    assert 'href="/reports/readiness?page=2">Previous</a>' in third
    narrowed = client.get("/reports/readiness?level=staff").get_data(as_text=True)  # under the limit: exact
    assert re.search(r"<p>\d+ (person|people)\.", narrowed) and "More than" not in narrowed
    filtered = client.get("/reports/readiness?sort=level&page=2").get_data(as_text=True)
    assert 'href="/reports/readiness?sort=level&amp;page=2&amp;count=all">count them all</a>' in filtered
    exact = client.get("/reports/readiness?sort=level&page=2&count=all").get_data(as_text=True)
    assert f"<p>{total} people." in exact and "Page 2 of 3" in exact and "More than" not in exact
    assert 'href="/reports/readiness?sort=level&amp;page=3&amp;count=all">Next</a>' in exact  # kept across pages
    counts = {}
    for path in ("/reports/readiness", "/reports/readiness?count=all"):
        with count_queries() as counter:
            client.get(path)
        counts[path] = [statement for statement in counter.statements if statement.startswith("SELECT count(*)")]
    assert len(counts["/reports/readiness"]) == len(counts["/reports/readiness?count=all"]) == 1
    assert "LIMIT" in counts["/reports/readiness"][0] and "LIMIT" not in counts["/reports/readiness?count=all"][0]


def test_org_report_filters_and_sorts(client, org, ladder):
    make_review(org.cycle, org.outsider, kind="manager", author=org.other_manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    db.session.add(Verdict(subject_id=org.outsider.id, author_id=org.other_manager.id, target_level_key="staff",
                           verdict="ready_now", rationale="ok"))
    db.session.commit()
    client.login("admin@example.com")
    page = client.get(f"/reports/readiness?manager={org.other_manager.id}").get_data(as_text=True)
    assert ">Outsider</a>" in page and ">Engineer</a>" not in page
    assert ">Outsider</a>" in client.get("/reports/readiness?verdict=ready_now").get_data(as_text=True)
    assert ">Engineer</a>" not in client.get("/reports/readiness?verdict=ready_now").get_data(as_text=True)
    by_staff = client.get("/reports/readiness?sort=next").get_data(as_text=True)
    assert by_staff.index(">Outsider</a>") < by_staff.index(">Engineer</a>")


def test_csv_has_one_row_per_person_with_readiness_and_is_scoped(client, org, ladder):
    make_review(org.cycle, org.engineer, kind="manager", author=org.manager, status="shared",
                entries=rate_all(ladder, 3), loaded=ladder)
    org.peer.name = "=HYPERLINK(\"http://evil\")"
    db.session.add(Verdict(subject_id=org.engineer.id, author_id=org.manager.id, target_level_key="staff",
                           verdict="ready_now", rationale="ok"))
    db.session.commit()
    client.login("manager@example.com")
    response = client.get("/reports/readiness.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_email = {row["email"]: row for row in rows}
    assert set(by_email) == {"engineer@example.com", "peer@example.com"}
    engineer = by_email["engineer@example.com"]
    assert engineer["next_level_target"] == "staff" and engineer["next_level_coverage"] == "1.00"
    assert engineer["next_level_meets_bar"] == "yes" and engineer["next_level_verdict"] == "ready_now"
    assert engineer["other_track_target"] == "em" and engineer["other_track_track"] == "management"
    assert engineer["readiness_source"] == "manager"
    assert not any("ic" in column.split("_") for column in rows[0])  # column names in words, no track keys
    assert by_email["peer@example.com"]["name"].startswith("'=")  # no formula injection


def test_org_report_counts_its_selection_and_offers_every_manager_in_scope(client, org):
    client.login("admin@example.com")
    page = client.get("/reports/readiness").get_data(as_text=True)
    assert "<p>8 people." in page
    offered = re.findall(r'<option value="(\d+)" ', page.split('name="manager"')[1].split("</select>")[0])
    assert offered == [str(org.director.id), str(org.manager.id), str(org.other_manager.id)]  # in name order
    page = client.get(f"/reports/readiness?manager={org.other_manager.id}").get_data(as_text=True)
    assert "<p>2 people." in page and ">Outsider</a>" in page and ">Mentor</a>" in page
    dropdown = page.split('name="manager"')[1].split("</select>")[0]
    assert len(re.findall(r'<option value="(\d+)" ', dropdown)) == 3
    assert re.findall(r'<option value="(\d+)" selected', dropdown) == [str(org.other_manager.id)]


def test_report_paginates(client, org, ladder):
    boss = build_team(org, ladder, 60)
    client.login(boss.email)
    page = client.get("/reports/readiness").get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in client.get("/reports/readiness?page=2").get_data(as_text=True)


FORMULA_BYPASSES = ["Jo;=cmd|' /C calc'!A0", "\t=cmd|' /C calc'!A0", "Jo\t=1+1", "Jo,@SUM(1)", "\uff1dcmd()",
                    " =1+1", "Jo\n-2+3"]


@pytest.mark.parametrize("name", FORMULA_BYPASSES)
def test_csv_quotes_every_field_and_neutralises_formulas_after_separators(client, org, name):
    """A `;` (a field separator in many locales), a tab or a full-width sign used to slip a
    formula past the guard, which only looked at the first character of an unquoted field."""
    org.peer.name = name
    db.session.commit()
    client.login("manager@example.com")
    body = client.get("/reports/readiness.csv").get_data(as_text=True)
    assert body.startswith('"name","email",')
    peer = next(row for row in csv.DictReader(io.StringIO(body)) if row["email"] == "peer@example.com")
    for part in re.split(r"[;,|\t\r\n]", peer["name"]):
        assert not re.match(r"\s*[=+\-@\uff1d\uff0b\uff0d\uff20]", part), peer["name"]
    assert peer["name"].replace("'", "") == name.replace("'", "")  # the text is all there, as typed
    assert '"peer@example.com"' in body and '"em"' in body  # every field quoted, not only those with a comma


def test_every_manager_is_listed_by_name_only_while_there_are_few(org):
    """The admin's manager filter: a dropdown of every manager of someone active on the ladder,
    up to the limit; above it, None (a text field). Someone whose reports are all deactivated or
    without a ladder role manages no one here."""
    everyone = [(org.director.id, "Director"), (org.manager.id, "Manager"), (org.other_manager.id, "Other Manager")]
    assert team_service.every_manager_if_few(3) == everyone
    assert team_service.every_manager_if_few(2) is None
    org.outsider.is_active_account = False
    org.mentor.on_ladder = False
    db.session.commit()
    assert team_service.every_manager_if_few(2) == everyone[:2]


def test_above_the_dropdown_limit_the_manager_filter_is_a_search_kept_across_pages(client, org, ladder, monkeypatch):
    monkeypatch.setattr(team_service, "MANAGER_LIST_LIMIT", 1)
    boss = build_team(org, ladder, 120)  # 60 report to the boss directly (the lead among them), 60 to the lead
    lead = db.session.scalar(select(User).where(User.email == "lead120@example.com"))
    client.login(boss.email)
    page = client.get("/team/").get_data(as_text=True)
    assert '<select name="manager">' not in page and 'type="search" name="manager_name" value=""' in page
    page = client.get("/team/?manager_name=LEAD1").get_data(as_text=True)  # one match: chosen, shown by name
    assert "60 people of 120" in page and _groups(page) == ["Lead120 · 60 people · more on the next page"]
    assert 'name="manager_name" value="Lead120"' in page and f'name="manager" value="{lead.id}"' in page
    assert 'href="/team/?manager_name=LEAD1&amp;page=2">Next</a>' in page
    second = client.get("/team/?manager_name=LEAD1&page=2").get_data(as_text=True)
    assert "60 people of 120" in second and _groups(second) == ["Lead120 · 60 people (continued)"]
    edited = client.get(f"/team/?manager={lead.id}&manager_name=boss").get_data(as_text=True)  # the text wins
    assert "120 people (direct" in edited and 'name="manager_name" value="Boss120"' in edited


def test_a_manager_search_offers_several_matches_and_says_when_none_matches(client, org, monkeypatch):
    monkeypatch.setattr(team_service, "MANAGER_LIST_LIMIT", 1)
    client.login("admin@example.com")
    several = client.get("/reports/readiness?manager_name=manag&level=senior").get_data(as_text=True)
    assert "2 managers match “manag”: choose one." in several and "<p>8 people." not in several
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', several.split('class="manager-matches"')[1])
    assert [name for _, name in links] == ["Manager", "Other Manager"]
    assert f"manager={org.other_manager.id}" in links[1][0] and "level=senior" in links[1][0]
    chosen = client.get(f"/reports/readiness?manager={org.other_manager.id}&manager_name=Other+Manager")
    assert ">Outsider</a>" in chosen.get_data(as_text=True) and ">Engineer</a>" not in chosen.get_data(as_text=True)
    none = client.get("/reports/readiness?manager_name=%25nobody_")
    assert none.status_code == 200
    assert "No manager you can see has “%nobody_” in their name" in none.get_data(as_text=True)
    assert ">Engineer</a>" in none.get_data(as_text=True)  # the filter is not applied


@pytest.mark.parametrize("limit", [100, 1])  # the dropdown and the text field
def test_a_manager_search_finds_only_managers_in_the_viewers_scope(client, org, monkeypatch, limit):
    monkeypatch.setattr(team_service, "MANAGER_LIST_LIMIT", limit)
    client.login("manager@example.com")  # their tree: Engineer and Peer; Other Manager is beside them
    for path in ("/team/", "/reports/readiness"):
        page = client.get(f"{path}?manager_name=other").get_data(as_text=True)
        assert "No manager you can see has “other” in their name" in page and "Other Manager" not in page
        assert ">Outsider</a>" not in page and ">Engineer</a>" in page
        page = client.get(f"{path}?manager={org.other_manager.id}").get_data(as_text=True)  # an id outside: ignored
        assert "Other Manager" not in page and ">Outsider</a>" not in page and ">Engineer</a>" in page
        page = client.get(f"{path}?manager_name=manager").get_data(as_text=True)
        assert "Other Manager" not in page and ">Engineer</a>" in page


def test_the_tree_pages_build_no_tree_statement_per_request(client, org, ladder, monkeypatch):
    """The reporting tree and its groups are built once with the root bound: building them cost
    as much CPU as running them (2.6 ms a team page of 55 people). A filter still builds its own
    grouping on the same tree, and each viewer gets their own tree."""
    def built_per_request(*args):
        raise AssertionError("report_tree built during a request")

    monkeypatch.setattr(team_service, "report_tree", built_per_request)
    build_team(org, ladder, 6)
    client.login("boss6@example.com")
    plain = client.get("/team/").get_data(as_text=True)
    assert plain.count('<th scope="row"') >= 5 and ">Outsider</a>" not in plain
    filtered = client.get("/team/?level=staff").get_data(as_text=True)
    assert ">Lead6</a>" in plain and ">P6 1</a>" in plain
    assert ">Lead6</a>" in filtered and ">P6 1</a>" not in filtered  # the staff engineer, not the seniors
    client.logout()
    client.login("manager@example.com")
    report = client.get("/reports/readiness").get_data(as_text=True)
    assert ">Engineer</a>" in report and ">P6 1</a>" not in report
