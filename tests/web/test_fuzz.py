"""Arbitrary text and unicode posted to every form: never a 500, never unescaped output."""
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ladder.extensions import db, limiter

MARKER = "<script>alert('x')</script>"
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80).map(lambda t: t + MARKER),
    st.sampled_from(["", " ", "\x00", "﻿", "\u202e", "' OR 1=1 --", "{{ 7*7 }}", "%s%s", "🪜" * 50,
                     "<img src=x onerror=alert(1)>", "a" * 6000]),
)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_safe(response):
    assert response.status_code < 500, response.status_code
    body = response.get_data(as_text=True)
    assert MARKER not in body and "<img src=x onerror" not in body


@pytest.fixture
def unthrottled(app):
    """Every example must reach the sign-in form itself, not the 429 page (the throttle has its
    own tests in test_security.py)."""
    limiter.enabled = False
    yield
    limiter.enabled = True


@FUZZ
@given(email=texts, password=texts)
def test_login_form(client, org, unthrottled, email, password):
    response = client.login(email, password)
    assert response.status_code != 429
    assert_safe(response)


@pytest.fixture
def engineer_client(client, org):
    client.login("engineer@example.com")
    return client


@FUZZ
@given(rating=texts, evidence=texts, lock=texts, action=texts)
def test_self_review_form(engineer_client, rating, evidence, lock, action):
    response = engineer_client.post_form("/reviews/self", {"lock_version": lock, "action": action,
                                                           "rating-security": rating, "evidence-security": evidence})
    assert_safe(response)
    db.session.rollback()


@pytest.fixture
def manager_client(client, org):
    client.login("manager@example.com")
    return client


@FUZZ
@given(target=texts, verdict=texts, rationale=texts)
def test_verdict_form(manager_client, org, target, verdict, rationale):
    client = manager_client
    response = client.post_form(f"/people/{org.engineer.id}/verdicts",
                                {"target": target, "verdict": verdict, "rationale": rationale},
                                token_from=f"/people/{org.engineer.id}")
    assert_safe(response)
    if response.status_code == 302:
        assert MARKER not in client.get(f"/people/{org.engineer.id}").get_data(as_text=True)


@FUZZ
@given(current=texts, new=texts, confirm=texts)
def test_password_form(engineer_client, current, new, confirm):
    assert_safe(engineer_client.post_form("/auth/password", {"current_password": current, "new_password": new,
                                                             "confirm": confirm}))


@pytest.fixture
def director_client(client, org):
    client.login("director@example.com")
    return client


@FUZZ
@given(args=st.dictionaries(st.sampled_from(["from", "to", "track", "version", "scope", "level", "status", "sort",
                                             "manager", "verdict", "page", "cycle", "next"]), texts, max_size=4))
def test_query_strings(director_client, org, args):
    client = director_client
    for path in ("/ladder/", "/ladder/compare", "/team/", "/reports/readiness", "/reports/readiness.csv",
                 f"/reviews/people/{org.engineer.id}/side-by-side"):
        assert_safe(client.get(path, query_string=args))


TEXT_FIELD_NAMES = ["email", "password", "current_password", "new_password", "confirm", "body", "title",
                    "description", "notes", "participants", "held_on", "text", "status", "rationale", "verdict",
                    "mentor_id", "visibility", "content", "yaml", "name", "lock_version"]
FILE_UPLOADS = {"admin.upload_ladder": "file", "admin.import_people": "file"}


def _post_with_files(client, path, token, names):
    data = {"csrf_token": token, **{name: (io.BytesIO(b"<script>x</script>\x00\xff"), f"{name}.txt")
                                    for name in names}}
    return client.post(path, data=data, content_type="multipart/form-data")


def _post_routes(app):
    """Every POST route with its placeholders filled (the check runs before a record is loaded)."""
    urls = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods:
            continue
        values = {name: 1 if type(rule._converters[name]).__name__.endswith("IntegerConverter") else "x"
                  for name in rule.arguments}
        yield rule.endpoint, urls.build(rule.endpoint, values, method="POST")


def test_a_file_where_text_is_expected_is_a_clear_400_on_every_post_route(app, client, org):
    """A file part used to reach a text validator (sign-in even signed out, goals, 1:1s, goal
    updates, password): a 500. Every POST route now refuses it, except the two uploads' own field."""
    token = client.token("/auth/login")
    response = _post_with_files(client, "/auth/login", token, ["email"])
    assert response.status_code == 400
    assert "takes no file upload" in response.get_data(as_text=True)

    client.login("admin@example.com")
    token = client.token("/")
    routes = list(_post_routes(app))
    assert len(routes) > 30
    for endpoint, path in routes:
        response = _post_with_files(client, path, token, TEXT_FIELD_NAMES)
        assert response.status_code == 400, (endpoint, path, response.status_code)
        assert "takes no file upload" in response.get_data(as_text=True), path
    for endpoint, field in FILE_UPLOADS.items():
        path = dict(routes)[endpoint]
        assert _post_with_files(client, path, token, [field]).status_code == 422, path  # reaches the form


@pytest.mark.parametrize("who,path,field", [
    ("manager@example.com", "/people/{engineer}/goals/new", "title"),
    ("manager@example.com", "/people/{engineer}/one-on-ones/new", "held_on"),
    ("manager@example.com", "/people/{engineer}/notes/new", "body"),
    ("engineer@example.com", "/auth/password", "current_password"),
])
def test_a_file_in_a_form_of_a_signed_in_person_is_a_clear_400(client, org, who, path, field):
    client.login(who)
    path = path.format(engineer=org.engineer.id)
    response = _post_with_files(client, path, client.token(path), [field])
    assert response.status_code == 400
    assert "takes no file upload" in response.get_data(as_text=True)
