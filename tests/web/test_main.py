"""Home page and health check."""

import pytest

pytestmark = pytest.mark.dates


def test_healthz_reports_version_and_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["status"] == "ok" and body["version"]


def test_home_shows_the_open_cycle_and_the_way_to_the_self_review(client, org):
    client.login("engineer@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "2026 H2" in page and "Start your self-review" in page


def test_unknown_page_is_a_friendly_404(client, org):
    client.login("engineer@example.com")
    response = client.get("/nowhere")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
