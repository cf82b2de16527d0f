"""Reading /metrics back as Prometheus would: prometheus-client's own parser of the text
format, and what a caller should see worked out from the org tree alone."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from accounts import tokens

METRICS = "/metrics"


def bearer(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue(user)}"}


def scrape(client, user) -> dict[str, list]:
    """Family name -> its samples, as the caller with a bearer token sees them."""
    response = client.get(METRICS, **bearer(user))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f.samples for f in text_string_to_metric_families(response.content.decode())}


def sample_value(samples: list, **labels) -> float:
    matching = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matching) == 1, (labels, samples)
    return matching[0]


def orgs_in(families: dict[str, list]) -> set[str]:
    return {s.labels["org"] for s in families.get("backupreport_devices", [])}
