"""The test database as a DATABASE_URL, for the app servers and processes a test starts;
or an environment without the suite's, for a process on a database of its own."""

from __future__ import annotations

import os

from django.db import connection


def database_url() -> str:
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}"
    )


def without_database_url() -> dict[str, str]:
    """This process's environment without the suite's DATABASE_URL: a process started
    with it is on SQLite (SQLITE_PATH, or the checkout's file), whatever the suite runs on."""
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
