"""Tokens (spec section 7): the two sign-in endpoints the vendor's SDK calls, and
`Authorization: Bearer` on the API; a token expires, and dies at once with its client,
its user's deactivation or password change."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts import tokens
from accounts.api_clients import ApiClient
from tests.api_support import API, PASSWORD, basic, expected_keys, keys_of

OAUTH = "/api/v3/oauth/token"
JWT = "/api/v3/auth/jwt"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def client_token(client, api_client: ApiClient, secret: str) -> str:
    # As pycpg's ApiClientAuth sends it: the grant type in the query, no body.
    response = client.post(
        f"{OAUTH}?grant_type=client_credentials",
        content_type="application/json",
        **basic(api_client.client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def user_token(client, username: str, password: str = PASSWORD) -> str:
    # As pycpg's BearerAuth sends it (requests writes the boolean True as "True").
    response = client.get(JWT, {"useBody": True}, **basic(username, password))
    assert response.status_code == 200, response.content
    return response.json()["data"]["v3_user_token"]


@pytest.fixture
def daves_client(personas) -> tuple[ApiClient, str]:
    return ApiClient.objects.create_for(personas["dave"], "dave's script")


def rows_seen(client, token: str) -> set:
    response = client.get(API, {"pgSize": 1000}, **bearer(token))
    assert response.status_code == 200, response.content
    return set(keys_of(response.json()["data"]))


# The endpoints


def test_the_client_credentials_grant_answers_what_pycpg_reads(client, daves_client):
    api_client, secret = daves_client
    response = client.post(
        f"{OAUTH}?grant_type=client_credentials",
        content_type="application/json",
        **basic(api_client.client_id, secret),
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.API_TOKEN_SECONDS == 900
    assert "no-store" in response["Cache-Control"]


def test_the_grant_type_may_come_in_a_form_body_as_rfc_6749_sends_it(client, daves_client):
    api_client, secret = daves_client
    response = client.post(
        OAUTH, {"grant_type": "client_credentials"}, **basic(api_client.client_id, secret)
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_the_user_token_answers_what_pycpg_reads(client, personas):
    response = client.get(JWT, {"useBody": "true"}, **basic("dave"))
    assert response.status_code == 200
    assert list(response.json()) == ["data"]
    assert list(response.json()["data"]) == ["v3_user_token"]
    assert "no-store" in response["Cache-Control"]


def test_an_api_client_may_ask_for_a_user_token_too(client, daves_client, personas):
    api_client, secret = daves_client
    response = client.get(JWT, {"useBody": "true"}, **basic(api_client.client_id, secret))
    token = response.json()["data"]["v3_user_token"]
    assert rows_seen(client, token) == expected_keys(personas["dave"])


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("get", OAUTH, "POST"), ("put", OAUTH, "POST"), ("post", JWT, "GET"), ("delete", JWT, "GET")],
)
def test_other_methods_answer_405(client, daves_client, method, path, allowed):
    api_client, secret = daves_client
    response = getattr(client, method)(
        f"{path}?grant_type=client_credentials", **basic(api_client.client_id, secret)
    )
    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.json()["error"] == "method not allowed"


@pytest.mark.parametrize(
    ("query", "error"),
    [("", "invalid_request"), ("?grant_type=password", "unsupported_grant_type")],
)
def test_a_missing_or_other_grant_type_answers_400(client, daves_client, query, error):
    api_client, secret = daves_client
    response = client.post(f"{OAUTH}{query}", **basic(api_client.client_id, secret))
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert "grant_type=client_credentials" in response.json()["error_description"]


@pytest.mark.parametrize(
    "credentials",
    [
        lambda api_client, secret: basic(api_client.client_id, secret + "x"),
        lambda api_client, secret: basic("key-" + "1" * 32, secret),
        lambda api_client, secret: basic("dave"),  # a password is no client secret
        lambda api_client, secret: {},
    ],
)
def test_bad_client_credentials_answer_401_invalid_client(client, daves_client, credentials):
    response = client.post(f"{OAUTH}?grant_type=client_credentials", **credentials(*daves_client))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"] == 'Basic realm="Backup Report"'


@pytest.mark.parametrize("headers", [basic("dave", "wrong"), basic("nobody"), {}])
def test_bad_user_credentials_answer_401(client, personas, headers):
    response = client.get(JWT, {"useBody": "true"}, **headers)
    assert response.status_code == 401
    assert response.json()["error"] == "authentication required"
    assert response["WWW-Authenticate"] == 'Basic realm="Backup Report"'


def test_a_session_gets_no_token(client, personas):
    client.force_login(personas["dave"])
    assert client.get(JWT, {"useBody": "true"}).status_code == 401


def test_login_configuration_says_local_for_every_name(client, personas):
    for name in ("dave", "nobody"):
        response = client.get("/api/v3/LoginConfiguration", {"username": name})
        assert response.status_code == 200
        assert response.json() == {"data": {"loginType": "LOCAL"}}


def test_login_configuration_says_sso_for_every_name_when_local_sign_in_is_off(
    client, personas, settings
):
    settings.LOCAL_SIGNIN = False
    for name in ("dave", "super", "nobody"):
        response = client.get("/api/v3/LoginConfiguration", {"username": name})
        assert response.status_code == 200
        assert response.json() == {"data": {"loginType": "CLOUD_SSO"}}
    # An API client's id still signs in with its secret: a wrong or revoked one is told
    # to check its credentials, not that SSO users are unsupported (found by a review).
    from accounts.api_clients import ApiClient

    api_client, _ = ApiClient.objects.create_for(personas["dave"], "export")
    for name in (api_client.client_id, "key-" + "0" * 32):
        response = client.get("/api/v3/LoginConfiguration", {"username": name})
        assert response.json() == {"data": {"loginType": "LOCAL"}}, name


# Bearer on the API: the token's user's reach, exactly


@pytest.mark.parametrize("name", ["sysadmin", "alice", "carol", "dave", "sam", "erin"])
def test_a_user_token_shows_exactly_its_user_s_rows(client, personas, name):
    assert rows_seen(client, user_token(client, name)) == expected_keys(personas[name])


@pytest.mark.parametrize("name", ["sysadmin", "alice", "dave"])
def test_a_client_token_shows_exactly_its_user_s_rows(client, personas, name):
    api_client, secret = ApiClient.objects.create_for(personas[name], "script")
    token = client_token(client, api_client, secret)
    assert rows_seen(client, token) == expected_keys(personas[name])


def test_a_bearer_token_wins_over_a_session(client, personas):
    token = user_token(client, "dave")
    client.force_login(personas["sysadmin"])
    assert rows_seen(client, token) == expected_keys(personas["dave"])


def test_the_csv_export_takes_a_token_too(client, personas):
    response = client.get(API, {"export": "csv"}, **bearer(user_token(client, "dave")))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"\n") == 1 + len(
        expected_keys(personas["dave"])
    )


def test_a_page_with_a_token_costs_one_query_for_the_caller(
    client, personas, django_assert_num_queries
):
    from django.core.cache import cache

    token = user_token(client, "dave")
    cache.clear()  # the count is not cached yet
    # The access generation (accounts.caller_memo) and the report table's, in one query;
    # the user with their roles; the count; the page.
    with django_assert_num_queries(4):
        client.get(API, **bearer(token))


def test_the_next_page_with_the_same_token_costs_no_query_for_the_caller(
    client, personas, django_assert_num_queries
):
    token = user_token(client, "dave")
    assert client.get(API, **bearer(token)).status_code == 200
    # The access generation and the report table's, in one query: the caller is kept,
    # the page too.
    with django_assert_num_queries(1):
        assert client.get(API, **bearer(token)).status_code == 200


# A token's end


def test_a_token_expires(client, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = user_token(client, "dave")
    with time_machine.travel(start + dt.timedelta(seconds=settings.API_TOKEN_SECONDS - 1)):
        assert client.get(API, **bearer(token)).status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=settings.API_TOKEN_SECONDS + 1)):
        response = client.get(API, **bearer(token))
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="Backup Report"'


@pytest.mark.parametrize("kind", ["user", "client"])
def test_a_token_works_on_a_server_whose_clock_is_a_little_behind(
    client, personas, daves_client, kind
):
    """Several app servers share the tokens (README, *More than one machine*), and their
    clocks differ by a little: a token issued on one and sent at once to one whose clock
    is behind was refused as issued in the future (PyJWT's iat check, which allows no
    leeway), and pycpg's one retry with a new token met the same (found by an audit of
    section 7)."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        if kind == "user":
            token = user_token(client, "dave")
        else:
            token = client_token(client, *daves_client)
    with time_machine.travel(start - dt.timedelta(seconds=2), tick=False):
        assert client.get(API, **bearer(token)).status_code == 200


def test_a_token_from_a_server_whose_clock_ran_far_ahead_is_refused(client, personas):
    """Else it would outlive API_TOKEN_SECONDS everywhere else, by as much as that clock
    was ahead."""
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        token = user_token(client, "dave")
    with time_machine.travel(start, tick=False):
        assert client.get(API, **bearer(token)).status_code == 401


def test_the_lifetime_is_a_setting(client, personas, settings):
    settings.API_TOKEN_SECONDS = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = user_token(client, "dave")
    with time_machine.travel(start + dt.timedelta(seconds=61)):
        assert client.get(API, **bearer(token)).status_code == 401


def test_revoking_the_client_ends_its_tokens_at_once(client, daves_client):
    token = client_token(client, *daves_client)
    assert client.get(API, **bearer(token)).status_code == 200
    daves_client[0].revoke()
    assert client.get(API, **bearer(token)).status_code == 401


def test_a_client_s_expiry_ends_its_tokens(client, personas):
    api_client, secret = ApiClient.objects.create_for(
        personas["dave"], "short-lived", expires_at=timezone.now() + dt.timedelta(seconds=60)
    )
    token = client_token(client, api_client, secret)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert client.get(API, **bearer(token)).status_code == 401


def test_a_token_says_it_ends_with_its_client(client, personas):
    """expires_in said 900 of a client with a minute left (found by an audit of
    section 7): the SDK renews its token by it."""
    with time_machine.travel(timezone.now(), tick=False):
        api_client, secret = ApiClient.objects.create_for(
            personas["dave"], "short-lived", expires_at=timezone.now() + dt.timedelta(seconds=60)
        )
        response = client.post(
            f"{OAUTH}?grant_type=client_credentials", **basic(api_client.client_id, secret)
        )
    assert response.json()["expires_in"] == 60
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["exp"] == int(api_client.expires_at.timestamp())


def test_deleting_the_client_ends_its_tokens(client, daves_client):
    token = client_token(client, *daves_client)
    daves_client[0].delete()
    assert client.get(API, **bearer(token)).status_code == 401


@pytest.mark.parametrize("kind", ["user", "client"])
def test_deactivating_the_user_ends_their_tokens(client, personas, daves_client, kind):
    token = user_token(client, "dave") if kind == "user" else client_token(client, *daves_client)
    assert client.get(API, **bearer(token)).status_code == 200
    dave = personas["dave"]
    dave.is_active = False
    dave.save()
    assert client.get(API, **bearer(token)).status_code == 401


@pytest.mark.parametrize("kind", ["user", "client"])
def test_a_password_change_ends_the_user_s_tokens(client, personas, daves_client, kind):
    token = user_token(client, "dave") if kind == "user" else client_token(client, *daves_client)
    dave = personas["dave"]
    dave.set_password("a new password")
    dave.save()
    assert client.get(API, **bearer(token)).status_code == 401
    new_token = user_token(client, "dave", "a new password")
    assert client.get(API, **bearer(new_token)).status_code == 200


# Forged and tampered tokens


def _parts(token: str) -> list[str]:
    return token.split(".")


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_token_signed_with_another_key_is_refused(client, personas):
    claims = _claims(user_token(client, "dave"))
    forged = jwt.encode(claims, "not the key" * 4, algorithm="HS256")
    assert client.get(API, **bearer(forged)).status_code == 401


def test_a_token_whose_claims_were_changed_is_refused(client, personas):
    token = user_token(client, "dave")
    header, _, signature = _parts(token)
    claims = _claims(token)
    claims["sub"] = str(personas["sysadmin"].pk)
    assert client.get(API, **bearer(f"{header}.{_b64(claims)}.{signature}")).status_code == 401
    claims = _claims(token)
    claims["exp"] += 3600
    assert client.get(API, **bearer(f"{header}.{_b64(claims)}.{signature}")).status_code == 401


def test_an_unsigned_token_is_refused(client, personas):
    claims = _claims(user_token(client, "dave"))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert client.get(API, **bearer(unsigned)).status_code == 401


def test_a_token_for_another_user_s_client_is_refused(client, personas, daves_client):
    """A genuine signature over claims that pair a user with someone else's client."""
    sams_client, _ = ApiClient.objects.create_for(personas["sam"], "sam's script")
    token = tokens.issue(personas["dave"], daves_client[0])
    claims = _claims(token)
    claims["cid"] = sams_client.pk
    resigned = jwt.encode(claims, tokens._signing_key(), algorithm="HS256")
    assert client.get(API, **bearer(resigned)).status_code == 401


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "Bearer", "é" * 10])
def test_garbage_is_refused(client, personas, token):
    response = client.get(API, **bearer(token))
    assert response.status_code == 401
    assert response.json()["error"] == "authentication required"


def test_a_token_works_only_as_a_bearer_not_as_a_password(client, personas):
    token = user_token(client, "dave")
    assert client.get(API, **basic("dave", token)).status_code == 401


# The vendor's SDK itself, over HTTP


@pytest.fixture
def pycpg_connections():
    """pycpg keeps its connections alive in one module-level session; closed after the
    test, no live-server thread is left serving one when the server stops."""
    from pycpg.services._connection import ROOT_SESSION

    yield
    ROOT_SESSION.close()


@pytest.mark.django_db(transaction=True)
def test_pycpg_signs_in_with_an_api_client_and_a_password(live_server, personas, pycpg_connections):
    import pycpg.sdk
    from pycpg.services._auth import BearerAuth
    from pycpg.services._connection import Connection
    from requests.auth import HTTPBasicAuth

    api_client, secret = ApiClient.objects.create_for(personas["dave"], "pycpg")
    sdk = pycpg.sdk.from_api_client(live_server.url, api_client.client_id, secret)
    assert sdk is not None

    # from_local_account's first step, before it reads /api/v1/User/my.
    auth = BearerAuth(
        Connection.from_host_address(live_server.url, auth=HTTPBasicAuth("dave", PASSWORD))
    )
    header = auth.get_credentials()
    assert header.startswith("Bearer ")
    assert tokens.verify(header.removeprefix("Bearer ")).user == personas["dave"]


@pytest.mark.django_db(transaction=True)
def test_pycpg_says_why_a_password_is_refused_when_local_sign_in_is_off(
    live_server, personas, settings, pycpg_connections
):
    """pycpg asks /api/v3/LoginConfiguration after a refused sign-in: LOCAL made it tell
    the admin to "double-check username/password" (and a second factor), though the
    password was right and passwords were turned off (found by an audit of section 7)."""
    import pycpg.sdk
    from pycpg.exceptions import PycpgError, PycpgUnauthorizedError

    settings.LOCAL_SIGNIN = False
    with pytest.raises(PycpgError, match="SSO users are not supported"):
        pycpg.sdk.from_local_account(live_server.url, "dave", PASSWORD)
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "pycpg")
    assert pycpg.sdk.from_api_client(live_server.url, api_client.client_id, secret) is not None
    # An API client's id and secret as a local account's, as section 7 allows: a wrong
    # secret is told as wrong credentials, not as an SSO user (found by a review).
    assert pycpg.sdk.from_local_account(live_server.url, api_client.client_id, secret)
    with pytest.raises(PycpgUnauthorizedError):
        pycpg.sdk.from_local_account(live_server.url, api_client.client_id, "wrong")
