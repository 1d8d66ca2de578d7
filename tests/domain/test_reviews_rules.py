"""Rules of the review form (ladder/domain/reviews.py)."""
from ladder.domain.reviews import Entry, allowed_ratings, progress, submit_errors
from ladder.domain.rubric import default_rubric_path, load_rubric

RUBRIC = load_rubric(default_rubric_path())


def full(value="senior", evidence="Did it."):
    return {c.key: Entry(value if value in c.expectations else "below", evidence) for c in RUBRIC.competencies}


def test_allowed_ratings_start_at_current_level_on_own_track():
    assert allowed_ratings(RUBRIC, "system-design", "ic", "senior") == ["below", "senior", "staff", "principal"]
    assert allowed_ratings(RUBRIC, "system-design", "management", "senior") == ["below", "senior", "em", "sem"]
    assert allowed_ratings(RUBRIC, "people-management", "ic", "senior") == ["below", "senior", "em", "sem"]


def test_progress_counts_rated_competencies():
    entries = {c.key: Entry("senior", "") for c in RUBRIC.competencies[:14]}
    p = progress(RUBRIC, entries)
    assert (p.rated, p.total) == (14, len(RUBRIC.competencies)) and not p.complete


def test_submit_requires_every_competency_rated():
    entries = full()
    del entries["system-design"]
    assert submit_errors(RUBRIC, "ic",
                         "senior", entries) == {"system-design": "Rate this competency before submitting."}


def test_rating_above_current_level_needs_evidence():
    entries = full()
    entries["system-design"] = Entry("staff", "   ")
    entries["testing-strategy"] = Entry("staff", "Wrote the org's testing guide.")
    errors = submit_errors(RUBRIC, "ic", "senior", entries)
    assert list(errors) == ["system-design"]
    assert "needs evidence" in errors["system-design"]


def test_rating_at_current_level_or_below_needs_no_evidence():
    assert submit_errors(RUBRIC, "ic", "senior", full(evidence="")) == {}


def test_values_outside_the_offered_levels_are_refused():
    entries = full()
    entries["system-design"] = Entry("engineer", "x")  # below current: must use "below"
    assert "system-design" in submit_errors(RUBRIC, "ic", "senior", entries)


THREE_TRACKS = """\
format: 1
key: tracks
name: Three tracks
levels:
  - {key: ic1, name: IC1, rank: 1}
  - {key: ic2, name: IC2, rank: 2}
  - {key: ic3, name: IC3, rank: 3}
tracks:
  - {key: backend, name: Backend, levels: [ic1, ic2, ic3]}
  - {key: ml, name: Machine learning, levels: [ic1, ic2]}
areas:
  - key: craft
    name: Craft
    competencies:
      - key: coding
        name: Coding
        tracks: [backend, ml]
        expectations: {ic1: Writes code., ic2: Writes code others build on., ic3: Sets how code is written.}
      - key: ml-fluency
        name: ML fluency
        tracks: [ml]
        expectations: {ic1: Trains a model., ic2: Chooses models.}
"""


def test_a_person_is_reviewed_only_on_the_competencies_of_their_track():
    from ladder.domain.reviews import reviewed_rubric
    from ladder.domain.rubric import parse_rubric

    rubric = parse_rubric(THREE_TRACKS)
    backend = reviewed_rubric(rubric, "ic2", "backend")
    assert [c.key for c in backend.competencies] == ["coding"]
    assert progress(backend, {"coding": Entry("ic2", "")}).complete
    assert [c.key for c in reviewed_rubric(rubric, "ic1", "ml").competencies] == ["coding", "ml-fluency"]
    assert reviewed_rubric(rubric, "ic1", "ml") is rubric  # everything applies: the same ladder


def test_on_the_default_ladder_everyone_still_rates_every_competency():
    from ladder.domain.reviews import reviewed_rubric

    rubric = load_rubric(default_rubric_path())
    for level, track in (("engineer", "ic"), ("senior", "ic"), ("staff", "ic"), ("em", "management"),
                         ("sem", "management")):
        assert reviewed_rubric(rubric, level, track) is rubric


def test_optional_competencies_need_no_rating_and_a_choose_one_group_needs_one():
    from ladder.domain.rubric import parse_rubric

    from .test_readiness import CHOICES

    rubric = parse_rubric(CHOICES)
    shared = {f"shared-{i}": Entry("senior", "") for i in range(1, 6)}
    assert (progress(rubric, shared).rated, progress(rubric, shared).total) == (5, 7)  # 6 required + 1 of the group
    assert submit_errors(rubric, "ic", "senior", shared) == {
        "people": "Rate this competency before submitting.",
        **dict.fromkeys(["backend", "web", "data"], "Rate at least 1 of Backend, Web or Data before submitting.")}
    done = shared | {"people": Entry("senior", ""), "web": Entry("senior", "")}
    assert progress(rubric, done).complete and submit_errors(rubric, "ic", "senior", done) == {}
    assert progress(rubric, done | {"data": Entry("senior", ""), "talks": Entry("senior", "")}).complete


def test_a_points_ladder_is_rated_at_any_milestone_with_no_evidence_rule():
    from ..factories import shape

    rubric = shape("points")
    assert allowed_ratings(rubric, "craft", "ic", "ST") == ["below", "M1", "M2", "M3", "M4", "M5"]
    entries = {c.key: Entry("M5", "") for c in rubric.competencies}
    assert submit_errors(rubric, "ic", "EN1", entries) == {}
