"""The SCIM client of the scim2 project (`scim2`, scim2-cli), run unmodified against a
live server as an identity provider's provisioning would: it reads the discovery
resources, finds the person by userName, deactivates them and deletes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from tests.api_support import basic
from tests.test_scim import TOKEN

SCIM2 = str(Path(sys.executable).with_name("scim2"))


def scim2(live_server, *arguments: str) -> subprocess.CompletedProcess:
    """The CLI, its token in SCIM_CLI_HEADERS (never on a command line others can read)."""
    environment = os.environ | {"SCIM_CLI_HEADERS": f"Authorization: Bearer {TOKEN}"}
    return subprocess.run(
        [SCIM2, "--url", f"{live_server.url}/scim/v2", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_the_scim2_cli_finds_deactivates_and_deletes_a_person(live_server, settings, people):
    settings.SCIM_TOKEN = TOKEN
    dave = people["dave"]
    # The server's first answer loads every view (seconds on a loaded machine), longer
    # than the CLI's own five-second timeout: loaded first, in this very process.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
    assert Client().get("/scim/v2/ServiceProviderConfig", **bearer).status_code == 200

    found = scim2(live_server, "query", "user", "--filter", 'userName eq "dave@example.com"')
    print(found.stdout, found.stderr)
    assert found.returncode == 0, found.stderr
    listed = json.loads(found.stdout)
    assert listed["totalResults"] == 1
    assert listed["Resources"][0]["id"] == str(dave.pk)

    ended = scim2(live_server, "modify", "user", str(dave.pk), "replace", "active", "false")
    print(ended.stdout, ended.stderr)
    assert ended.returncode == 0, ended.stderr
    assert json.loads(ended.stdout)["active"] is False
    assert not User.objects.get(pk=dave.pk).is_active
    assert Client().get("/api/DeviceBackupReport", **basic("dave")).status_code == 401

    deleted = scim2(live_server, "delete", "user", str(dave.pk))
    print(deleted.stdout, deleted.stderr)
    assert deleted.returncode == 0, deleted.stderr
    gone = scim2(live_server, "query", "user", str(dave.pk))
    print(gone.stdout, gone.stderr)
    assert gone.returncode != 0
    assert "404" in gone.stdout + gone.stderr
