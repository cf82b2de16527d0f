"""Who is doing a run, in a form that tells later whether they still are.

A run or an upload's job is done by one process. If that process is killed (SIGKILL,
the OOM killer, a machine that goes down) it cannot say so: its row would stay
"running" for ever. So the row keeps a token naming the worker, and anyone can ask
later whether that worker is gone.

On PostgreSQL the token is the database session (its backend pid and start time):
every run does its work on that one connection, and when its process dies the kernel
closes the socket and PostgreSQL ends the session, whichever machine the process ran
on. On SQLite, the embedded database of one machine, it is the operating system's
process (host, pid and the process's start time, so a reused pid is not taken for the
old one).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

from django.db import connection

from reports.postgres_only import on_postgres

POSTGRES, PROCESS = "pg", "os"
PROC = Path("/proc")
UNKNOWN_START = "-"


def current() -> str:
    """This worker's token."""
    if on_postgres(connection):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
            )
            pid, started = cursor.fetchone()
        return f"{POSTGRES}:{pid}:{started.isoformat()}"
    return process_token(os.getpid())


def process_token(pid: int) -> str:
    """The token of this machine's process `pid`, as it is now."""
    return f"{PROCESS}:{socket.gethostname()}:{pid}:{_process_start(pid)}"


def is_token(value: str) -> bool:
    """Whether a worker id is such a token (the job engine's own ids are letters and
    digits only)."""
    return value.startswith((f"{POSTGRES}:", f"{PROCESS}:"))


def is_gone(token: str) -> bool:
    """Whether the worker of this token has certainly stopped. An empty or foreign
    token (another database, another machine's process) is never judged gone."""
    kind, _, rest = token.partition(":")
    if kind == POSTGRES and on_postgres(connection):
        pid, _, started = rest.partition(":")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND backend_start = %s",
                [int(pid), dt.datetime.fromisoformat(started)],
            )
            return cursor.fetchone() is None
    if kind == PROCESS:
        host, pid, started = rest.rsplit(":", 2)
        if host != socket.gethostname():
            return False
        now = _process_start(int(pid))
        return now is None or (UNKNOWN_START not in (now, started) and now != started)
    return False


def _process_start(pid: int) -> str | None:
    """The process's start, in clock ticks since boot (field 22 of /proc/<pid>/stat), or
    None when there is no such process. Without /proc (macOS), only the pid is known:
    UNKNOWN_START."""
    if not PROC.is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return UNKNOWN_START
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return stat.rpartition(")")[2].split()[19]
