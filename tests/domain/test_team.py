"""Which manager groups a page of the team page falls in: the page then reads only their people."""
from ladder.domain.team import groups_on_page

GROUPS = [(1, "Ada", 60), (2, "Bo", 0), (3, "Cy", 30), (4, "Di", 5)]  # (manager id, name, people), in page order


def test_a_page_inside_one_group_reads_that_group_from_its_own_offset():
    assert groups_on_page(GROUPS, 0, 50) == ([1], 0)
    assert groups_on_page(GROUPS, 10, 50) == ([1], 10)


def test_a_page_across_groups_reads_each_and_skips_empty_ones():
    assert groups_on_page(GROUPS, 50, 50) == ([1, 3, 4], 50)  # 10 of Ada's, Cy's 30, Di's 5
    assert groups_on_page(GROUPS, 60, 30) == ([3], 0)
    assert groups_on_page(GROUPS, 90, 50) == ([4], 0)


def test_a_page_beyond_the_last_group_reads_nothing():
    assert groups_on_page(GROUPS, 95, 50) == ([], 0)
    assert groups_on_page([], 0, 50) == ([], 0)
