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
    assert submit_errors(RUBRIC, "ic", "senior", entries) == {"system-design": "Rate this competency before submitting."}


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
