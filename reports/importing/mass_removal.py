"""The guard that keeps a whole-fleet import from emptying the fleet.

A whole-fleet (mirror) import, whether an upload of "the whole fleet",
`import_backup_report --mirror` or the sync, removes what its files do not list. A
wrong file would remove most of the fleet in one go: an export of the header alone, of
the critical devices only, from an account that sees one org. So before it writes:

- a file that lists no device at all is refused while there are devices here;
- removing more than MIRROR_REMOVAL_LIMIT_PERCENT of the devices here, or any org,
  happens only when asked for: on an upload's page a second confirmation that names
  the numbers; for the commands (and so the schedule) --allow-mass-removal. Sync now
  has no such switch. A limit of 100 turns the share off (orgs are still guarded).

One rule for every way in: reports.importing.environment.apply_files applies it; the
upload form asks it too, so that an empty file is refused at once.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass

from django.conf import settings

from reports.importing.csv_file import ImportFailed

OVERRIDE = "--allow-mass-removal"


class RemovalRefused(ImportFailed):
    """A whole-fleet import stopped before its writes: it would remove too much."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(file, None, None, message)


@dataclass(frozen=True)
class Removal:
    """What a whole-fleet import removes: devices of those here, and orgs."""

    devices: int
    fleet: int  # the devices here before the import
    orgs: int = 0

    @property
    def percent(self) -> float:
        return 100 * self.devices / self.fleet if self.fleet else 0.0

    @property
    def needs_confirmation(self) -> bool:
        limit = settings.MIRROR_REMOVAL_LIMIT_PERCENT
        over_the_share = limit < 100 and self.devices * 100 > limit * self.fleet
        return over_the_share or self.orgs > 0

    def within(self, allowed: Removal) -> bool:
        return self.devices <= allowed.devices and self.orgs <= allowed.orgs

    def __str__(self) -> str:
        """1,880 of 2,000 devices (94%) and 2 orgs"""
        percent = f"{self.percent:.1f}".removesuffix(".0")
        text = f"{self.devices:,} of {self.fleet:,} devices ({percent}%)"
        if self.orgs:
            text += f" and {self.orgs:,} org{'' if self.orgs == 1 else 's'}"
        return text

    @property
    def confirmation(self) -> str:
        """What the person confirming it ticks: the numbers, said back to them."""
        return f"Remove {self}"

    @property
    def token(self) -> str:
        """The numbers a confirmation sends back, so that it confirms these and no others."""
        return f"{self.devices}/{self.fleet}/{self.orgs}"

    def as_dict(self) -> dict:
        return asdict(self) | {"needs_confirmation": self.needs_confirmation}

    @classmethod
    def from_dict(cls, values: dict) -> Removal:
        return cls(values["devices"], values["fleet"], values["orgs"])


# What --allow-mass-removal allows: anything.
EVERYTHING = Removal(devices=sys.maxsize, fleet=sys.maxsize, orgs=sys.maxsize)


def limit_text() -> str:
    return (
        f"more than {settings.MIRROR_REMOVAL_LIMIT_PERCENT}% of the devices "
        "(MIRROR_REMOVAL_LIMIT_PERCENT), or any org"
    )


def refuse_empty(file: str, records: int, fleet: int, allowed: Removal | None) -> None:
    """A whole-fleet file without a single device, while there are devices here."""
    if records or not fleet or (allowed is not None and EVERYTHING.within(allowed)):
        return
    raise RemovalRefused(
        file,
        f"lists no device at all: as the whole fleet it would remove every device here "
        f"({fleet:,}). Check the file (or that the vendor account sees the whole fleet). "
        f"If the fleet really is empty now, `import_backup_report --mirror {OVERRIDE}` "
        f"or `sync_vendor {OVERRIDE}` empties it here.",
    )


def check(file: str, removal: Removal, allowed: Removal | None) -> None:
    """Raise RemovalRefused unless the removal is within the limit or what was allowed."""
    if not removal.needs_confirmation or (allowed is not None and removal.within(allowed)):
        return
    if allowed is not None:
        raise RemovalRefused(
            file,
            f"it would now remove {removal}, more than the {allowed} confirmed: the data "
            "here changed since the preview. Upload the files again to see what they do now.",
        )
    raise RemovalRefused(
        file,
        f"refused: it would remove {removal}. A whole-fleet import removes {limit_text()}, "
        f"only when asked for: with {OVERRIDE} (import_backup_report --mirror, "
        "sync_vendor), or an upload's second confirmation.",
    )
