"""A device page's URL, /devices/<uid>/, for every link to it from the pages."""

from __future__ import annotations

from functools import cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse


@cache
def _devices_path(script_prefix: str) -> str:
    """The device page's URL up to the uid: "/devices/", below the path the app is
    served at (FORCE_SCRIPT_NAME), which reverse() reads from the script prefix."""
    return reverse("device", args=["-"]).removesuffix("-/")


def device_url(device_uid: str) -> str:
    # Built by hand: reverse() per row is slow for a 1,000-row page. The part before
    # the uid is reversed once per script prefix.
    return f"{_devices_path(get_script_prefix())}{quote(device_uid, safe='')}/"
