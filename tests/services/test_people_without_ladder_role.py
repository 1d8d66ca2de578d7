"""People without a ladder role (users.on_ladder false, e.g. people operations): no review when a
cycle opens or later, not in reports, team pages, the CSV, calibration, the to-do list or
readiness pages; they can still manage and administer."""
import csv
import io

import pytest
from sqlalchemy import func, select

from ladder import clock
from ladder.domain.calibration import CalibrationFilter
from ladder.domain.people_import import ExistingPerson, plan_import, read_csv
from ladder.domain.team import TeamFilter
from ladder.extensions import db
from ladder.models import Ladder, Review, User, Verdict
from ladder.services import cycles, people_admin
from ladder.services import reviews as review_service
from ladder.services.calibration import calibration_of
from ladder.services.placements import placements_on
from ladder.services.team import report_view, team_view
from ladder.services.todo import todo_for

from ..factories import make_review, make_user, rate_all

pytestmark = pytest.mark.dates


@pytest.fixture
def ops(org):
    """People operations, reporting to the director, with a level and track left from before."""
    person = make_user("ops@example.com", "senior", "ic", manager=org.director, name="Olu Ops")
    person.on_ladder = False
    db.session.commit()
    return person


def reviews_of(person) -> int:
    return db.session.scalar(select(func.count(Review.id)).where(Review.subject_id == person.id))


# --- services ---------------------------------------------------------------------------------

def test_opening_a_cycle_or_adding_people_later_gives_them_no_review(org, ops):
    created, skipped = cycles.start_reviews(org.cycle)
    assert created > 0 and not skipped
    assert reviews_of(ops) == 0 and reviews_of(org.engineer) == 2
    with pytest.raises(review_service.NotInCycle):
        review_service.unsaved_review(org.cycle, ops, "self", ops)


def test_a_new_ladder_version_does_not_have_to_place_them(org, ops):
    ladder = db.session.scalar(select(Ladder))
    assert "ops@example.com" not in {p.email for p in placements_on(ladder)}


def test_team_selection_and_org_report_leave_them_out(org, ops):
    today = clock.today()
    team = team_view(org.director, TeamFilter(), None, today)
    assert ops.id not in {row.person.id for row in team.selection.page("name", 1, 50)}
    assert team.count == team.total == 6  # the director's tree without ops
    report = report_view(org.admin, TeamFilter(), None, today)
    assert ops.id not in {row.person.id for row in report.selection.page("name", 1, 50)}


def test_calibration_leaves_them_out_even_with_an_old_review(org, ops, ladder):
    make_review(org.cycle, ops, kind="manager", author=org.director, status="submitted",
                entries=rate_all(ladder, 2), loaded=ladder)
    db.session.add(Verdict(subject_id=ops.id, author_id=org.director.id, cycle_id=org.cycle.id,
                           target_level_key="staff", verdict="ready_now", rationale="Before the flag."))
    db.session.commit()
    found = calibration_of(org.cycle, org.director, CalibrationFilter())
    assert ops.id not in {c.subject_id for c in found.cases()}
    assert found.people == 0


def test_their_to_do_has_no_self_review_and_their_manager_owes_them_none(org, ops):
    def todo(person):
        return [item.text for item in todo_for(person, clock.today(), org.cycle, None, open_goals=[], mentees=[])]

    assert not [text for text in todo(ops) if "self-review" in text]
    assert not [text for text in todo(org.director) if ops.name in text]


def test_the_person_form_sets_the_flag(org, ladder):
    data = people_admin.PersonData(email="hr@example.com", name="Hana HR", ladder_key="engineering",
                                   level_key="senior", track_key="ic", manager_email="", title="People partner",
                                   is_admin=False, on_ladder=False)
    person = people_admin.create_person(data, ladder.rubric)
    assert person.on_ladder is False
    people_admin.update_person(person, data.__class__(**{**data.__dict__, "on_ladder": True}), ladder.rubric,
                               actor=org.admin)
    assert person.on_ladder is True


def test_import_reads_an_optional_ladder_role_column():
    text = ("email,name,level,track,manager_email,ladder_role\n"
            "hr@example.com,Hana HR,senior,ic,,no\n"
            "eli@example.com,Eli,senior,ic,,\n"
            "bad@example.com,Bad,senior,ic,,perhaps\n")
    rows, problems = read_csv(text)
    assert not problems
    assert [r.ladder_role for r in rows] == ["no", None, "perhaps"]


def test_import_plans_and_applies_the_ladder_role(org, ladder):
    rows, _ = read_csv("email,name,level,track,manager_email,ladder_role\n"
                       "hr@example.com,Hana HR,senior,ic,,no\n"
                       "engineer@example.com,Engineer,senior,ic,manager@example.com,no\n"
                       "peer@example.com,Peer,engineer,ic,manager@example.com,\n"
                       "bad@example.com,Bad,senior,ic,,perhaps\n")
    plan = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
    by_email = {r.email: r for r in plan.rows}
    assert by_email["engineer@example.com"].changes == {"ladder_role": ("yes", "no")}
    assert by_email["peer@example.com"].action == "unchanged"
    assert "write yes or no" in by_email["bad@example.com"].errors[0]
    rows = [r for r in rows if r.email != "bad@example.com"]
    people_admin.apply_import(plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric},
                                          "engineering"))
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert not people["hr@example.com"].on_ladder and not people["engineer@example.com"].on_ladder
    assert people["peer@example.com"].on_ladder


def test_an_existing_person_without_a_role_is_unchanged_by_a_file_without_the_column(ladder):
    rows, _ = read_csv("email,name,level,track,manager_email\nhr@example.com,Hana HR,senior,ic,\n")
    existing = [ExistingPerson("hr@example.com", "Hana HR", "senior", "ic", "", "", True, "engineering", False)]
    plan = plan_import(rows, existing, {"engineering": ladder.rubric}, "engineering")
    assert plan.rows[0].action == "unchanged"


# --- pages ------------------------------------------------------------------------------------

def test_their_home_page_asks_for_no_self_review_and_the_review_page_says_why(client, org, ops):
    client.login("ops@example.com")
    home = client.get("/").get_data(as_text=True)
    assert "Start your self-review" not in home and "no role on the ladder" in home
    assert "See your readiness" not in home and "Ask colleagues for feedback" not in home
    page = client.get("/reviews/self").get_data(as_text=True)
    assert "You have no role on the ladder" in page
    assert reviews_of(ops) == 0


def test_their_person_page_shows_no_readiness_and_no_promotion_case(client, org, ops):
    client.login("director@example.com")
    page = client.get(f"/people/{ops.id}").get_data(as_text=True)
    assert "no role on the ladder" in page and "Promotion readiness" not in page
    assert client.get(f"/people/{ops.id}/case/staff").status_code == 404
    assert "has no role on the ladder" in client.get(f"/people/{ops.id}/peer-feedback/request").get_data(as_text=True)


def test_team_page_report_and_csv_leave_them_out(client, org, ops):
    client.login("director@example.com")
    assert "Olu Ops" not in client.get("/team/").get_data(as_text=True)
    assert "Olu Ops" not in client.get("/reports/readiness").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(client.get("/reports/readiness.csv").get_data(as_text=True))))
    assert rows and "ops@example.com" not in {row["email"] for row in rows}


def test_a_manager_whose_reports_have_no_ladder_role_gets_a_team_page_saying_so(client, org, ladder):
    lead = make_user("lead@example.com", "em", "management", manager=org.director, name="Lee Lead")
    helper = make_user("helper@example.com", "senior", "ic", manager=lead, name="Hana Helper")
    helper.on_ladder = False
    db.session.commit()
    client.login("lead@example.com")
    page = client.get("/team/")
    assert page.status_code == 200
    assert "None of the people who report to you has a ladder role" in page.get_data(as_text=True)
    client.logout()
    client.login("engineer@example.com")  # no reports at all: still no team page
    assert client.get("/team/").status_code == 404


def test_admin_unticks_the_ladder_role_in_the_person_form(client, org):
    client.login("admin@example.com")
    path = f"/admin/people/{org.engineer.id}"
    assert 'name="on_ladder"' in client.get(path).get_data(as_text=True)
    response = client.post_form(path, {"name": "Engineer", "email": "engineer@example.com", "level_key": "senior",
                                       "track_key": "ic", "manager_email": "manager@example.com"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, org.engineer.id).on_ladder is False
