"""The guard that keeps a whole-fleet import from emptying the fleet.

A whole-fleet (mirror) import, whether an upload of "the whole fleet",
`import_backup_report --mirror` or the sync, removes what its files do not list. A
wrong file would remove most of the fleet in one go: an export of the header alone, of
the critical devices only, from an account that sees one org. So before it writes:

- a file that lists no device at all is refused while there are devices here;
- removing more than MIRROR_REMOVAL_LIMIT_PERCENT of the devices here, or of the
  archives (a file whose devices are all there but whose archive cells are empty took
  away every archive, destination and server unasked; found by an audit of the
  import), or any org, happens only when asked for: on an upload's page a second
  confirmation that names the numbers; for the commands (and so the schedule)
  --allow-mass-removal. Sync now has no such switch. A limit of 100 turns the share
  off (orgs are still guarded).

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


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole if whole else 0.0:.1f}".removesuffix(".0")


def _over_the_limit(part: int, whole: int) -> bool:
    limit = settings.MIRROR_REMOVAL_LIMIT_PERCENT
    return limit < 100 and part * 100 > limit * whole


@dataclass(frozen=True)
class Removal:
    """What a whole-fleet import removes: devices of those here, archives of the devices
    it keeps of those here, and orgs."""

    devices: int
    fleet: int  # the devices here before the import
    orgs: int = 0
    archives: int = 0
    archives_here: int = 0  # before the import

    @property
    def needs_confirmation(self) -> bool:
        return (
            _over_the_limit(self.devices, self.fleet)
            or _over_the_limit(self.archives, self.archives_here)
            or self.orgs > 0
        )

    def within(self, allowed: Removal) -> bool:
        return (
            self.devices <= allowed.devices
            and self.orgs <= allowed.orgs
            and self.archives <= allowed.archives
        )

    def __str__(self) -> str:
        """1,880 of 2,000 devices (94%), 2,400 of 2,600 archives (92.3%) and 2 orgs"""
        parts = [
            f"{self.devices:,} of {self.fleet:,} devices ({_share(self.devices, self.fleet)}%)"
        ]
        if self.archives:
            share = _share(self.archives, self.archives_here)
            parts.append(
                f"{self.archives:,} of {self.archives_here:,} archives of the devices it "
                f"keeps ({share}%)"
            )
        if self.orgs:
            parts.append(f"{self.orgs:,} org{'' if self.orgs == 1 else 's'}")
        return ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]

    @property
    def confirmation(self) -> str:
        """What the person confirming it ticks: the numbers, said back to them."""
        return f"Remove {self}"

    @property
    def token(self) -> str:
        """The numbers a confirmation sends back, so that it confirms these and no others."""
        return f"{self.devices}/{self.fleet}/{self.orgs}/{self.archives}/{self.archives_here}"

    def as_dict(self) -> dict:
        return asdict(self) | {"needs_confirmation": self.needs_confirmation}

    @classmethod
    def from_dict(cls, values: dict) -> Removal:
        # An upload previewed before archives were counted said none.
        archives = values.get("archives", 0), values.get("archives_here", 0)
        return cls(values["devices"], values["fleet"], values["orgs"], *archives)


# What --allow-mass-removal allows: anything.
EVERYTHING = Removal(devices=sys.maxsize, fleet=sys.maxsize, orgs=sys.maxsize, archives=sys.maxsize)


def limit_text() -> str:
    return (
        f"more than {settings.MIRROR_REMOVAL_LIMIT_PERCENT}% of the devices or of the "
        "archives (MIRROR_REMOVAL_LIMIT_PERCENT), or any org"
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
