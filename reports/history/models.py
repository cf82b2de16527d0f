"""Snapshots (spec section 9): each org's own figures on one day.

One row per org and day, of the devices whose owner is in that org (not the orgs
below): a subtree's figures are the sum of its orgs' rows, found through the org's
materialized path at the time they are read, so a manager's history is exactly their
subtree's as it is now.
"""

from __future__ import annotations

from django.db import models

from accounts.models import Org


class Snapshot(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "day"], name="snapshot_org_day")]
        indexes = [models.Index(fields=["day", "org"], name="snapshot_day_org_idx")]
        ordering = ["day", "org"]

    def __str__(self) -> str:
        return f"{self.org_id} on {self.day}"
