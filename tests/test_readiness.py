"""Readiness rules: coverage, gaps, blockers, bars, targets on both tracks."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder.domain.readiness import compute_readiness, readiness_targets, summarize_readiness
from ladder.domain.rubric import parse_rubric

from .test_rubric import MINIMAL

LADDER = """\
format: 1
key: small
name: Small
levels:
  - {key: engineer, name: Engineer, rank: 1}
  - {key: senior, name: Senior, rank: 2}
  - {key: staff, name: Staff, rank: 3}
  - {key: em, name: Engineering Manager, rank: 3}
tracks:
  - {key: ic, name: IC, levels: [engineer, senior, staff]}
  - {key: management, name: Management, levels: [engineer, senior, em]}
readiness:
  default: {min_coverage: 0.8, max_blockers: 0}
  levels:
    em: {min_coverage: 0.5, max_blockers: 1}
areas:
  - key: all
    name: All
    competencies:
"""
for i in range(1, 6):
    LADDER += f"""      - key: shared-{i}
        name: Shared {i}
        tracks: [ic, management]
        expectations: {{engineer: e{i}, senior: s{i}, staff: staff{i}, em: em{i}}}
"""
LADDER += """      - key: people
        name: People
        tracks: [management]
        expectations: {engineer: pe, senior: ps, em: pem}
"""


@pytest.fixture
def rubric():
    return parse_rubric(LADDER)


def ratings(**values):
    return {key.replace("_", "-"): value for key, value in values.items()}


def test_coverage_counts_competencies_rated_at_target_or_above(rubric):
    r = compute_readiness(rubric, "senior", "staff", ratings(
        shared_1="staff", shared_2="staff", shared_3="staff", shared_4="senior", shared_5="senior"), "manager")
    assert [c.key for c in r.applicable] == [f"shared-{i}" for i in range(1, 6)]  # "people" has no Staff expectation
    assert r.coverage == pytest.approx(0.6)
    assert not r.meets_bar
    assert [g.competency.key for g in r.gaps] == ["shared-4", "shared-5"]
    assert r.gaps[0].expectation == "staff4"  # what to show next


def test_threshold_edge_exactly_at_the_bar_meets_it(rubric):
    values = {f"shared-{i}": "staff" for i in range(1, 5)}
    values["shared-5"] = "senior"
    r = compute_readiness(rubric, "senior", "staff", values, "manager")
    assert r.coverage == pytest.approx(0.8)
    assert r.meets_bar
    values["shared-4"] = "senior"
    assert not compute_readiness(rubric, "senior", "staff", values, "manager").meets_bar


def test_rating_at_an_equal_rank_on_the_other_track_counts(rubric):
    values = {f"shared-{i}": "em" for i in range(1, 6)}
    r = compute_readiness(rubric, "senior", "staff", values, "manager")
    assert r.coverage == 1.0 and r.meets_bar


def test_blockers_are_ratings_below_current_level_and_fail_the_bar(rubric):
    values = {f"shared-{i}": "staff" for i in range(1, 6)}
    values["shared-2"] = "below"
    r = compute_readiness(rubric, "senior", "staff", values, "manager")
    assert r.coverage == pytest.approx(0.8)
    assert [c.key for c in r.blockers] == ["shared-2"]
    assert not r.meets_bar


def test_gaps_are_ordered_by_distance(rubric):
    values = {"shared-1": "senior", "shared-2": "below", "shared-3": "staff", "shared-4": "senior", "shared-5": "staff"}
    r = compute_readiness(rubric, "senior", "staff", values, "manager")
    assert [(g.competency.key, g.distance) for g in r.gaps] == [("shared-2", 2), ("shared-1", 1), ("shared-4", 1)]


def test_missing_ratings_count_against_coverage_and_are_listed(rubric):
    r = compute_readiness(rubric, "senior", "staff", {"shared-1": "staff"}, "self")
    assert r.coverage == pytest.approx(0.2)
    assert len(r.unrated) == 4 and not r.gaps


def test_no_review_never_meets_the_bar(rubric):
    r = compute_readiness(rubric, "senior", "em", {}, None)
    assert r.coverage == 0 and not r.meets_bar and r.source is None


def test_per_level_bar_and_management_only_competencies(rubric):
    values = {"shared-1": "em", "shared-2": "em", "shared-3": "senior", "shared-4": "below",
              "shared-5": "senior", "people": "em"}
    r = compute_readiness(rubric, "senior", "em", values, "manager")
    assert "people" in [c.key for c in r.applicable]
    assert r.coverage == pytest.approx(0.5)
    assert r.bar.min_coverage == 0.5 and r.bar.max_blockers == 1
    assert r.meets_bar


def test_targets_on_both_tracks(rubric):
    staff, em = readiness_targets(rubric, "senior", "ic")
    assert (staff.track_key, staff.level.key) == ("ic", "staff")
    assert (em.track_key, em.level.key) == ("management", "em")
    ic, mgmt = readiness_targets(rubric, "engineer", "ic")
    assert ic.level.key == "senior" and mgmt.level.key == "em"
    ic, mgmt = readiness_targets(rubric, "em", "management")
    assert ic.level.key == "staff" and mgmt.level is None  # top of the management track here


def test_minimal_ladder_targets():
    rubric = parse_rubric(MINIMAL)
    ic, management = readiness_targets(rubric, "senior", "ic")
    assert ic.level is None and management.level.key == "lead"


def test_summary_gives_the_figures_of_the_full_readiness(rubric):
    values = {"shared-1": "em", "shared-2": "below", "shared-3": "senior", "people": "em"}
    full = compute_readiness(rubric, "senior", "em", values, "manager")
    summary = summarize_readiness(rubric, "senior", "em", values, "manager")
    assert (summary.met_count, summary.applicable_count, summary.blocker_count) == (2, 6, 1)
    assert (summary.coverage, summary.percent, summary.meets_bar) == (full.coverage, full.percent, full.meets_bar)
    assert summary.target == full.target and summary.bar == full.bar


_COMPETENCIES = [f"shared-{i}" for i in range(1, 6)] + ["people"]
_RATINGS = st.sampled_from([None, "below", "engineer", "senior", "staff", "em"])


# No deadline: each example parses the ladder (tens of ms) and a loaded CI machine can be 10x slower;
# what is checked is agreement, not speed (that is the benchmark's job).
@settings(deadline=None, max_examples=100)
@given(level=st.sampled_from(["engineer", "senior", "staff", "em"]),
       target=st.sampled_from(["senior", "staff", "em"]),
       ratings=st.fixed_dictionaries({key: _RATINGS for key in _COMPETENCIES}),
       source=st.sampled_from([None, "self", "manager"]))
def test_summary_and_full_readiness_agree_for_any_ratings(level, target, ratings, source):
    """The list pages show the summary and the person page the full readiness: a person must
    read the same figure on both."""
    rubric = parse_rubric(LADDER)
    full = compute_readiness(rubric, level, target, ratings, source)
    summary = summarize_readiness(rubric, level, target, ratings, source)
    assert (summary.met_count, summary.applicable_count, summary.blocker_count) == (
        len(full.met), len(full.applicable), len(full.blockers))
    assert (summary.coverage, summary.meets_bar, summary.percent) == (full.coverage, full.meets_bar, full.percent)
