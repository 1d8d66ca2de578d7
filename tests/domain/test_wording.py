"""One rule for counts and one for statuses, on every page."""
from ladder.domain.wording import field_label, percent, plural, plural_noun, status_label


def test_plural_takes_the_singular_for_exactly_one():
    assert plural(1, "expectation") == "1 expectation"
    assert plural(0, "expectation") == "0 expectations"
    assert plural(2, "competency") == "2 competencies"
    assert plural(3, "day") == "3 days"
    assert plural(1, "person", "people") == "1 person" and plural(500, "person", "people") == "500 people"
    assert plural(12_000, "person", "people") == "12,000 people"
    assert plural_noun(2, "open goal") == "open goals"


def test_shares_read_as_whole_percentages():
    assert percent(0.456) == "46%" and percent(1) == "100%" and percent(0.0) == "0%"
    assert percent(2 / 3) == "67%"


def test_status_labels_are_sentence_case_whatever_is_stored():
    assert status_label("not started") == "Not started"
    assert status_label(None) == "Not started"
    assert status_label("in_progress") == "In progress"
    assert status_label("self-not-submitted") == "Self not submitted"
    assert status_label("shared") == "Shared"


def test_field_labels_name_columns_in_words():
    assert field_label("manager_id") == "Manager"
    assert field_label("level_key") == "Level"
    assert field_label("self_review_due") == "Self review due"
    assert field_label("is_admin") == "Administrator"
    assert field_label("feedback_note") == "Feedback note"
