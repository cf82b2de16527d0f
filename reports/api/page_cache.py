"""The API's JSON pages, kept until the report table changes.

A vendor script pages through the same query again and again, and a monitoring script
asks for the same first page every few seconds: between two writes the answer is the
same bytes but for the metadata's timestamp. A page is kept under

- the report table's generation (reports.cache: a number a write moves on, never used
  twice), so no write is ever answered with the page before it;
- the caller's reach scope (accounts.roles: what the caller may see, not who holds it),
  so a page is never answered to someone of another scope;
- the request's parameters exactly as sent (every name, every value, in order of name),
  so only the very same question finds it; a page is only kept after its parameters
  passed validation, so a hit needs none.

The page is read after the generation, so it is at least as new as its key says. The
timestamp is the request's own (reports.clock), put in front of the kept bytes on every
answer. While there is no generation (a flush took its row away), every page is computed.

Each page carries a weak ETag, a digest of its bytes after the timestamp; a client that
sends it back in If-None-Match gets a 304 while the page is unchanged. A request with
`Cache-Control: no-cache` is computed afresh (and kept for the next): the benchmark's
figure for pages not in the cache, and a caller's way to be sure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, QueryDict

from accounts.bounded_map import BoundedMap
from accounts.roles import Reach
from reports.cache import TIMEOUT_SECONDS, figure_key
from reports.row import encode_datetime

# page_body's bytes start with this; the timestamp goes right after it.
ENVELOPE_START = b'{"metadata": {'


@dataclass(frozen=True)
class Page:
    """A page's bytes after `{"metadata": {` without the timestamp, and their ETag."""

    rest: bytes
    etag: str

    @classmethod
    def of(cls, body_without_timestamp: bytes) -> Page:
        if not body_without_timestamp.startswith(ENVELOPE_START):
            raise ValueError("not an API page body")
        rest = body_without_timestamp[len(ENVELOPE_START) :]
        return cls(rest=rest, etag=f'W/"{hashlib.sha256(rest).hexdigest()[:32]}"')

    def body(self, moment) -> bytes:
        """The page as answered at this moment: the timestamp first, as page_body puts it."""
        timestamp = b'"timestamp": "' + encode_datetime(moment).encode("ascii") + b'"'
        separator = b"" if self.rest.startswith(b"}") else b", "
        return ENVELOPE_START + timestamp + separator + self.rest


def page_key(number: int, scope: Reach, params: QueryDict) -> str:
    """The cache key of a page: generation, scope and every parameter as sent."""
    question = repr((scope, sorted((name, params.getlist(name)) for name in params)))
    digest = hashlib.sha256(question.encode("utf-8", "surrogatepass")).hexdigest()
    return figure_key("page", number, digest)


def wants_fresh(request: HttpRequest) -> bool:
    return "no-cache" in request.headers.get("Cache-Control", "").lower()


def not_modified(request: HttpRequest, page: Page, etag: str | None = None) -> bool:
    """If-None-Match names this page's ETag (weak comparison, as RFC 9110 says for GET);
    `etag`: the one the answer carries instead, when it is not the page's own."""
    sent = request.headers.get("If-None-Match", "")
    if sent.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    return (etag or page.etag).removeprefix("W/") in tags


# The pages this process answered last, in front of the shared cache: a kept page is
# then answered without unpickling it (the per-process cache) or fetching it over the
# network (Redis). Bounded by their bytes; a key holds the generation, so nothing here is
# ever stale, and what a write made old simply ages out.
RECENT_PAGES_BYTES = 32 * 1024 * 1024


recent_pages: BoundedMap[Page] = BoundedMap(RECENT_PAGES_BYTES, weigh=lambda page: len(page.rest))


def page_for(
    request: HttpRequest,
    scope: Reach,
    compute: Callable[[int | None], bytes],
    number: int | None,
) -> tuple[Page, bool]:
    """(the page, whether it came from the cache). `number`: the report table's
    generation as the request read it (reports.api.generations), before the page.
    `compute(generation)` gives the page's body without its timestamp; it raises for
    bad parameters, and nothing is kept then."""
    if number is None:
        return Page.of(compute(None)), False
    key = page_key(number, scope, request.GET)
    if not wants_fresh(request):
        kept = recent_pages.get(key)
        if kept is not None:
            return kept, True
        kept = cache.get(key)
        if kept is not None:
            recent_pages.put(key, kept)
            return kept, True
    page = Page.of(compute(number))
    cache.set(key, page, TIMEOUT_SECONDS)
    recent_pages.put(key, page)
    return page, False
