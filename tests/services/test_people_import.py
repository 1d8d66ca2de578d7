"""CSV import: reading, planning every row's errors (no database), applying all or nothing."""
import io

import pytest
from sqlalchemy import func, select

from ladder.domain.people_import import ExistingPerson, plan_import, read_csv
from ladder.domain.rubric import default_rubric_path, load_rubric
from ladder.extensions import db
from ladder.models import User
from ladder.services import people_admin

RUBRIC = load_rubric(default_rubric_path())
HEADER = "email,name,level,track,manager_email,title\n"
BOSS = ExistingPerson("boss@example.com", "Bo Boss", "sem", "management", "", "Director")


def plan(text, existing=(BOSS,)):
    rows, file_errors = read_csv(text)
    result = plan_import(rows, list(existing), {"engineering": RUBRIC}, "engineering")
    result.file_errors.extend(file_errors)
    return result


def errors_of(result, line):
    return next(r.errors for r in result.rows if r.line == line)


def test_a_clean_file_plans_creates_updates_and_unchanged():
    result = plan(HEADER
                  + "New@Example.com,Nia New,senior,ic,boss@example.com,Senior Engineer\n"
                  + "boss@example.com,Bo Boss,sem,management,,Head of Engineering\n"
                  + "\n")
    assert result.ok
    assert [r.action for r in result.rows] == ["create", "update"]
    assert result.rows[0].email == "new@example.com"
    assert result.rows[1].changes == {"title": ("Director", "Head of Engineering")}
    same = plan(HEADER + "boss@example.com,Bo Boss,sem,management,,Director\n")
    assert same.rows[0].action == "unchanged"


@pytest.mark.parametrize("line, message", [
    ("a@example.com,Al,wizard,ic,boss@example.com,", "Unknown level 'wizard'"),
    ("a@example.com,Al,senior,astronaut,boss@example.com,", "Unknown track 'astronaut'"),
    ("a@example.com,Al,staff,management,boss@example.com,", "Level 'staff' is not on the 'management' track"),
    ("a@example.com,Al,senior,ic,ghost@example.com,", "Unknown manager: ghost@example.com"),
    ("not-an-email,Al,senior,ic,boss@example.com,", "Not a valid email address"),
    ("a@example.com,,senior,ic,boss@example.com,", "Missing name"),
    (",Al,,ic,boss@example.com,", "Missing email, level"),
    ("a@example.com,Al,senior,ic,a@example.com,", "cannot be their own manager"),
    ("a@example.com," + "x" * 121 + ",senior,ic,,", "Name is longer than 120"),
])
def test_each_kind_of_row_error_is_reported(line, message):
    result = plan(HEADER + line + "\n")
    assert not result.ok
    assert any(message in error for error in errors_of(result, 2)), errors_of(result, 2)


def test_duplicate_emails_are_reported_on_every_occurrence():
    result = plan(HEADER + "a@example.com,Al,senior,ic,,\nb@example.com,Bea,senior,ic,,\nA@example.com,Al "
                           "Again,senior,ic,,\n")
    assert "also on line(s) 4" in errors_of(result, 2)[0]
    assert "also on line(s) 2" in errors_of(result, 4)[0]
    assert not errors_of(result, 3)


def test_a_reporting_cycle_in_the_file_or_with_existing_people_is_refused():
    result = plan(HEADER + "a@example.com,Al,senior,ic,b@example.com,\nb@example.com,Bea,senior,ic,c@example.com,\n"
                  "c@example.com,Cy,senior,ic,a@example.com,\nd@example.com,Di,senior,ic,a@example.com,\n")
    for line in (2, 3, 4):
        assert any("Reporting cycle" in e for e in errors_of(result, line))
    assert not errors_of(result, 5)  # reports into the loop but is not on it
    # the boss (already in Ladder, top of the tree) is made to report to someone who reports to them
    result = plan(HEADER + "x@example.com,Xi,senior,ic,boss@example.com,\nboss@example.com,Bo "
                           "Boss,sem,management,x@example.com,\n")
    assert any("boss@example.com → x@example.com → boss@example.com" in e for e in errors_of(result, 3))


def test_a_deactivated_manager_is_refused():
    gone = ExistingPerson("gone@example.com", "Gone", "em", "management", "", "", active=False)
    result = plan(HEADER + "a@example.com,Al,senior,ic,gone@example.com,\n", existing=[BOSS, gone])
    assert "deactivated" in errors_of(result, 2)[0]


def test_file_level_problems():
    assert plan("").file_errors == ["The file is empty."]
    assert "Missing column(s): level, manager_email" in plan("email,name,track\nx@example.com,X,ic\n").file_errors[0]
    assert plan(HEADER).file_errors == ["The file has a header but no people."]
    # headers are forgiving: case, spaces, "Manager email", semicolons, no title column
    result = plan("Email;Name;Level;Track;Manager Email\nz@example.com;Zed;senior;ic;boss@example.com\n")
    assert result.ok and result.rows[0].row.title is None


def test_apply_refuses_a_plan_with_errors_and_changes_nothing(app, ladder):
    db.session.add(User(email="boss@example.com", name="Bo Boss", level_key="sem", track_key="management"))
    db.session.commit()
    rows, _ = read_csv(HEADER + "a@example.com,Al,senior,ic,boss@example.com,\nb@example.com,Bea,wizard,ic,,\n")
    result = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
    with pytest.raises(people_admin.ImportRefused):
        people_admin.apply_import(result)
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_apply_creates_and_updates_everyone_with_managers(app, ladder):
    db.session.add(User(email="boss@example.com", name="Bo Boss", level_key="sem", track_key="management"))
    db.session.commit()
    # managers may come after their reports in the file
    rows, _ = read_csv(HEADER + "a@example.com,Al,senior,ic,m@example.com,Senior\n"
                       "m@example.com,Mo,em,management,boss@example.com,EM\n"
                       "boss@example.com,Bo Boss,sem,management,,Director\n")
    result = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
    assert people_admin.apply_import(result) == {"create": 2, "update": 1, "unchanged": 0}
    db.session.commit()
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert people["a@example.com"].manager_id == people["m@example.com"].id
    assert people["m@example.com"].manager_id == people["boss@example.com"].id
    assert people["boss@example.com"].title == "Director"
    assert people["a@example.com"].password_hash is None  # an admin sets a one-time password


def test_apply_logs_each_person_as_the_form_would_and_moves_managers_without_a_loop(app, ladder):
    """One audit entry per person, with the fields the session hook logs for a person created
    through the form; a manager swap (the boss now reports to their report) goes through, the
    reporting-cycle trigger checking every row on PostgreSQL."""
    from ladder.models import AuditEntry
    from ladder.services.audit import acting_as

    admin = User(email="admin@example.com", name="Ada Admin", level_key="sem", track_key="management",
                 is_admin=True)
    boss = User(email="boss@example.com", name="Bo Boss", level_key="sem", track_key="management")
    db.session.add_all([admin, boss])
    db.session.flush()
    db.session.add(User(email="mo@example.com", name="Mo", level_key="em", track_key="management",
                        manager_id=boss.id))
    db.session.commit()
    rubric = ladder.rubric
    with acting_as(admin.id):
        people_admin.create_person(people_admin.PersonData(
            "form@example.com", "Fay Form", "engineering", "senior", "ic", "mo@example.com", "Senior", False), rubric)
    rows, _ = read_csv(HEADER + "new@example.com,Nia New,senior,ic,mo@example.com,Senior\n"
                       "boss@example.com,Bo Boss,sem,management,mo@example.com,\n"
                       "mo@example.com,Mo,em,management,,EM\n")
    result = plan_import(rows, people_admin.existing_people(), {"engineering": rubric}, "engineering")
    with acting_as(admin.id):
        assert people_admin.apply_import(result) == {"create": 1, "update": 2, "unchanged": 0}
    db.session.commit()
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert people["boss@example.com"].manager_id == people["mo@example.com"].id
    assert people["mo@example.com"].manager_id is None and people["mo@example.com"].title == "EM"
    entries = {(e.entity_id, e.action): e for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.actor_id == admin.id))}
    new, form = people["new@example.com"], people["form@example.com"]
    assert set(entries) == {(form.id, "user.create"), (new.id, "user.create"),
                            (people["mo@example.com"].id, "user.update"), (boss.id, "user.update")}
    logged, by_hook = entries[(new.id, "user.create")], entries[(form.id, "user.create")]
    assert logged.subject_id == new.id
    form_fields = {k: v for k, v in by_hook.changes.items() if k != "framework_id"}  # no ladder column: none
    assert logged.changes == {**form_fields, "id": [None, new.id], "email": [None, "new@example.com"],
                              "name": [None, "Nia New"]}
    assert entries[(boss.id, "user.update")].changes == {"manager_id": [None, people["mo@example.com"].id]}
    assert entries[(people["mo@example.com"].id, "user.update")].changes == {
        "title": [None, "EM"], "manager_id": [boss.id, None]}


def big_org_csv(n: int) -> str:
    lines = [HEADER.strip(), "ceo@example.com,Casey Chief,sem,management,,CEO"]
    managers = [f"m{i}@example.com" for i in range(n // 10)]
    lines += [f"{m},Manager {i},em,management,ceo@example.com,EM" for i, m in enumerate(managers)]
    for i in range(n - len(lines) + 1):
        lines.append(f"p{i}@example.com,Person {i},senior,ic,{managers[i % len(managers)]},Engineer")
    return "\n".join(lines) + "\n"


@pytest.mark.slow  # 5,000 rows
def test_a_5000_row_file_costs_a_few_more_statements_than_a_500_row_one(app, ladder, count_queries):
    """Planning runs no query per row, and applying writes in batches (people and their audit
    entries, a statement per thousand rows and per level of the tree), so ten times the rows
    cost a few more statements, not ten times as many. (How long 50,000 rows take is measured
    by the benchmark, docs/performance.md.)"""
    def statements(size: int) -> int:
        rows, file_errors = read_csv(big_org_csv(size))
        with count_queries() as planning:
            result = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
        assert len(rows) == size and result.ok and not file_errors and planning.count <= 2
        with count_queries() as applying:
            people_admin.apply_import(result)
            db.session.flush()
        db.session.rollback()
        return applying.count

    small, large = statements(500), statements(5000)
    # a batch is its insert, its audit entries and (PostgreSQL) fresh statistics for the trigger
    assert small <= 12 and large <= small + 15, (small, large)
    text = big_org_csv(5000)
    rows, _ = read_csv(text)
    people_admin.apply_import(plan_import(rows, [], {"engineering": ladder.rubric}, "engineering"))
    db.session.commit()
    assert db.session.scalar(select(func.count(User.id))) == 5000
    # a 5,000-row file with one bad row at the end: every other row is fine, nothing applies
    rows, _ = read_csv(text + "late@example.com,Late,senior,ic,nobody@example.com,\n")
    result = plan_import(rows, people_admin.existing_people(), {"engineering": ladder.rubric}, "engineering")
    assert len(result.error_rows) == 1 and result.count("unchanged") == 5000


def test_cli_import_dry_run_then_apply(runner, app, ladder, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text(big_org_csv(300))
    result = runner.invoke(args=["people", "import", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "300 to add" in result.output and "Dry run: nothing was changed" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported: 300 added" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 300


def test_cli_import_lists_every_error_and_changes_nothing(runner, app, ladder, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "a@example.com,Al,wizard,ic,,\nb@example.com,Bea,senior,ic,ghost@example.com,\n")
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2: Unknown level 'wizard'" in result.output
    assert "line 3: Unknown manager: ghost@example.com" in result.output
    assert "nothing was imported" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_web_import_dry_run_shows_errors_then_applies_the_fixed_file(client, org):
    client.login("admin@example.com")
    bad = HEADER + ("new1@example.com,New One,senior,ic,manager@example.com,\n"
                    "new2@example.com,New Two,wizard,ic,ghost@example.com,\n")
    response = client.post_form("/admin/people/import", {"file": (io.BytesIO(bad.encode()), "org.csv")},
                                content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Unknown level &#39;wizard&#39;" in page and "Unknown manager: ghost@example.com" in page
    assert "Apply" not in page.split("Dry run")[1].split("<table")[0]
    good = bad.replace("wizard", "engineer").replace("ghost@example.com", "new1@example.com")
    response = client.post_form("/admin/people/import", {"file": (io.BytesIO(good.encode()), "org.csv")},
                                content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>2</strong> to add" in page
    fields = dict(__import__("re").findall(r'name="(content|digest|plan_digest)" type="hidden" value="([^"]*)"', page))
    import html
    data = {k: html.unescape(v) for k, v in fields.items()}
    tampered = client.post_form("/admin/people/import/apply",
                                {**data, "content": data["content"] + "x@example.com,X,senior,ic,,\n"},
                                token_from="/admin/people/import")
    assert tampered.status_code == 302
    assert db.session.scalar(select(func.count(User.id)).where(User.email.like("new%"))) == 0
    response = client.post_form("/admin/people/import/apply", data, token_from="/admin/people/import")
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "new2@example.com")).manager_id == \
        db.session.scalar(select(User.id).where(User.email == "new1@example.com"))
    # applying the same dry run again: people changed since, so it is shown again instead
    again = client.post_form("/admin/people/import/apply", data, token_from="/admin/people/import")
    assert again.status_code == 409 and "changed since the dry run" in again.get_data(as_text=True)


def test_a_ladder_column_places_people_on_other_ladders_and_checks_their_levels(runner, app, ladder, tmp_path):
    from ladder.domain.rubric import parse_rubric
    from ladder.models import Ladder
    from ladder.services.ladders import import_rubric

    from ..factories import MINIMAL

    import_rubric(parse_rubric(MINIMAL))
    db.session.commit()
    path = tmp_path / "people.csv"
    path.write_text("email,name,level,track,manager_email,ladder\n"
                    "lee@example.com,Lee,em,management,,\n"
                    "kim@example.com,Kim,junior,ic,lee@example.com,Tiny\n"
                    "sam@example.com,Sam,staff,ic,lee@example.com,tiny\n"
                    "max@example.com,Max,senior,ic,lee@example.com,data\n")
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 1
    assert "line 4: Unknown level 'staff'" in result.output
    assert "line 5: Unknown ladder 'data' (published ladders: engineering, tiny)" in result.output
    path.write_text("email,name,level,track,manager_email,ladder\nlee@example.com,Lee,em,management,,\n"
                    "kim@example.com,Kim,junior,ic,lee@example.com,tiny\n")
    assert runner.invoke(args=["people", "import", str(path)]).exit_code == 0
    kim = db.session.scalar(select(User).where(User.email == "kim@example.com"))
    assert db.session.get(Ladder, kim.ladder_id).key == "tiny"
    path.write_text("email,name,level,track,manager_email,ladder\nkim@example.com,Kim,senior,ic,lee@example.com,engineering\n")
    result = runner.invoke(args=["people", "import", "--dry-run", str(path)])
    assert "ladder tiny → engineering" in result.output and "level junior → senior" in result.output
