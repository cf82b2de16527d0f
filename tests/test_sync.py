"""`manage.py sync_vendor` end to end, over real HTTP (spec section 8): a second instance of
this product, in its own process with its own SQLite file, seeded with generate_demo_data
and an API client, plays the vendor. After a sync the mirror's 34-column export for a
system administrator is the source's, byte for byte; after the source changes and the
next sync, again."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import Org, User
from accounts.roles import SYSTEM_ADMINISTRATORS
from reports.models import Archive, Destination, Device, ReportRow, Server
from reports.refresh.models import Run
from tests.factories import UserFactory
from tests.sync_support import SourceInstance
from tests.test_read_model import assert_in_step


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    instance = SourceInstance(tmp_path_factory.mktemp("source")).start(devices=300, seed=1)
    yield instance
    instance.stop()


@pytest.fixture
def vendor(settings, source):
    settings.VENDOR_URL = source.url
    settings.VENDOR_CLIENT_ID = source.client_id
    settings.VENDOR_CLIENT_SECRET = source.client_secret
    settings.VENDOR_USERNAME = settings.VENDOR_PASSWORD = ""
    return source


def sync_vendor(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_vendor", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def mirror_export(db, client):
    admin = UserFactory(username="mirror-admin", org=None)
    admin.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    client.force_login(admin)

    def export() -> bytes:
        response = client.get("/api/DeviceBackupReport", {"export": "csv"})
        assert response.status_code == 200
        return b"".join(response.streaming_content)

    return export


def mirror_tree() -> dict[str, str | None]:
    return {
        uid: parent
        for uid, parent in Org.objects.values_list("org_uid", "parent__org_uid").order_by("pk")
    }


# Made in the source's own process: a device deactivated, one removed, one added (with
# an archive), an org moved below another branch. Prints what it did.
CHANGE_THE_SOURCE = """
import json
from accounts.models import Org, User
from reports.models import Archive, Device
devices = list(Device.objects.filter(status="Active").order_by("pk"))
deactivated, removed, owner = devices[0], devices[1], devices[2].user
deactivated.status = "Deactivated"
deactivated.save()
removed_uid = removed.device_uid
removed_archives = list(removed.archives.values_list("archive_guid", flat=True))
removed.delete()
added = Device.objects.create(
    device_uid="device-added-at-the-source", name="NEW-LAPTOP", user=owner, os="linux",
    os_version="6.8", version="11.5.0.36",
)
template = Archive.objects.exclude(destination=None).exclude(server=None).first()
Archive.objects.create(
    archive_guid="archive-added-at-the-source", device=added,
    destination=template.destination, server=template.server, selected_bytes=1234,
    archive_bytes=567, backup_complete_percentage=12.5,
)
leaves = Org.objects.exclude(parent=None).filter(children=None).order_by("pk")
moved = leaves.first()
target = Org.objects.exclude(pk=moved.parent_id).exclude(path__startswith=moved.path).exclude(
    pk__in=moved.ancestors()).order_by("-pk").first()
moved.parent = target
moved.status = "Deactivated"
moved.save()
print(json.dumps({
    "deactivated": deactivated.device_uid, "removed": removed_uid,
    "removed_archives": removed_archives, "moved": moved.org_uid, "parent": target.org_uid,
}))
"""


# The source's orgs' statuses, as JSON.
SOURCE_STATUSES = """
import json
from accounts.models import Org
print(json.dumps(dict(Org.objects.values_list("org_uid", "status"))))
"""


def statuses(vendor) -> tuple[dict[str, str], dict[str, str]]:
    """(the source's, the mirror's) org statuses: the sync copied none (2026-12-06)."""
    source = json.loads(vendor.shell(SOURCE_STATUSES).strip().splitlines()[-1])
    return source, dict(Org.objects.values_list("org_uid", "status"))


def test_the_mirror_equals_the_source_before_and_after_the_source_changes(vendor, mirror_export):
    first = sync_vendor()
    assert "Imported:" in first
    assert mirror_export() == vendor.export()
    assert mirror_tree() == vendor.org_tree()
    source, mirror = statuses(vendor)
    assert mirror == source
    assert_in_step()
    run = Run.objects.get()
    assert (run.kind, run.trigger, run.outcome) == ("sync", "command", "succeeded")
    assert run.source == f"{vendor.url} as API client {vendor.client_id}"
    made = [Org, Destination, Server, Device, Archive]
    people = User.objects.filter(devices__isnull=False).distinct().count()
    assert run.created == people + sum(model.objects.count() for model in made)
    assert (run.updated, run.removed, run.unchanged) == (0, 0, 0)

    changed = json.loads(vendor.shell(CHANGE_THE_SOURCE).strip().splitlines()[-1])
    second = sync_vendor()
    assert mirror_export() == vendor.export()
    assert mirror_tree() == vendor.org_tree()
    assert_in_step()
    assert Device.objects.get(device_uid=changed["deactivated"]).status == "Deactivated"
    assert not Device.objects.filter(device_uid=changed["removed"]).exists()
    assert not ReportRow.objects.filter(device_uid=changed["removed"]).exists()
    assert Archive.objects.get(archive_guid="archive-added-at-the-source").selected_bytes == 1234
    assert Org.objects.get(org_uid=changed["moved"]).parent.org_uid == changed["parent"]
    assert Org.objects.get(org_uid=changed["moved"]).status == "Deactivated"
    source, mirror = statuses(vendor)
    assert mirror == source
    latest = Run.objects.first()
    # The device and its archives gone; a device and an archive new; the deactivated
    # device and the moved org changed.
    assert latest.removed == 1 + len(changed["removed_archives"])
    assert latest.created == 2
    assert latest.updated >= 2
    assert f"devices: 1 created, 1 updated, 1 removed, {Device.objects.count() - 2:,}" in second

    third = sync_vendor()
    assert "Imported: 0 created, 0 updated, 0 removed," in third
    assert Run.objects.count() == 3


def test_a_local_account_signs_in_with_basic(vendor, settings, mirror_export):
    settings.VENDOR_CLIENT_ID = settings.VENDOR_CLIENT_SECRET = ""
    settings.VENDOR_USERNAME, settings.VENDOR_PASSWORD = vendor.ADMIN, vendor.PASSWORD
    sync_vendor("--scheduled")
    assert mirror_export() == vendor.export()
    run = Run.objects.get()
    assert (run.trigger, run.outcome) == ("schedule", "succeeded")
    assert run.source == f"{vendor.url} as user {vendor.ADMIN}"


def test_a_scheduled_sync_at_verbosity_0_writes_nothing(vendor, mirror_export):
    """The README's crontab line: cron mails what a job writes, and the summary and "Done
    in" were written at every run, a mail an hour for nothing (found by an audit)."""
    out = io.StringIO()
    call_command("sync_vendor", "--scheduled", verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert mirror_export() == vendor.export()
    assert Run.objects.get().outcome == "succeeded"


def test_a_dry_run_says_what_would_change_and_changes_nothing(vendor, mirror_export):
    output = sync_vendor("--dry-run")
    assert "Dry run, nothing written. Would be:" in output
    assert "devices: " in output and " created, 0 updated, 0 removed, 0 unchanged" in output
    assert not Device.objects.exists() and not Org.objects.exists()
    assert not Run.objects.exists()
