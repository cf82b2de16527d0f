"""Two transactions redoing the same device's rows take turns (PostgreSQL).

Each redo deletes the rows it sees and inserts new ones; without turns, the second
would not see the first's new rows and would double them (or stop on the archive's
unique key)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from reports import read_model
from reports.models import ReportRow
from tests.factories import ArchiveFactory, DeviceFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has one writer anyway"
)


def redo_in_another_transaction(redo) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            redo()
            outcome["done"] = True
        except Exception as error:  # reported by the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["refresh", "rebuild"])
@pytest.mark.parametrize("second", ["refresh", "rebuild"])
def test_a_second_writer_waits_and_sees_the_first_ones_rows(first, second):
    device = DeviceFactory(user=UserFactory())
    ArchiveFactory(device=device, archive_guid="only-archive")
    bare = DeviceFactory(user=device.user)  # a device without archives: no unique key
    redo = {
        "refresh": lambda: read_model.refresh_devices([device.pk, bare.pk]),
        "rebuild": read_model.rebuild,
    }
    with transaction.atomic():
        redo[first]()
        thread, outcome = redo_in_another_transaction(redo[second])
        time.sleep(1.0)
        assert thread.is_alive(), "the second writer did not wait"
    thread.join(timeout=30)
    assert outcome == {"done": True}
    assert ReportRow.objects.filter(device_id=device.pk).count() == 1
    assert ReportRow.objects.filter(device_id=bare.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_readers_do_not_wait_for_a_writer():
    device = DeviceFactory(user=UserFactory())
    with transaction.atomic():
        read_model.refresh_devices([device.pk])
        thread, outcome = redo_in_another_transaction(lambda: list(ReportRow.objects.all()))
        thread.join(timeout=5)
        assert outcome == {"done": True}
