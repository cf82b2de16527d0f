"""The compliance resource in the OpenAPI document (reports.api.schema), its record
fields from reports.history.records so the two cannot drift."""

from __future__ import annotations

from reports.api.errors import SERVER_ERRORS
from reports.history.compliance import SORTS
from reports.history.records import FIELDS

_PERCENT = {"type": "number", "nullable": True, "minimum": 0, "maximum": 100}
_RECORD = {
    "type": "object",
    "description": "One org and its whole subtree, or (directlyInOrg) the level's own devices.",
    "properties": {
        "orgUid": {"type": "string"},
        "orgName": {"type": "string"},
        "directlyInOrg": {"type": "boolean"},
        "activeDevices": {"type": "integer", "minimum": 0},
        "okPercentNow": _PERCENT,
        "okPercent7DaysAgo": _PERCENT,
        "okPercent30DaysAgo": _PERCENT,
        "changePoints": {
            "type": "number",
            "nullable": True,
            "description": "okPercentNow minus okPercent30DaysAgo, in percentage points.",
        },
    },
    "required": list(FIELDS),
    "additionalProperties": False,
}
_ANSWER = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["org", "day", "sort", "sorts", "rows"],
            "additionalProperties": False,
            "properties": {
                "org": {
                    "type": "object",
                    "nullable": True,
                    "description": "The level listed; null: the top of the caller's reach.",
                    "required": ["orgUid", "orgName"],
                    "properties": {"orgUid": {"type": "string"}, "orgName": {"type": "string"}},
                },
                "day": {
                    "type": "string",
                    "format": "date",
                    "nullable": True,
                    "description": "The snapshot that is now; null before the first one.",
                },
                "sort": {"type": "string"},
                "sorts": {"type": "array", "items": {"type": "string", "enum": list(SORTS)}},
                "rows": {"type": "array", "items": {"$ref": "#/components/schemas/ComplianceRow"}},
            },
        }
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                }
            }
        },
    }


def add_history_resources(document: dict, security: list) -> dict:
    operation = {
        "operationId": "getHistoryCompliance",
        "summary": "Compliance by org: one level of the caller's reach",
        "description": (
            "The share of active devices backed up within the warning threshold, from the "
            "daily snapshots: now (the latest), 7 and 30 days before it. Without org, the "
            "top of the caller's reach (the roots for a system administrator, their org "
            "for an org manager); with org, the orgs right below it. A desktop user has "
            "no org reach: 403."
        ),
        "security": security,
        "parameters": [
            {
                "name": "org",
                "in": "query",
                "required": False,
                "description": "The orgUid whose children to list; outside the reach: 404.",
                "schema": {"type": "string"},
            },
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": "A column, '-' first for descending; missing shares last.",
                "schema": {"type": "string", "enum": [*SORTS, *(f"-{s}" for s in SORTS)]},
            },
        ],
        "responses": {
            "200": {
                "description": "The level's rows.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Compliance"}}
                },
            },
            "400": {"$ref": "#/components/responses/InvalidParameters"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": _error("The caller's role has no fleet figures."),
            "404": _error("No such org, or not one the caller may see."),
            **SERVER_ERRORS,
        },
    }
    document["paths"]["/api/history/compliance"] = {"get": operation}
    document["components"]["schemas"].update({"ComplianceRow": _RECORD, "Compliance": _ANSWER})
    return document
