"""Two syncs started together: the second refuses while the first runs, and nothing
doubles (PostgreSQL; SQLite lets one writer in at a time anyway)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from reports.models import Device, ReportRow
from reports.refresh.models import Run
from tests.sync_support import Answer
from tests.test_read_model import assert_in_step
from tests.test_sync_hostile import EXPORT, export_of, sync_vendor, vendor  # noqa: F401

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has one writer anyway"
)


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_refuses_while_the_first_runs(vendor):  # noqa: F811
    export = vendor.answers[EXPORT][0]
    release = threading.Event()

    def slow_export(query: dict) -> Answer:
        release.wait(timeout=30)
        return export

    vendor.on(EXPORT, slow_export)
    outcome = {}

    def first_sync():
        try:
            outcome["output"] = sync_vendor()
        finally:
            connections.close_all()

    first = threading.Thread(target=first_sync)
    first.start()
    deadline = time.monotonic() + 10
    while not vendor.hits(EXPORT) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert vendor.hits(EXPORT) == 1, "the first sync did not get to its download"

    second = sync_vendor()
    assert "Another sync is running; this one stops without changing anything." in second
    assert vendor.hits(EXPORT) == 1  # the second did not download

    release.set()
    first.join(timeout=30)
    assert "Imported:" in outcome["output"]
    run = Run.objects.get()
    assert (run.kind, run.outcome) == ("sync", "succeeded")
    assert Device.objects.count() == 2 and ReportRow.objects.count() == 2
    assert_in_step()
    # Once the first is done, the next one runs.
    assert "Imported: 0 created, 0 updated, 0 removed" in sync_vendor()
