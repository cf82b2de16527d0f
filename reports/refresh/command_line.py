"""A command run from a shell, on the audit log (accounts.audit) as the browser's upload
and the sync are: an import by `import_backup_report --mirror` could replace the fleet
and leave nothing there (found by an audit).

The actor is the operating system's user who ran it (accounts.audit.os_user, as for
every command's events); no user of the app runs a command.
"""

from __future__ import annotations

from accounts import audit

VIA = "command line"


def record(kind: str, *, target: str, command: str, **details) -> None:
    """One event of the command (accounts.audit.kinds), by the OS user, `via` the
    command line. An error is cut to 500 characters, as a sync's is."""
    if "error" in details:
        details["error"] = str(details["error"])[:500]
    audit.record(kind, actor=audit.os_user(), target=target, command=command, via=VIA, **details)
