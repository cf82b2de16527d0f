"""The PostgreSQL backend reads timestamps with psycopg's C loader, as Django would."""

import datetime as dt

import pytest
from django.db import connection
from psycopg.pq import Format

from reports.models import Device
from tests.factories import DeviceFactory, UserFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.mark.django_db
def test_timestamps_come_back_exact_aware_and_in_utc():
    moments = [
        dt.datetime(2026, 11, 28, 14, 3, 7, 123456, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ]
    user = UserFactory()
    for moment in moments:
        DeviceFactory(user=user, creation_date=moment)
    found = list(Device.objects.order_by("id").values_list("creation_date", flat=True))
    assert found == moments
    assert all(value.tzinfo is dt.UTC for value in found)


@pytest.mark.django_db
def test_cursors_of_a_utc_session_use_the_fast_loader():
    from backupreport.postgres.base import FAST_TIMESTAMPTZ_LOADER, TIMESTAMPTZ_OID

    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert loader is FAST_TIMESTAMPTZ_LOADER
    assert "django" not in loader.__module__


@pytest.mark.django_db
def test_a_session_in_another_zone_keeps_djangos_loader():
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Berlin'")
    try:
        with connection.cursor() as cursor:
            loader = cursor.cursor.adapters.get_loader(1184, Format.TEXT)
        assert "django" in loader.__module__
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
