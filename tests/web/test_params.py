"""Integers in paths and query strings beyond what the database holds: a clear answer, never a 500."""
import pytest

HUGE = str(2**63 + 1)  # too large for SQLite's 64-bit and PostgreSQL's 32-bit integers


@pytest.mark.parametrize("path", [f"/people/{HUGE}", f"/reviews/{HUGE}", f"/goals/{HUGE}", f"/admin/people/{HUGE}"])
def test_a_huge_id_in_the_path_is_not_found(client, org, path):
    client.login("admin@example.com")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", [f"manager={HUGE}", f"manager=-{HUGE}"])
def test_a_huge_number_in_a_filter_counts_as_no_filter(client, org, query):
    client.login("admin@example.com")
    page = client.get(f"/reports/readiness?{query}")
    assert page.status_code == 200
    assert ">Outsider</a>" in page.get_data(as_text=True) and ">Engineer</a>" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", [f"/ladder/?version={HUGE}", f"/admin/people?page={HUGE}",
                                  f"/admin/audit?page={HUGE}"])
def test_other_huge_query_numbers_are_answered(client, org, path):
    """A number no row can have is treated as absent: the page answers as if it were not given."""
    client.login("admin@example.com")
    assert client.get(path).status_code == 200


def test_pages_are_counted_and_asked_for_within_what_makes_sense(app):
    from ladder.params import page_arg, page_count

    assert [page_count(rows, 50) for rows in (0, 1, 50, 51, 100)] == [1, 1, 1, 2, 2]
    for query, page in (("", 1), ("?page=3", 3), ("?page=0", 1), ("?page=-2", 1), ("?page=x", 1),
                        ("?page=99999999999", 1), ("?managers=4", 1)):
        with app.test_request_context(f"/{query}"):
            assert page_arg() == page, query
    with app.test_request_context("/?managers=4"):
        assert page_arg("managers") == 4
