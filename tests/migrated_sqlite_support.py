"""A migrated SQLite file for tests whose commands run in other processes on a file of their
own (the test database is not visible from another process on SQLite).

`manage.py migrate` on a fresh file costs about 7 s of CPU, 30 s on a loaded machine, and
the suite ran it for each such test: the schema is made once per test process and copied.
Each process (an xdist worker) has its own template, so no file is shared between workers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.database_support import without_database_url

ROOT = Path(__file__).resolve().parent.parent

_template: Path | None = None
_template_folder: tempfile.TemporaryDirectory | None = None  # removed when the process ends


def sqlite_environment(path: Path) -> dict[str, str]:
    """This process's environment for commands on the SQLite file at `path` (the suite's own
    DATABASE_URL left out)."""
    return without_database_url() | {"SQLITE_PATH": str(path)}


def _migrated_template() -> Path:
    global _template, _template_folder
    if _template is None:
        _template_folder = tempfile.TemporaryDirectory(prefix="migrated-sqlite-")
        path = Path(_template_folder.name) / "template.sqlite3"
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=sqlite_environment(path) | {"DJANGO_SETTINGS_MODULE": "backupreport.settings"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode:
            raise AssertionError(f"manage.py migrate failed:\n{result.stderr}")
        _template = path
    return _template


def migrated_sqlite(path: Path) -> Path:
    """A migrated SQLite database at `path`, a copy of this process's template."""
    template = _migrated_template()
    shutil.copyfile(template, path)
    # The migrate process has ended, its write-ahead log checkpointed into the file as the
    # last connection closed; a log still there would hold part of the schema.
    for suffix in ("-wal", "-shm"):
        companion = Path(f"{template}{suffix}")
        if companion.exists():
            shutil.copyfile(companion, f"{path}{suffix}")
    return path
