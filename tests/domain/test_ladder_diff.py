"""The ladder diff is plain data over two rubrics, tested without HTTP."""
import dataclasses

from ladder.domain.ladder_diff import diff_rubrics, word_diff
from ladder.domain.rubric import Bar, default_rubric_path, dump_rubric, load_rubric, parse_rubric

BASE = load_rubric(default_rubric_path())


def edited(change):
    text = dump_rubric(BASE)
    return parse_rubric(change(text))


def test_identical_rubrics_have_no_diff():
    assert diff_rubrics(BASE, BASE).empty


def test_added_removed_and_changed_competencies_areas_levels_tracks():
    first_area = BASE.areas[0]
    new_competency = dataclasses.replace(first_area.competencies[0], key="ai-assisted-work", name="AI-assisted work")
    dropped = BASE.areas[1].competencies[0]
    areas = list(BASE.areas)
    areas[0] = dataclasses.replace(first_area, name="Foundations",
                                   competencies=first_area.competencies + (new_competency,))
    areas[1] = dataclasses.replace(areas[1], competencies=areas[1].competencies[1:])
    levels = tuple(dataclasses.replace(lv, name="Senior Software Engineer") if lv.key == "senior" else lv
                   for lv in BASE.levels)
    tracks = BASE.tracks + (dataclasses.replace(BASE.tracks[0], key="specialist", name="Specialist"),)
    new = dataclasses.replace(BASE, areas=tuple(areas), levels=levels, tracks=tracks)
    diff = diff_rubrics(BASE, new)
    statuses = {(i.kind, i.key): i.status for i in diff.items}
    assert statuses[("competency", "ai-assisted-work")] == "added"
    assert statuses[("competency", dropped.key)] == "removed"
    assert statuses[("area", first_area.key)] == "changed"
    assert statuses[("level", "senior")] == "changed"
    assert statuses[("track", "specialist")] == "added"
    level = next(i for i in diff.items if i.key == "senior")
    assert [(f.field, f.old, f.new) for f in level.fields] == [("name", "Senior Engineer", "Senior Software Engineer")]
    added = [c for c in diff.expectations if c.competency_key == "ai-assisted-work"]
    assert added and all(c.status == "added" and c.old is None for c in added)
    assert all(c.status == "removed" for c in diff.expectations if c.competency_key == dropped.key)
    assert diff.removed_keys("competency") == [dropped.key]
    assert diff.summary()["competencies added"] == 1


def test_rewritten_expectations_and_changed_tracks_of_a_competency():
    competency = BASE.competencies[0]
    level_key = next(iter(competency.expectations))
    old_text = competency.expectations[level_key]
    new = edited(lambda text: text.replace(" ".join(old_text.split()[:3]), "Consistently and visibly", 1))
    diff = diff_rubrics(BASE, new)
    change = next(c for c in diff.expectations if c.competency_key == competency.key)
    assert change.status == "changed" and change.old == old_text and change.new.startswith("Consistently and visibly")
    assert diff.expectations_by_competency()[0][0] == competency.name


def test_bars_and_metadata():
    new = dataclasses.replace(BASE, name="Our ladder", default_bar=Bar(0.9, 1),
                              bars={**BASE.bars, "staff": Bar(0.95, 0)})
    diff = diff_rubrics(BASE, new)
    assert [(f.field, f.new) for f in diff.metadata] == [("name", "Our ladder")]
    bars = {b.level_key: (b.old, b.new) for b in diff.bars}
    assert bars[None] == (BASE.default_bar, Bar(0.9, 1))
    assert bars["staff"][1] == Bar(0.95, 0)


def test_word_diff_marks_only_the_changed_words():
    left, right = word_diff("Designs systems for one team", "Designs systems for several teams")
    assert ("changed", "one") in left and ("changed", "several") in right
    assert "".join(t for _, t in left) == "Designs systems for one team"
    assert "".join(t for _, t in right) == "Designs systems for several teams"


def test_change_counts_are_by_noun_for_pages_and_keep_the_audit_log_keys():
    competency = BASE.competencies[0]
    old_text = competency.expectations[next(iter(competency.expectations))]
    diff = diff_rubrics(BASE, edited(lambda text: text.replace(" ".join(old_text.split()[:3]), "Visibly", 1)))
    assert diff.counts() == {("expectation", "changed"): 1}  # a page writes "1 expectation changed"
    assert diff.summary() == {"expectations changed": 1}


def test_a_change_of_readiness_rule_is_listed():
    from .test_readiness import CHOICES, LADDER

    diff = diff_rubrics(parse_rubric(LADDER.replace("format: 1", "format: 2")), parse_rubric(CHOICES))
    change = next(c for c in diff.metadata if c.field == "readiness rule")
    assert (change.old, change.new) == ("coverage",
                                        "coverage; optional: talks; best 1 of Specialism (backend, web, data)")
