"""The API's error answers, one shape for each: `{"error": <what>, ...}` in JSON.

Vendor scripts read `error` and then `parameters` (400: each bad parameter, what is
wrong and what it takes), `allowed` (405) or `detail` (the rest). Every error the API
can answer is one of these, the ones Django raises too (backupreport.errors), so that a
script never has to parse an HTML page.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import JsonResponse


def invalid_parameters(errors: dict[str, str]) -> JsonResponse:
    return JsonResponse({"error": "invalid parameters", "parameters": errors}, status=400)


def bad_request(detail: str) -> JsonResponse:
    return JsonResponse({"error": "bad request", "detail": detail}, status=400)


def forbidden(detail: str) -> JsonResponse:
    return JsonResponse({"error": "forbidden", "detail": detail}, status=403)


def not_found(detail: str) -> JsonResponse:
    return JsonResponse({"error": "not found", "detail": detail}, status=404)


def method_not_allowed(allowed: Iterable[str]) -> JsonResponse:
    allowed = list(allowed)
    response = JsonResponse({"error": "method not allowed", "allowed": allowed}, status=405)
    response["Allow"] = ", ".join(allowed)
    return response


def server_error() -> JsonResponse:
    return JsonResponse(
        {
            "error": "server error",
            "detail": "The server failed to answer; the error is in its log. Try again "
            "later, or tell the administrator.",
        },
        status=500,
    )


def database_unavailable(retry_after_seconds: int) -> JsonResponse:
    response = JsonResponse(
        {
            "error": "database unavailable",
            "detail": "The database cannot be reached just now. Try again in "
            f"{retry_after_seconds} seconds.",
        },
        status=503,
    )
    response["Retry-After"] = str(retry_after_seconds)
    return response


# How every resource's OpenAPI description names the two errors any request may meet
# (the responses themselves are described once, in reports.api.schema's components).
SERVER_ERRORS = {
    "500": {"$ref": "#/components/responses/ServerError"},
    "503": {"$ref": "#/components/responses/DatabaseUnavailable"},
}
