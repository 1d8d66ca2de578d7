"""Cells a spreadsheet would run as formulas, in any locale, are shown as text."""
import pytest

from ladder.domain.spreadsheet import spreadsheet_safe


@pytest.mark.parametrize("typed,safe", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("Jo;=cmd|' /C calc'!A0", "Jo;'=cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t'=1+1"),
    ("\tJo", "'\tJo"),
    ("\rJo", "'\rJo"),
    (" =1+1", " '=1+1"),
    ("Jo, @SUM(A1)", "Jo, '@SUM(A1)"),
    ("Jo|-2+3", "Jo|'-2+3"),
    ("Jo\n+1", "Jo\n'+1"),
    ("\uff1d1+1", "'\uff1d1+1"),
    ("\uff20SUM(1)", "'\uff20SUM(1)"),
])
def test_formula_triggers_are_neutralised_wherever_a_cell_may_start(typed, safe):
    assert spreadsheet_safe(typed) == safe


@pytest.mark.parametrize("text", ["Jean-Luc Picard", "0.85", "ready_now", "a@b.example", "", "O'Neil"])
def test_ordinary_text_is_unchanged(text):
    assert spreadsheet_safe(text) == text


def test_missing_values_are_empty_cells():
    assert spreadsheet_safe(None) == ""
