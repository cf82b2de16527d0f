"""SCIM's answers: `application/scim+json`, and errors as RFC 7644 section 3.12 shapes
them (status, scimType, a detail that names what was wrong)."""

from __future__ import annotations

import json

from django.http import HttpResponse
from scim2_models import Context, Error

CONTENT_TYPE = "application/scim+json"


def answer(message, status: int = 200, context: Context = Context.RESOURCE_QUERY_RESPONSE):
    """A scim2_models message or resource as the answer."""
    body = message.model_dump(scim_ctx=context)
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=CONTENT_TYPE)
    location = getattr(getattr(message, "meta", None), "location", None)
    if status == 201 and location:
        response["Location"] = location
    return response


def error(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    return answer(Error(status=status, scim_type=scim_type, detail=detail), status=status)


def from_exception(exception) -> HttpResponse:
    """A scim2_models SCIMException (a filter or a path it could not read) as its error."""
    refusal = exception.to_error()
    return answer(refusal, status=int(refusal.status or 400))
