"""The README's crontab runs each periodic command with `--verbosity 0` so that cron mails
only errors: such a run writes nothing unless it fails. snapshot_health wrote every
step's line, send_notifications its summary, audit_prune and audit_forward theirs, a mail
a day or an hour for nothing (found by an audit of the README's schedule). The sync's
own case is in tests/test_sync.py."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.factories import DeviceFactory

PERIODIC = ["snapshot_health", "send_notifications", "audit_prune", "audit_forward"]


def run(command: str, verbosity: int) -> str:
    out = io.StringIO()
    call_command(command, verbosity=verbosity, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("command", PERIODIC)
def test_a_periodic_command_at_verbosity_0_writes_nothing(command):
    DeviceFactory()
    assert run(command, 0) == ""
    assert run(command, 1) != ""  # and says what it did when asked
