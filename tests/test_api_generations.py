"""The two generations an API request goes by (reports.api.generations): read in one
round trip on every backend and engine; on the optional backend (backupreport.postgres)
it is also the request's health check of its database connection."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.access_generation import AccessGeneration
from reports.api import generations
from reports.models import ReadModelGeneration
from tests.factories import DeviceFactory

FOLDED_CHECK = hasattr(connection, "fetch_first_row")
folded_check = pytest.mark.skipif(
    not FOLDED_CHECK, reason="the optional backend backupreport.postgres (DATABASE_ENGINE)"
)


def test_both_are_read_in_one_query(personas):
    with CaptureQueriesContext(connection) as queries:
        found = generations.read()
    assert len(queries.captured_queries) == 1
    assert found == generations.Generations(
        access=AccessGeneration.objects.get(pk=1).number,
        report=ReadModelGeneration.objects.get(pk=1).number,
    )


def test_a_write_moves_the_one_it_concerns(personas):
    before = generations.read()
    personas["dave"].groups.clear()
    after = generations.read()
    assert after.access > before.access and after.report == before.report


def test_a_report_write_moves_the_report_one_only(personas):
    before = generations.read()
    personas["dave"].org.save()  # an org: the report generation (the vendor's Org resource)
    middle = generations.read()
    assert middle.report > before.report
    DeviceFactory(user=personas["dave"])  # the report table
    after = generations.read()
    assert after.report > middle.report


def test_a_flushed_generation_is_none_until_the_next_write(db):
    AccessGeneration.objects.all().delete()
    ReadModelGeneration.objects.all().delete()
    assert generations.read() == generations.Generations(access=None, report=None)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings.get("PASSWORD") or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@folded_check
@pytest.mark.django_db(transaction=True)
def test_the_read_is_the_health_check_and_a_dead_connection_is_replaced():
    pid = backend_pid()
    connection.health_check_done = False  # as at the start of each request
    assert connection.fetch_first_row("SELECT 41 + 1") == (42,)
    assert connection.health_check_done and backend_pid() == pid  # no check of its own

    terminate(pid)  # the database restarted, say, between two requests
    connection.health_check_done = False
    assert connection.fetch_first_row("SELECT 41 + 1") == (42,)  # not an error: reconnected
    assert backend_pid() != pid


@folded_check
@pytest.mark.django_db(transaction=True)
def test_without_a_check_due_it_is_an_ordinary_query():
    connection.ensure_connection()
    connection.health_check_done = True
    with CaptureQueriesContext(connection) as queries:
        assert connection.fetch_first_row("SELECT 7") == (7,)
    assert [query["sql"] for query in queries.captured_queries] == ["SELECT 7"]
