"""Snapshots (spec section 9): each org's own figures on one day.

One row per org and day, of the devices whose owner is in that org (not the orgs
below): a subtree's figures are the sum of its orgs' rows, found through the org's
materialized path at the time they are read, so a manager's history is exactly their
subtree's as it is now.

An org removed since (an import or sync no longer lists it) keeps its rows: what was
measured stays measured until the retention forgets the day. Its rows are found through
the path it had when it was removed (`path`, with its uid and name; history.signals),
where it last was, below the ancestors it had, whose moves it follows
(snapshots.follow_ancestors). Deleting its rows with it rewrote the fleet's past, and
every ancestor's, long before HISTORY_DAYS (found by an audit).
"""

from __future__ import annotations

from django.db import models

from accounts.models import Org


class Snapshot(models.Model):
    # Null once the org is removed; its rows stay (the module's docstring).
    org = models.ForeignKey(Org, null=True, on_delete=models.SET_NULL, related_name="+")
    # The org when the row was taken, and as it last was once it is removed (signals):
    # read only then (reading.ROW_PATH).
    org_uid = models.CharField(max_length=64, default="")
    org_name = models.CharField(max_length=200, default="")
    path = models.CharField(max_length=1000, default="")
    day = models.DateField()
    # Active devices, by the one health rule (reports.health) as of the snapshot.
    devices = models.PositiveIntegerField(default=0)
    ok = models.PositiveIntegerField(default=0)
    warning = models.PositiveIntegerField(default=0)
    critical = models.PositiveIntegerField(default=0)
    never = models.PositiveIntegerField(default=0)
    # Storage of every device, active or not, as the overview counts it.
    selected_bytes = models.BigIntegerField(default=0)
    archive_bytes = models.BigIntegerField(default=0)
    cold_archives = models.PositiveIntegerField(default=0)
    cold_bytes = models.BigIntegerField(default=0)
    taken_at = models.DateTimeField()
    # The thresholds (BACKUP_WARNING_DAYS, BACKUP_CRITICAL_DAYS) its health was judged
    # by: a past day compared with now (compliance) says so where they differ, and its
    # change is not taken for one in the backups. Null: taken before snapshots kept them
    # (migration 0003), unknown.
    warning_days = models.IntegerField(null=True)
    critical_days = models.IntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "day"], name="snapshot_org_day")]
        indexes = [models.Index(fields=["day", "org"], name="snapshot_day_org_idx")]
        ordering = ["day", "org"]

    def __str__(self) -> str:
        return f"{self.org_uid} on {self.day}"
