"""Single sign-on with the organisation's OpenID Connect provider (Okta, Google, Entra ID,
Keycloak...), through Authlib's Flask client.

The authorization code flow with PKCE (S256), state and nonce. The ID token's signature is
checked against the provider's published keys, and its claims (iss, aud, exp, iat, nonce)
against the app's clock. A person is matched by the provider's subject once linked, otherwise
by a verified email; nobody is created unless OIDC_CREATE_ACCOUNTS allows it. Every refusal is
explained on the sign-in page, logged and audited.
"""
from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from joserfc.errors import JoseError

from .. import clock
from ..database import writes_on_get
from ..domain.sso import Identity, PasswordLogin, Refusal, is_verified
from ..extensions import db
from ..services import audit
from ..services.sessions import start_session
from ..services.sso import SignInRefused, person_for
from .views import safe_next

logger = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")

EXTENSION = "ladder.oidc"
DISCOVERY_PATH = "/.well-known/openid-configuration"
HTTP_TIMEOUT_SECONDS = 10  # discovery, keys, token and userinfo requests to the provider
CLOCK_SKEW_SECONDS = 60  # leeway on exp and iat between the provider's clock and ours

MESSAGES = {
    Refusal.UNVERIFIED_EMAIL: "{provider} did not confirm that {email} is verified. Verify your email "
                              "address with {provider}, then sign in again.",
    Refusal.WRONG_DOMAIN: "{email} is not an address of this organisation. Sign in with your work "
                          "account.",
    Refusal.UNKNOWN_EMAIL: "No one with the email {email} has an account in Ladder. Ask an "
                           "administrator to add you, then sign in again.",
    Refusal.DEACTIVATED: "The account for {email} is deactivated. Ask an administrator if you "
                         "need it again.",
    Refusal.LINKED_ELSEWHERE: "The account for {email} is linked to a different {provider} "
                              "account. Ask an administrator.",
    Refusal.NOT_VERIFIED: "Signing in with {provider} could not be completed: the answer was "
                          "expired, used already or not valid. Please start again.",
    Refusal.PROVIDER_ERROR: "Signing in with {provider} did not work: {provider} refused or could "
                            "not be reached. Try again in a moment.",
}


class ClockedIDToken(CodeIDToken):
    """An ID token whose times (exp, iat) are checked against Ladder's one clock."""

    def validate(self, now=None, leeway=0):
        super().validate(now=clock.epoch_seconds(), leeway=leeway)


def discovery_url(issuer: str) -> str:
    """OIDC_ISSUER may be the issuer or its full discovery document URL."""
    issuer = issuer.rstrip("/")
    return issuer if issuer.endswith(DISCOVERY_PATH) else issuer + DISCOVERY_PATH


def init_oidc(app: Flask) -> None:
    """Check the sign-in settings and, when OIDC_ISSUER is set, register the provider's client."""
    try:
        mode = PasswordLogin(app.config["PASSWORD_LOGIN"])
    except ValueError:
        raise RuntimeError("PASSWORD_LOGIN must be on, admins or off, "
                           f"not {app.config['PASSWORD_LOGIN']!r}") from None
    app.config["PASSWORD_LOGIN"] = mode
    if not app.config["OIDC_ISSUER"]:
        if mode is not PasswordLogin.ON:
            raise RuntimeError(f"PASSWORD_LOGIN={mode} needs single sign-on: set OIDC_ISSUER.")
        return
    if not app.config["OIDC_CLIENT_ID"] or not app.config["OIDC_CLIENT_SECRET"]:
        raise RuntimeError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are needed too.")
    app.config["OIDC_ALLOWED_DOMAINS"] = tuple(domain.strip().lower().lstrip("@")
                                               for domain in app.config["OIDC_ALLOWED_DOMAINS"])
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=discovery_url(app.config["OIDC_ISSUER"]),
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256",
                       "default_timeout": HTTP_TIMEOUT_SECONDS},
    )


def _client():
    """The provider's client, or a 404 where single sign-on is not configured."""
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        abort(404)
    return client


def _provider_issuer(client) -> str:
    """The issuer from the provider's discovery document, which must be the configured one
    (OpenID Connect Discovery, section 4.3): every ID token's `iss` is checked against it."""
    issuer = client.load_server_metadata().get("issuer", "")
    if issuer.rstrip("/") != discovery_url(current_app.config["OIDC_ISSUER"])[:-len(DISCOVERY_PATH)]:
        raise ValueError(f"the discovery document names issuer {issuer!r}, not OIDC_ISSUER")
    return issuer


@bp.route("/start", methods=["POST"])
def start():
    """Send the browser to the provider, with a fresh state, nonce and PKCE verifier kept in the
    session (and where to go afterwards)."""
    client = _client()
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    try:
        _provider_issuer(client)
        redirect_uri = current_app.config["OIDC_REDIRECT_URI"] or url_for("oidc.callback", _external=True)
        authorization = client.create_authorization_url(redirect_uri)
    except (requests.RequestException, ValueError) as error:
        return _refuse(Refusal.PROVIDER_ERROR, detail=str(error))
    url = authorization.pop("url")  # not kept: the session cookie carries only what the callback needs
    client.save_authorize_data(redirect_uri=redirect_uri, next=safe_next(request.args.get("next")), **authorization)
    return redirect(url)


@bp.route("/callback")
@writes_on_get
def callback():
    """Where the provider sends the browser back. The state must be the one this browser was
    given (it is used once), the code is exchanged with the PKCE verifier, and the ID token
    checked before anyone is signed in."""
    client = _client()
    state = client.framework.get_state_data(session, request.args.get("state")) or {}
    try:
        token = client.authorize_access_token(
            claims_cls=ClockedIDToken, leeway=CLOCK_SKEW_SECONDS,
            claims_options={"iss": {"essential": True, "value": _provider_issuer(client)},
                            "aud": {"essential": True, "value": client.client_id}})
        identity = _identity(client, token)
    except (JoseError, OAuthError) as error:
        provider_said_no = isinstance(error, OAuthError) and request.args.get("error")
        return _refuse(Refusal.PROVIDER_ERROR if provider_said_no else Refusal.NOT_VERIFIED, detail=str(error))
    except (requests.RequestException, ValueError) as error:
        return _refuse(Refusal.PROVIDER_ERROR, detail=str(error))
    try:
        person = person_for(identity, allowed_domains=current_app.config["OIDC_ALLOWED_DOMAINS"],
                            create_accounts=current_app.config["OIDC_CREATE_ACCOUNTS"])
    except SignInRefused as refused:
        db.session.rollback()
        return _refuse(refused.reason, identity=identity, person=refused.person)
    start_session(person)
    db.session.commit()
    return redirect(state.get("next") or url_for("main.home"))


def _identity(client, token: dict) -> Identity:
    """Subject and email from the ID token; the email from the userinfo endpoint when the
    provider keeps it out of the ID token (its subject must then be the same person)."""
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise OAuthError(description="the provider sent no ID token")
    if "email" not in claims:
        userinfo = client.userinfo(token=token)
        if userinfo.get("sub") != claims["sub"]:
            raise OAuthError(description="userinfo is about another subject than the ID token")
        claims = {**userinfo, **claims}
    return Identity(subject=str(claims["sub"]), email=claims.get("email"),
                    email_verified=is_verified(claims.get("email_verified")), name=claims.get("name"))


def _refuse(reason: Refusal, *, detail: str = "", identity: Identity | None = None, person=None):
    """Explain on the sign-in page why not; keep a line in the log and the audit log."""
    email = identity.email if identity and identity.email else "your email address"
    logger.warning("single sign-on refused: %s (subject %s, email %s) %s", reason,
                   identity.subject if identity else "-", identity.email if identity else "-", detail)
    person_id = person.id if person is not None else None
    audit.record(None, "auth.sso_refused", "user", person_id, person_id,
                 {"reason": reason.value, "email": identity.email if identity else None,
                  "subject": identity.subject if identity else None})
    db.session.commit()
    flash(MESSAGES[reason].format(provider=current_app.config["OIDC_PROVIDER_NAME"], email=email), "error")
    return redirect(url_for("auth.login"))
