"""The audit log's tables: the events (append-only, chained by hash), the head of the
chain, the forwarder's place in it, and the API page reads of the current hour."""

from __future__ import annotations

from django.db import models

GENESIS = "0" * 64  # the previous hash of the first event ever


class Event(models.Model):
    """One thing someone did. Nothing here points at another table by foreign key: a
    deleted user must not change (and so break) the events that name them; the actor is
    kept by id and by the username they had then."""

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

    class Meta:
        ordering = ["id"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.actor or '-'} {self.at:%Y-%m-%d %H:%M:%S}"


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
