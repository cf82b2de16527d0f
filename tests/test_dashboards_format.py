"""Formatting, health rules and charts, without a database where possible."""

import datetime as dt

import pytest
import time_machine
from django.test import override_settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from reports import health
from reports.dashboards.charts import Bar, bar_chart
from reports.templatetags.backup_format import (
    age,
    age_text,
    alert_badges,
    bytes_human,
    moment_text,
    safe_format,
    utc,
)

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (524288000, "500 MiB"),
        (42 * 1024**3, "42.0 GiB"),
        (5 * 1024**4 + 1024**4 // 2, "5.5 TiB"),
        (3 * 1024**5, "3.0 PiB"),
    ],
)
def test_bytes_in_binary_units(value, text):
    assert bytes_human(value) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(seconds=10), "just now"),
        (dt.timedelta(minutes=1), "1 minute ago"),
        (dt.timedelta(hours=5), "5 hours ago"),
        (dt.timedelta(days=12), "12 days ago"),
        (dt.timedelta(days=95), "3 months ago"),
        (dt.timedelta(days=800), "2 years ago"),
        (-dt.timedelta(days=30), "in 30 days"),
    ],
)
def test_ages_read_like_people_say_them(delta, text):
    assert age_text(NOW - delta, now=NOW) == text


@time_machine.travel(NOW, tick=False)
def test_a_date_reads_as_utc_time_and_how_long_ago_both_in_the_text():
    when = dt.datetime(2026, 11, 16, 14, 3, 7, tzinfo=dt.UTC)
    assert age(when) == (
        '<time datetime="2026-11-16T14:03:07+00:00" class="when">2026-11-16 14:03 UTC'
        '<span class="when-ago"><span class="when-sep"> · </span>11 days ago</span></time>'
    )
    assert moment_text(when) == "2026-11-16 14:03 UTC · 11 days ago"
    assert moment_text(when.astimezone(dt.timezone(dt.timedelta(hours=-5)))) == moment_text(when)
    assert "never" in age(None)
    assert moment_text(None) == "never"


@pytest.mark.parametrize(("year", "shown"), [(999, "0999"), (1, "0001")])
def test_a_date_before_the_year_1000_has_four_digits_of_year(year, shown):
    """An imported date of year 999 read "999-03-04 05:06 UTC": strftime's %Y pads
    no year (the import takes years 1 to 9999)."""
    when = dt.datetime(year, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    assert utc(when) == f"{shown}-03-04 05:06 UTC"
    assert f">{shown}-03-04 05:06 UTC<" in age(when)


def test_escaping_is_django_escaping():
    nasty = "<a href='x'>&\"</a>"
    assert safe_format("<b>{}</b>", nasty) == format_html("<b>{}</b>", nasty)
    assert safe_format("{}", mark_safe("<i>")) == "<i>"


def test_alert_badges_are_coloured_by_level():
    html = alert_badges("WarningConnectionAlert CriticalBackupAlert")
    assert 'badge-warning" title="WarningConnectionAlert">Warning: connection<' in html
    assert 'badge-critical" title="CriticalBackupAlert">Critical: backup<' in html
    assert "badge-ok" in alert_badges("OK")


@override_settings(BACKUP_WARNING_DAYS=3, BACKUP_CRITICAL_DAYS=7)
@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (dt.timedelta(hours=71), health.Health.OK),
        (dt.timedelta(days=3), health.Health.WARNING),
        (dt.timedelta(days=6, hours=23), health.Health.WARNING),
        (dt.timedelta(days=7), health.Health.CRITICAL),
        (-dt.timedelta(days=1), health.Health.OK),
    ],
)
def test_health_thresholds(delta, expected):
    assert health.health_of(NOW - delta, now=NOW) is expected
    assert health.health_of(None) is health.Health.NEVER


@override_settings(BACKUP_WARNING_DAYS=3, BACKUP_CRITICAL_DAYS=7)
def test_chart_bands_have_an_edge_at_each_threshold():
    keys = [band.key for band in health.chart_bands()]
    assert keys == ["0-1", "1-3", "3-7", "7-30", "30-90", "90-"]
    assert [b.health.value for b in health.chart_bands()] == [
        "ok",
        "ok",
        "warning",
        "critical",
        "critical",
        "critical",
    ]


@pytest.mark.parametrize(
    "text",
    ["", "7", "x-3", "7-3", "3-3", "-5", "1-2-3", "99999999999999-", "3-36501", "²-3", "١-٣"],
)
def test_bad_age_bands_are_refused(text):
    with pytest.raises(ValueError):
        health.parse_band(text)


def test_age_band_parsing():
    assert health.parse_band("90-") == health.AgeBand(90, None)
    assert health.parse_band("3-7") == health.AgeBand(3, 7)


def test_bar_chart_escapes_and_describes_itself():
    svg = bar_chart("Orgs", [Bar("<Sales>", 10, "10", "/x?a=1&b=2"), Bar("Ops", 5, "5")])
    assert "&lt;Sales&gt;" in svg and "<Sales>" not in svg
    assert "<desc" in svg and "&lt;Sales&gt;: 10; Ops: 5." in svg
    assert 'href="/x?a=1&amp;b=2"' in svg
    assert bar_chart("Empty", []) == '<p class="empty-chart">Nothing to chart.</p>'
