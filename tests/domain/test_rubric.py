"""The ladder file: the default ladder's content, validation errors, canonical round trip,
format 2 (the shapes of real frameworks) and format 1 compatibility."""
import pytest

from ladder.domain.readiness import readiness_targets
from ladder.domain.reviews import reviewed_rubric
from ladder.domain.rubric import RubricError, default_rubric_path, dump_rubric, load_rubric, parse_rubric

from ..factories import MINIMAL, SHAPE_NAMES, SHAPES, shape


def problems_of(text):
    with pytest.raises(RubricError) as info:
        parse_rubric(text, "ladder.yaml")
    return info.value.problems


def test_default_ladder_is_complete_and_real():
    rubric = load_rubric(default_rubric_path())
    assert [t.key for t in rubric.tracks] == ["ic", "management"]
    assert [lv.name for lv in rubric.track_levels("ic")] == [
        "Engineer", "Senior Engineer", "Staff Engineer", "Principal Engineer"]
    assert [lv.name for lv in rubric.track_levels("management")] == [
        "Engineer", "Senior Engineer", "Engineering Manager", "Senior Engineering Manager"]
    assert 15 <= len(rubric.competencies) <= 25
    for competency in rubric.competencies:
        spanned = {lv for t in competency.tracks for lv in rubric.track(t).levels}
        assert set(competency.expectations) == spanned, competency.key
        assert all(len(text) > 40 for text in competency.expectations.values()), competency.key
    names = " ".join(c.name.lower() for c in rubric.competencies)
    for topic in ("distributed", "design", "review", "test", "incident", "security", "mentor", "hiring", "people"):
        assert topic in names, topic
    assert rubric.bar_for("staff").min_coverage == 0.8 and rubric.bar_for("staff").max_blockers == 0


def test_minimal_ladder_parses():
    rubric = parse_rubric(MINIMAL)
    assert rubric.competency("coding").expectations == {"junior": "Writes code.",
                                                        "senior": "Writes code others build on."}
    assert rubric.level("lead").rank == 3


def test_unknown_level_is_reported_with_path_and_line():
    text = MINIMAL.replace("levels: [junior, senior]}", "levels: [junior, expert]}")
    problems = problems_of(text)
    assert any(p.path == "tracks[0].levels[1]" and "unknown level 'expert'" in p.message and p.line == 9
               for p in problems), problems


def test_missing_expectation_is_reported():
    text = MINIMAL.replace("          senior: Writes code others build on.\n", "")
    problems = problems_of(text)
    assert [(p.path, p.message) for p in problems] == [
        ("areas[0].competencies[0].expectations.senior", "missing expectation for a level this competency spans")]


def test_duplicate_keys_are_reported_not_overwritten():
    text = MINIMAL.replace("          junior: Writes code.\n",
                           "          junior: Writes code.\n          junior: Again.\n")
    problems = problems_of(text)
    assert any("duplicate key" in p.message and p.path.endswith("expectations.junior") for p in problems)
    text = MINIMAL + ("      - key: coding\n        name: Again\n        tracks: [ic]\n"
                      "        expectations: {junior: a, senior: b}\n")
    assert any("duplicate competency key 'coding'" in p.message for p in problems_of(text))


def test_every_problem_is_listed_at_once():
    text = (MINIMAL.replace("rank: 2", "rank: two").replace("tracks: [ic]", "tracks: [ic, design]")
            .replace("name: Coding", "nme: Coding"))
    messages = [p.format("ladder.yaml") for p in problems_of(text)]
    assert len(messages) >= 3
    assert any("levels[1].rank: must be a whole number" in m for m in messages)
    assert any("unknown track 'design'" in m for m in messages)
    assert any("nme: unknown key" in m for m in messages)
    assert all(m.startswith("ladder.yaml:") for m in messages)


def test_not_yaml_and_empty_files_are_clear_errors():
    assert "not valid YAML" in problems_of("key: [unclosed")[0].message
    assert problems_of("")[0].message == "the file is empty"


def test_expectation_for_a_level_the_competency_does_not_span():
    text = MINIMAL.replace("          junior: Writes code.\n",
                           "          junior: Writes code.\n          lead: Leads.\n")
    assert any("'lead' is not on any of this competency's tracks" in p.message for p in problems_of(text))


def test_dump_and_parse_round_trip_exactly():
    rubric = load_rubric(default_rubric_path())
    text = dump_rubric(rubric, version=3)
    again = parse_rubric(text)
    assert again == rubric
    assert dump_rubric(again, version=3) == text


ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
       f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)]
)


@pytest.mark.parametrize("text, line, message", [
    (ALIAS_BOMB, 1, "anchors and aliases (& and *) are not allowed"),
    ("a: &a [*a]\n", 1, "anchors and aliases (& and *) are not allowed"),
    (MINIMAL.replace("levels: [junior, senior]", "levels: &path [junior, senior]"), 9, "anchors and aliases"),
    ("x: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nest"),
    ("x: " + "[" * 3000 + "\n", 1, "nest"),
    ("x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(40)), 34, "nested more than 32 levels deep"),
    ("key: tiny\n? [a, b]\n: 1\n", 2, "a key must be plain text, not a list or mapping"),
    ("key: tiny\n{a: 1}: 1\n", 2, "a key must be plain text, not a list or mapping"),
    ("name: !!python/name:os.system\n", 1, "unsupported tag or value"),
    ("name: !!python/object/apply:os.system [ls]\n", 1, "unsupported tag"),
    ('name: "\\ud800"\n', 1, ""),
    ('name: "a\\0b"\n', 1, "not valid text"),
])
def test_hostile_yaml_is_a_listed_problem_with_its_line(text, line, message):
    problems = problems_of(text)
    assert any(p.line == line and message in p.message for p in problems), problems


@pytest.mark.parametrize("old, new, message", [
    ("levels: [junior, senior]", "levels: [junior, [senior]]", "tracks[0].levels[1]: must be a level key, not a list"),
    ("tracks: [ic]", "tracks: [{ic: 1}]", "tracks[0]: must be a track key, not a mapping"),
])
def test_a_list_or_mapping_where_a_key_belongs_is_a_problem(old, new, message):
    messages = [p.format("ladder.yaml") for p in problems_of(MINIMAL.replace(old, new))]
    assert any(message in m for m in messages), messages


def test_a_file_as_large_as_an_upload_may_be_is_refused_quickly_and_in_little_memory():
    import tracemalloc

    text = "x: [" + "a, " * 700_000 + "a]\n"  # 2 MB: the upload limit
    tracemalloc.start()
    try:
        problems = problems_of(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "too large: more than 50,000 values" in problems[0].message
    assert peak < 100 * 1024 * 1024


def test_a_file_that_is_not_utf8_is_a_problem_not_a_traceback(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("Tiny ladder", "Échelle").encode("latin-1"))
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    assert "not UTF-8 text" in info.value.problems[0].message


# --- Format 2 ---------------------------------------------------------------------------------

def test_format_1_files_keep_their_meaning():
    rubric = load_rubric(default_rubric_path())
    assert rubric.format == 1 and rubric.transitions is None  # targets on every track, as always
    assert dump_rubric(rubric).startswith("format: 1\n")
    targets = readiness_targets(rubric, "staff", "ic")
    assert [(t.track_key, t.level.key) for t in targets] == [("ic", "principal"), ("management", "em")]


def test_nine_tracks_each_with_its_range_and_declared_transitions_only():
    rubric = shape("nine-tracks")
    assert len(rubric.tracks) == 10 and rubric.track("quality").levels == ("IC2", "IC3", "IC4", "IC5")
    assert rubric.level("IC3").code == "IC3" and rubric.level("IC3").title_on("tpm") == "Programme Manager"
    assert rubric.level("IC3").title_on("software") == "Senior Engineer"
    ml = reviewed_rubric(rubric, "IC3", "ml")
    assert {c.key for c in ml.competencies} == {"coding", "ml-fluency", "data-modelling", "collaboration"}
    assert [(t.track_key, t.title) for t in readiness_targets(rubric, "IC3", "software")] == [("software",
                                                                                               "Staff Engineer")]
    assert [(t.track_key, t.title) for t in readiness_targets(rubric, "IC4", "software")] == [
        ("software", "Senior Staff Engineer"), ("management", "Engineering Manager")]
    assert rubric.bar_for("M3", "IC4").min_coverage == 0.7 and rubric.bar_for("M3").min_coverage == 0.8
    assert rubric.competency("ml-fluency").expectations["IC3"].startswith("- Builds and evaluates models")
    assert "\n- Shows it in reviews" in rubric.competency("ml-fluency").expectations["IC3"]


def test_a_staff_engineer_is_not_a_management_target_without_a_transition():
    rubric = parse_rubric(MINIMAL.replace("format: 1", "format: 2").replace("{key: lead, name: Lead, rank: 3}",
                                                                             "{key: lead, name: Lead, rank: 2}"))
    assert [t.track_key for t in readiness_targets(rubric, "senior", "ic")] == ["ic"]


def test_numbered_levels_specialisms_and_topics_that_start_later():
    rubric = shape("numbered-specialisms")
    assert [lv.key for lv in rubric.levels] == ["1", "2", "3", "4", "5", "6"] and rubric.level("4").name == "4"
    assert set(rubric.competency("influence").expectations) == {"3", "4", "5", "6"}  # no filler below 3
    assert [lv.key for lv in rubric.rating_levels(rubric.competency("influence"), "web", "2")] == ["3", "4", "5", "6"]
    assert {c.key for c in reviewed_rubric(rubric, "1", "web").competencies} == {"shipping", "browsers"}
    assert "influence" in {c.key for c in reviewed_rubric(rubric, "2", "web").competencies}  # level 3 is the target
    assert rubric.competency("influence").expectations["3"] == (
        "Examples:\n- leads a design review for their team\n- writes the proposal others follow")


def test_role_ladders_start_at_different_levels_with_titles_per_role():
    rubric = shape("role-ladders")
    assert [t.levels[0] for t in rubric.tracks] == ["L1", "L3", "L4", "L2"]
    assert rubric.level("L5").title_on("tech-lead") == "Staff Tech Lead"
    assert rubric.level("L5").title_on("engineering-manager") == "Senior Engineering Manager"
    assert len(reviewed_rubric(rubric, "L2", "developer").competencies) == 5  # five axes of the developer ladder
    targets = readiness_targets(rubric, "L5", "developer")
    assert [(t.track_key, t.title) for t in targets] == [
        ("developer", ""), ("tech-lead", "Staff Tech Lead"), ("engineering-manager", "Senior Engineering Manager"),
        ("tpm", "Staff TPM")]


def test_format_2_refuses_expectations_outside_from_to_and_format_1_still_needs_every_level():
    text = MINIMAL.replace("format: 1", "format: 2").replace("        tracks: [ic]\n",
                                                             "        tracks: [ic]\n        from: senior\n")
    assert any("outside this competency's from/to range" in p.message for p in problems_of(text))
    v1_missing = MINIMAL.replace("          senior: Writes code others build on.\n", "")
    assert any("missing expectation" in p.message for p in problems_of(v1_missing))
    assert parse_rubric(v1_missing.replace("format: 1", "format: 2")).competency("coding").expectations == {
        "junior": "Writes code."}


def test_expectations_as_yaml_lists_and_levels_written_as_organisations_write_them():
    text = (MINIMAL.replace("format: 1", "format: 2").replace("key: junior", "key: IC1").replace("[junior,", "[IC1,")
            .replace("junior: Writes code.", "IC1: [Writes code., Tests it.]"))
    rubric = parse_rubric(text)
    assert rubric.competency("coding").expectations["IC1"] == "- Writes code.\n- Tests it."
    bad = text.replace("IC1: [Writes code., Tests it.]", "IC1: [Writes code., {a: 1}]")
    assert any("non-empty text or a list of texts" in p.message for p in problems_of(bad))


# --- Readiness rules ------------------------------------------------------------------------------

def test_points_ladder_milestones_worth_points_and_titles_at_a_total():
    rubric = shape("points")
    assert len(rubric.competencies) == 16 and rubric.rule.is_points
    assert [m.key for m in rubric.rule.milestones] == ["M1", "M2", "M3", "M4", "M5"]
    assert rubric.rule.milestone_points == (1, 3, 6, 12, 20)
    assert all(list(c.expectations) == ["M1", "M2", "M3", "M4", "M5"] for c in rubric.competencies)
    # IC and lead titles at equal points
    assert rubric.rule.points_needed("ST") == rubric.rule.points_needed("SGL") == 57
    assert [lv.key for lv in rubric.levels] == ["EN1", "EN2", "SE", "GL", "ST",
                                                "SGL", "PE", "DIR"]  # milestones are not held
    assert not rubric.has_level("M3") and rubric.level("M3").name == "Milestone 3"  # but ratings name them
    assert [m.key for m in rubric.rating_levels(rubric.competency("craft"), "ic", "PE")] == ["M1", "M2", "M3", "M4",
                                                                                             "M5"]
    assert len(reviewed_rubric(rubric, "SE", "ic").competencies) == 16


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_format_2_round_trips_exactly(name):
    rubric = shape(name)
    text = dump_rubric(rubric)
    assert text.startswith("format: 2\n") and parse_rubric(text) == rubric


COVERAGE_RULE = MINIMAL.replace("format: 1", "format: 2") + """\
      - key: testing
        name: Testing
        tracks: [ic]
        expectations: {junior: Tests., senior: Tests well.}
      - key: talks
        name: Talks
        tracks: [ic]
        expectations: {senior: Gives a talk.}
readiness:
  optional: [talks]
  groups:
    - {key: craft, name: Craft, choose: 1, competencies: [coding, testing]}
"""


def test_optional_competencies_and_choose_n_groups_are_read_and_round_trip():
    rubric = parse_rubric(COVERAGE_RULE)
    assert rubric.rule.optional == ("talks",)
    assert [(g.key, g.choose, g.competencies) for g in rubric.rule.groups] == [("craft", 1, ("coding", "testing"))]
    assert parse_rubric(dump_rubric(rubric)) == rubric and rubric.format == 2


@pytest.mark.parametrize("old, new, path, message", [
    ("optional: [talks]", "optional: [speaking]", "readiness.optional[0]", "unknown competency 'speaking'"),
    ("choose: 1,", "choose: 2,", "readiness.groups[0].choose", "must be fewer than the group's 2 competencies, not 2"),
    ("choose: 1,", "choose: one,", "readiness.groups[0].choose", "must be a whole number, 1 or more, not 'one'"),
    ("[coding, testing]", "[coding, talks]", "readiness.groups[0].competencies[1]",
     "competency 'talks' is already optional or in another group"),
    ("  optional: [talks]", "  rule: ranks\n  optional: [talks]", "readiness.rule", "unknown rule 'ranks'"),
    ("[coding, testing]", "oops", "readiness.groups[0].competencies", "must be a non-empty list"),
    ("[coding, testing]", "[{a: 1}, testing]", "readiness.groups[0].competencies[0]",
     "must be a competency key, not a mapping"),
    ("  optional: [talks]", "  optional: [talks]\n  milestones: []", "readiness.milestones", "unknown key"),
])
def test_coverage_rule_errors_name_the_path_and_the_bad_value(old, new, path, message):
    problems = problems_of(COVERAGE_RULE.replace(old, new))
    assert any(p.path == path and message in p.message and p.line for p in problems), problems


POINTS_TEXT = (SHAPES / "points.yaml").read_text()


@pytest.mark.parametrize("old, new, path, message", [
    ("points: 6, summary", "points: 2, summary", "readiness.milestones[2].points",
     "must be more than the milestone before (3), not 2"),
    ("points: 12,", "points: -4,", "readiness.milestones[3].points", "must be a whole number, 1 or more, not -4"),
    ("key: M2,", "key: SE,", "readiness.milestones[1].key", "duplicate key 'SE'"),
    ("ST: 57,", "ST: lots,", "readiness.points.ST", "must be a whole number, 0 or more, not 'lots'"),
    ("PE: 90, ", "", "readiness.points.PE", "missing the points total at which this level is reached"),
    ("PE: 90,", "PE: 50,", "readiness.points", "totals must rise along the 'ic' track"),
    ("EN1: 0,", "EN1: 0, CTO: 200,", "readiness.points.CTO", "unknown level 'CTO'"),
    ("          M5: [Practises mobile apps", "          IC5: [Practises mobile apps",
     "areas[0].competencies[0].expectations.IC5", "'IC5' is not a milestone: on a points ladder expectations are"),
    ("  rule: points\n", "", "readiness.milestones", "unknown key"),
    ("{from: SE, to: SGL, track: lead}", "{from: SE, to: SGL, track: lead, bar: {min_coverage: 0.5}}",
     "transitions[1].bar", "unknown key (allowed: from, to, track)"),
])
def test_points_rule_errors_name_the_path_and_the_bad_value(old, new, path, message):
    assert old in POINTS_TEXT
    problems = problems_of(POINTS_TEXT.replace(old, new, 1))
    assert any(p.path == path and message in p.message for p in problems), problems


def test_a_format_1_file_cannot_declare_a_rule():
    problems = problems_of(MINIMAL + "readiness:\n  optional: [coding]\n")
    assert [(p.path, p.message) for p in problems] == [
        ("readiness.optional", "unknown key (allowed: default, levels)")]


def test_keys_names_and_codes_longer_than_the_database_holds_are_refused_by_path():
    long_key, long_name = "k" * 65, "N" * 201
    text = MINIMAL.replace("key: tiny", f"key: {long_key}").replace("name: Tiny ladder", f"name: {long_name}")
    found = {(p.path, p.message) for p in problems_of(text)}
    assert ("key", "is 65 characters; at most 64") in found
    assert ("name", "is 201 characters; at most 200") in found
