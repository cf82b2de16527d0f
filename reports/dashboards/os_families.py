"""The OS families the overview counts devices by, and the dashboards' `exactOs=` that
lists each bar's devices: the device's `os` exactly, where the API's `os=` is a partial
match over os and osVersion (an osVersion holding "win" would be listed under Windows
too, and the bar's count and its list would differ)."""

from __future__ import annotations

from django.db.models import Q

# The vendor's values, in the overview's order; anything else is OTHER.
OS_NAMES = {"win": "Windows", "mac": "macOS", "linux": "Linux"}
KNOWN_OS = tuple(OS_NAMES)
OTHER = "other"
FAMILIES = (*KNOWN_OS, OTHER)


def name_of(family: str | None) -> str:
    return OS_NAMES.get(family or "", "Other")


def os_words(os: str | None) -> str:
    """A device's OS code as the pages say it ("win" is Windows), one the overview does
    not know as it came: "win 10.0.22631" stood beside an overview and a filter that
    say Windows (found by an audit of the pages)."""
    return OS_NAMES.get(os or "", os or "")


def in_family(family: str) -> Q:
    """The rows of devices whose os is the family's (OTHER: none of the known, or none)."""
    if family == OTHER:
        return ~Q(os__in=KNOWN_OS) | Q(os__isnull=True)
    return Q(os=family)


def described(family: str) -> str:
    """The chip's words for `exactOs=family`."""
    if family == OTHER:
        return f"OS: none of {', '.join(OS_NAMES.values())}"
    return f"OS: {name_of(family)} (the device's OS, not its version)"
