"""A real OpenID provider for the tests: the npm package oidc-provider on Node, in a
process of its own on loopback (tests/idp/oidc/provider.js).

Its dependencies are installed from the lock file (`npm ci`) when node_modules is
missing. Without Node the tests that need it skip, saying why; with CI set they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.idp import Served
from tests.port_support import free_port

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "backup-report", "backup-report-test-secret-of-some-length"
OTHER_CLIENT_ID, OTHER_SECRET = "another-app", "another-app-test-secret-of-some-length"
CALLBACK = "/sso/oidc/callback/"


def missing_node() -> str | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "Node.js is missing; to run the OpenID Connect tests: apt-get install nodejs npm"
    if not (HERE / "node_modules" / "oidc-provider").exists():
        result = subprocess.run(
            [npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            return f"npm ci --prefix tests/idp/oidc failed:\n{result.stderr[-2000:]}"
    return None


def need_node() -> None:
    reason = missing_node()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


class OidcProvider:
    """oidc-provider serving two clients (this product, and another app of the same
    provider), with people whose claims a test may change between sign-ins."""

    def __init__(self, folder: Path, site_urls: list[str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.discovery_url = self.issuer + "/.well-known/openid-configuration"
        callbacks = [url.rstrip("/") + CALLBACK for url in site_urls]
        clients = [
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": callbacks},
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": OTHER_SECRET,
                "redirect_uris": callbacks,
            },
        ]
        (folder / "clients.json").write_text(json.dumps(clients))
        self.people: dict[str, dict] = {}
        self.save_people()
        self.served = Served("oidc-provider", folder / "provider.log")

    def save_people(self) -> None:
        (self.folder / "accounts.json").write_text(json.dumps(self.people))

    def person(self, login: str, **claims) -> None:
        """Add or change a person at the provider (email, preferred_username, groups)."""
        self.people[login] = claims
        self.save_people()

    def start(self) -> OidcProvider:
        args = ["node", "provider.js", str(self.port)]
        args += [str(self.folder / "clients.json"), str(self.folder / "accounts.json")]
        self.served.start(args, self.discovery_url, cwd=HERE)
        return self

    def stop(self) -> None:
        self.served.stop()

    def log_in(self, authorization_url: str, login: str) -> str:
        """Sign in at the provider's own form as `login`, from the authorization URL the
        product redirected to; the URL the provider sends the browser back to (the
        product's callback, with code and state), not followed."""
        browser = requests.Session()
        url = authorization_url
        for _ in range(10):
            if not url.startswith(self.issuer):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["Location"])
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert form, response.text[:2000]
            answer = browser.post(
                urljoin(url, form.group(1)),
                data={"prompt": "login", "login": login},
                allow_redirects=False,
                timeout=10,
            )
            url = urljoin(url, answer.headers["Location"])
        raise AssertionError(f"the provider never sent the browser back: {url}")

    def tokens_for(
        self, client_id: str, client_secret: str, login: str, site_url: str, nonce: str
    ) -> dict:
        """A token response (with an ID token) for `client_id`, as its own sign-in with
        PKCE would get one: for the tests that hand a foreign ID token to the product."""
        import base64
        import hashlib
        import secrets
        from urllib.parse import parse_qs, urlencode

        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        redirect_uri = site_url.rstrip("/") + CALLBACK
        query = urlencode(
            {
                "client_id": client_id,
                "response_type": "code",
                "scope": "openid email profile groups",
                "redirect_uri": redirect_uri,
                "state": secrets.token_urlsafe(16),
                "nonce": nonce,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            }
        )
        back = self.log_in(f"{self.issuer}/auth?{query}", login)
        code = parse_qs(urlsplit(back).query)["code"][0]
        response = requests.post(
            f"{self.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client_id, client_secret),
            timeout=10,
        )
        response.raise_for_status()
        return response.json()
