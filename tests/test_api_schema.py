"""The OpenAPI document tells the truth: real answers fit it, and schemathesis, calling
the live endpoint with what the document allows (and what it does not), finds no 5xx
and no answer outside the document."""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from reports.api.schema import openapi_document
from reports.query import ReportFilter
from reports.row import ROW
from tests.api_support import PASSWORD
from tests.factories import DeviceFactory

PATH = "/api/DeviceBackupReport"
SYSADMIN = ("sysadmin", PASSWORD)
FUZZ = settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def schema(live_server, personas, settings):
    DeviceFactory(user=personas["dave"], last_connected_date=None)  # a row of nulls
    # schemathesis sends wrong credentials on purpose (its ignored_auth check), from one
    # address and more often than the sign-in lock allows (accounts.lockout).
    settings.AXES_FAILURE_LIMIT = 10_000
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema.json")


def test_the_document_is_built_from_the_row_definition(db):
    document = openapi_document()
    row = document["components"]["schemas"]["Row"]
    assert list(row["properties"]) == list(ROW.names)
    assert row["required"] == list(ROW.names)
    srt_key = next(p for p in document["paths"][PATH]["get"]["parameters"] if p["name"] == "srtKey")
    assert srt_key["schema"]["enum"] == list(ROW.names)
    parameters = [p["name"] for p in document["paths"][PATH]["get"]["parameters"]]
    assert parameters == list(ReportFilter.base_filters)
    assert document["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"


@pytest.mark.parametrize(
    ("method", "params", "auth", "status"),
    [
        ("GET", {}, SYSADMIN, 200),
        ("GET", {"srtKey": "lastConnectedDate", "pgSize": "2", "pgNum": "2"}, SYSADMIN, 200),
        ("GET", {"export": "csv"}, SYSADMIN, 200),
        ("GET", {"srtKey": "nosuch", "pgNum": "0"}, SYSADMIN, 400),
        ("GET", {}, None, 401),
        ("GET", {}, ("sysadmin", "wrong"), 401),
        ("POST", {}, SYSADMIN, 405),
        ("DELETE", {}, None, 405),
    ],
)
def test_real_answers_fit_the_document(schema, live_server, method, params, auth, status):
    response = requests.request(
        method, f"{live_server.url}{PATH}", params=params, auth=auth, timeout=30
    )
    assert response.status_code == status
    operation = schema[PATH][method]
    operation.validate_response(response)  # raises, naming what does not fit


def test_a_row_of_nulls_fits_and_a_wrong_row_does_not(schema, live_server):
    response = requests.get(f"{live_server.url}{PATH}", auth=SYSADMIN, timeout=30)
    assert any(row["archiveGuid"] is None for row in response.json()["data"])
    operation = schema[PATH]["GET"]
    assert operation.is_valid_response(response)
    response._content = response.content.replace(b'"archiveBytes": "', b'"archiveBytes": 1, "x": "')
    assert not operation.is_valid_response(response)


def test_schemathesis_finds_nothing_wrong_with_valid_requests(schema, live_server):
    @FUZZ
    @given(case=schema[PATH]["GET"].as_strategy())
    def call(case):
        case.call_and_validate(base_url=live_server.url, auth=SYSADMIN)

    call()


def test_schemathesis_finds_nothing_wrong_with_invalid_requests(schema, live_server):
    """Every answer to a bad request is a documented one. Not judged here: whether each
    bad request was refused, since a query string flattens some generated values (an
    empty list, null) into an empty value, which the API rightly ignores."""
    strategy = schema[PATH]["GET"].as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE)

    @FUZZ
    @given(case=strategy)
    def call(case):
        case.call_and_validate(
            base_url=live_server.url, auth=SYSADMIN, excluded_checks=[negative_data_rejection]
        )

    call()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_schemathesis_finds_the_other_methods_as_documented(schema, live_server, method):
    @settings(FUZZ, max_examples=5)
    @given(case=schema[PATH][method].as_strategy())
    def call(case):
        response = case.call(base_url=live_server.url, auth=SYSADMIN)
        assert response.status_code == 405
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    call()


def test_every_operation_defines_its_path_s_parameters(db):
    """OpenAPI 3.0: each {name} of a path is a path parameter of every operation on it.
    The read-only answers (405) of the lookups (/api/v1/User/{key}, /api/v3/orgs/{orgGuid},
    ...) named none, and schemathesis refused the document for 32 operations ("Path
    parameter 'key' is not defined"), as OpenAPI's validators and client generators do."""
    for path, item in openapi_document()["paths"].items():
        templated = set(re.findall(r"{(\w+)}", path))
        shared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method, operation in item.items():
            if method == "parameters":
                continue
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert shared | named == templated, (method, path)
