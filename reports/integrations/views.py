"""GET /metrics: the Prometheus scrape, as the API authenticates (a bearer token, or
HTTP Basic with an API client's id and secret or a username and password), limited by
the caller's reach (accounts.roles)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from accounts.roles import reach_of
from reports import clock
from reports.api.decorators import resource
from reports.integrations.exposition import exposition
from reports.integrations.figures import metric_figures


@resource
def metrics(request: HttpRequest) -> HttpResponse:
    figures = metric_figures(reach_of(request.user), clock.now())
    return HttpResponse(exposition(figures), content_type=CONTENT_TYPE_PLAIN_0_0_4)
