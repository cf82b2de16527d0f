"""The audit log's tables: the events (append-only, chained by hash), the head of the
chain, the forwarder's place in it, and the API page reads of the current hour."""

from __future__ import annotations

import datetime as dt

from django.db import connections, models, transaction

GENESIS = "0" * 64  # the previous hash of the first event ever

# What retention declares, for its transaction, as the date its removal stops at: on
# PostgreSQL the events table's trigger (migration 0002) lets a row be deleted only when
# it is dated before it.
PRUNE_BEFORE_SETTING = "audit.prune_before"


class AppendOnlyError(Exception):
    """An event was to be changed or deleted: the log is append-only."""


def _refused(what: str) -> AppendOnlyError:
    return AppendOnlyError(
        f"audit events are append-only: {what} refused (retention, manage.py audit_prune, "
        "alone removes events, those past AUDIT_RETENTION_DAYS)"
    )


class EventQuerySet(models.QuerySet):
    """Events are added, never changed nor removed, but for retention's past days
    (`remove_before`). The database refuses too (migration 0002: on PostgreSQL an UPDATE
    or DELETE, on SQLite an UPDATE); here code of the app's hears it first, by name.
    Changing or removing events silently broke the chain, noticed only by audit_verify
    later (found by an audit)."""

    def update(self, **kwargs):
        raise _refused("update")

    def delete(self):
        raise _refused("delete")

    def remove_before(self, before: dt.datetime) -> int:
        """Retention's removal: delete those of these events dated before `before`; how
        many went. The cutoff is declared to the database for this transaction only
        (set_config's is_local) and withdrawn after, so that no later delete in it
        passes; an error rolls the declaration back with the rest."""
        doomed = self.filter(at__lt=before)
        connection = connections[self.db]
        with transaction.atomic(using=self.db), connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                return super(EventQuerySet, doomed).delete()[0]
            declare = "SELECT set_config(%s, %s, true)"
            cursor.execute(declare, [PRUNE_BEFORE_SETTING, before.isoformat()])
            removed = super(EventQuerySet, doomed).delete()[0]
            cursor.execute(declare, [PRUNE_BEFORE_SETTING, ""])
            return removed


class Event(models.Model):
    """One thing someone did. Nothing here points at another table by foreign key: a
    deleted user must not change (and so break) the events that name them; the actor is
    kept by id and by the username they had then. Append-only (EventQuerySet)."""

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=150, blank=True, default="", db_index=True)
    target = models.CharField(max_length=300, blank=True, default="")
    address = models.CharField(max_length=45, blank=True, default="", db_index=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.actor or '-'} {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise _refused(f"change of event #{self.pk}")
        kwargs["force_insert"] = True  # a new row even with a pk given: never an UPDATE
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise _refused(f"delete of event #{self.pk}")


class ChainHead(models.Model):
    """One row: the last event's hash and id (a deleted last event shows), and the
    anchor, the previous hash the first kept event must carry (GENESIS until retention
    removes the oldest days). Locked to append, which orders the chain."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)
    anchor_hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"chain head at #{self.last_id}"


class ForwardCursor(models.Model):
    """One row: the last event delivered to syslog. Events after it are the backlog."""

    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"forwarded up to #{self.last_id}"


class ReadTally(models.Model):
    """A caller's API page reads in one hour, added to by each web process every few
    seconds, and made one `api.reads` event once the hour is over."""

    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150, default="")
    client_id = models.CharField(max_length=64, default="")
    hour = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)
    first = models.DateTimeField()
    last = models.DateTimeField()
    resources = models.JSONField(default=list)
    addresses = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "client_id", "hour"], name="audit_one_tally_per_caller_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.hour:%Y-%m-%d %H}h: {self.count} reads"
