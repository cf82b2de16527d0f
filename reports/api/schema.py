"""The OpenAPI 3 document of the API, built from reports.row and the report query.

The row's field names, their order and what each value looks like come from the row
definition, and srtKey's values from the same names, so the document cannot drift
from what the API answers. tests/test_api_schema.py checks real answers against it.
"""

from __future__ import annotations

from functools import cache

from reports import row
from reports.api.compliance_schema import add_history_resources
from reports.api.errors import SERVER_ERRORS
from reports.api.vendor_schema import add_vendor_resources
from reports.models import ReportRow
from reports.query import MAX_PAGE_SIZE
from reports.row import EXTRA_ROW, ROW, VENDOR_ROW

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
_VALUE_SCHEMAS = {
    row.encode_datetime: {"type": "string", "pattern": DATE_PATTERN},
    row.encode_int: {"type": "string", "pattern": r"^-?\d+$"},
    row.encode_percentage: {"type": "string", "pattern": r"^-?\d+\.\d$"},
    row.encode_bool: {"type": "string", "enum": ["true", "false"]},
    row.encode_text: {"type": "string"},
}


def _any_case(*words: str) -> str:
    """A pattern for these words in any letter case."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" for c in word) for word in words)
    return f"^({'|'.join(spelled)})$"


def _parameter(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        # An empty value is ignored, as if the parameter were not sent (`os=`).
        "allowEmptyValue": True,
        "description": description,
        "schema": schema or {"type": "string", "pattern": "^[^\\u0000]*$"},
    }


def _row_schema() -> dict:
    properties = {}
    for name, attribute, encode in zip(ROW.names, ROW.attributes, ROW.encoders, strict=True):
        value = dict(_VALUE_SCHEMAS[encode])
        if ReportRow._meta.get_field(attribute).null:
            value["nullable"] = True
        properties[name] = value
    return {
        "type": "object",
        "description": "One report row: every value a string, or null when missing.",
        "properties": properties,
        "required": list(ROW.names),
        "additionalProperties": False,
    }


def _parameters() -> list[dict]:
    boolean = {"type": "string", "pattern": _any_case("true", "false")}
    return [
        _parameter("user", "Partial match on username, email, userExtRef, lastName, firstName."),
        _parameter("org", "Partial match on orgName, orgExtRef."),
        _parameter(
            "device", "Partial match on deviceName, deviceOsHostname, deviceExtRef, deviceUid."
        ),
        _parameter("destination", "Partial match on destinationName."),
        _parameter("os", "Partial match on os, osVersion."),
        _parameter("orgUid", "This org and every org below it."),
        _parameter("userUid", "Exact match."),
        _parameter("deviceUid", "Exact match."),
        _parameter("destinationUid", "Exact match."),
        _parameter("archiveGuid", "Exact match."),
        _parameter("active", "Device status Active (true) or not (false); any case.", boolean),
        _parameter("alerted", "alertStates holds anything but OK (true), or only OK.", boolean),
        _parameter("coldStorage", "Archive in cold storage or not; any case.", boolean),
        _parameter(
            "srtKey",
            "Sort by this field; ties by archiveGuid, then deviceUid. Nulls are the "
            "smallest: first ascending, last descending.",
            {"type": "string", "enum": list(ROW.names)},
        ),
        _parameter(
            "srtDir",
            "asc (default) or desc, any case.",
            {"type": "string", "pattern": _any_case("asc", "desc")},
        ),
        _parameter("pgNum", "Page, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
        _parameter(
            "pgSize",
            f"Rows a page; a larger value is served as {MAX_PAGE_SIZE}.",
            {"type": "integer", "minimum": 1, "default": MAX_PAGE_SIZE},
        ),
        _parameter(
            "export",
            "csv: every matching row, sorted, unpaged, as a download: a header of the "
            f"vendor's {len(VENDOR_ROW.names)} field names, then the rows; a missing "
            "value is the word null.",
            {"type": "string", "pattern": _any_case("csv")},
        ),
        _parameter(
            "extraColumns",
            "Not the vendor's: with export=csv, true adds "
            f"{', '.join(EXTRA_ROW.names)} after the vendor's columns (scripts that "
            "read the vendor's CSV by position want them left out, the default). JSON "
            "rows always carry them. Any case.",
            boolean,
        ),
    ]


def _page_schema() -> dict:
    return {
        "type": "object",
        "required": ["metadata", "data"],
        "additionalProperties": False,
        "properties": {
            "metadata": {
                "type": "object",
                "required": ["timestamp", "params", "pgNum", "pgSize", "totalCount"],
                "additionalProperties": False,
                "properties": {
                    "timestamp": {"type": "string", "pattern": DATE_PATTERN},
                    "params": {
                        "type": "object",
                        "description": "The parameters as understood.",
                        "additionalProperties": {
                            "oneOf": [{"type": "string"}, {"type": "integer"}]
                        },
                    },
                    "pgNum": {"type": "integer", "minimum": 1},
                    "pgSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                    "totalCount": {"type": "integer", "minimum": 0},
                },
            },
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
        },
    }


def _error(description: str, properties: dict) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": list(properties),
                    "properties": properties,
                }
            }
        },
    }


# What any operation may answer for a fault of the server's own (backupreport.errors).
def _method_not_allowed(method: str) -> dict:
    return {
        "operationId": f"{method}DeviceBackupReport",
        "summary": "Not allowed: the report is read-only.",
        "security": [],
        "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}},
    }


@cache
def openapi_document() -> dict:
    report_responses = {
        "200": {
            "description": "A page of rows, or with export=csv every matching row as CSV.",
            "headers": {
                "Content-Disposition": {
                    "description": 'With export=csv: attachment; filename="...csv".',
                    "schema": {"type": "string"},
                }
            },
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Page"}},
                "text/csv": {
                    "schema": {"type": "string"},
                    "description": (
                        f"A header line of the vendor's {len(VENDOR_ROW.names)} field "
                        f"names (then {', '.join(EXTRA_ROW.names)} with "
                        "extraColumns=true), then the rows; a missing value is null."
                    ),
                },
            },
        },
        "400": {"$ref": "#/components/responses/InvalidParameters"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        **SERVER_ERRORS,
    }
    report = {
        "summary": "The device backup report",
        "description": (
            "One row per archive; a device without an archive has one row. Parameters "
            "combine with AND; unknown ones and empty values are ignored; a known "
            "parameter given twice, or with a bad value, answers 400."
        ),
        "parameters": _parameters(),
        "security": [{"basicAuth": []}, {"sessionCookie": []}],
    }
    document = {
        "openapi": "3.0.3",
        "info": {
            "title": "Backup Report",
            "version": "1.0",
            "description": "Code42's DeviceBackupReport resource, self-hosted.",
        },
        "paths": {
            "/api/DeviceBackupReport": {
                "get": {
                    **report,
                    "operationId": "getDeviceBackupReport",
                    "responses": report_responses,
                },
                "head": {
                    **report,
                    "operationId": "headDeviceBackupReport",
                    "responses": {
                        code: {"description": "As for GET, without a body."}
                        for code in report_responses
                    },
                },
                **{
                    method: _method_not_allowed(method)
                    for method in ("post", "put", "patch", "delete")
                },
            }
        },
        "components": {
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
            "schemas": {"Row": _row_schema(), "Page": _page_schema()},
            "responses": {
                "InvalidParameters": _error(
                    "A known parameter has a bad value.",
                    {
                        "error": {"type": "string", "enum": ["invalid parameters"]},
                        "parameters": {
                            "type": "object",
                            "description": "Each bad parameter: what is wrong, what it accepts.",
                            "additionalProperties": {"type": "string"},
                            "minProperties": 1,
                        },
                    },
                ),
                "Unauthorized": {
                    **_error(
                        "No or wrong credentials.",
                        {"error": {"type": "string"}, "detail": {"type": "string"}},
                    ),
                    "headers": {
                        "WWW-Authenticate": {
                            "required": True,
                            "schema": {"type": "string", "pattern": "^Basic realm="},
                        }
                    },
                },
                "ServerError": _error(
                    "A fault of the server's own; the error is in its log.",
                    {"error": {"type": "string"}, "detail": {"type": "string"}},
                ),
                "DatabaseUnavailable": {
                    **_error(
                        "The database cannot be reached just now: ask again after Retry-After.",
                        {"error": {"type": "string"}, "detail": {"type": "string"}},
                    ),
                    "headers": {
                        "Retry-After": {
                            "required": True,
                            "description": "Seconds to wait before asking again.",
                            "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        }
                    },
                },
                "MethodNotAllowed": {
                    **_error(
                        "The resource is read-only: GET and HEAD only.",
                        {
                            "error": {"type": "string"},
                            "allowed": {"type": "array", "items": {"type": "string"}},
                        },
                    ),
                    "headers": {"Allow": {"required": True, "schema": {"type": "string"}}},
                },
            },
        },
    }
    # The compliance resource and the vendor's read resources (User, Computer, Org).
    add_history_resources(document, report["security"])
    return add_vendor_resources(document, report["security"])
