"""The WSGI application is loaded whole before it serves (backupreport.wsgi): the first
overview of each gunicorn worker took 3.2 s at 1,000,000 devices, importing the views
and the template tag libraries (pysaml2's XML schemas) then, where a warm one takes
0.06 s (2026-12-06)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
import backupreport.wsgi
from django.template import engines
from django.urls import get_resolver

engine = engines["django"].engine
cached = engine.template_loaders[0]
print("views" if "reports.notifications.subscription_views" in sys.modules else "no views")
print("tags" if "saml2.sigver" in sys.modules else "no tags")
print("compiled" if "reports/overview.html" in str(list(cached.get_template_cache)) else "none")
print("reversed" if get_resolver()._populated else "not reversed")
# What few requests use waits for the first of them (2026-12-08: 42 MB of each worker).
print(" ".join(sorted(set(sys.modules) & {"weasyprint", "openpyxl", "scim2_models", "pydantic"})))
"""


def test_the_application_loads_views_tags_templates_not_rare_libraries_before_serving(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")} | {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == ["views", "tags", "compiled", "reversed", ""]
