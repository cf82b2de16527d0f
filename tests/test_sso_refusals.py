"""What a refused single sign-on tells the person and the audit log (spec section 13:
sign-ins and their failures are recorded): the reason, and whom the provider named.
Against the real OpenID provider and SAML IdP of tests.sso_support (found by an audit
of section 12)."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.test import Client
from saml2 import BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

from accounts.audit.models import Event
from accounts.sso import saml_reasons
from tests.api_support import API
from tests.sso_support import oidc_sign_in, saml_sign_in

pytestmark = pytest.mark.django_db


def failed_sign_in() -> Event:
    return Event.objects.get(kind="signin.failed")


def test_an_unverified_address_refused_names_the_address_tried(oidc, people):
    """Refused before the account was looked for, the event named no one."""
    oidc.person("mallory", email="dave@example.com", email_verified=False)
    assert oidc_sign_in(Client(), oidc, "mallory").status_code == 403
    failed = failed_sign_in()
    assert failed.details["reason"] == "The identity provider has not verified your email address."
    assert failed.target == "dave@example.com"


def callback_state(browser: Client) -> str:
    """The state of a sign-in this browser started at the product."""
    start = browser.get("/sso/oidc/login/")
    return parse_qs(urlsplit(start["Location"]).query)["state"][0]


def test_the_providers_own_refusal_is_named_with_its_words(oidc, people):
    """error=access_denied at the callback was told, on the page and the log, as a
    broken round trip: "could not be completed; start again"."""
    browser = Client()
    answer = browser.get(
        "/sso/oidc/callback/",
        {
            "error": "access_denied",
            "error_description": "User is not assigned\nto the application\x07" + "!" * 300,
            "state": callback_state(browser),
        },
    )
    assert answer.status_code == 403
    reason = failed_sign_in().details["reason"]
    assert reason.startswith(
        "The identity provider refused the sign-in "
        "(access_denied: User is not assigned to the application !!!"
    )
    assert len(reason) < 300 and reason.isprintable()
    assert "refused the sign-in (access_denied: User is not assigned" in answer.content.decode()


def test_a_providers_refusal_this_browser_never_asked_for_is_a_broken_round_trip(oidc, people):
    """Words anyone may put in a link are not shown as the provider's."""
    answer = Client().get(
        "/sso/oidc/callback/",
        {"error": "access_denied", "error_description": "Call 555-0100", "state": "made-up"},
    )
    assert answer.status_code == 403
    assert b"Call 555-0100" not in answer.content
    assert "start again" in failed_sign_in().details["reason"]


def test_a_callback_of_this_browser_without_a_code_is_a_failed_sign_in_not_a_500(oidc, people):
    """The browser's own state and no code (a link cut short, a provider's redirect
    mangled): Authlib's MissingCodeException is no OAuthError, and was a 500."""
    browser = Client(raise_request_exception=False)
    answer = browser.get("/sso/oidc/callback/", {"state": callback_state(browser)})
    assert answer.status_code == 403
    assert "start again" in failed_sign_in().details["reason"]
    assert browser.get(API).status_code == 401


def test_a_provider_gone_before_the_callback_is_a_503_and_refuses_no_one(
    tmp_path, settings, people
):
    """The person signed in at the provider, which then went down before the product
    asked it for the token: a 403 and a failed sign-in on the log, where a provider out
    of reach at the start is a 503 that refused no one (accounts.sso.refusal; found by
    an audit). A provider of its own, stopped for real."""
    from tests.idp.oidc_support import CLIENT_ID, CLIENT_SECRET, OidcProvider

    provider = OidcProvider(tmp_path, ["http://testserver"]).start()
    try:
        settings.OIDC_DISCOVERY_URL = provider.discovery_url
        settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
        provider.person("dave", email="dave@example.com")
        browser = Client()
        back = urlsplit(provider.log_in(browser.get("/sso/oidc/login/")["Location"], "dave"))
    finally:
        provider.stop()
    answer = browser.get(f"{back.path}?{back.query}")
    assert answer.status_code == 503
    assert b"cannot be reached just now" in answer.content
    assert not Event.objects.filter(kind="signin.failed").exists()
    assert browser.get(API).status_code == 401


# SAML answers made here, signed with the test IdP's own key and configuration
# (tests/idp/saml/idp.py), for what its login form never sends.
IDP_PY = Path(__file__).resolve().parent / "idp" / "saml" / "idp.py"


def idp_server(saml) -> Server:
    spec = importlib.util.spec_from_file_location("crafting_idp", IDP_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    conf = module.config(saml.base, str(saml.key), str(saml.cert), str(saml.folder / "sp.xml"))
    return Server(config=conf)


def saml_request(browser: Client, server: Server):
    """The authentication request of a sign-in this browser starts, as the IdP reads it."""
    start = browser.get("/sso/saml/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    return server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message


def saml_answer(server: Server, request, **overrides) -> dict[str, str]:
    """The fields of the IdP's POST: dave's signed assertion, or as `overrides` say."""
    email = "dave@example.com"
    answer = {
        "identity": {"email": [email], "uid": ["dave"], "groups": []},
        "in_response_to": request.id,
        "destination": request.assertion_consumer_service_url,
        "sp_entity_id": request.issuer.text,
        "name_id": NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
        "authn": {
            "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
            "authn_auth": server.config.entityid,
        },
        "sign_assertion": True,
        "sign_response": False,
    } | overrides
    response = str(server.create_authn_response(**answer))
    return {"SAMLResponse": base64.b64encode(response.encode()).decode(), "RelayState": "/"}


def test_a_crafted_answer_as_the_idp_makes_it_signs_in(saml, people):
    """The harness below: a genuine answer made here is taken."""
    server, browser = idp_server(saml), Client()
    answer = saml_answer(server, saml_request(browser, server))
    assert browser.post("/sso/saml/acs/", answer).status_code == 302
    assert browser.get(API).status_code == 200


def test_a_saml_answer_for_another_destination_is_a_failed_sign_in(saml, people):
    """pysaml2 hands such an answer back without its assertion; djangosaml2 answered the
    AttributeError it met with a 400, and the log had nothing."""
    server, browser = idp_server(saml), Client()
    request = saml_request(browser, server)
    answer = saml_answer(server, request, destination="https://elsewhere.example/acs/")
    refused = browser.post("/sso/saml/acs/", answer)
    assert refused.status_code == 400
    assert browser.get(API).status_code == 401
    assert failed_sign_in().details["reason"] == saml_reasons.ANOTHER_DESTINATION
    assert b"addressed to another site" in refused.content


@pytest.mark.parametrize("answer", [{}, {"SAMLResponse": ""}, {"SAMLResponse": "  "}])
def test_a_post_to_the_saml_acs_without_an_answer_is_a_failed_sign_in(saml, people, answer):
    """djangosaml2's own bare 400, which the audit log never saw; an empty SAMLResponse
    is no answer either, where it read "could not be verified" (found by a review)."""
    browser = Client()
    saml_request(browser, idp_server(saml))
    refused = browser.post("/sso/saml/acs/", {"RelayState": "/"} | answer)
    assert refused.status_code == 400
    assert failed_sign_in().details["reason"] == saml_reasons.NO_ANSWER
    assert b"start the sign-in again" in refused.content
    assert browser.get(API).status_code == 401


def test_a_replayed_saml_answer_is_a_failed_sign_in_saying_so(saml, people):
    server, browser = idp_server(saml), Client()
    answer = saml_answer(server, saml_request(browser, server))
    assert browser.post("/sso/saml/acs/", answer).status_code == 302
    again = Client()
    again.get("/sso/saml/login/")
    assert again.post("/sso/saml/acs/", answer).status_code in (400, 403)
    assert failed_sign_in().details["reason"] in (
        saml_reasons.REPLAYED,
        saml_reasons.UNSOLICITED,
    )


def test_a_saml_answer_replayed_through_another_worker_is_refused(saml, people, settings):
    """Each assertion id was remembered in the cache, which is each process's own without
    REDIS_URL: the README's gunicorn workers each took the same assertion once (found by
    an audit of section 12). Here the replay comes as a second POST racing the first
    would, its request still in flight, to a process whose cache never saw it."""
    from importlib import import_module

    server, browser = idp_server(saml), Client()
    answer = saml_answer(server, saml_request(browser, server))
    in_flight = browser.cookies["saml_session"].value
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    requests_in_flight = SessionStore(in_flight).load()
    assert browser.post("/sso/saml/acs/", answer).status_code == 302
    browser.logout()
    racing = SessionStore()  # as the racing POST read it, before the first one ended
    racing.update(requests_in_flight)
    racing.create()
    browser.cookies["saml_session"] = racing.session_key
    settings.CACHES = {  # another worker: a memory of its own
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "another-worker",
        }
    }
    refused = browser.post("/sso/saml/acs/", answer)
    assert refused.status_code in (400, 403)
    assert failed_sign_in().details["reason"] == saml_reasons.REPLAYED
    assert browser.get(API).status_code == 401


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"sp_entity_id": "https://elsewhere.example/metadata/"}, saml_reasons.ANOTHER_AUDIENCE),
        ({"in_response_to": "id-of-no-request"}, saml_reasons.UNSOLICITED),
        ("expired", saml_reasons.OUT_OF_TIME),
    ],
)
def test_pysaml2s_reason_is_the_failed_sign_ins(saml, people, answer, said):
    """Every one was "could not be verified", on the log too."""
    server, browser = idp_server(saml), Client()
    request = saml_request(browser, server)
    if answer == "expired":
        fields = saml_answer(server, request)
        with time_machine.travel(dt.timedelta(hours=3)):
            refused = browser.post("/sso/saml/acs/", fields)
    else:
        refused = browser.post("/sso/saml/acs/", saml_answer(server, request, **answer))
    assert refused.status_code in (400, 403)
    assert failed_sign_in().details["reason"] == said


def test_an_unsigned_saml_assertion_is_refused_as_unsigned(client, saml, people):
    saml.person("dave", email="dave@example.com")
    assert saml_sign_in(client, saml, "dave", unsigned="1").status_code == 403
    assert failed_sign_in().details["reason"] == saml_reasons.UNSIGNED


@pytest.mark.parametrize(
    ("match", "person", "said"),
    [
        (
            "email",
            {"email": "a" * 140 + "@long-department.example.com"},  # a valid address
            b"Your username is longer than the 150 characters an account here holds",
        ),
        (
            "username",
            {"email": "dave@example.com", "preferred_username": "dave\x00"},
            b"username holds a NUL character (%00): it cannot be signed in with",
        ),
    ],
)
def test_a_claim_the_database_cannot_hold_is_a_failed_sign_in_not_a_500(
    oidc, settings, people, match, person, said
):
    """On PostgreSQL, a stranger's address of 169 characters made their username (a
    varchar of 150), and a NUL in the username claim reached the lookup: DataError, 500."""
    settings.SSO_ADMIT_UNKNOWN = True
    settings.SSO_MATCH = match
    oidc.person("odd", **person)
    answer = oidc_sign_in(Client(raise_request_exception=False), oidc, "odd")
    assert answer.status_code == 403
    assert said in answer.content
    assert failed_sign_in().target.startswith(person.get("preferred_username", "a")[:4])


def test_a_saml_answer_is_refused_saying_why_while_the_database_cannot_record_it(
    saml, people, monkeypatch
):
    """Each assertion is taken once, recorded in the database: when the record cannot be
    written (SQLite's lock held by an import past SQLITE_BUSY_SECONDS; Redis away, when
    the cache kept it), the error was refused as "could not be verified". Refused still
    (unchecked, a replay would pass), saying why."""
    from django.db import OperationalError

    from accounts.sso.models import UsedAssertion

    def locked(*args):
        raise OperationalError("database is locked")

    monkeypatch.setattr(UsedAssertion, "first_use", locked)
    server, browser = idp_server(saml), Client()
    refused = browser.post("/sso/saml/acs/", saml_answer(server, saml_request(browser, server)))
    assert refused.status_code in (400, 403)
    assert failed_sign_in().details["reason"] == saml_reasons.REPLAY_UNCHECKED
    assert "try again in a minute" in refused.content.decode()
