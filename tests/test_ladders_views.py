"""Reading the ladder in the browser."""


def test_matrix_shows_every_expectation_of_a_track(client, org, ladder):
    client.login("engineer@example.com")
    page = client.get("/ladder/?track=ic").get_data(as_text=True)
    rubric = ladder.rubric
    for competency in rubric.competencies_for_track("ic"):
        assert competency.name.replace("&", "&amp;") in page
    assert "Staff Engineer" in page and "Principal Engineer" in page
    management = client.get("/ladder/?track=management").get_data(as_text=True)
    assert "People management" in management and "Engineering Manager" in management


def test_unknown_track_or_version_is_404(client, org):
    client.login("engineer@example.com")
    assert client.get("/ladder/?track=nope").status_code == 404
    assert client.get("/ladder/?version=99").status_code == 404


def test_compare_shows_what_changes_from_senior_to_staff(client, org, ladder):
    client.login("engineer@example.com")
    page = client.get("/ladder/compare?from=senior&to=staff").get_data(as_text=True)
    design = ladder.rubric.competency("system-design")
    assert "From Senior Engineer to Staff Engineer" in page
    assert design.expectations["senior"][:40].replace("'", "&#39;") in page
    assert design.expectations["staff"][:40].replace("'", "&#39;") in page


def test_compare_with_an_unknown_level_is_a_clear_400(client, org):
    client.login("engineer@example.com")
    response = client.get("/ladder/compare?from=senior&to=wizard")
    assert response.status_code == 400
    assert "Choose two levels" in response.get_data(as_text=True)
