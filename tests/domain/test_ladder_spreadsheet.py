"""A ladder from a spreadsheet: rows become the ladder the YAML reader validates, errors name the
row, the column and the value, and an export reads back as the same ladder."""
import csv
import io
from pathlib import Path

import pytest

from ladder.domain.ladder_spreadsheet import decode, ladder_csv, read_ladder_csv, spreadsheet_text
from ladder.domain.rubric import RubricError, default_rubric_path, load_rubric

from ..factories import SHAPES, shape

LADDERS = [default_rubric_path(), *sorted(SHAPES.glob("*.yaml"))]

SIMPLE = """competency,area,track,level,expectation
Code review,Craft,Engineer,Junior,Reviews with help.
Code review,Craft,Engineer,Senior,"Reviews for the team:
- design
- tests"
Code review,Craft,Engineer,Staff,Sets the review practice.
Incidents,Operations,Engineer,Senior,Leads an incident.
Incidents,Operations,Engineer,Staff,Runs the incident process.
"""


def problems(text, **kwargs):
    with pytest.raises(RubricError) as caught:
        read_ladder_csv(text, key=kwargs.pop("key", "ours"), name="Ours", **kwargs)
    return [problem.format("ours.csv") for problem in caught.value.problems]


def test_rows_become_a_format_2_ladder_with_expectations_only_where_given():
    rubric = read_ladder_csv(SIMPLE, key="ours", name="Ours")
    assert [(lv.key, lv.name, lv.rank) for lv in rubric.levels] == [("Junior", "Junior", 1), ("Senior", "Senior", 2),
                                                                    ("Staff", "Staff", 3)]
    assert [(t.key, t.name, t.levels) for t in rubric.tracks] == [("engineer", "Engineer",
                                                                   ("Junior", "Senior", "Staff"))]
    assert [(a.key, a.name) for a in rubric.areas] == [("craft", "Craft"), ("operations", "Operations")]
    incidents = rubric.competency("incidents")
    assert incidents.tracks == ("engineer",) and list(incidents.expectations) == ["Senior", "Staff"]
    assert rubric.competency("code-review").expectations["Senior"] == "Reviews for the team:\n- design\n- tests"
    assert rubric.format == 2 and rubric.transitions == ()


def test_levels_keep_the_order_the_rows_give_even_when_a_competency_starts_later():
    text = ("competency,area,track,level,expectation\n"
            "Influence,Impact,IC,L3,Leads a design review.\nInfluence,Impact,IC,L4,Brings two teams together.\n"
            "Shipping,Delivery,IC,L1,Ships small changes.\nShipping,Delivery,IC,L2,Ships on their own.\n"
            "Shipping,Delivery,IC,L3,Ships features.\nShipping,Delivery,IC,L4,Ships projects.\n"
            "Hiring,People,Manager,M1,Interviews.\nHiring,People,Manager,M2,Runs hiring.\n")
    rubric = read_ladder_csv(text, key="ours", name="Ours")
    assert [(lv.key, lv.rank) for lv in rubric.levels] == [("L1", 1), ("L2", 2), ("L3", 3), ("L4", 4),
                                                           ("M1", 1), ("M2", 2)]
    assert rubric.track("ic").levels == ("L1", "L2", "L3", "L4")


def test_a_rank_column_orders_levels_and_makes_tracks_comparable():
    text = ("competency,area,track,level,rank,expectation\n"
            "Delivery,Craft,IC,Senior,2,Ships features.\nDelivery,Craft,IC,Staff,3,Ships programmes.\n"
            "Delivery,Craft,Management,Manager,3,Ships through a team.\n")
    rubric = read_ladder_csv(text, key="ours", name="Ours")
    assert rubric.rank_of == {"Senior": 2, "Staff": 3, "Manager": 3}


def test_excel_exports_read_the_same_bom_semicolons_crlf_and_blank_trailing_rows():
    excel = ("\ufeff" + SIMPLE.replace(",", ";").replace("\n", "\r\n") + ";;;;\r\n;;;;\r\n").encode("utf-8")
    assert read_ladder_csv(decode(excel, "x.csv"), key="ours", name="Ours") == read_ladder_csv(SIMPLE, key="ours",
                                                                                                  name="Ours")


def test_header_names_are_case_insensitive_and_may_use_underscores():
    text = SIMPLE.replace("competency,area,track,level,expectation", "Competency,AREA,Track,Level,Expectation")
    keyed = ("Competency_Key,Competency,Area,Track,Level_Key,Level,Expectation\n"
             "review,Review,Craft,IC,l1,Level one,Reviews.\n")
    assert read_ladder_csv(text, key="ours", name="Ours").competency("code-review")
    rubric = read_ladder_csv(keyed, key="ours", name="Ours")
    assert rubric.competency("review").name == "Review" and rubric.level("l1").name == "Level one"


def test_blank_area_and_competency_cells_repeat_the_row_above_like_merged_cells():
    text = ("competency,area,track,level,expectation\nCoding,Craft,IC,One,Writes code.\n,,IC,Two,Designs code.\n"
            "Testing,,IC,One,Writes tests.\n")
    rubric = read_ladder_csv(text, key="ours", name="Ours")
    assert list(rubric.competency("coding").expectations) == ["One", "Two"]
    assert rubric.competency("testing").area_key == "craft"


def test_a_dash_means_no_expectation_at_that_level():
    text = SIMPLE.replace("Incidents,Operations,Engineer,Senior", "Incidents,Operations,Engineer,Junior,-\n"
                          "Incidents,Operations,Engineer,Senior")
    rubric = read_ladder_csv(text, key="ours", name="Ours")
    assert "Junior" not in rubric.competency("incidents").expectations


def test_every_problem_names_its_row_column_and_value():
    text = ("competency key,competency,area,track,level,rank,expectation\n"
            "Bad Key,Coding,Craft,IC,One,1,Writes code.\n"
            "testing,Testing,Craft,IC,Two,two,Writes tests.\n"
            "testing,Testing,Other,IC,One,1,Tests first.\n"
            "reviews,Reviews,Craft,,One,1,Reviews.\n")
    assert problems(text) == [
        "ours.csv: row 3, column F (rank): a rank must be a whole number, 1 or more (the cell holds 'two')",
        "ours.csv: row 4, column C (area): competency 'testing' is in area 'craft' on row 3; a competency belongs "
        "to one area (the cell holds 'Other')",
        "ours.csv: row 5, column D (track): empty: every row needs a value here (or in a 'track key' column)",
    ]
    fixed = text.replace(",two,", ",2,").replace("Other", "Craft").replace(",,One", ",IC,One")
    assert problems(fixed) == ["ours.csv: row 2, column A (competency key): must be lowercase letters, digits and "
                               "hyphens (the cell holds 'Bad Key')"]


def test_the_readers_own_rules_apply_and_point_at_the_cell():
    text = ("competency,area,track,level,expectation\n"
            "Coding,Craft,IC,One,Writes code.\nCoding,Craft,IC,One,Something else.\n")
    assert problems(text) == ["ours.csv: row 3, column E (expectation): competency 'coding' already has a different "
                              "expectation at level 'One' on row 2; a level has one expectation per competency, "
                              "whatever the track (the cell holds 'Something else.')"]
    assert problems(SIMPLE, key="Not A Key") == ["ours.csv: the ladder key 'Not A Key': must be lowercase letters, "
                                                 "digits and hyphens"]
    nul = "competency,area,track,level,expectation\nCoding,Craft,IC,One,Writes\x00code.\n"
    assert problems(nul)[0].startswith("ours.csv: row 2, column E (expectation): holds a character that is not valid "
                                       "text")
    empty = "competency,area,track,level,expectation\nCoding,Craft,IC,One,\n"
    assert problems(empty) == ["ours.csv: row 2, column A (competency): needs at least one expectation "
                               "(the cell holds 'Coding')"]


def test_levels_in_contradicting_orders_or_sharing_a_rank_are_refused():
    text = ("competency,area,track,level,expectation\nA,X,IC,One,a\nA,X,IC,Two,b\nB,X,IC,Two,c\nB,X,IC,One,d\n")
    assert "the rows put the levels 'One', 'Two' in different orders" in problems(text)[0]
    ranked = "competency,area,track,level,rank,expectation\nA,X,IC,One,1,a\nA,X,IC,Two,1,b\n"
    assert problems(ranked) == ["ours.csv: row 3, column D (level): levels 'One' and 'Two' of the 'ic' track have "
                                "the same rank 1; the levels of a track need increasing ranks"]


@pytest.mark.parametrize("text, message", [
    ("", "ours.csv: (top): the file is empty"),
    ("competency,area,track,level,expectation\n", "ours.csv: (top): the file has a header but no rows"),
    ("competency,area,trak,level,expectation\nA,X,IC,One,a\n",
     "ours.csv: row 1, column C: unknown column 'trak' (columns: area key, area, area description, competency key, "
     "competency, description, track key, track, level key, level, level code, rank, level summary, expectation)"),
    ("competency,area,track,level\nA,X,IC,One\n",
     "ours.csv: row 1: missing column(s): expectation (found: competency, area, track, level)"),
    ("competency,area,track,level,expectation\nA,X,IC,One,a,extra\n",
     "ours.csv: row 2, column F: a value beyond the 5 columns of the header"),
    ("competency,area,track,level,expectation\nA,X,IC,\u65e5\u672c,a\n",
     "ours.csv: row 2, column D (level): no key can be made from this name; add a 'level key' column "
     "(the cell holds '\u65e5\u672c')"),
])
def test_files_that_are_not_a_ladder_are_refused_with_a_message(text, message):
    assert problems(text)[0] == message


def test_a_file_that_is_not_utf_8_says_how_to_save_it():
    with pytest.raises(RubricError) as caught:
        decode("competency\nCaf\u00e9".encode("cp1252"), "ours.csv")
    assert "not UTF-8 text (byte 15)" in str(caught.value) and "CSV UTF-8" in str(caught.value)


@pytest.mark.parametrize("path", [p for p in LADDERS if p.stem != "points"], ids=lambda p: p.stem)
def test_an_export_reads_back_as_the_same_ladder(path):
    rubric = load_rubric(path)
    assert read_ladder_csv(ladder_csv(rubric), key=rubric.key, name=rubric.name, base=rubric) == rubric


def test_a_points_ladder_is_kept_as_yaml_and_says_so_both_ways():
    points = shape("points")
    with pytest.raises(ValueError, match="milestones and points totals have no spreadsheet columns"):
        ladder_csv(points)
    sheet = ladder_csv(load_rubric(default_rubric_path()))
    with pytest.raises(RubricError) as caught:
        read_ladder_csv(sheet, key=points.key, name=points.name, base=points)
    assert "keep it as a YAML file" in str(caught.value)


def test_without_the_ladder_an_export_keeps_its_content_and_a_format_1_ladder_its_meaning():
    rubric = load_rubric(default_rubric_path())
    fresh = read_ladder_csv(ladder_csv(rubric), key=rubric.key, name=rubric.name)
    assert fresh.levels == rubric.levels and fresh.tracks == rubric.tracks and fresh.areas == rubric.areas
    assert fresh.transitions is None and fresh.format == 1  # next level and other tracks by rank, as before


def test_the_export_is_safe_to_open_and_its_escapes_are_undone_on_import():
    rubric = shape("numbered-specialisms")
    text = ladder_csv(rubric)
    assert text.startswith("area key,area,") and text.endswith("\r\n")
    assert "\n'- leads a design review" in text  # a Markdown list item is not a formula
    assert spreadsheet_text("'=SUM(A1)") == "=SUM(A1)" and spreadsheet_text("Jo;'-2\r\n'+1") == "Jo;-2\n+1"


def test_what_a_spreadsheet_has_no_column_for_is_kept_from_the_ladder():
    base = shape("nine-tracks")
    rows = list(csv.DictReader(io.StringIO(ladder_csv(base))))
    kept = ["area key", "area", "competency key", "competency", "track key", "track", "level key", "level", "rank",
            "expectation"]
    out = io.StringIO()
    writer = csv.DictWriter(out, kept, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    rubric = read_ladder_csv(out.getvalue(), key=base.key, name=base.name, base=base)
    assert rubric.transitions == base.transitions and rubric.bars == base.bars
    assert rubric.levels == base.levels and rubric.description == base.description
    assert [c.description for c in rubric.competencies] == [c.description for c in base.competencies]


def test_cells_longer_than_the_database_holds_are_refused_and_long_names_make_short_keys():
    name = "Communicating technical decisions to people outside engineering, in writing and in person"
    rubric = read_ladder_csv(f"competency,area,track,level,expectation\n\"{name}\",Craft,IC,One,Writes.\n", key="ours",
                             name="Ours")
    assert rubric.competencies[0].key == "communicating-technical-decisions-to-people-outside-engineering"
    long_key = "x" * 65
    text = f"level key,competency,area,track,level,expectation\n{long_key},Coding,Craft,IC,One,Writes.\n"
    assert problems(text)[0].startswith("ours.csv: row 2, column A (level key): longer than 64 characters")


def test_a_sheet_beyond_what_a_ladder_file_may_hold_is_refused_before_it_is_validated():
    rows = "".join(f"Competency {i},Craft,IC,One,Writes.\n" for i in range(9_000))
    assert problems("competency,area,track,level,expectation\n" + rows) == [
        "ours.csv: (top): too large: more than 50,000 values; split the ladder"]
    too_many = "competency,area,track,level,expectation\n" + "Coding,Craft,IC,One,Writes.\n" * 10_001
    assert problems(too_many) == ["ours.csv: row 10002: more than 10,000 rows; split the ladder"]


def test_the_documented_example_reads_as_described():
    doc = Path(__file__).parents[2].joinpath("docs", "ladder-format.md").read_text()
    example = doc.split("## From a spreadsheet", 1)[1].split("```\n", 2)[1]
    rubric = read_ladder_csv(example, key="ours", name="Ours")
    assert [(t.key, t.levels) for t in rubric.tracks] == [("engineer", ("Junior", "Senior", "Staff")),
                                                          ("manager", ("Manager",))]
    assert [a.key for a in rubric.areas] == ["craft", "operations", "people"]
    assert list(rubric.competency("incidents").expectations) == ["Senior", "Staff"]
