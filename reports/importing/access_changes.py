"""Whose access an import ends or gives back: the people the vendor now says are
deactivated or blocked (accounts.models.User.VENDOR_ENDED, whose sessions the write
ends), and those it lets back. Named on the audit log with the sync, upload or import
that did it (Outcome.audited): its event counted them among the users updated, and
"when did alice lose access, and why" had no answer (found by an audit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max

from accounts.models import User

# The audit event names this many of each; the count says how many there were.
NAMED = 100


@dataclass
class AccessChanges:
    ended: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)

    def audited(self) -> dict:
        details = {}
        for what, names in (("access_ended", self.ended), ("access_restored", self.restored)):
            if names:
                details[what] = names[:NAMED]
                details[f"{what}_count"] = len(names)
        return details

    def notes(self) -> list[str]:
        return [
            f"{what}: {len(names):,} ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})."
            for what, names in (
                ("Access ended, as the vendor deactivated or blocked them", self.ended),
                ("Access given back, as the vendor lets them in again", self.restored),
            )
            if names
        ]


class Watch:
    """Taken before the writes, told after them (in the same transaction) what changed.
    People the file brings already deactivated never had access here: not named."""

    def __init__(self) -> None:
        self.ended_before = dict(_ended().values_list("pk", "username"))
        self.last_before = User.objects.aggregate(last=Max("pk"))["last"] or 0

    def changes(self, names_before: dict[int, str]) -> AccessChanges:
        """`names_before`: usernames the writes moved aside (a departed person's), by pk."""
        ended_now = dict(_ended().values_list("pk", "username"))
        ended = [
            names_before.get(pk, name)
            for pk, name in ended_now.items()
            if pk not in self.ended_before and pk <= self.last_before
        ]
        restored = [name for pk, name in self.ended_before.items() if pk not in ended_now]
        return AccessChanges(sorted(ended), sorted(restored))


def _ended():
    return User.objects.filter(user_status__in=User.VENDOR_ENDED, user_uid__isnull=False)
