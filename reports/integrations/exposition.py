"""The figures (figures.py) in the Prometheus text exposition format, written by
prometheus-client: its escaping of label values (an org named `Sales "EU"\\n`), its
HELP/TYPE lines and its counter naming are the format's own, not ours to get wrong.

Every metric is named here, once; the shipped alert rules and Grafana dashboard
(deploy/prometheus/, deploy/grafana/) are checked against METRIC_NAMES by the tests.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from reports.health import Health
from reports.history.reading import Figures
from reports.integrations.figures import DELIVERY_ENDS, MESSAGE_ENDS, RUN_ENDS, MetricFigures

PREFIX = "backupreport"
ORG_LABELS = ["org", "org_name", "depth"]
STORAGE = {  # Figures' field -> metric, help
    "archive_bytes": ("archive_bytes", "Bytes stored in the archives (every device)."),
    "selected_bytes": ("selected_bytes", "Bytes selected for backup (every device)."),
    "cold_archives": ("cold_storage_archives", "Archives in cold storage."),
    "cold_bytes": ("cold_storage_bytes", "Bytes of the archives in cold storage."),
}

# Every metric family this module writes (without the _total a counter's sample adds).
METRIC_NAMES = (
    f"{PREFIX}_devices",
    *(f"{PREFIX}_{name}" for name, _ in STORAGE.values()),
    f"{PREFIX}_fleet_devices",
    *(f"{PREFIX}_fleet_{name}" for name, _ in STORAGE.values()),
    f"{PREFIX}_figures_timestamp_seconds",
    f"{PREFIX}_data_as_of_timestamp_seconds",
    f"{PREFIX}_data_stale",
    f"{PREFIX}_data_stale_after_seconds",
    f"{PREFIX}_runs",
    f"{PREFIX}_run_duration_seconds",
    f"{PREFIX}_runs_running",
    f"{PREFIX}_run_last_started_timestamp_seconds",
    f"{PREFIX}_run_last_failed",
    f"{PREFIX}_notifications",
    f"{PREFIX}_notifications_unsent",
    f"{PREFIX}_webhook_deliveries",
    f"{PREFIX}_webhook_deliveries_waiting",
)


# The counters' series carry _total in Prometheus (the format's rule for a counter).
COUNTERS = (
    f"{PREFIX}_runs",
    f"{PREFIX}_run_duration_seconds",
    f"{PREFIX}_notifications",
    f"{PREFIX}_webhook_deliveries",
)
SERIES_NAMES = tuple(f"{n}_total" if n in COUNTERS else n for n in METRIC_NAMES)


def _health(name: str, help_text: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, labels=[*labels, "health"])


def _add_health(family: GaugeMetricFamily, labels: list[str], figures: Figures) -> None:
    for health in Health:
        family.add_metric([*labels, health.value], getattr(figures, health.value))


def org_families(figures: MetricFigures) -> Iterator[Metric]:
    devices = _health(
        f"{PREFIX}_devices",
        "Active devices by backup health in the org and every org below it "
        "(the latest health snapshot).",
        ORG_LABELS,
    )
    storage = {
        field: GaugeMetricFamily(f"{PREFIX}_{name}", f"{text} Org and below.", labels=ORG_LABELS)
        for field, (name, text) in STORAGE.items()
    }
    for org in figures.orgs:
        labels = [org.org_uid, org.name, str(org.depth)]
        _add_health(devices, labels, org.figures)
        for field, family in storage.items():
            family.add_metric(labels, getattr(org.figures, field))
    yield devices
    yield from storage.values()

    fleet = _health(
        f"{PREFIX}_fleet_devices", "Active devices by backup health, all the caller may see.", []
    )
    _add_health(fleet, [], figures.fleet)
    yield fleet
    for field, (name, text) in STORAGE.items():
        yield GaugeMetricFamily(
            f"{PREFIX}_fleet_{name}",
            f"{text} All the caller may see.",
            value=getattr(figures.fleet, field),
        )
    if figures.snapshot_taken_at is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_figures_timestamp_seconds",
            "When the health snapshot these figures come from was taken.",
            value=figures.snapshot_taken_at.timestamp(),
        )


def data_age_families(figures: MetricFigures) -> Iterator[Metric]:
    if figures.data_as_of is not None:
        yield GaugeMetricFamily(
            f"{PREFIX}_data_as_of_timestamp_seconds",
            "The export time of the data of the last successful import or sync.",
            value=figures.data_as_of.timestamp(),
        )
    yield GaugeMetricFamily(
        f"{PREFIX}_data_stale",
        "1 when the data is older than DATA_STALE_HOURS (or none was ever imported).",
        value=int(figures.stale),
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_data_stale_after_seconds",
        "DATA_STALE_HOURS, in seconds.",
        value=figures.stale_seconds,
    )


def log_families(figures: MetricFigures) -> Iterator[Metric]:
    """The run log, the send log and the webhook deliveries: system administrators'.
    Counters count the rows in a state they end in; the rows on their way, gauges."""
    if not figures.with_logs:
        return
    labels = ["kind", "outcome"]
    runs = CounterMetricFamily(f"{PREFIX}_runs", "Finished runs in the run log.", labels=labels)
    took = CounterMetricFamily(
        f"{PREFIX}_run_duration_seconds", "The finished runs' durations, added up.", labels=labels
    )
    running = GaugeMetricFamily(f"{PREFIX}_runs_running", "Runs under way.", labels=["kind"])
    last = GaugeMetricFamily(
        f"{PREFIX}_run_last_started_timestamp_seconds", "The latest run's start.", labels=labels
    )
    for run in figures.runs:
        if run.outcome in RUN_ENDS:
            runs.add_metric([run.kind, run.outcome], run.runs)
            took.add_metric([run.kind, run.outcome], run.seconds)
        else:
            running.add_metric([run.kind], run.runs)
        if run.last_at is not None:
            last.add_metric([run.kind, run.outcome], run.last_at.timestamp())
    failed = GaugeMetricFamily(
        f"{PREFIX}_run_last_failed",
        "1 when the latest finished run of the kind failed.",
        labels=["kind"],
    )
    for kind, did_fail in figures.last_failed.items():
        failed.add_metric([kind], int(did_fail))
    labels = ["kind", "state"]
    notifications = CounterMetricFamily(
        f"{PREFIX}_notifications", "Messages of the send log sent, by kind.", labels=labels
    )
    unsent = GaugeMetricFamily(
        f"{PREFIX}_notifications_unsent",
        "Messages of the send log not sent yet (sending, or failed and retried).",
        labels=labels,
    )
    for (kind, state), n in figures.notifications.items():
        (notifications if state in MESSAGE_ENDS else unsent).add_metric([kind, state], n)
    labels = ["endpoint", "state"]
    webhooks = CounterMetricFamily(
        f"{PREFIX}_webhook_deliveries",
        "Webhook deliveries done (delivered, or given up), by endpoint.",
        labels=labels,
    )
    waiting = GaugeMetricFamily(
        f"{PREFIX}_webhook_deliveries_waiting",
        "Webhook deliveries not done yet (pending, or sending), by endpoint.",
        labels=labels,
    )
    for (endpoint, state), n in figures.webhooks.items():
        (webhooks if state in DELIVERY_ENDS else waiting).add_metric([endpoint, state], n)
    yield from (runs, took, running, last, failed, notifications, unsent, webhooks, waiting)


class _Figures:
    """A prometheus-client collector over figures read once for this scrape."""

    def __init__(self, figures: MetricFigures):
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        if self.figures.has_fleet:
            yield from org_families(self.figures)
        yield from data_age_families(self.figures)
        yield from log_families(self.figures)


def exposition(figures: MetricFigures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures(figures))
    return generate_latest(registry)
