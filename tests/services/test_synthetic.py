"""The synthetic organisation's reporting tree (pure planning, no database)."""
import random

from ladder.services.synthetic import plan_with_director


def people_below(rows) -> dict[int, int]:
    manager_of = {index: manager for index, manager, _, _ in rows}
    below: dict[int, int] = {}
    for index in manager_of:
        manager = manager_of[index]
        while manager is not None:
            below[manager] = below.get(manager, 0) + 1
            manager = manager_of[manager]
    return below


def test_a_director_of_exactly_500_among_2000_people():
    rows = plan_with_director(2000, 8, random.Random(7), 500)
    assert [index for index, *_ in rows] == list(range(2000))
    assert all(manager is None or manager < index for index, manager, _, _ in rows)  # managers first
    directors = [index for index, size in people_below(rows).items() if size == 500]
    assert len(directors) == 1 and rows[directors[0]][2:] == ("sem", "management")
