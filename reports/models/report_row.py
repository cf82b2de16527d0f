"""The read model: one flat row per report row (spec section 2).

A device with two archives has two rows; a device with no archive has one, with the
archive fields null. Besides the report's fields a row carries what the role limit and
the searches need, so the request path never joins the environment tables. It is kept
in step by `reports.read_model`.
"""

from __future__ import annotations

from django.db import models

from accounts.roles import Reach, reach_of


class ReportRowQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportRowQuerySet:
        """The rows this user may see (spec section 4). Every surface calls this."""
        return self.within(reach_of(user).scope)

    def within(self, reach: Reach) -> ReportRowQuerySet:
        """The rows of a reach; by its scope, every holder of one asks the same query."""
        return self.filter(reach.q(path="org_path", owner="owner_id"))


class ReportRow(models.Model):
    # Where the row comes from; plain integers so that deleting a device or archive
    # never races the refresh (see reports.signals).
    device_id = models.BigIntegerField(db_index=True)
    archive_id = models.BigIntegerField(null=True, unique=True)
    owner_id = models.BigIntegerField(db_index=True)
    org_id = models.BigIntegerField(null=True)
    org_path = models.CharField(max_length=1000, default="", db_index=True)

    # The report's fields. Empty text is stored as NULL: it is null in the report.
    archive_guid = models.CharField(max_length=64, null=True)
    org_uid = models.CharField(max_length=64, null=True)
    org_name = models.CharField(max_length=200, null=True)
    org_ext_ref = models.CharField(max_length=200, null=True)
    user_uid = models.CharField(max_length=64, null=True)
    username = models.CharField(max_length=150, null=True)
    email = models.CharField(max_length=254, null=True)
    user_ext_ref = models.CharField(max_length=200, null=True)
    device_uid = models.CharField(max_length=64)
    device_name = models.CharField(max_length=200, null=True)
    device_os_hostname = models.CharField(max_length=200, null=True)
    device_ext_ref = models.CharField(max_length=200, null=True)
    destination_uid = models.CharField(max_length=64, null=True)
    destination_name = models.CharField(max_length=200, null=True)
    server_uid = models.CharField(max_length=64, null=True)
    server_name = models.CharField(max_length=200, null=True)
    version = models.CharField(max_length=50, null=True)
    status = models.CharField(max_length=16, null=True)
    user_status = models.CharField(max_length=16, null=True)
    alert_states = models.CharField(max_length=200, null=True)
    os = models.CharField(max_length=16, null=True)
    os_version = models.CharField(max_length=100, null=True)
    address = models.CharField(max_length=100, null=True)
    remote_address = models.CharField(max_length=100, null=True)
    creation_date = models.DateTimeField(null=True)
    selected_bytes = models.BigIntegerField(null=True)
    backup_complete_percentage = models.FloatField(null=True)
    archive_bytes = models.BigIntegerField(null=True)
    cold_storage = models.BooleanField(null=True)
    last_connected_date = models.DateTimeField(null=True)
    last_completed_backup_date = models.DateTimeField(null=True)
    last_activity = models.DateTimeField(null=True)
    most_recent_user_profile_creation_result = models.CharField(max_length=200, null=True)
    most_recent_user_profile_backup_result = models.CharField(max_length=200, null=True)
    first_name = models.CharField(max_length=150, null=True)
    last_name = models.CharField(max_length=150, null=True)
    cold_storage_expire_date = models.DateTimeField(null=True)

    # Derived for the filters: `alerted` is alertStates holding anything but OK. The
    # partial-match searches are kept apart from the rows, once per person, device, org
    # and destination (UserSearch, DeviceSearch, OrgSearch, DestinationSearch).
    alerted = models.BooleanField(default=False)
    # Device-wide, equal on every row of a device, so that counting devices, their
    # health and their bytes needs no GROUP BY: the date the device's health is judged
    # from (reports.health.device_health_date: its stalest destination's last completed
    # backup), its largest selectedBytes (a device's selection counted once), its
    # archiveBytes summed (each destination stores its own copy: what the per-device
    # view sorts by), and a flag on exactly one row of each device (its smallest
    # archiveGuid, or its only row).
    device_backup_date = models.DateTimeField(null=True)
    device_selected_bytes = models.BigIntegerField(null=True)
    device_archive_bytes = models.BigIntegerField(null=True)
    device_first = models.BooleanField(default=False)
    # The row as the CSV export writes it (reports.csv_record), without the line end:
    # an export of a million rows copies this one column instead of encoding 34. The
    # vendor's 34 cells; then the three extension cells, each after a comma, which an
    # export asked for with extraColumns appends in SQL.
    csv_line = models.TextField(default="")
    csv_extra = models.TextField(default="")
    # The row as an API page writes it (reports.json_record): a page joins the stored
    # objects of its rows instead of encoding 37 fields of each on every request.
    json_object = models.TextField(default="")

    objects = ReportRowQuerySet.as_manager()

    class Meta:
        # The indexes behind the sorts and partial matches are PostgreSQL's own (NULLS
        # FIRST ordering, pg_trgm): see migration 0002. SQLite, the small embedded
        # database, sorts NULLs first by itself and scans fast enough without them.
        indexes = [
            models.Index(fields=["device_uid"], name="row_device_uid_idx"),
            models.Index(fields=["user_uid"], name="row_user_uid_idx"),
            models.Index(fields=["org_uid"], name="row_org_uid_idx"),
            models.Index(fields=["destination_uid"], name="row_destination_uid_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.device_name} / {self.archive_guid or 'no archive'}"


class UserSearch(models.Model):
    """What `user=` searches, once a device owner: the lower-cased text of the person's
    fields (reports.read_model.search_column), for the rows whose owner_id it is.

    Apart from the rows because it does not change when their dates and bytes do: a sync
    rewrites the rows of every device whose backup moved, and each row written cost an
    entry in a trigram index of each search, a rebuild the whole index (the people's
    and the devices' were 38 s of a million-device rebuild, 2026-12-05). Kept in step
    with the rows by reports.read_model (and search_texts_sql): written where it differs.
    """

    owner_id = models.BigIntegerField(primary_key=True)
    user_search = models.TextField()

    class Meta:
        verbose_name_plural = "user searches"

    def __str__(self) -> str:
        return f"search of owner {self.owner_id}"


class DeviceSearch(models.Model):
    """What `device=` and `os=` search, once a device (see UserSearch)."""

    device_id = models.BigIntegerField(primary_key=True)
    device_search = models.TextField()
    os_search = models.TextField()

    class Meta:
        verbose_name_plural = "device searches"

    def __str__(self) -> str:
        return f"search of device {self.device_id}"


class OrgSearch(models.Model):
    """What `org=` searches, once an org: for the rows whose org_id it is (see
    UserSearch). Apart from the rows as the people's are: each row written cost an entry
    in its trigram index (a 1% sync at a million devices writes 16,000 rows), and orgs
    are few, so every refresh writes the texts of all of them that differ."""

    org_id = models.BigIntegerField(primary_key=True)
    org_search = models.TextField()

    class Meta:
        verbose_name_plural = "org searches"

    def __str__(self) -> str:
        return f"search of org {self.org_id}"


class DestinationSearch(models.Model):
    """What `destination=` searches, once a destination: for the rows whose
    destination_uid it is (see OrgSearch)."""

    destination_uid = models.CharField(max_length=64, primary_key=True)
    destination_search = models.TextField()

    class Meta:
        verbose_name_plural = "destination searches"

    def __str__(self) -> str:
        return f"search of destination {self.destination_uid}"


class ReadModelGeneration(models.Model):
    """A number that grows with every write to the report table (PostgreSQL trigger,
    migration 0004), so that what was computed from the table can be cached until it
    changes: see reports.cache."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"report table generation {self.number}"
