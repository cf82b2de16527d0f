"""A command run from a shell, on the audit log (accounts.audit) as the browser's upload
and the sync are: an import by `import_backup_report --mirror` could replace the fleet
and leave nothing there (found by an audit).

The actor is the operating system's user who ran it, as far as the process can tell
(LOGNAME, USER, then the user database); no user of the app runs a command.
"""

from __future__ import annotations

import getpass

from accounts import audit

VIA = "command line"


def os_user() -> str:
    """Who ran the command, or "command line" where the process cannot tell (a
    container's user with no name)."""
    try:
        return getpass.getuser() or VIA
    except (KeyError, OSError, ImportError):  # no such variable nor entry in passwd
        return VIA


def record(kind: str, *, target: str, command: str, **details) -> None:
    """One event of the command (accounts.audit.kinds), by the OS user, `via` the
    command line. An error is cut to 500 characters, as a sync's is."""
    if "error" in details:
        details["error"] = str(details["error"])[:500]
    audit.record(kind, actor=os_user(), target=target, command=command, via=VIA, **details)
