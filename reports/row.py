"""One report row: field names, their order and how each value is written (spec section 2).

The single home of the row shape. JSON pages and the CSV records of the export
(reports.csv_record) take names, order and encoding from here. A value's type comes
from the read model's field, so there is nothing to keep in step by hand.

Every report row stores its CSV record (`ReportRow.csv_line`, and `csv_extra` for the
three extension cells) and its JSON object (`json_object`): a change to names, order or
encoding here needs a migration that rebuilds the report table, as 0010 does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db import models

# (vendor name, ReportRow attribute). The first 34 are the vendor's CSV header, in order.
_FIELDS: Sequence[tuple[str, str]] = (
    ("archiveGuid", "archive_guid"),
    ("orgUid", "org_uid"),
    ("orgName", "org_name"),
    ("orgExtRef", "org_ext_ref"),
    ("userUid", "user_uid"),
    ("username", "username"),
    ("email", "email"),
    ("userExtRef", "user_ext_ref"),
    ("deviceUid", "device_uid"),
    ("deviceName", "device_name"),
    ("deviceOsHostname", "device_os_hostname"),
    ("deviceExtRef", "device_ext_ref"),
    ("destinationUid", "destination_uid"),
    ("destinationName", "destination_name"),
    ("serverUid", "server_uid"),
    ("serverName", "server_name"),
    ("version", "version"),
    ("status", "status"),
    ("userStatus", "user_status"),
    ("alertStates", "alert_states"),
    ("os", "os"),
    ("osVersion", "os_version"),
    ("address", "address"),
    ("remoteAddress", "remote_address"),
    ("creationDate", "creation_date"),
    ("selectedBytes", "selected_bytes"),
    ("backupCompletePercentage", "backup_complete_percentage"),
    ("archiveBytes", "archive_bytes"),
    ("coldStorage", "cold_storage"),
    ("lastConnectedDate", "last_connected_date"),
    ("lastCompletedBackupDate", "last_completed_backup_date"),
    ("lastActivity", "last_activity"),
    ("mostRecentUserProfileCreationResult", "most_recent_user_profile_creation_result"),
    ("mostRecentUserProfileBackupResult", "most_recent_user_profile_backup_result"),
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("coldStorageExpireDate", "cold_storage_expire_date"),
)
VENDOR_CSV_FIELD_COUNT = 34

FIELD_NAMES: tuple[str, ...] = tuple(name for name, _ in _FIELDS)
ATTRIBUTE_OF: dict[str, str] = dict(_FIELDS)
VENDOR_CSV_HEADER: tuple[str, ...] = FIELD_NAMES[:VENDOR_CSV_FIELD_COUNT]
# In JSON always; in the CSV export only when asked for (`extraColumns=true`): scripts
# read the vendor's CSV by position and break on a 35th column.
EXTRA_CSV_FIELDS: tuple[str, ...] = FIELD_NAMES[VENDOR_CSV_FIELD_COUNT:]


def encode_datetime(value: dt.datetime) -> str:
    """ISO-8601 in UTC with milliseconds and Z: 2026-11-28T14:03:07.000Z."""
    # isoformat truncates to milliseconds rather than rounding.
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def encode_legacy_datetime(value: dt.datetime) -> str:
    """As older vendor servers wrote dates, `MMM d, yyyy h:mm:ss a` in the server's time
    zone (settings.TIME_ZONE): Nov 19, 2026 3:09:38 AM. English whatever the locale, as
    the scripts that parse it (strptime "%b %d, %Y %I:%M:%S %p") expect. Seconds only."""
    from django.utils import timezone

    try:
        local = timezone.localtime(value)
    except OverflowError:
        # The import takes years 1 to 9999 in UTC; the zone would put a moment at
        # either end outside them (a 500 on every page holding it). Written in UTC.
        local = value.astimezone(dt.UTC)
    hour = local.hour % 12 or 12
    noon = "PM" if local.hour >= 12 else "AM"
    month = _MONTHS[local.month - 1]
    # yyyy: four digits at least, as the scripts' %Y (and the import) read them.
    return f"{month} {local.day}, {local.year:04} {hour}:{local.minute:02}:{local.second:02} {noon}"


def decode_datetime(text: str) -> dt.datetime:
    """encode_datetime()'s text back to the moment."""
    return dt.datetime.fromisoformat(text)


def encode_text(value) -> str | None:
    return value if value != "" else None


def encode_int(value: int) -> str:
    return str(int(value))


def encode_percentage(value: float) -> str:
    return f"{value:.1f}"


def encode_bool(value: bool) -> str:
    return "true" if value else "false"


def _encoder_for(field: models.Field) -> Callable[[object], str | None]:
    if isinstance(field, models.DateTimeField):
        return encode_datetime
    if isinstance(field, models.BooleanField):
        return encode_bool
    if isinstance(field, models.FloatField):
        return encode_percentage
    if isinstance(field, models.IntegerField):  # BigIntegerField is one
        return encode_int
    return encode_text


@dataclass(frozen=True)
class RowShape:
    """The encoders of every field, in order, bound to the read model's field types."""

    names: tuple[str, ...]
    attributes: tuple[str, ...]

    @cached_property
    def encoders(self) -> tuple[Callable[[object], str | None], ...]:
        from reports.models import ReportRow

        return tuple(_encoder_for(ReportRow._meta.get_field(a)) for a in self.attributes)

    @cached_property
    def date_names(self) -> tuple[str, ...]:
        """The fields written as dates (encode_datetime)."""
        return tuple(
            n for n, e in zip(self.names, self.encoders, strict=True) if e is encode_datetime
        )

    def encode_values(self, values: Iterable[object]) -> list[str | None]:
        """Raw column values (in field order) -> vendor strings, None for missing."""
        return [
            None if value is None else encode(value)
            for encode, value in zip(self.encoders, values, strict=True)
        ]

    def encode_dict(self, values: Iterable[object]) -> dict[str, str | None]:
        return dict(zip(self.names, self.encode_values(values), strict=True))

    @classmethod
    def of(cls, names: tuple[str, ...]) -> RowShape:
        return cls(names=names, attributes=tuple(ATTRIBUTE_OF[n] for n in names))


ROW = RowShape.of(FIELD_NAMES)  # a JSON row: every field

VENDOR_ROW = RowShape.of(VENDOR_CSV_HEADER)  # a CSV record: the vendor's 34 fields
EXTRA_ROW = RowShape.of(EXTRA_CSV_FIELDS)  # the cells `extraColumns=true` appends
