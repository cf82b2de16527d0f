"""Owner alerts: a device that enters warning or critical is alerted to its owner once
for that state. An episode lasts from the first alert until the device is neither in
warning nor in critical (back to OK); the next one is alerted again. The send log's key
names the device, the episode and the state, so each is sent at most once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F

from reports.health import ACTIVE, Health, health_of, health_q, per_device
from reports.models import ReportRow
from reports.notifications.models import AlertedDevice, Message, Preference, SiteSwitch

# What the vendor's article says to check when a device stops backing up.
WHAT_TO_CHECK = (
    "Is the owner on vacation or sabbatical? Then the device will back up when it is back on.",
    "A router or firewall (at home, in a hotel) may keep the device from connecting to "
    "the backup destination.",
    "The backup service may have been disabled on the device.",
    "The backup agent may have been uninstalled.",
)


@dataclass(frozen=True)
class DueAlert:
    device_id: int
    owner_id: int
    health: Health
    episode: int

    @property
    def key(self) -> str:
        return f"device {self.device_id} episode {self.episode} {self.health.value}"


def _overdue(now: dt.datetime):
    overdue = health_q(Health.WARNING, now) | health_q(Health.CRITICAL, now)
    return per_device(ReportRow.objects.all(), "status", "owner_id").filter(ACTIVE & overdue)


def due_alerts(now: dt.datetime, *, rearm: bool = True) -> list[DueAlert]:
    """The alerts to send now: none while the site-wide switch is off. Re-arms the
    devices that are back to OK (or gone) first."""
    overdue = _overdue(now)
    if rearm:
        AlertedDevice.objects.exclude(health="").exclude(
            device_id__in=overdue.values("device_id")
        ).update(health="", episode=F("episode") + 1)
    if not SiteSwitch.current().owner_alerts:
        return []
    opted_out = set(Preference.objects.filter(owner_alerts=False).values_list("user_id", flat=True))
    episodes = dict(AlertedDevice.objects.values_list("device_id", "episode"))
    alerted = dict(AlertedDevice.objects.exclude(health="").values_list("device_id", "health"))
    failed_rows = list(
        Message.objects.filter(
            kind=Message.Kind.OWNER_ALERT, state=Message.State.FAILED
        ).values_list("pk", "recipient_id", "key")
    )
    failed = {key for _, _, key in failed_rows}
    due = []
    # The failed alerts still due, to whom: their device, episode and state now, and
    # its owner now (a device given to another person keeps its key).
    retried = set()
    never_received = []  # the devices of failed alerts whose owner opted out since
    for row in overdue.values_list("device_id", "owner_id", "last").iterator(chunk_size=5000):
        device_id, owner_id, last = row
        alert = DueAlert(device_id, owner_id, health_of(last, now), episodes.get(device_id, 1))
        if owner_id in opted_out:
            if alert.key in failed:
                never_received.append(device_id)
            continue
        if alert.key in failed:
            retried.add((owner_id, alert.key))
        if alerted.get(device_id) != alert.health.value or alert.key in failed:
            due.append(alert)
    if rearm:
        _forget([pk for pk, recipient, key in failed_rows if (recipient, key) not in retried])
        # Its alert forgotten, the device is not alerted: it was marked so when the
        # alert was claimed, and an owner who opted back in while it still waited never
        # had the alert that failed (found by a review).
        for start in range(0, len(never_received), 1000):
            part = never_received[start : start + 1000]
            AlertedDevice.objects.filter(device_id__in=part).update(health="")
    return due


def _forget(pks: list[int]) -> None:
    """Failed alerts that will never be retried: their device is back to OK (a new
    episode), in another state, its owner opted out, or it is another person's device
    now (its new owner is alerted). Their rows said "Failed (retried next run)" for
    good, and /metrics' unsent gauge with them (found by audits)."""
    for start in range(0, len(pks), 1000):
        Message.objects.filter(
            pk__in=pks[start : start + 1000], state=Message.State.FAILED
        ).delete()


def mark_alerted(alert: DueAlert) -> None:
    """Inside the claim's transaction: this device's state is alerted in this episode."""
    AlertedDevice.objects.update_or_create(
        device_id=alert.device_id,
        defaults={"health": alert.health.value, "episode": alert.episode},
    )


def device_rows(alert: DueAlert, owner):
    """The alerted device's rows as its owner may see them (their own device)."""
    return ReportRow.objects.visible_to(owner).filter(device_id=alert.device_id)
