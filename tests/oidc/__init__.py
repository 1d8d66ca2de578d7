"""A real OpenID Connect provider for the tests: panva's oidc-provider (OpenID Certified), run by
node from `provider.mjs` on a free loopback port, and a browser stand-in that signs in at it.

`start_provider(...)` installs the pinned npm package into this folder on first use (`npm ci`;
CI does it up front) and skips the calling test, with the reason, when node or npm are missing
or the registry cannot be reached.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess  # nosec B404: runs node and npm from this folder, with fixed arguments
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "ladder-tests"
CLIENT_SECRET = "a-client-secret-only-for-tests"
OTHER_CLIENT = ("another-application", "another-application-secret")  # registered by provider.mjs too


def install_provider() -> None:
    """`npm ci` here unless oidc-provider is already installed; skip the test when impossible."""
    if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("the single sign-on tests need node and npm (to run oidc-provider)")
    try:
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True,  # nosec B603
                                text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npm ci for oidc-provider timed out (is the npm registry reachable?)")
    if result.returncode != 0:
        pytest.skip(f"npm ci for oidc-provider failed: {result.stderr.strip()[-500:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class OpenIDProvider:
    """A running provider: its issuer URL, client credentials and accounts (sub -> claims)."""

    issuer: str
    redirect_uris: list[str]
    accounts: dict[str, dict]
    _process: subprocess.Popen = field(repr=False)
    _log: IO[str] = field(repr=False)
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._log.close()

    def output(self) -> str:
        """What node printed (warnings, errors), for a failure message."""
        self._log.seek(0)
        return self._log.read()


def start_provider(redirect_uris: list[str], accounts: dict[str, dict]) -> OpenIDProvider:
    """Start oidc-provider with one confidential client and `accounts`; wait until it answers."""
    install_provider()
    port = _free_port()
    env = {**os.environ, "OIDC_TEST_PORT": str(port), "OIDC_TEST_CLIENT_ID": CLIENT_ID,
           "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET, "OIDC_TEST_REDIRECT_URIS": json.dumps(redirect_uris),
           "OIDC_TEST_ACCOUNTS": json.dumps(accounts)}
    log = tempfile.TemporaryFile(mode="w+")  # closed by stop()
    process = subprocess.Popen([shutil.which("node"), str(HERE / "provider.mjs")], cwd=HERE, env=env,  # nosec B603
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{port}"
    provider = OpenIDProvider(issuer, redirect_uris, accounts, process, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            provider.stop()
            raise RuntimeError(f"oidc-provider exited: {provider.output()[-2000:]}")
        try:
            if requests.get(issuer + "/.well-known/openid-configuration", timeout=2).ok:
                return provider
        except requests.ConnectionError:
            time.sleep(0.1)
    provider.stop()
    raise RuntimeError("oidc-provider did not answer within 30 s")


class _Forms(HTMLParser):
    """The provider's interaction pages: each form's action and its named inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action") or "", {}))
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1][1][attrs["name"]] = attrs.get("value") or ""


class ProviderBrowser:
    """Plays the person's browser at the provider: follows redirects, signs in as an account
    and gives consent, until the provider sends the browser back to the app."""

    def __init__(self, app_callback: str):
        self.app_callback = app_callback
        self.http = requests.Session()

    def sign_in(self, authorization_url: str, account: str) -> str:
        """Sign in as `account` from the app's authorization redirect; the app's callback URL."""
        response = self.http.get(authorization_url, allow_redirects=False, timeout=10)
        for _ in range(12):
            if response.is_redirect:
                url = urljoin(response.url, response.headers["Location"])
                if url.startswith(self.app_callback):
                    return url
                response = self.http.get(url, allow_redirects=False, timeout=10)
                continue
            assert response.status_code == 200, (response.status_code, response.text[:500])
            parser = _Forms()
            parser.feed(response.text)
            action, fields = parser.forms[0]
            if fields.get("prompt") == "login":
                fields.update(login=account, password="any password: development interactions")
            response = self.http.post(urljoin(response.url, action), data=fields, allow_redirects=False,
                                      timeout=10)
        raise AssertionError("the provider never sent the browser back to the app")

    def abort(self, authorization_url: str) -> str:
        """Cancel at the provider's sign-in page ("abort"); the app's callback URL with the error."""
        response = self.http.get(authorization_url, allow_redirects=False, timeout=10)
        interaction = urljoin(response.url, response.headers["Location"])
        response = self.http.get(interaction.rstrip("/") + "/abort", allow_redirects=False, timeout=10)
        while response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(self.app_callback):
                return url
            response = self.http.get(url, allow_redirects=False, timeout=10)
        raise AssertionError(f"abort did not return to the app: {response.status_code}")


def issue_tokens(provider: OpenIDProvider, account: str, *, nonce: str, redirect_uri: str,
                 client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)) -> dict:
    """A genuine token response from `provider`, for a sign-in run outside the app (as another
    client, or with another nonce): what an attacker could hold and try to slip into the app."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    metadata = requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=10).json()
    query = urlencode({"client_id": client[0], "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "openid email profile", "state": secrets.token_urlsafe(16), "nonce": nonce,
                       "code_challenge": challenge, "code_challenge_method": "S256"})
    callback = ProviderBrowser(redirect_uri).sign_in(f"{metadata['authorization_endpoint']}?{query}", account)
    code = dict(parse_qsl(urlsplit(callback).query))["code"]
    response = requests.post(metadata["token_endpoint"], auth=client, timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier})
    response.raise_for_status()
    return response.json()
