"""The history resources in the OpenAPI document (reports.api.schema), compliance by org
and the health trend, their record fields from reports.history.records so the two
cannot drift."""

from __future__ import annotations

from reports.api.errors import SERVER_ERRORS
from reports.history.compliance import SORTS
from reports.history.records import FIELDS, TREND_FIELDS

_PERCENT = {"type": "number", "nullable": True, "minimum": 0, "maximum": 100}
_DAYS_NOW = {"type": "integer", "minimum": 0}
_DAYS_THEN = {
    "type": "integer",
    "nullable": True,
    "minimum": 0,
    "description": "The threshold that day's share was judged by; null: no snapshot then, "
    "or one taken before snapshots kept their thresholds.",
}
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
            "description": "okPercentNow minus okPercent30DaysAgo, in percentage points; "
            "where warningDays30DaysAgo is not warningDaysNow (or criticalDays30DaysAgo "
            "not criticalDaysNow), it holds the thresholds' change too.",
        },
        "warningDaysNow": _DAYS_NOW | {"description": "BACKUP_WARNING_DAYS now."},
        "criticalDaysNow": _DAYS_NOW | {"description": "BACKUP_CRITICAL_DAYS now."},
        "warningDays7DaysAgo": _DAYS_THEN,
        "criticalDays7DaysAgo": _DAYS_THEN,
        "warningDays30DaysAgo": _DAYS_THEN,
        "criticalDays30DaysAgo": _DAYS_THEN,
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


_COUNT = {"type": "integer", "minimum": 0}
_TREND_DAY = {
    "type": "object",
    "description": "One day with a snapshot: the caller's reach summed over its orgs.",
    "properties": {
        "day": {"type": "string", "format": "date"},
        "activeDevices": _COUNT,
        "ok": _COUNT,
        "warning": _COUNT,
        "critical": _COUNT,
        "neverBackedUp": _COUNT,
        "okPercent": _PERCENT,
        "selectedBytes": _COUNT,
        "archiveBytes": _COUNT,
        "coldStorageArchives": _COUNT,
        "coldStorageBytes": _COUNT,
        "takenAt": {
            "type": "string",
            "format": "date-time",
            "nullable": True,
            "description": "When the day's snapshot was taken: today's figures are as of it.",
        },
        "warningDays": _DAYS_THEN
        | {"description": "BACKUP_WARNING_DAYS the day was judged by; null: unknown."},
        "criticalDays": _DAYS_THEN
        | {"description": "BACKUP_CRITICAL_DAYS the day was judged by; null: unknown."},
        "thresholdsChanged": {
            "type": "boolean",
            "description": "The day was judged by other thresholds than the day with a "
            "snapshot before it (days of unknown thresholds passed over): its step from "
            "that day is the thresholds' as well as the backups'.",
        },
    },
    "required": list(TREND_FIELDS),
    "additionalProperties": False,
}
_TREND = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["days"],
            "additionalProperties": False,
            "properties": {
                "days": {"type": "array", "items": {"$ref": "#/components/schemas/TrendDay"}}
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
    document["paths"]["/api/history/trend"] = {"get": _trend_operation(security)}
    document["components"]["schemas"].update(
        {"ComplianceRow": _RECORD, "Compliance": _ANSWER, "TrendDay": _TREND_DAY, "Trend": _TREND}
    )
    return document


def _trend_operation(security: list) -> dict:
    return {
        "operationId": "getHistoryTrend",
        "summary": "The health trend of the caller's reach, day by day",
        "description": (
            "The overview's trend: on each day with a snapshot, oldest first, the active "
            "devices by health, the share backed up within the warning threshold, and "
            "storage, summed over the orgs of the caller's reach. A desktop user has no "
            "org reach: 403."
        ),
        "security": security,
        "parameters": [
            {
                "name": "days",
                "in": "query",
                "required": False,
                "description": "How many days back, today included (the overview's 90, or "
                "HISTORY_DAYS where it is fewer; at most HISTORY_DAYS, what is kept).",
                "schema": {"type": "integer", "minimum": 1},
            }
        ],
        "responses": {
            "200": {
                "description": "The days.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Trend"}}},
            },
            "400": {"$ref": "#/components/responses/InvalidParameters"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "403": _error("The caller's role has no fleet figures."),
            **SERVER_ERRORS,
        },
    }
