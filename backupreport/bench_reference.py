"""The benchmark's reference (bench/run.py, section g): an API page's bytes, served
from memory by the same gunicorn, middleware and all. What it sustains is the ceiling
of the web stack on this machine, against which the API's own throughput is judged.

Mounted only when BENCH_REFERENCE_PAGE names a file (the benchmark writes one): never
in production, where the variable is not set.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache


@cache
def _page() -> bytes:
    return Path(settings.BENCH_REFERENCE_PAGE).read_bytes()


@never_cache
def reference_page(request: HttpRequest) -> HttpResponse:
    """The stored page, as the API answers it: same type, same headers' shape."""
    return HttpResponse(_page(), content_type="application/json")


urlpatterns = [path("bench/reference-page", reference_page, name="bench-reference-page")]
