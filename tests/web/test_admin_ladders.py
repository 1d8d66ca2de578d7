"""Ladder versions in the browser: draft from the latest, edit as YAML with the shared validator,
upload, diff, publish; published versions never change."""
import io
import re
from html import unescape

from sqlalchemy import func, select

from ladder.extensions import db
from ladder.models import AuditEntry, LadderVersion, ReviewCycle
from ladder.services.ladders import current_rubric, load_version


def draft_text(client, number=2):
    page = client.get(f"/admin/ladders/engineering/{number}/edit").get_data(as_text=True)
    return unescape(re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", page, re.S).group(1))


def make_draft(client):
    response = client.post_form("/admin/ladders/engineering/draft", {}, token_from="/admin/ladders")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/ladders/engineering/2/edit")


def test_the_full_edit_diff_publish_flow(client, org, ladder):
    client.login("admin@example.com")
    make_draft(client)
    assert "Create a draft" not in client.get("/admin/ladders").get_data(as_text=True)  # one draft at a time
    text = draft_text(client)
    competency = ladder.rubric.competencies[0]
    senior_text = competency.expectations["senior"]
    second = ladder.rubric.competencies[1]
    text = text.replace(" ".join(senior_text.split()[:4]), "REWRITTEN one", 1)
    text = text.replace(" ".join(second.expectations["senior"].split()[:4]), "REWRITTEN two", 1)
    first_area_key = ladder.rubric.areas[0].key
    new_competency = (
        "  - key: ai-assisted-work\n    name: AI-assisted work\n    tracks: [ic, management]\n    expectations:\n"
        + "".join(f"      {lv}: Uses AI tools with judgement at {lv}.\n" for lv in ("engineer", "senior", "staff",
                                                                                    "principal", "em", "sem"))
    )
    marker = f"- key: {first_area_key}\n"
    head, tail = text.split(marker, 1)
    head_comp, rest = tail.split("  competencies:\n", 1)
    text = head + marker + head_comp + "  competencies:\n" + new_competency + rest
    response = client.post_form("/admin/ladders/engineering/2/edit", {"yaml_text": text, "then": "diff"})
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", response.get_data(as_text=True))
    diff = client.get("/admin/ladders/engineering/2/diff").get_data(as_text=True)
    assert "AI-assisted work" in diff and "<strong>1</strong> competency added" in diff
    assert "<mark>REWRITTEN</mark>" in diff.replace("<mark>REWRITTEN one", "<mark>REWRITTEN</mark>")
    assert "<strong>2</strong> expectations changed" in diff
    response = client.post_form("/admin/ladders/engineering/2/publish", {},
                                token_from="/admin/ladders/engineering/2/diff")
    assert response.status_code == 302
    version = db.session.scalar(select(LadderVersion).where(LadderVersion.number == 2))
    assert version.status == "published" and version.published_at
    assert current_rubric().number == 2 and "ai-assisted-work" in current_rubric().competency_ids
    assert load_version(ladder.version_id).rubric.competencies[0].expectations["senior"] == senior_text  # v1 unchanged
    # a new cycle uses it by default
    page = client.get("/admin/cycles/new").get_data(as_text=True)
    assert f'<option selected value="{version.id}">' in page
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"ladder.draft", "ladder.edit", "ladder.publish"} <= actions


def test_published_versions_cannot_be_edited(client, org, ladder):
    client.login("admin@example.com")
    response = client.get("/admin/ladders/engineering/1/edit")
    assert response.status_code == 303
    response = client.post_form("/admin/ladders/engineering/1/edit", {"yaml_text": "key: x"},
                                token_from="/admin/ladders")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1
    response = client.post_form("/admin/ladders/engineering/1/delete", {}, token_from="/admin/ladders",
                                follow_redirects=True)
    assert "kept forever" in response.get_data(as_text=True)


def test_a_bad_edit_lists_every_problem_with_line_and_path_and_keeps_the_text(client, org, ladder):
    client.login("admin@example.com")
    make_draft(client)
    text = draft_text(client).replace("rank: 2", "rank: two", 1).replace("    tracks:\n    - ic\n",
                                                                         "    tracks:\n    - icc\n", 1)
    response = client.post_form("/admin/ladders/engineering/2/edit", {"yaml_text": text + "\n# my note\n"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "must be a whole number, 1 or more" in page and "unknown track &#39;icc&#39;" in page
    assert re.search(r"Line \d+: <code>levels\[1\]\.rank</code>", page)
    assert "# my note" in page and "rank: two" in page
    second = db.session.scalar(select(LadderVersion.id).where(LadderVersion.number == 2))
    assert load_version(second).rubric == ladder.rubric
    # the key of the ladder cannot change in a draft
    text = draft_text(client).replace("key: engineering", "key: renamed", 1)
    page = client.post_form("/admin/ladders/engineering/2/edit", {"yaml_text": text}).get_data(as_text=True)
    assert "must stay &#39;engineering&#39;" in page


def test_publishing_an_unchanged_draft_is_refused(client, org, ladder):
    client.login("admin@example.com")
    make_draft(client)
    response = client.post_form("/admin/ladders/engineering/2/publish", {}, token_from="/admin/ladders",
                                follow_redirects=True)
    assert "identical to version 1" in response.get_data(as_text=True)
    client.post_form("/admin/ladders/engineering/2/delete", {}, token_from="/admin/ladders")
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1


def test_upload_a_yaml_file_as_a_draft_or_get_every_error(client, org, ladder):
    client.login("admin@example.com")
    good = client.get("/admin/ladders/engineering/1.yaml").get_data(as_text=True)
    bad = good.replace("rank: 2", "rank: two", 1).replace("    tracks:\n    - ic\n", "    tracks:\n    - icc\n", 1)
    response = client.post_form("/admin/ladders/upload", {"file": (io.BytesIO(bad.encode()), "ours.yaml")},
                                token_from="/admin/ladders", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "nothing was changed" in page
    assert re.search(r"ours\.yaml:\d+: levels\[1\]\.rank: must be a whole number", page)
    assert "unknown track &#39;icc&#39;" in page
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1
    edited = good.replace("name: Engineering career ladder", "name: Our ladder", 1)
    response = client.post_form("/admin/ladders/upload", {"file": (io.BytesIO(edited.encode()), "ours.yaml")},
                                token_from="/admin/ladders", content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/ladders/engineering/2/diff")
    assert "Our ladder" in client.get("/admin/ladders/engineering/2/diff").get_data(as_text=True)
    assert current_rubric().number == 1  # a draft is not the ladder until published
    assert db.session.scalar(select(func.count(ReviewCycle.id))) == 1


def test_an_alias_bomb_upload_is_refused_with_its_line(client, org, ladder):
    client.login("admin@example.com")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "\n".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8))
    response = client.post_form("/admin/ladders/upload", {"file": (io.BytesIO(bomb.encode()), "bomb.yaml")},
                                token_from="/admin/ladders", content_type="multipart/form-data")
    assert response.status_code == 422
    assert "bomb.yaml:1: a: anchors and aliases (&amp; and *) are not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1


def test_the_diff_page_shows_the_linters_warnings(client, org, ladder):
    from dataclasses import replace

    from ladder.domain.rubric import dump_rubric

    client.login("admin@example.com")
    make_draft(client)
    first = ladder.rubric.areas[0].competencies[0]
    shortened = replace(first, expectations={**first.expectations, "staff": "Same as senior."})
    area = replace(ladder.rubric.areas[0], competencies=(shortened, *ladder.rubric.areas[0].competencies[1:]))
    edited = replace(ladder.rubric, areas=(area, *ladder.rubric.areas[1:]))
    response = client.post_form("/admin/ladders/engineering/2/edit", {"yaml_text": dump_rubric(edited)})
    assert response.status_code == 302
    page = unescape(client.get("/admin/ladders/engineering/2/diff").get_data(as_text=True))
    assert "from the ladder linter (publishing is allowed)" in page
    assert f"competency '{first.key}': the expectation at 'staff' is much shorter than at 'senior'" in page


SHEET = ("Competency;Area;Track;Level;Expectation\r\nCode review;Craft;Engineer;Junior;Reviews with help.\r\n"
         "Code review;Craft;Engineer;Senior;Reviews for the team.\r\n;;;;\r\n").encode("utf-8-sig")  # as Excel saves it


def upload_sheet(client, content: bytes, key="platform", name="Platform ladder", filename="ladder.csv"):
    return client.post_form("/admin/ladders/upload-spreadsheet",
                            {"spreadsheet": (io.BytesIO(content), filename), "ladder_key": key, "ladder_name": name},
                            token_from="/admin/ladders", content_type="multipart/form-data")


def test_a_spreadsheet_becomes_a_draft_of_a_new_ladder_reviewed_and_published_as_usual(client, org, ladder):
    client.login("admin@example.com")
    response = upload_sheet(client, SHEET)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/ladders/platform/1/diff")
    diff = client.get("/admin/ladders/platform/1/diff")
    assert diff.status_code == 200 and "Platform ladder" in diff.get_data(as_text=True)
    response = client.post_form("/admin/ladders/platform/1/publish", {}, token_from="/admin/ladders/platform/1/diff")
    assert response.status_code == 302
    version_id = db.session.scalar(select(LadderVersion.id).where(LadderVersion.status == "published",
                                                                     LadderVersion.name == "Platform ladder"))
    rubric = load_version(version_id).rubric
    assert rubric.competency("code-review").expectations == {"Junior": "Reviews with help.",
                                                             "Senior": "Reviews for the team."}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ladder.upload"))
    assert entry.changes["file"] == "ladder.csv"


def test_a_spreadsheet_with_problems_lists_each_row_and_column_and_changes_nothing(client, org, ladder, monkeypatch):
    client.login("admin@example.com")
    bad = SHEET.replace(b"Senior;Reviews", b"Senior;<b>x</b>").replace(b"Craft;Engineer;Junior", b"Craft;;Junior")
    response = upload_sheet(client, bad, filename="ours.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "The spreadsheet has 1 problem; nothing was changed" in page
    assert "ours.csv: row 2, column C (track): empty" in page and "<b>x</b>" not in page
    response = upload_sheet(client, "competency\nCafé".encode("cp1252"))
    assert response.status_code == 422 and "not UTF-8 text" in response.get_data(as_text=True)
    response = upload_sheet(client, SHEET, name="")
    assert response.status_code == 422 and "give the new ladder a name" in response.get_data(as_text=True)
    monkeypatch.setattr("ladder.admin.ladders.CSV_MAX", len(SHEET) - 1)  # the size limit, without a 2 MB upload
    response = upload_sheet(client, SHEET)
    assert response.status_code == 422 and "The file is larger than" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LadderVersion.id))) == 1


def test_a_version_downloads_as_csv_and_its_upload_is_a_draft_identical_to_it(client, org, ladder):
    client.login("admin@example.com")
    response = client.get("/admin/ladders/engineering/1.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="engineering-v1.csv"'
    assert response.data.startswith("\ufeff".encode()) and b"Distributed systems" in response.data
    response = upload_sheet(client, response.data, key="engineering", name="")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/ladders/engineering/2/diff")
    assert load_version(db.session.scalar(select(LadderVersion.id).where(LadderVersion.number == 2))).rubric \
        == ladder.rubric
    response = client.post_form("/admin/ladders/engineering/2/publish", {}, token_from="/admin/ladders",
                                follow_redirects=True)
    assert "identical to version 1" in response.get_data(as_text=True)
    response = upload_sheet(client, SHEET, key="engineering")  # one draft at a time
    assert response.status_code == 422 and "already has a draft (version 2)" in response.get_data(as_text=True)


def test_a_points_ladder_offers_no_csv_and_refuses_a_spreadsheet(client, runner, org, ladder):
    from ladder.services.ladders import import_rubric

    from ..factories import shape

    import_rubric(shape("points"))
    db.session.commit()
    client.login("admin@example.com")
    page = client.get("/admin/ladders").get_data(as_text=True)
    assert "/admin/ladders/engineering/1.csv" in page and "/admin/ladders/points/1.csv" not in page
    assert client.get("/admin/ladders/points/1.csv").status_code == 404
    response = upload_sheet(client, SHEET, key="points", name="")
    assert response.status_code == 422 and "keep it as a YAML file" in response.get_data(as_text=True)
    result = runner.invoke(args=["ladders", "export", "--key", "points", "--csv"])
    assert result.exit_code == 1 and "no spreadsheet columns" in result.output
    assert runner.invoke(args=["ladders", "export", "--key", "points"]).output.startswith("format: 2")
