"""The hash chain: each event's hash covers its own fields and the hash of the event
before it, so a changed, removed or inserted row shows as the first link whose hash or
previous hash no longer agrees (`manage.py audit_verify`).

Appending locks the chain's head row for the rest of the transaction: two events never
claim the same predecessor, on PostgreSQL (row lock) as on SQLite (one writer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from accounts.audit.models import GENESIS, ChainHead, Event

HASHED_FIELDS = ("at", "kind", "actor_id", "actor", "target", "address", "user_agent", "details")


def _moment(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(event: Event) -> str:
    """SHA-256 of the previous hash and the event's fields, as canonical JSON (sorted
    keys: PostgreSQL's jsonb gives the details back in an order of its own)."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["at"] = _moment(event.at)
    fields["previous"] = event.previous_hash
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def head_for_update() -> ChainHead:
    """The chain's head, held to the transaction's end. The first statement is a write
    (the head touched): on PostgreSQL it takes the row's lock; on SQLite the database's
    one write lock, waited for, where a read first and a write after fails at once with
    "database is locked" when another writer came between (forty sign-ins at once;
    accounts/password_checks.py begins its transaction the same way). On a fresh (or
    flushed) database the row is made first, by this writer or another, and then locked
    all the same: read unlocked, a third writer could chain to the same event (found by
    an audit)."""
    while not ChainHead.objects.filter(pk=1).update(last_id=F("last_id")):
        ChainHead.objects.get_or_create(pk=1)
    return ChainHead.objects.get(pk=1)


def append(event: Event) -> Event:
    """Chain and save the event (unsaved, every field but the hashes set)."""
    with transaction.atomic():
        head = head_for_update()
        event.previous_hash = head.last_hash
        event.hash = digest(event)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(last_id=event.pk, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class Break:
    """The first link that does not hold, and why."""

    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.event_id}" if self.event_id is not None else "the chain's end"
        return f"first broken link: {where}: {self.reason}"


def _head() -> ChainHead:
    return ChainHead.objects.filter(pk=1).first() or ChainHead(pk=1)


RETENTION = "audit.retention"  # the kind whose details name the anchor it set


def _anchor_vouched_for(head: ChainHead) -> bool:
    """Whether the chain may start at the head's anchor: GENESIS, or the one the latest
    retention set and named (`anchor`). Each pruning that removes moves the anchor and
    records it, and its note outlives the anchor it names, so the latest note names the
    anchor there is. Deleting the oldest events and setting the anchor to the previous
    hash of the first one left held as a chain that holds (found by an audit); now it
    takes a note forged inside the chain, that is the whole chain after it rewritten."""
    if head.anchor_hash == GENESIS:
        return True
    note = Event.objects.filter(kind=RETENTION).order_by("-id").first()
    return note is not None and (note.details or {}).get("anchor") == head.anchor_hash


def first_break(events: Iterator[Event] | None = None) -> tuple[int, Break | None]:
    """(events checked, the first broken link or None), oldest event first."""
    head = _head()
    anchor_vouched_for = _anchor_vouched_for(head)
    if events is None:
        events = Event.objects.order_by("id").iterator(chunk_size=2000)
    previous_hash, last_id, checked = head.anchor_hash, 0, 0
    two_back: tuple[str, int] | None = None  # the hash and id of the event before the last

    def and_those_appended_since() -> Iterator[Event]:
        """The events read, then those after the last one read up to the head as it was
        last read: the events' query sees the log as it began, and a head read again
        for an event appended before that may name events appended after it. Those
        were called "removed" (CRITICAL) while the log was only busy (found by an audit
        of section 13)."""
        yield from events
        if head.last_id and last_id < head.last_id:
            yield from Event.objects.filter(pk__gt=last_id, pk__lte=head.last_id).order_by("id")

    for event in and_those_appended_since():
        if not last_id and event.previous_hash != head.anchor_hash:
            # A pruning that committed between the head's read and the events' query
            # moved the anchor: the first event left was "removed or changed" (found by
            # an audit of section 13). The anchor the query's log starts from, read again.
            head = _head()
            anchor_vouched_for = _anchor_vouched_for(head)
            previous_hash = head.anchor_hash
        if not (last_id or anchor_vouched_for):
            reason = (
                "its previous hash is the chain's anchor, which no retention set: the events"
                " before it were removed"
            )
            return checked, Break(event.pk, reason)
        if head.last_id and event.pk > head.last_id:
            head = _head()  # appended while this check ran, and so the head moved?
            if event.pk > head.last_id:
                # Its links may hold (chained to the last event by whoever inserted
                # it): only append() moves the head, and it did not.
                reason = f"it was added after the chain's recorded end (#{head.last_id})"
                return checked, Break(event.pk, reason + ", not appended to the log")
        if two_back is not None and event.previous_hash == two_back[0]:
            reason = (
                f"it was inserted: the event after it (#{event.pk}) is chained to the one"
                f" before it (#{two_back[1]})"
            )
            return checked - 1, Break(last_id, reason)
        if event.previous_hash != previous_hash:
            reason = (
                "its previous hash is not the hash of the event before it"
                f" (#{last_id or 'none'}): an event before it was removed or changed"
            )
            return checked, Break(event.pk, reason)
        if digest(event) != event.hash:
            return checked, Break(event.pk, "its fields do not match its hash: it was changed")
        two_back = (previous_hash, last_id) if last_id else None
        previous_hash, last_id, checked = event.hash, event.pk, checked + 1
    if head.last_id and last_id < head.last_id:
        reason = f"the last event recorded was #{head.last_id}, the last one left is #{last_id}"
        return checked, Break(head.last_id, reason + ": events at the end were removed")
    if head.last_id and previous_hash != head.last_hash:
        reason = "its hash is not the one the chain's head recorded: it was replaced"
        return checked, Break(last_id, reason)
    return checked, None


__all__ = ["GENESIS", "Break", "append", "digest", "first_break"]
