"""Peak resident memory, as Linux keeps it in /proc/<pid>/status (VmHWM).

VmHWM belongs to a process's address space, so it starts again at exec; getrusage's
ru_maxrss does not (Linux carries it over fork and exec), so a subprocess of the
benchmark would report the benchmark's own peak as its own.
"""

from __future__ import annotations

import resource
from pathlib import Path


def status(pid: int | str = "self") -> dict[str, str]:
    """The fields of /proc/<pid>/status; empty where there is none (a process gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {name: value.strip() for name, value in _fields(text)}


def peak_mb(fields: dict[str, str]) -> float:
    """VmHWM of a status, in MB (0 when it has none)."""
    return int(fields.get("VmHWM", "0 kB").split()[0]) / 1024


def own_peak_mb() -> float:
    """This process's peak resident size in MB; getrusage's where /proc is missing."""
    fields = status()
    if "VmHWM" in fields:
        return peak_mb(fields)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fields(text: str):
    for line in text.splitlines():
        if ":" in line:
            yield line.split(":", 1)
