"""Every administration page and action is for admins only: everyone else gets a 404."""
import pytest

from ladder.extensions import db

from ..factories import make_review


def admin_urls(app, org, ladder):
    """Every URL rule of the admin blueprint, with real ids filled in."""
    review = make_review(org.cycle, org.engineer, status="submitted")
    db.session.commit()
    values = {"user_id": org.engineer.id, "cycle_id": org.cycle.id, "review_id": review.id,
              "key": "engineering", "number": ladder.number}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name])).replace(f"<{name}>", str(values[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


ROLES = ["engineer@example.com", "manager@example.com", "director@example.com", "mentor@example.com"]


@pytest.mark.parametrize("email", ROLES)
def test_non_admins_get_404_on_every_admin_url(app, client, org, ladder, email):
    urls = admin_urls(app, org, ladder)
    assert len(urls) >= 25
    client.login(email)
    token = client.token("/")
    for method, path in urls:
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code)


def test_signed_out_visitors_are_sent_to_sign_in(app, client, org, ladder):
    for method, path in admin_urls(app, org, ladder):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path


def test_admins_reach_every_page(app, client, org, ladder):
    client.login("admin@example.com")
    # a published version is immutable: its editor sends the admin to the version's page (303)
    redirected = {f"/admin/ladders/engineering/{ladder.number}/edit"}
    for method, path in admin_urls(app, org, ladder):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == (303 if path in redirected else 200), (path, response.status_code)
            assert response.headers["Cache-Control"] == "no-store"


def test_a_deactivated_admin_loses_access_at_once(app, client, org, ladder):
    client.login("admin@example.com")
    assert client.get("/admin/").status_code == 200
    org.admin.is_active_account = False
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302


def test_only_admins_see_the_admin_link(client, org):
    client.login("engineer@example.com")
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    client.logout()
    client.login("admin@example.com")
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)
