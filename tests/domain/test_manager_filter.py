"""The manager filter's rules: which manager a URL chooses, and a manager's whole team."""
from ladder.domain.team import MANAGER_MATCH_LIMIT, ManagerChoice, choose_manager, names_containing, subtree_managers

MANAGERS = [(1, "Ann Lee"), (2, "Anna Berg"), (3, "Joanne Kim"), (4, "Sam Ortiz")]


def _choose(chosen_id, typed, managers=MANAGERS):
    names = dict(managers)
    return choose_manager(chosen_id, typed, names.get, lambda text, limit: names_containing(managers, text, limit))


def test_an_id_in_scope_holds_while_the_text_is_absent_or_still_its_name():
    assert _choose(4, None) == ManagerChoice(manager=(4, "Sam Ortiz"), typed="Sam Ortiz")
    assert _choose(4, " sam ortiz ").manager_id == 4
    assert _choose(9, None) == ManagerChoice()  # outside the scope: ignored


def test_edited_text_is_searched_and_one_match_or_one_exact_name_applies():
    assert _choose(4, "ortiz").manager == (4, "Sam Ortiz")
    assert _choose(4, "").manager is None  # the field emptied: no manager filter
    assert _choose(None, "ann lee").manager == (1, "Ann Lee")  # "Ann Lee" is exact, though "ann" matches more
    several = _choose(None, "ann")
    assert several.manager is None and [name for _, name in several.matches] == ["Ann Lee", "Anna Berg", "Joanne Kim"]
    assert _choose(None, "zed") == ManagerChoice(typed="zed")


def test_matches_are_capped_and_say_there_are_more():
    many = [(i, f"Lee {i:02}") for i in range(MANAGER_MATCH_LIMIT + 5)]
    found = _choose(None, "lee", many)
    assert len(found.matches) == MANAGER_MATCH_LIMIT and found.more


def test_a_managers_subtree_follows_each_managers_own_manager():
    bosses = {1: None, 2: 1, 3: 2, 4: 1, 5: 9}
    assert subtree_managers(bosses, 2) == {2, 3}
    assert subtree_managers(bosses, 1) == {1, 2, 3, 4}
    assert subtree_managers(bosses, 7) == {7}
