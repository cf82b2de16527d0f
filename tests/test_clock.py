"""reports.clock: one reading of "now" per request, the real time outside one."""

import datetime as dt
import time

import time_machine
from django.http import HttpResponse

from reports import clock
from reports.clock import ClockMiddleware


def test_a_request_sees_one_moment_however_long_it_takes():
    seen = []

    def view(request):
        seen.append(clock.now())
        time.sleep(0.01)
        seen.append(clock.now())
        return HttpResponse()

    ClockMiddleware(view)(object())
    assert seen[0] == seen[1]


def test_outside_a_request_now_is_the_real_time():
    before = clock.now()
    time.sleep(0.01)
    assert clock.now() > before


def test_the_moment_is_forgotten_when_the_request_ends():
    ClockMiddleware(lambda request: HttpResponse())(object())
    with time_machine.travel(dt.datetime(2031, 1, 1, tzinfo=dt.UTC), tick=False):
        assert clock.now() == dt.datetime(2031, 1, 1, tzinfo=dt.UTC)


def test_the_api_timestamp_and_the_export_name_come_from_the_same_moment(client, personas):
    moment = dt.datetime(2030, 12, 31, 23, 59, 59, 999_000, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        client.force_login(personas["sysadmin"])  # a session ages with the clock too
        page = client.get("/api/DeviceBackupReport").json()
        export = client.get("/api/DeviceBackupReport?export=csv")
    assert page["metadata"]["timestamp"] == "2030-12-31T23:59:59.999Z"
    assert "DeviceBackupReport-2030-12-31.csv" in export["Content-Disposition"]
