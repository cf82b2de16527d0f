"""What a signed-in caller is answered is theirs alone: no cache keeps it.

Every page and file of the product shows rows, names and counts within its reader's
reach. An answer without Cache-Control may be kept by the browser (Back after signing
out on a shared desk showed the device list again) and, as the HTTP caching RFC allows
a heuristic, by a proxy in between. Each export had said so on its own ("no-store"),
and three forgot: compliance by org's CSV, the health trend's and the storage rollups'
(found by an audit of hostile requests). One rule here instead: an answer to a
signed-in caller that says nothing of caching is kept by none (Django's never_cache
headers: private, no-store). One that says something keeps its own words (the API's
page cache, its ETag and no-cache); the static files, answered before sign-in is
read (whitenoise), stay cacheable.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class PrivateAnswersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if not response.has_header("Cache-Control") and user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
