"""Table columns that draw one report field for people: sizes, ages, bars, badges.

Each column's name is the vendor field it shows (its srtKey), so a header can sort by it.
"""

from __future__ import annotations

import datetime as dt

import django_tables2 as tables
from django.utils.safestring import SafeString

from reports import clock
from reports.dashboards.device_paths import device_url
from reports.dashboards.filters import expiry_minute
from reports.dashboards.os_families import os_words
from reports.health import MISSING_COPY, NEVER_COMPLETED, health_of, is_active
from reports.templatetags.backup_format import (
    alert_badges,
    backup_age,
    bytes_human,
    day,
    day_alone,
    health_symbol,
    percent_bar,
    safe_format,
)


class DeviceColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="device_name", verbose_name="Device", **kwargs)

    def render(self, value, record):
        hostname = record.device_os_hostname or ""
        return safe_format(
            '<a class="device-link" href="{}">{}</a><small>{}</small>',
            device_url(record.device_uid),
            value or record.device_uid,
            "" if hostname.lower() == (value or "").lower() else hostname,
        )


class HealthColumn(tables.Column):
    """The device's backup health, in a word and a glyph beside its colour: second in
    every table, so that a phone shows a device and its health before anything else. The
    device's on a row of one of its archives too (its stalest destination's, spec 11),
    as the health filter reads it; the header says so where a row's own date is fresher."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="device_backup_date",
            verbose_name="Health",
            empty_values=(),
            attrs={"th": {"title": "The device's health: that of its stalest destination"}},
            **kwargs,
        )

    def render(self, value):
        health = health_of(value)
        return safe_format(
            '<span class="badge badge-{}">{} {}</span>',
            health.value,
            health_symbol(health.value),
            health.label,
        )


class UserColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="username", verbose_name="User", **kwargs)

    def render(self, value, record):
        name = " ".join(n for n in (record.first_name, record.last_name) if n)
        return safe_format("{}<small>{}</small>", value, name or record.email or "")


class OrgColumn(tables.Column):
    """The owner's org by name, with its path where the name alone is ambiguous (the
    table's org_names, accounts.org_names.OrgNames, read once for the page)."""

    def __init__(self, **kwargs):
        super().__init__(accessor="org_name", verbose_name="Org", **kwargs)

    def render(self, value, record, table):
        names = getattr(table, "org_names", None)
        return names.shown(record.org_path, value) if names else value


class AgeColumn(tables.Column):
    """The date and how long ago, coloured by the backup-health thresholds."""

    def __init__(self, accessor: str, verbose_name: str, **kwargs):
        super().__init__(accessor=accessor, verbose_name=verbose_name, empty_values=(), **kwargs)

    def render(self, value):
        return backup_age(value)


def whole_days(delta: dt.timedelta) -> int:
    """As the date's own "in N days" / "N days ago" counts them (backup_format.age_text)."""
    return int(delta.total_seconds() // 86400)


class ExpiryColumn(tables.Column):
    """When a cold-storage archive expires and the days left; a passed expiry marked."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="cold_storage_expire_date",
            verbose_name="Expires",
            empty_values=(),
            **kwargs,
        )

    def render(self, value):
        if value is None:
            return day(None)
        now = clock.now()
        # Expired or not as the coldStorageExpired filter judges it (to the minute); the
        # days counted as the date beside them counts them: the minute made one say "in
        # 9 days" and the other "10 days left" (found by an audit, 2026-12-06).
        if value < expiry_minute(now):
            ago = max(0, whole_days(now - value))
            late = "under a day ago" if ago == 0 else f"{ago:,} day{'s' if ago != 1 else ''} ago"
            return safe_format(
                '{}<small><span class="badge badge-expired">expired</span> {}</small>',
                day_alone(value),
                late,
            )
        left = max(0, whole_days(value - now))
        return safe_format(
            "{}<small>{} day{} left</small>",
            day_alone(value),
            f"{left:,}",
            "" if left == 1 else "s",
        )


class BytesColumn(tables.Column):
    def __init__(self, accessor: str, verbose_name: str, **kwargs):
        attrs = {"th": {"class": "num"}, "td": {"class": "num"}}
        super().__init__(accessor=accessor, verbose_name=verbose_name, attrs=attrs, **kwargs)

    def render(self, value):
        return safe_format('<span title="{} bytes">{}</span>', f"{value:,}", bytes_human(value))


class PercentColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="backup_complete_percentage", verbose_name="Complete", **kwargs)

    def render(self, value):
        return percent_bar(value)


class AlertsColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="alert_states", verbose_name="Alerts", empty_values=(), **kwargs)

    def render(self, value):
        return alert_badges(value)


class OsColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="os", verbose_name="OS", **kwargs)

    def render(self, value, record):
        return safe_format("{} <small>{}</small>", os_words(value), record.os_version or "")


class StatusColumn(tables.Column):
    def __init__(self, **kwargs):
        super().__init__(accessor="status", verbose_name="Status", **kwargs)

    def render(self, value):
        kind = "ok" if is_active(value) else "neutral"
        return safe_format('<span class="badge badge-{}">{}</span>', kind, value)


class TextColumn(tables.Column):
    def __init__(self, accessor: str, verbose_name: str, **kwargs):
        super().__init__(accessor=accessor, verbose_name=verbose_name, **kwargs)


class DeviceBackupColumn(tables.Column):
    """The device's health date (its stalest destination's last completed backup),
    coloured by its health; a destination that never completed reads so."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="device_backup_date",
            verbose_name="Stalest backup",
            empty_values=(),
            **kwargs,
        )

    def render(self, value):
        if value == MISSING_COPY:
            return safe_format('<span class="age age-critical">{}</span>', NEVER_COMPLETED)
        return backup_age(value)


class DestinationsColumn(tables.Column):
    """A device's destinations inside its row, each with its own coloured age
    (`record.destinations`, set by the view in one query for the page)."""

    def __init__(self, **kwargs):
        super().__init__(
            accessor="device_uid", verbose_name="Destinations", empty_values=(), **kwargs
        )

    def render(self, record):
        destinations = getattr(record, "destinations", [])
        if not destinations:
            return safe_format('<span class="muted">{}</span>', "no archive")
        return safe_format(
            '<ul class="destinations">{}</ul>',
            SafeString(
                "".join(
                    safe_format(
                        '<li><span class="destination-name">{}</span> {}</li>',
                        d["destination_name"] or "—",
                        backup_age(d["last_completed_backup_date"]),
                    )
                    for d in destinations
                )
            ),
        )


class StoredColumn(tables.Column):
    """Archived bytes over the device's destinations (each stores its own copy)."""

    def __init__(self, **kwargs):
        attrs = {"th": {"class": "num"}, "td": {"class": "num"}}
        super().__init__(
            accessor="device_archive_bytes",
            verbose_name="Stored (all destinations)",
            attrs=attrs,
            empty_values=(),
            **kwargs,
        )

    def render(self, value):
        stored = value or 0
        return safe_format('<span title="{} bytes">{}</span>', f"{stored:,}", bytes_human(stored))
