"""JSON bodies of the API are ASCII, every other character a \\uXXXX escape (spec section 2),
and decode back to the very names: the vendor's Python 2 library logs each response
with str(), which raises on the first raw non-ASCII byte."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api_support import API, basic, get
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory

ROCKET = "\U0001f680"  # beyond the Basic Multilingual Plane: a surrogate pair in JSON


@pytest.fixture
def names_beyond_ascii(personas):
    """Åkesson (alice) and Sørensen (sam) come with the personas; add an emoji."""
    nguyen = UserFactory(
        username="nguyen", first_name="Zoë", last_name=f"Nguyễn {ROCKET}", org=personas["sam"].org
    )
    ArchiveFactory(device=DeviceFactory(user=nguyen, name=f"Café-{ROCKET}"))
    return personas


def assert_ascii_json(response) -> object:
    """The body is ASCII and parses; returns what it holds."""
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    assert response.content.isascii(), response.content[:300]
    return json.loads(response.content)


def test_a_page_is_ascii_and_round_trips_every_name(client, names_beyond_ascii):
    response = get(client, names_beyond_ascii["sysadmin"])
    assert response.status_code == 200
    body = assert_ascii_json(response)
    assert b"\\u00c5kesson" in response.content  # Å, escaped as the vendor writes it
    assert b"\\ud83d\\ude80" in response.content  # the rocket, as a surrogate pair
    last_names = {row["lastName"] for row in body["data"]}
    assert {"Åkesson", "Sørensen", f"Nguyễn {ROCKET}"} <= last_names
    assert f"Café-{ROCKET}" in {row["deviceName"] for row in body["data"]}
    assert "Zoë" in {row["firstName"] for row in body["data"]}


def test_the_parameters_as_understood_are_escaped_too(client, names_beyond_ascii):
    response = get(client, names_beyond_ascii["sysadmin"], user="åkesson")
    body = assert_ascii_json(response)
    assert body["metadata"]["params"]["user"] == "åkesson"
    assert [row["lastName"] for row in body["data"]] == ["Åkesson"]


def test_a_400_naming_a_non_ascii_value_is_ascii(client, names_beyond_ascii):
    response = get(client, names_beyond_ascii["sysadmin"], srtKey="Ørsted", active=ROCKET)
    assert response.status_code == 400
    body = assert_ascii_json(response)
    assert "Ørsted" in body["parameters"]["srtKey"]
    assert ROCKET in body["parameters"]["active"]


def test_401_405_and_the_schema_are_ascii(client, names_beyond_ascii):
    refused = client.get(API, **basic("Åkesson", "wrong"))
    assert refused.status_code == 401
    assert_ascii_json(refused)
    not_allowed = client.post(API, {"user": "Åkesson"})
    assert not_allowed.status_code == 405
    assert_ascii_json(not_allowed)
    schema = client.get("/api/schema.json")
    assert schema.status_code == 200
    assert_ascii_json(schema)


def _routes(patterns, prefix: str = "/"):
    """Every route, its path parameters filled with a non-ASCII value."""
    for pattern in patterns:
        route = prefix + re.sub(r"<[^>]+>", "%C3%85kesson", str(pattern.pattern))
        route = route.replace("^", "").replace("$", "")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


# Every route under /api/, so that resources added later are held to the rule without
# a test of their own.
API_PATHS = sorted(
    {route for route in _routes(get_resolver().url_patterns) if route.startswith("/api/")}
)


@pytest.mark.parametrize("path", API_PATHS)
def test_every_json_answer_of_the_api_is_ascii(client, names_beyond_ascii, path):
    for headers in (basic("sysadmin"), basic("nguyen"), {}):
        for method in (client.get, client.post):
            response = method(path, {"q": "Åkesson", "pgSize": "5"}, **headers)
            assert response.status_code < 500, (path, response.status_code)
            if response.get("Content-Type", "").startswith("application/json"):
                assert response.content.isascii(), (path, response.content[:300])
                json.loads(response.content)
