"""Calibration figures (ladder.domain.calibration): plain data in, plain data out."""
from ladder.domain import calibration as rules
from ladder.domain.calibration import CalibrationFilter, RatingCounts, VerdictCase


def case(subject_id, verdict, coverage, *, manager_id=1, bar=0.8, meets_bar=None, level="senior", track="ic",
         target="staff"):
    meets = coverage is not None and coverage >= bar if meets_bar is None else meets_bar
    return VerdictCase(subject_id, f"P{subject_id}", manager_id, level, track, target, verdict,
                       subject_id if verdict else None, coverage, bar, meets)


def tally_of(cases):
    tally = rules.VerdictTally()
    for c in cases:
        tally.add(c.subject_id, c.manager_id, c.level_key, c.track_key,
                  [(c.target_key, [c.coverage, c.bar, c.meets_bar])],
                  {c.target_key: c.verdict} if c.verdict else {}, c.coverage is not None)
    return tally


def test_distribution_shares_ratings_below_at_and_above_the_persons_level():
    d = rules.distribution("Ann", 1, 1, RatingCounts(below=1, at=1, above=2))
    assert (d.people, d.ratings) == (1, 4)
    assert (d.below, d.at, d.above) == (0.25, 0.25, 0.5)


def test_mean_gap_is_manager_minus_self_over_competencies_rated_by_both():
    assert rules.distribution("Ann", 1, 1, RatingCounts(at=3, gap_sum=0, gaps=2)).mean_gap == 0.0
    assert rules.distribution("Bo", 2, 1, RatingCounts(above=2, gap_sum=3, gaps=2)).mean_gap == 1.5
    assert rules.distribution("Cy", 3, 1, RatingCounts(at=1)).mean_gap is None
    assert rules.distribution("Di", 4, 3, RatingCounts(above=3, gap_sum=2, gaps=3)).mean_gap == 0.67


def test_nothing_rated_is_zero_shares_not_a_division_error():
    d = rules.distribution("Org", None, 0, RatingCounts())
    assert (d.ratings, d.below, d.at, d.above, d.mean_gap) == (0, 0.0, 0.0, 0.0, None)


def test_distributions_give_the_org_and_each_manager_by_name():
    counts = {10: RatingCounts(at=1, above=1), 20: RatingCounts(below=1),
              None: RatingCounts(above=1, gap_sum=1, gaps=1)}
    org, managers = rules.distributions({10: 2, 20: 1, None: 1, 30: 1}, counts, {10: "zoe", 20: "Adam", 30: "Bea"})
    assert org.is_org and (org.people, org.ratings) == (5, 4) and org.above == 0.5 and org.mean_gap == 1.0
    assert [(m.label, m.people, m.ratings) for m in managers] == [("Adam", 1, 1), ("Bea", 1, 0), ("zoe", 2, 2)]


def test_ready_now_far_below_the_bar_contradicts_readiness():
    assert "coverage is 55% against a bar of 80%" in rules.contradiction(case(1, "ready_now", 0.55))
    assert rules.contradiction(case(1, "ready_now", 0.65)) is None  # within the margin
    assert rules.contradiction(case(1, "ready_now", None)) is None  # nothing rated: nothing to contradict


def test_not_yet_with_the_bar_met_contradicts_readiness():
    assert "the bar is met" in rules.contradiction(case(1, "not_yet", 0.9))
    assert rules.contradiction(case(1, "not_yet", 0.9, meets_bar=False)) is None  # blockers: bar not met
    assert rules.contradiction(case(1, "ready_6_months", 0.9)) is None


def test_a_manager_whose_reports_are_all_ready_now_is_flagged():
    cases = [case(1, "ready_now", 0.9, manager_id=1), case(2, "ready_now", 0.5, manager_id=1),
             case(3, "ready_now", 0.9, manager_id=2), case(4, "not_yet", 0.2, manager_id=2),
             case(5, "ready_now", 0.9, manager_id=3), case(6, None, 0.4, manager_id=3)]
    assert tally_of(cases).all_ready_now_managers() == {1}  # 3 has one verdict only: not a pattern


def test_verdicts_grouped_by_level_and_track_in_ladder_order():
    cases = [case(1, "ready_now", 0.9, level="senior"), case(2, None, 0.5, level="senior"),
             case(3, "not_yet", None, level="engineer", target="senior")]
    groups = tally_of(cases).groups(["engineer", "senior", "staff"])
    assert [(g.level_key, g.people) for g in groups] == [("engineer", 1), ("senior", 2)]
    senior = groups[1]
    assert senior.counts == {"ready_now": 1} and senior.no_verdict == 1
    assert senior.meeting_bar == 1 and senior.mean_coverage == 0.7
    assert groups[0].mean_coverage is None


def test_filter_keeps_people_and_targets_asked_for():
    chosen = CalibrationFilter(manager_id=5, level="senior", track="", target="staff")
    assert chosen.keeps_person(5, "senior", "ic") and not chosen.keeps_person(6, "senior", "ic")
    assert not chosen.keeps_person(5, "staff", "ic")
    assert chosen.keeps_target("staff") and not chosen.keeps_target("em")
    assert CalibrationFilter().keeps_person(None, "x", "y")


def test_only_a_filter_without_manager_level_and_track_keeps_everyone():
    assert CalibrationFilter().keeps_everyone and CalibrationFilter(target="staff").keeps_everyone
    assert not any(CalibrationFilter(**{name: value}).keeps_everyone
                   for name, value in (("manager_id", 5), ("level", "senior"), ("track", "ic")))
