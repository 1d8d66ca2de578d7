"""Single sign-on against a real OpenID provider (oidc-provider under node, on a loopback port):
the code flow with PKCE, state and nonce, who is let in and who is refused (and why), and
passwords kept only for break-glass administrators."""
import base64
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import select

from ladder import clock, create_app
from ladder.auth.oidc import init_oidc
from ladder.extensions import db
from ladder.models import AuditEntry, User

from ..factories import make_user
from ..oidc import OTHER_CLIENT, ProviderBrowser, issue_tokens, start_provider

CALLBACK = "http://localhost/auth/oidc/callback"  # the test client's host
ACCOUNTS = {
    "engineer-sub": {"email": "engineer@example.com", "email_verified": True, "name": "Engineer"},
    "admin-sub": {"email": "admin@example.com", "email_verified": True, "name": "Admin"},
    "outsider-sub": {"email": "outsider@example.com", "email_verified": True, "name": "Outsider"},
    "unverified-sub": {"email": "peer@example.com", "email_verified": False, "name": "Peer"},
    "stranger-sub": {"email": "stranger@example.com", "email_verified": True, "name": "Stranger"},
    "newcomer-sub": {"email": "Newcomer@Example.com", "email_verified": True, "name": "Nia Newcomer"},
    "contractor-sub": {"email": "contractor@agency.test", "email_verified": True, "name": "Contractor"},
    "second-engineer-sub": {"email": "engineer@example.com", "email_verified": True, "name": "Impostor"},
}


@pytest.fixture(scope="module")
def provider():
    running = start_provider([CALLBACK], ACCOUNTS)
    yield running
    running.stop()


@pytest.fixture
def sso(app, provider):
    """The app signed up with the provider as "Acme ID"."""
    app.config.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=provider.client_id,
                      OIDC_CLIENT_SECRET=provider.client_secret, OIDC_PROVIDER_NAME="Acme ID")
    init_oidc(app)
    return provider


def start(client, next_path=None):
    """Press "Sign in with Acme ID" on the sign-in page; the provider's authorization URL."""
    path = "/auth/oidc/start" + (f"?{urlencode({'next': next_path})}" if next_path else "")
    response = client.post_form(path, {}, token_from="/auth/login")
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def sso_sign_in(client, account, next_path=None):
    """The whole round trip as `account`; the app's answer to the callback."""
    callback = ProviderBrowser(CALLBACK).sign_in(start(client, next_path), account)
    return client.get(callback[len("http://localhost"):])


def signed_in_as(client) -> str | None:
    page = client.get("/")
    if page.status_code != 200:
        return None
    text = page.get_data(as_text=True)
    return text.split("Sign out ", 1)[1].split("<", 1)[0].strip() if "Sign out " in text else None


def refusal_shown(response, client) -> str:
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    return client.get("/auth/login").get_data(as_text=True)


def refusals() -> list[dict]:
    return [entry.changes for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.sso_refused").order_by(AuditEntry.id))]


def test_sign_in_page_offers_the_provider(client, org, sso):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Acme ID" in page
    assert 'name="password"' in page  # passwords stay on by default


def test_start_uses_pkce_state_and_nonce(client, org, sso):
    query = dict(parse_qsl(urlsplit(start(client)).query))
    assert query["response_type"] == "code" and query["code_challenge_method"] == "S256"
    assert query["code_challenge"] and query["state"] and query["nonce"]
    assert query["redirect_uri"] == CALLBACK and query["scope"] == "openid email profile"


def test_a_known_person_is_linked_by_verified_email_and_signed_in(client, org, sso):
    response = sso_sign_in(client, "engineer-sub", next_path="/ladder/")
    assert response.status_code == 302 and response.headers["Location"] == "/ladder/"
    assert signed_in_as(client) == "Engineer"
    assert db.session.get(User, org.engineer.id).oidc_subject == "engineer-sub"


def test_later_sign_ins_match_the_subject_even_after_the_email_changes(client, org, sso):
    sso_sign_in(client, "engineer-sub")
    client.logout()
    db.session.get(User, org.engineer.id).email = "engineer.renamed@example.com"
    db.session.commit()
    assert sso_sign_in(client, "engineer-sub").headers["Location"] == "/"
    assert signed_in_as(client) == "Engineer"


def test_next_only_goes_to_this_site(client, org, sso):
    assert sso_sign_in(client, "engineer-sub", next_path="https://evil.example/").headers["Location"] == "/"


def test_unknown_email_is_refused_and_no_account_is_created(client, org, sso):
    page = refusal_shown(sso_sign_in(client, "stranger-sub"), client)
    assert "No one with the email stranger@example.com has an account in Ladder" in page
    assert signed_in_as(client) is None
    assert db.session.scalar(select(User).where(User.email == "stranger@example.com")) is None
    assert refusals()[-1] == {"reason": "unknown_email", "email": "stranger@example.com", "subject": "stranger-sub"}


def test_accounts_are_created_only_when_allowed(app, client, org, sso):
    app.config["OIDC_CREATE_ACCOUNTS"] = True
    assert sso_sign_in(client, "newcomer-sub").headers["Location"] == "/"
    person = db.session.scalar(select(User).where(User.email == "newcomer@example.com"))
    assert (person.name, person.oidc_subject, person.password_hash) == ("Nia Newcomer", "newcomer-sub", None)
    assert (person.track_key, person.level_key) == ("ic", "engineer")
    assert signed_in_as(client) == "Nia Newcomer"


def test_an_email_outside_the_allowed_domains_is_refused(app, client, org, sso):
    make_user("contractor@agency.test", "engineer", "ic")
    db.session.commit()
    app.config["OIDC_ALLOWED_DOMAINS"] = ("example.com",)
    page = refusal_shown(sso_sign_in(client, "contractor-sub"), client)
    assert "contractor@agency.test is not an address of this organisation" in page
    assert signed_in_as(client) is None
    assert refusals()[-1]["reason"] == "wrong_domain"
    assert sso_sign_in(client, "engineer-sub").headers["Location"] == "/"  # the allowed domain still works


def test_an_unverified_email_is_refused_even_for_a_known_person(client, org, sso):
    page = refusal_shown(sso_sign_in(client, "unverified-sub"), client)
    assert "Acme ID did not confirm that peer@example.com is verified" in page
    assert signed_in_as(client) is None
    assert db.session.get(User, org.peer.id).oidc_subject is None
    assert refusals()[-1]["reason"] == "unverified_email"


def test_a_deactivated_person_is_refused(client, org, sso):
    org.outsider.is_active_account = False
    db.session.commit()
    page = refusal_shown(sso_sign_in(client, "outsider-sub"), client)
    assert "The account for outsider@example.com is deactivated" in page
    assert signed_in_as(client) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.sso_refused")).one()
    assert (entry.subject_id, entry.changes["reason"]) == (org.outsider.id, "deactivated")


def test_a_second_provider_account_with_the_same_email_does_not_take_over(client, org, sso):
    sso_sign_in(client, "engineer-sub")
    client.logout()
    page = refusal_shown(sso_sign_in(client, "second-engineer-sub"), client)
    assert "linked to a different Acme ID account" in page
    assert db.session.get(User, org.engineer.id).oidc_subject == "engineer-sub"


def test_a_tampered_state_is_refused(client, org, sso):
    callback = ProviderBrowser(CALLBACK).sign_in(start(client), "engineer-sub")
    parts = urlsplit(callback)
    query = dict(parse_qsl(parts.query))
    query["state"] = query["state"][:-1] + ("A" if query["state"][-1] != "A" else "B")
    page = refusal_shown(client.get(f"{parts.path}?{urlencode(query)}"), client)
    assert "could not be completed" in page
    assert signed_in_as(client) is None
    assert refusals()[-1]["reason"] == "not_verified"


def test_a_replayed_callback_is_refused(client, org, sso):
    callback = ProviderBrowser(CALLBACK).sign_in(start(client), "engineer-sub")[len("http://localhost"):]
    assert client.get(callback).headers["Location"] == "/"
    client.logout()
    page = refusal_shown(client.get(callback), client)  # the state was used up
    assert "could not be completed" in page
    assert signed_in_as(client) is None


def test_a_used_code_in_a_new_flow_is_refused_by_the_provider(client, org, sso, caplog):
    """The code is single-use at the provider too, and bound to its own PKCE verifier."""
    used = ProviderBrowser(CALLBACK).sign_in(start(client), "engineer-sub")[len("http://localhost"):]
    assert client.get(used).headers["Location"] == "/"
    client.logout()
    fresh_state = dict(parse_qsl(urlsplit(start(client)).query))["state"]
    query = dict(parse_qsl(urlsplit(used).query), state=fresh_state)
    page = refusal_shown(client.get(f"/auth/oidc/callback?{urlencode(query)}"), client)
    assert "could not be completed" in page
    assert "invalid_grant" in caplog.text
    assert signed_in_as(client) is None


def test_an_expired_id_token_is_refused(client, org, sso, caplog):
    """The ID token's exp is checked against the app's clock: an hour's token, two hours on."""
    callback = ProviderBrowser(CALLBACK).sign_in(start(client), "engineer-sub")[len("http://localhost"):]
    with clock.shifted_by(timedelta(hours=2)):
        response = client.get(callback)
    page = refusal_shown(response, client)
    assert "could not be completed" in page
    assert "expired" in caplog.text
    assert signed_in_as(client) is None
    assert db.session.get(User, org.engineer.id).oidc_subject is None


def test_cancelling_at_the_provider_is_explained(client, org, sso):
    callback = ProviderBrowser(CALLBACK).abort(start(client))
    page = refusal_shown(client.get(callback[len("http://localhost"):]), client)
    assert "Acme ID refused or could not be reached" in page


def test_an_unreachable_provider_is_explained_not_a_500(app, client, org):
    app.config.update(OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x", OIDC_CLIENT_SECRET="y",
                      OIDC_PROVIDER_NAME="Acme ID")
    init_oidc(app)
    response = client.post_form("/auth/oidc/start", {}, token_from="/auth/login")
    assert "Acme ID refused or could not be reached" in refusal_shown(response, client)


def test_sso_sessions_follow_the_idle_limit(app, client, org, sso):
    sso_sign_in(client, "engineer-sub")
    with clock.shifted_by(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)):
        assert client.get("/").headers["Location"].startswith("/auth/login")


def test_without_configuration_the_routes_are_404_and_no_button(client, org):
    assert "Sign in with" not in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/auth/oidc/callback?code=x&state=y").status_code == 404


def test_passwords_only_for_break_glass_admins(app, client, org, sso):
    app.config["PASSWORD_LOGIN"] = "admins"
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Acme ID" in page and "Administrators: sign in with a password" in page
    refused = client.login("engineer@example.com")
    assert refused.status_code == 401 and "Email or password is incorrect." in refused.get_data(as_text=True)
    assert client.login("admin@example.com").headers["Location"] == "/"
    client.logout()
    assert sso_sign_in(client, "engineer-sub").headers["Location"] == "/"


def test_passwords_off_for_everyone(app, client, org, sso):
    app.config["PASSWORD_LOGIN"] = "off"
    assert 'name="password"' not in client.get("/auth/login").get_data(as_text=True)
    assert client.login("admin@example.com").status_code == 401
    assert sso_sign_in(client, "admin-sub").headers["Location"] == "/"


@pytest.mark.parametrize(("settings", "problem"), [
    ({"PASSWORD_LOGIN": "admins"}, "needs single sign-on"),
    ({"PASSWORD_LOGIN": "sometimes"}, "must be on, admins or off"),
    ({"OIDC_ISSUER": "https://idp.example"}, "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"),
])
def test_unsafe_sign_in_settings_refuse_to_start(tmp_path, settings, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path),
                    **settings})


@pytest.fixture(scope="module")
def other_provider():
    """A second provider with the same keys and client, at another issuer."""
    running = start_provider([CALLBACK], ACCOUNTS)
    yield running
    running.stop()


def exchange_returns(monkeypatch, app, replace):
    """The app's code exchange answers `replace(genuine token response)` instead."""
    client = app.extensions["ladder.oidc"]
    genuine = client.fetch_access_token
    monkeypatch.setattr(client, "fetch_access_token", lambda **kwargs: replace(genuine(**kwargs)))


def forge_subject(token: dict) -> dict:
    header, payload, signature = token["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin-sub"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return {**token, "id_token": f"{header}.{forged}.{signature}"}


@pytest.mark.parametrize("attack", ["forged signature", "another client's token", "another issuer's token",
                                    "another sign-in's token"])
def test_id_tokens_that_are_not_for_this_sign_in_are_refused(app, client, org, sso, other_provider,
                                                             monkeypatch, caplog, attack):
    """Signature, aud, iss and nonce: each alone fails the sign-in."""
    authorization = start(client)
    nonce = dict(parse_qsl(urlsplit(authorization).query))["nonce"]
    substitutes = {
        "another client's token": lambda: issue_tokens(sso, "admin-sub", nonce=nonce, redirect_uri=CALLBACK,
                                                       client=OTHER_CLIENT),
        "another issuer's token": lambda: issue_tokens(other_provider, "admin-sub", nonce=nonce,
                                                       redirect_uri=CALLBACK),
        "another sign-in's token": lambda: issue_tokens(sso, "admin-sub", nonce="an earlier nonce",
                                                        redirect_uri=CALLBACK),
    }
    if attack == "forged signature":
        exchange_returns(monkeypatch, app, forge_subject)
    else:
        substitute = substitutes[attack]()
        exchange_returns(monkeypatch, app, lambda genuine: substitute)
    callback = ProviderBrowser(CALLBACK).sign_in(authorization, "engineer-sub")
    page = refusal_shown(client.get(callback[len("http://localhost"):]), client)
    assert "could not be completed" in page
    assert signed_in_as(client) is None
    assert {"forged signature": "signature", "another client's token": "aud", "another issuer's token": "iss",
            "another sign-in's token": "nonce"}[attack] in caplog.text


def test_the_redirect_uri_can_be_set_for_a_tls_proxy(app, client, org, sso):
    app.config["OIDC_REDIRECT_URI"] = "https://ladder.example.com/auth/oidc/callback"
    query = dict(parse_qsl(urlsplit(start(client)).query))
    assert query["redirect_uri"] == "https://ladder.example.com/auth/oidc/callback"


def test_refused_sign_ins_are_in_the_admins_audit_log(client, org, sso):
    sso_sign_in(client, "stranger-sub")
    client.login("admin@example.com")
    page = client.get("/admin/audit?action=auth.sso").get_data(as_text=True)
    assert "auth.sso_refused" in page and "unknown_email" in page and "stranger@example.com" in page
