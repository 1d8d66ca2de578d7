"""The `ladder` command: ladders in and out, the demo organisation."""
import pytest
from sqlalchemy import func, select

from ladder.domain.rubric import default_rubric_path, load_rubric
from ladder.extensions import db
from ladder.models import LadderVersion, Review, ReviewCycle, User, Verdict


def test_load_default_is_idempotent(runner, app):
    result = runner.invoke(args=["ladders", "load-default"])
    assert result.exit_code == 0 and "Loaded" in result.output
    result = runner.invoke(args=["ladders", "load-default"])
    assert "Already current" in result.output
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1


def test_export_then_import_round_trips(runner, app, tmp_path):
    runner.invoke(args=["ladders", "load-default"])
    exported = tmp_path / "ladder.yaml"
    result = runner.invoke(args=["ladders", "export", str(exported)])
    assert result.exit_code == 0, result.output
    assert load_rubric(exported) == load_rubric(default_rubric_path())
    result = runner.invoke(args=["ladders", "import", str(exported)])
    assert "Unchanged" in result.output
    edited = tmp_path / "edited.yaml"
    edited.write_text(exported.read_text().replace("name: Engineering career ladder", "name: Our ladder", 1))
    result = runner.invoke(args=["ladders", "import", str(edited)])
    assert result.exit_code == 0 and "version 2" in result.output, result.output
    again = tmp_path / "again.yaml"
    runner.invoke(args=["ladders", "export", "--version", "2", str(again)])
    assert load_rubric(again) == load_rubric(edited)
    v1 = runner.invoke(args=["ladders", "export", "--version", "1"]).output
    assert load_rubric_text(v1).name == "Engineering career ladder"  # v1 is unchanged


def load_rubric_text(text):
    from ladder.domain.rubric import parse_rubric
    return parse_rubric(text)


def test_import_of_a_bad_file_lists_every_problem_and_changes_nothing(runner, app, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(default_rubric_path().read_text().replace("rank: 2", "rank: two").replace("tracks: [ic]",
                                                                                             "tracks: [icc]"))
    result = runner.invoke(args=["ladders", "import", str(bad)])
    assert result.exit_code == 1
    assert "rank: must be a whole number" in result.output and "unknown track 'icc'" in result.output
    assert str(bad) + ":" in result.output
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 0


def test_export_of_a_missing_version_is_a_clear_error(runner, app):
    result = runner.invoke(args=["ladders", "export", "--version", "7"])
    assert result.exit_code != 0 and "No ladder 'engineering' version 7" in result.output


@pytest.mark.commits  # --reset drops and rebuilds every table
def test_demo_builds_the_organisation_once(runner, app):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    for email in ("admin@example.com", "director@example.com", "manager@example.com", "manager2@example.com",
                  "engineer@example.com", "engineer2@example.com", "mentor@example.com"):
        assert email in result.output
    people = {u.email: u for u in db.session.scalars(select(User))}
    assert people["engineer@example.com"].manager_id == people["manager@example.com"].id
    assert people["engineer2@example.com"].manager_id == people["manager@example.com"].id
    assert people["manager@example.com"].manager_id == people["director@example.com"].id
    assert people["manager2@example.com"].manager_id == people["director@example.com"].id
    for manager in ("manager@example.com", "manager2@example.com"):
        reports = [u for u in people.values() if u.manager_id == people[manager].id]
        assert 3 <= len(reports) <= 5
    assert people["admin@example.com"].is_admin
    assert people["admin@example.com"].check_password("ladder-demo")
    assert not people["admin@example.com"].on_ladder  # people operations: not reviewed, not in reports
    admin_id = people["admin@example.com"].id
    assert not db.session.scalar(select(func.count(Review.id)).where(Review.subject_id == admin_id))
    assert {c.status for c in db.session.scalars(select(ReviewCycle))} == {"open", "closed"}
    assert {r.status for r in db.session.scalars(select(Review))} == {"draft", "submitted", "shared"}
    assert db.session.scalar(select(func.count(Verdict.id))) > 0
    again = runner.invoke(args=["demo", "--no-serve"])
    assert "kept it" in again.output
    reset = runner.invoke(args=["demo", "--no-serve", "--reset"])
    assert "Dropped all data" in reset.output and "Loaded the default ladder" in reset.output


def test_import_of_a_hostile_or_latin1_file_is_a_listed_problem(runner, app, tmp_path):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(default_rubric_path().read_text().replace("Engineering career ladder",
                                                                 "Échelle").encode("latin-1"))
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text(default_rubric_path().read_text().replace("name: Engineering career ladder",
                                                                "name: !!python/name:os.system", 1))
    for path, message in ((latin1, "not UTF-8 text"), (tagged, "unsupported tag")):
        result = runner.invoke(args=["ladders", "import", str(path)])
        assert result.exit_code == 1 and message in result.output, result.output
        assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 0


def test_lint_lists_errors_or_warnings(runner, app, tmp_path):
    from ..domain.test_ladder_lint import LADDER

    path = tmp_path / "ladder.yaml"
    path.write_text(LADDER)
    result = runner.invoke(args=["ladders", "lint", str(path)])
    assert result.exit_code == 0
    assert f"{path}: warning: competency 'coding': the expectation at 'L2' repeats 'L1'" in result.output
    assert "valid (format 2), 2 tracks, 4 levels, 2 competencies; 4 warning(s)." in result.output
    path.write_text(LADDER.replace("rank: 2", "rank: two"))
    result = runner.invoke(args=["ladders", "lint", str(path)])
    assert result.exit_code == 1 and "levels[1].rank: must be a whole number" in result.output
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 0  # linting stores nothing


def test_a_spreadsheet_imports_as_a_draft_and_a_version_exports_as_one(runner, app, tmp_path):
    runner.invoke(args=["ladders", "load-default"])
    exported = tmp_path / "ladder.csv"
    result = runner.invoke(args=["ladders", "export", "--csv", str(exported)])
    assert result.exit_code == 0 and exported.read_bytes().startswith("\ufeff".encode())
    result = runner.invoke(args=["ladders", "import-csv", str(exported), "--ladder", "platform",
                                 "--name", "Platform"])
    assert result.exit_code == 0 and "draft version 1 of platform" in result.output, result.output
    from ladder.services.ladders import load_version
    draft = db.session.scalar(select(LadderVersion).where(LadderVersion.name == "Platform"))
    assert draft.status == "draft"
    assert load_version(draft.id).rubric.areas == load_rubric(default_rubric_path()).areas
    bad = tmp_path / "bad.csv"
    bad.write_text("competency,area,track,level,expectation\nCoding,Craft,IC,One,Writes.\nCoding,Other,IC,Two,x\n")
    result = runner.invoke(args=["ladders", "import-csv", str(bad), "--ladder", "ours", "--name", "Ours"])
    assert result.exit_code == 1
    assert "bad.csv has 1 problem(s); nothing was imported" in result.output
    assert "bad.csv: row 3, column B (area): competency 'coding' is in area 'craft' on row 2" in result.output
    result = runner.invoke(args=["ladders", "import-csv", str(bad), "--ladder", "newone"])
    assert result.exit_code == 1 and "give the new ladder a name" in result.output
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 2


def test_the_older_command_name_still_works_and_is_hidden(runner, app):
    """The group's older name still runs its commands (existing scripts), and help lists only the new one."""
    older = "framework"
    assert runner.invoke(args=[older, "load-default"]).exit_code == 0
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1
    listing = runner.invoke(args=["--help"]).output
    assert " ladders " in listing and f" {older} " not in listing
