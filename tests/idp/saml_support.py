"""A real SAML identity provider for the tests: pysaml2's IdP (tests/idp/saml/idp.py) in
a process of its own on loopback, with a signing key made for the session."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

import requests

from tests.idp import Served
from tests.port_support import free_port

IDP = Path(__file__).resolve().parent / "saml" / "idp.py"


def make_key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A private key and its self-signed certificate, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """(action, hidden fields) of the auto-submitting form the IdP answers with."""
    action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', page).group(1))
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    return action, fields


class SamlIdentityProvider:
    def __init__(self, folder: Path, sp_metadata: bytes) -> None:
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.metadata_url = self.base + "/metadata"
        self.key, self.cert = make_key_pair(folder, "idp")
        (folder / "sp.xml").write_bytes(sp_metadata)
        self.people: dict[str, dict] = {}
        self.save_people()
        self.served = Served("the SAML IdP", folder / "idp.log")

    def save_people(self) -> None:
        (self.folder / "people.json").write_text(json.dumps(self.people))

    def person(
        self, login: str, *, email: str, uid: str = "", groups=(), transient: bool = False
    ) -> None:
        self.people[login] = {"email": email, "uid": uid or login, "groups": list(groups)}
        if transient:
            self.people[login]["transient"] = True
        self.save_people()

    def start(self) -> SamlIdentityProvider:
        files = [self.key, self.cert, self.folder / "sp.xml", self.folder / "people.json"]
        args = [sys.executable, str(IDP), str(self.port), *map(str, files)]
        self.served.start(args, self.metadata_url)
        return self

    def stop(self) -> None:
        self.served.stop()

    def log_in(self, redirect_url: str, login: str, **extra: str) -> tuple[str, dict[str, str]]:
        """Sign in at the IdP's form from the product's redirect: (the assertion consumer
        service's URL, the fields the IdP's page would POST there: SAMLResponse,
        RelayState)."""
        browser = requests.Session()
        page = browser.get(redirect_url, timeout=10)
        page.raise_for_status()
        _, fields = form_fields(page.text)
        answer = browser.post(
            urljoin(redirect_url, "/sso/login"),
            data={"key": fields["key"], "username": login, **extra},
            timeout=10,
        )
        answer.raise_for_status()
        return form_fields(answer.text)
