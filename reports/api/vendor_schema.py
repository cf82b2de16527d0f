"""The vendor's read resources (User, Computer, Org, role: reports.api.users, computers,
orgs, roles) in
the OpenAPI document: `add_vendor_resources(document)` adds their paths and schemas to
the one reports.api.schema builds. tests/test_api_vendor_resources.py checks real
answers against it.
"""

from __future__ import annotations

from accounts.roles import ROLE_GROUPS
from reports.api.computers import ComputerListParameters, ComputerLookupParameters
from reports.api.errors import SERVER_ERRORS
from reports.api.orgs import OrgListParameters, OrgLookupParameters, OrgV3Parameters
from reports.api.users import UserListParameters, UserLookupParameters
from reports.api.vendor import NotKept, PageParameters

DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TEXT = {"type": "string"}
ALWAYS_NULL = {"type": "string", "nullable": True, "description": "Always null here."}


def _with_optional(schema: dict, properties: dict) -> dict:
    """The object with more properties, present only when asked for (incRoles)."""
    return {**schema, "properties": {**schema["properties"], **properties}}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _object(properties: dict, description: str = "") -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    return {**schema, "description": description} if description else schema


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_USER = _object(
    {
        "userId": INTEGER,
        "userUid": _nullable(TEXT),
        "status": {"type": "string", "enum": ["Active", "Deactivated"]},
        "username": TEXT,
        "email": _nullable(TEXT),
        "firstName": _nullable(TEXT),
        "lastName": _nullable(TEXT),
        "quotaInBytes": {"type": "integer", "enum": [-1]},
        "orgId": _nullable(INTEGER),
        "orgUid": _nullable(TEXT),
        "orgName": _nullable(TEXT),
        "userExtRef": _nullable(TEXT),
        "notes": ALWAYS_NULL,
        "active": BOOLEAN,
        "blocked": BOOLEAN,
        "emailPromo": BOOLEAN,
        "invited": BOOLEAN,
        "orgType": _nullable({"type": "string", "enum": ["ENTERPRISE"]}),
        "usernameIsAnEmail": BOOLEAN,
        "creationDate": _nullable(DATE),
        "modificationDate": ALWAYS_NULL,
        "passwordReset": BOOLEAN,
        "localAuthenticationOnly": BOOLEAN,
        "licenses": {"type": "array", "items": TEXT, "maxItems": 0},
    },
    "A user, with the vendor's field names (see reports/api/users.py for the derived ones).",
)
_ROLE_NAMES = {"type": "array", "items": {"type": "string", "enum": list(ROLE_GROUPS.values())}}
_USER = _with_optional(_USER, {"roles": _ROLE_NAMES})
_ROLE = _object(
    {
        "roleId": {"type": "string", "enum": list(ROLE_GROUPS)},
        "roleName": {"type": "string", "enum": list(ROLE_GROUPS.values())},
        "creationDate": ALWAYS_NULL,
        "modificationDate": ALWAYS_NULL,
        "permissionIds": {"type": "array", "items": TEXT, "maxItems": 0},
    },
    "A role: one of the product's three groups (spec 4; reports/api/roles.py).",
)
_ALERT_STATES = {"type": "array", "items": TEXT, "minItems": 1}
_ALERT_STATE = {"type": "integer", "enum": [0, 1, 2]}
_BACKUP_USAGE = _object(
    {
        "targetComputerParentId": ALWAYS_NULL,
        "targetComputerParentGuid": ALWAYS_NULL,
        "targetComputerGuid": _nullable(TEXT),
        "targetComputerName": _nullable(TEXT),
        "targetComputerOsName": ALWAYS_NULL,
        "targetComputerType": ALWAYS_NULL,
        "selectedFiles": ALWAYS_NULL,
        "selectedBytes": _nullable(INTEGER),
        "todoFiles": ALWAYS_NULL,
        "todoBytes": _nullable({"type": "integer", "minimum": 0}),
        "archiveBytes": INTEGER,
        "billableBytes": INTEGER,
        "sendRateAverage": ALWAYS_NULL,
        "completionRateAverage": ALWAYS_NULL,
        "lastBackup": _nullable(DATE),
        "lastCompletedBackup": _nullable(DATE),
        "lastCompleted": _nullable(DATE),
        "lastConnected": _nullable(DATE),
        "lastMaintenanceDate": ALWAYS_NULL,
        "lastCompactDate": ALWAYS_NULL,
        "modificationDate": ALWAYS_NULL,
        "creationDate": ALWAYS_NULL,
        "using": BOOLEAN,
        "alertState": _ALERT_STATE,
        "alertStates": _ALERT_STATES,
        "percentComplete": _nullable({"type": "number"}),
        "storePointId": ALWAYS_NULL,
        "storePointName": ALWAYS_NULL,
        "serverId": ALWAYS_NULL,
        "serverGuid": _nullable(TEXT),
        "serverName": _nullable(TEXT),
        "serverHostName": ALWAYS_NULL,
        "isProvider": BOOLEAN,
        "archiveGuid": TEXT,
        "archiveFormat": {"type": "string", "enum": ["ARCHIVE_V1"]},
        "activity": ALWAYS_NULL,
    },
    "One archive of a computer: its destination, server, sizes and dates.",
)
_COMPUTER_PROPERTIES = {
    "computerId": INTEGER,
    "name": _nullable(TEXT),
    "osHostname": _nullable(TEXT),
    "guid": TEXT,
    "type": {"type": "string", "enum": ["COMPUTER"]},
    "status": _nullable(TEXT),
    "active": BOOLEAN,
    "blocked": BOOLEAN,
    "alertState": _ALERT_STATE,
    "alertStates": _ALERT_STATES,
    "userId": INTEGER,
    "userUid": _nullable(TEXT),
    "orgId": _nullable(INTEGER),
    "orgUid": _nullable(TEXT),
    "computerExtRef": _nullable(TEXT),
    "notes": ALWAYS_NULL,
    "parentComputerId": ALWAYS_NULL,
    "parentComputerGuid": ALWAYS_NULL,
    "lastConnected": _nullable(DATE),
    "osName": _nullable(TEXT),
    "osVersion": _nullable(TEXT),
    "osArch": ALWAYS_NULL,
    "address": _nullable(TEXT),
    "remoteAddress": _nullable(TEXT),
    "javaVersion": ALWAYS_NULL,
    "modelInfo": ALWAYS_NULL,
    "timeZone": ALWAYS_NULL,
    "version": ALWAYS_NULL,
    "productVersion": _nullable(TEXT),
    "buildVersion": ALWAYS_NULL,
    "creationDate": _nullable(DATE),
    "modificationDate": ALWAYS_NULL,
    "loginDate": ALWAYS_NULL,
    "service": {"type": "string", "enum": ["CrashPlan"]},
}
_COMPUTER = {
    **_object(_COMPUTER_PROPERTIES, "A device; backupUsage with incBackupUsage or incAll."),
    "properties": {
        **_COMPUTER_PROPERTIES,
        "backupUsage": {"type": "array", "items": _ref("VendorBackupUsage")},
    },
}
_ORG = _object(
    {
        "orgId": INTEGER,
        "orgUid": TEXT,
        "orgGuid": TEXT,
        "orgName": TEXT,
        "orgExtRef": _nullable(TEXT),
        "notes": ALWAYS_NULL,
        "status": {"type": "string", "enum": ["Active", "Deactivated"]},
        "active": BOOLEAN,
        "blocked": BOOLEAN,
        "parentOrgId": _nullable(INTEGER),
        "parentOrgUid": _nullable(TEXT),
        "parentOrgGuid": _nullable(TEXT),
        "type": {"type": "string", "enum": ["ENTERPRISE"]},
        "classification": {"type": "string", "enum": ["BASIC"]},
        "externalId": TEXT,
        "hierarchyCounts": {"type": "object", "maxProperties": 0},
        "configInheritanceCounts": {"type": "object", "maxProperties": 0},
        "creationDate": ALWAYS_NULL,
        "modificationDate": ALWAYS_NULL,
        "deactivationDate": ALWAYS_NULL,
        "registrationKey": ALWAYS_NULL,
        "reporting": _object({"orgManagers": {"type": "array", "maxItems": 0}}),
        "customConfig": BOOLEAN,
    },
    "An org; a parent the caller may not see is null.",
)


def _envelope(data: dict) -> dict:
    metadata = _object(
        {
            "timestamp": DATE,
            "params": {
                "type": "object",
                "description": "The parameters as understood.",
                "additionalProperties": {"oneOf": [TEXT, INTEGER]},
            },
        }
    )
    return _object({"metadata": metadata, "data": data})


def _list(key: str, item: str, counts: tuple[str, ...] = ()) -> dict:
    listing = {
        "type": "object",
        "properties": {
            "totalCount": {"type": "integer", "minimum": 0},
            key: {"type": "array", "items": _ref(item)},
            **{count: {"type": "integer", "minimum": 0} for count in counts},
        },
        "required": ["totalCount", key],
        "additionalProperties": False,
    }
    return _envelope(listing)


def _parameters(form_class, descriptions: dict[str, str]) -> list[dict]:
    boolean = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}
    page = {"type": "integer", "minimum": 1}
    parameters = []
    for name, field in form_class.base_fields.items():
        if name == "pgSize":
            schema = {**page, "maximum": form_class.max_page_size}
        elif name == "pgNum":
            schema = page
        elif name in ("idType", "roleId"):
            schema = {"type": "string", "enum": list(field.choices)}
        elif isinstance(field, NotKept):
            schema = {"type": "string", "pattern": "^[Ff][Aa][Ll][Ss][Ee]$"}
        elif type(field).__name__ == "BooleanParameter":
            schema = boolean
        else:
            schema = {"type": "string", "pattern": "^[^\\u0000]*$"}
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "allowEmptyValue": True,
                "description": descriptions.get(name, ""),
                "schema": schema,
            }
        )
    return parameters


_PAGING = {
    "pgNum": "Page, from 1 (default 1).",
    "pgSize": f"Items a page (default {PageParameters.default_page_size}); more than the "
    "maximum answers 400, so that a client never takes a cut page for the last.",
}
_KEY = {"name": "key", "in": "path", "required": True, "schema": TEXT}


def _get(summary: str, parameters: list, schema: str, *, lookup: bool = False) -> dict:
    responses = {
        "200": {
            "description": summary,
            "content": {"application/json": {"schema": _ref(schema)}},
        },
        "400": {"$ref": "#/components/responses/InvalidParameters"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        **SERVER_ERRORS,
    }
    if lookup:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {"summary": summary, "parameters": parameters, "responses": responses}


def _read_only(operation: dict, security: list, operation_id: str) -> dict:
    refused = {
        "summary": "Not allowed: the resource is read-only.",
        # OpenAPI asks every operation to name its path's {key}: without it the document
        # was invalid for each lookup's refused methods (schemathesis: "Path parameter
        # 'key' is not defined"), and validators and client generators refused it whole.
        "parameters": [p for p in operation["parameters"] if p["in"] == "path"],
        "security": [],
        "responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}},
    }
    return {
        "get": {**operation, "security": security, "operationId": f"get{operation_id}"},
        **{
            method: {**refused, "operationId": f"{method}{operation_id}"}
            for method in ("post", "put", "patch", "delete")
        },
    }


def _paths(security: list) -> dict:
    users = _parameters(
        UserListParameters,
        _PAGING
        | {
            "active": "true: users not deactivated; false: deactivated ones. Any case.",
            "email": "Exact email, any letter case.",
            "username": "Exact username.",
            "orgUid": "This org and every org below it; an org you may not see is 400.",
            "roleId": "Users who hold this role (a superuser holds sysadmin).",
            "q": "Part of the username, email, first or last name.",
            "incRoles": "true: each user's roles, by name.",
        },
    )
    computers = _parameters(
        ComputerListParameters,
        _PAGING
        | {
            "active": "true: active devices; false: deactivated ones. Any case.",
            "blocked": "true: none (nothing is blocked here); false: all.",
            "orgUid": "This org and every org below it; an org you may not see is 400.",
            "userUid": "The owner's userUid.",
            "targetComputerGuid": "Devices with an archive at this destinationUid.",
            "q": "Part of the device name, hostname, deviceExtRef or guid.",
            "incBackupUsage": "true: each computer's backupUsage, one entry an archive.",
            "incCounts": "true: warningCount and criticalCount besides totalCount.",
            "incAll": "true: as incBackupUsage.",
            "incSettings": "Only false: the mirror keeps no device settings (true is 400).",
        },
    )
    orgs = _parameters(OrgListParameters, _PAGING)
    id_type = {"idType": "What the key is: the numeric id (default) or the named kind."}
    user_lookup = [
        _KEY,
        *_parameters(UserLookupParameters, id_type | {"incRoles": "true: its roles, by name."}),
    ]
    computer_lookup = [
        _KEY,
        *_parameters(
            ComputerLookupParameters,
            id_type
            | {
                "incBackupUsage": "true: its backupUsage.",
                "incAll": "As incBackupUsage.",
                "incSettings": "Only false: the mirror keeps no device settings (true is 400).",
            },
        ),
    ]
    org_lookup = [
        _KEY,
        *_parameters(
            OrgLookupParameters,
            id_type
            | {"incSettings": "Only false: the mirror keeps no org settings (true is 400)."},
        ),
    ]
    paths = {}
    for version in ("/api/v1", "/api"):
        tag = "V1" if version == "/api/v1" else ""
        resources = {
            "User": (_get("A page of users.", users, "VendorUserList"), "UserList"),
            "User/my": (_get("The caller.", [], "VendorUserOne"), "UserMy"),
            "User/{key}": (
                _get("One user.", user_lookup, "VendorUserOne", lookup=True),
                "User",
            ),
            "Computer": (
                _get("A page of computers.", computers, "VendorComputerList"),
                "ComputerList",
            ),
            "Computer/{key}": (
                _get("One computer.", computer_lookup, "VendorComputerOne", lookup=True),
                "Computer",
            ),
            "Org": (_get("A page of orgs.", orgs, "VendorOrgList"), "OrgList"),
            "Org/my": (_get("The caller's org.", [], "VendorOrgOne", lookup=True), "OrgMy"),
            "Org/{key}": (_get("One org.", org_lookup, "VendorOrgOne", lookup=True), "Org"),
            "role": (_get("Every role.", [], "VendorRoleList"), "RoleList"),
        }
        for resource, (operation, name) in resources.items():
            paths[f"{version}/{resource}"] = _read_only(operation, security, f"{tag}{name}")
    v3 = _get("One org, without the envelope.", [_KEY], "VendorOrg", lookup=True)
    v3["parameters"] = [
        {**_KEY, "name": "orgGuid"},
        *_parameters(OrgV3Parameters, {"incSettings": "Only false (true is 400)."}),
    ]
    paths["/api/v3/orgs/{orgGuid}"] = _read_only(v3, security, "V3Org")
    roles = _get("The roles a user holds, without the envelope.", [], "VendorRoles", lookup=True)
    roles["parameters"] = [{**_KEY, "name": "userUid"}]
    paths["/api/v3/users/{userUid}/roles"] = _read_only(roles, security, "V3UserRoles")
    return paths


def add_vendor_resources(document: dict, security: list) -> dict:
    """The read resources' paths (with `security`, the report's own), schemas and the
    404 answer, added to `document`."""
    document["paths"].update(_paths(security))
    # /api/v1/DeviceBackupReport is the very resource of /api/DeviceBackupReport.
    report = document["paths"]["/api/DeviceBackupReport"]
    document["paths"]["/api/v1/DeviceBackupReport"] = {
        method: {**operation, "operationId": f"{operation['operationId']}V1"}
        for method, operation in report.items()
    }
    document["components"]["schemas"].update(
        {
            "VendorUser": _USER,
            "VendorComputer": _COMPUTER,
            "VendorBackupUsage": _BACKUP_USAGE,
            "VendorOrg": _ORG,
            "VendorUserList": _list("users", "VendorUser"),
            "VendorUserOne": _envelope(_ref("VendorUser")),
            "VendorComputerList": _list(
                "computers", "VendorComputer", ("warningCount", "criticalCount")
            ),
            "VendorComputerOne": _envelope(_ref("VendorComputer")),
            "VendorOrgList": _list("orgs", "VendorOrg"),
            "VendorOrgOne": _envelope(_ref("VendorOrg")),
            "VendorRole": _ROLE,
            "VendorRoles": {"type": "array", "items": _ref("VendorRole")},
            "VendorRoleList": _envelope({"type": "array", "items": _ref("VendorRole")}),
        }
    )
    document["components"]["responses"]["NotFound"] = {
        "description": "No such thing, or not one the caller may see: the same answer.",
        "content": {
            "application/json": {
                "schema": _object(
                    {"error": {"type": "string", "enum": ["not found"]}, "detail": TEXT}
                )
            }
        },
    }
    return document
