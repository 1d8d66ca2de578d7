"""Reading the ladder in the browser, signed in or (when turned on) on the public pages."""
import pytest

from ladder import create_app
from ladder.extensions import db
from ladder.models import Ladder

from ..factories import shape


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


PUBLIC_PAGES = ["/ladders/public/", "/ladders/public/engineering", "/ladders/public/engineering?track=management",
                "/ladders/public/engineering/compare?from=senior&to=staff"]


def test_public_pages_do_not_exist_unless_turned_on(client, org, ladder):
    for path in PUBLIC_PAGES:
        assert client.get(path).status_code == 404
    client.login("engineer@example.com")
    assert all(client.get(path).status_code == 404 for path in PUBLIC_PAGES)


def test_turned_on_the_published_ladders_are_readable_without_signing_in(app, client, org, ladder):
    from .test_no_get_writes import row_counts

    app.config["PUBLIC_LADDERS"] = "on"
    before = row_counts()
    index = client.get("/ladders/public/").get_data(as_text=True)
    assert 'href="/ladders/public/engineering"' in index and "Engineering career ladder" in index
    page = client.get("/ladders/public/engineering?track=management")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "People management" in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'href="/ladders/public/engineering/compare"' in html
    assert 'href="/ladders/public/engineering?track=ic"' in html
    # nothing about people or the app behind a sign-in: no names, no versions, no edit or admin links
    for private in (org.engineer.email, org.manager.email, "@example.com", "/admin", "/ladder/", "/people/",
                    "version=", "Sign out"):
        assert private not in html, private
    compare = client.get("/ladders/public/engineering/compare?from=senior&to=staff").get_data(as_text=True)
    assert "From Senior Engineer to Staff Engineer" in compare
    assert 'action="/ladders/public/engineering/compare"' in compare and 'name="version"' not in compare
    assert client.get("/ladders/public/engineering/compare?from=senior&to=wizard").status_code == 400
    assert client.get("/ladders/public/nope").status_code == 404
    assert client.get("/ladders/public/engineering?track=nope").status_code == 404
    assert row_counts() == before  # reading writes nothing, signed in or not


def test_a_draft_is_never_public_and_indexed_drops_the_robots_meta(app, client, org, ladder):
    from ladder.services import ladder_admin
    from ladder.services.ladders import latest_published

    app.config["PUBLIC_LADDERS"] = "indexed"
    assert 'name="robots"' not in client.get("/ladders/public/engineering").get_data(as_text=True)
    draft = ladder_admin.create_draft(db.session.get(Ladder, latest_published("engineering").ladder_id),
                                      actor=org.admin)
    text = ladder_admin.yaml_of(draft).replace("name: Engineering career ladder", "name: Draft title", 1)
    ladder_admin.replace_draft(draft, ladder_admin.parse_for(None, text, "draft"), actor=org.admin)
    db.session.commit()
    assert "Draft title" not in client.get("/ladders/public/").get_data(as_text=True)
    assert "Draft title" not in client.get("/ladders/public/engineering").get_data(as_text=True)


@pytest.mark.parametrize("value, mode",
                         [("true", "on"), ("off", "off"), ("", "off"), ("Indexed", "indexed"), (True, "on")])
def test_the_setting_reads_off_on_or_indexed_and_nothing_else(tmp_path, value, mode):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path),
                      "PUBLIC_LADDERS": value})
    assert app.config["PUBLIC_LADDERS"] == mode
    with pytest.raises(RuntimeError, match="PUBLIC_LADDERS must be off, on or indexed, not 'maybe'"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path),
                    "PUBLIC_LADDERS": "maybe"})


def test_every_published_ladder_has_its_public_page_linked_from_the_others(app, client, org, ladder):

    from ladder.services.ladders import import_rubric

    import_rubric(shape("numbered-specialisms"))
    db.session.commit()
    app.config["PUBLIC_LADDERS"] = "on"
    page = client.get("/ladders/public/engineering").get_data(as_text=True)
    assert '<a href="/ladders/public/numbered">Numbered levels with specialisms</a>' in page
    compare = client.get("/ladders/public/numbered/compare").get_data(as_text=True)
    assert 'href="/ladders/public/engineering/compare"' in compare and "From 1 to 6" in compare
    client.login("engineer@example.com")  # signed in, the switch stays on the signed-in pages
    assert 'href="/ladder/?ladder=numbered"' in client.get("/ladder/").get_data(as_text=True)
