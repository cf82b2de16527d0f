"""A real SAML 2.0 identity provider on loopback for the single sign-on tests, built on
pysaml2's own IdP (saml2.server.Server) and run in a process of its own by
tests/idp/saml_support.py:

    python tests/idp/saml/idp.py <port> <key.pem> <cert.pem> <sp-metadata.xml> <people.json>

- GET  /metadata       this IdP's metadata, with its signing certificate
- GET  /sso/redirect   an AuthnRequest (HTTP-Redirect binding): a login form
- POST /sso/login      signs the person in: a signed assertion, POSTed to the service
                       provider's assertion consumer service by an auto-submitting form.
                       `unsigned=1` leaves the assertion unsigned (for the refusal tests).

people.json: login -> {"email", "uid", "groups"}; read at every sign-in, so a test
changes someone's groups between two sign-ins. No password: a test IdP on loopback.
"""

from __future__ import annotations

import html
import json
import secrets
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import (
    NAME_FORMAT_BASIC,
    NAMEID_FORMAT_EMAILADDRESS,
    NAMEID_FORMAT_TRANSIENT,
    NameID,
)
from saml2.server import Server

AUTHN_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"

LOGIN_FORM = """<!doctype html>
<html><head><title>Test identity provider</title></head>
<body style="font-family: sans-serif; max-width: 24rem; margin: 4rem auto">
<h1>Test identity provider</h1>
<p>Signing in to <b>{sp}</b></p>
<form method="post" action="/sso/login">
  <input type="hidden" name="key" value="{key}">
  <label>Username <input name="username" id="username" autofocus></label>
  <button type="submit" id="sign-in">Sign in</button>
</form>
</body></html>"""


def config(base: str, key: str, cert: str, sp_metadata: str) -> IdPConfig:
    conf = IdPConfig()
    conf.load(
        {
            "entityid": f"{base}/metadata",
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "key_file": key,
            "cert_file": cert,
            "metadata": {"local": [sp_metadata]},
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "name": "Test identity provider",
                    "endpoints": {
                        "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 15},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_BASIC,
                        }
                    },
                    "want_authn_requests_signed": False,
                }
            },
        }
    )
    return conf


def name_id_of(person: dict) -> NameID:
    """The person's address as the NameID, or with "transient" a new random one at each
    sign-in, as Shibboleth sends where the request names no format."""
    if person.get("transient"):
        return NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16))
    return NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=person["email"])


class IdentityProvider:
    def __init__(self, base: str, key: str, cert: str, sp_metadata: str, people: str) -> None:
        self.conf = config(base, key, cert, sp_metadata)
        self.server = Server(config=self.conf)
        self.people = Path(people)
        self.pending: dict[str, tuple[object, str]] = {}

    def __call__(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        try:
            if path == "/metadata":
                body, kind = str(entity_descriptor(self.conf)), "text/xml"
            elif path == "/sso/redirect" and method == "GET":
                body, kind = self.login_form(parse_qs(environ.get("QUERY_STRING", ""))), "text/html"
            elif path == "/sso/login" and method == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                body, kind = (
                    self.signed_in(parse_qs(environ["wsgi.input"].read(size).decode())),
                    "text/html",
                )
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"not found"]
        except Exception as error:  # a test reads the reason in the log
            print(f"IdP error: {error!r}", file=sys.stderr, flush=True)
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [repr(error).encode()]
        start_response("200 OK", [("Content-Type", f"{kind}; charset=utf-8")])
        return [body.encode()]

    def login_form(self, query: dict) -> str:
        request = self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        key = secrets.token_urlsafe(16)
        self.pending[key] = (request.message, query.get("RelayState", [""])[0])
        return LOGIN_FORM.format(sp=html.escape(request.message.issuer.text), key=key)

    def signed_in(self, form: dict) -> str:
        message, relay_state = self.pending.pop(form["key"][0])
        person = json.loads(self.people.read_text())[form["username"][0]]
        acs = message.assertion_consumer_service_url
        response = self.server.create_authn_response(
            identity={
                "email": [person["email"]],
                "uid": [person["uid"]],
                "groups": person["groups"],
            },
            in_response_to=message.id,
            destination=acs,
            sp_entity_id=message.issuer.text,
            name_id=name_id_of(person),
            authn={"class_ref": AUTHN_PASSWORD, "authn_auth": self.conf.entityid},
            sign_assertion="unsigned" not in form,
            sign_response=False,
        )
        http_args = self.server.apply_binding(
            BINDING_HTTP_POST, str(response), acs, relay_state, response=True
        )
        return http_args["data"]


class ThreadingServer(ThreadingMixIn, WSGIServer):
    """A thread a connection: a browser's idle connection (Chromium opens one ahead of
    need) would otherwise hold the one thread and every later sign-in would time out."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> None:
    port, key, cert, sp_metadata, people = sys.argv[1:6]
    base = f"http://127.0.0.1:{port}"
    app = IdentityProvider(base, key, cert, sp_metadata, people)
    with make_server(
        "127.0.0.1", int(port), app, server_class=ThreadingServer, handler_class=QuietHandler
    ) as server:
        print(f"SAML IdP listening on {base}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
