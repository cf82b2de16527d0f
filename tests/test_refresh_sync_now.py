"""Sync now (spec section 8): the button queues the sync of `manage.py sync_vendor` on the
worker, and its page follows it to its outcome. System administrators only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from reports.models import Device
from reports.refresh.models import Run
from tests.import_support import database_snapshot
from tests.refresh_support import canned_vendor, queued_jobs, run_worker
from tests.sync_support import Answer
from tests.test_sync_hostile import TOKEN

SYNC_JOB = "reports.refresh.jobs.sync_from_vendor"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture
def vendor(settings, tmp_path):
    # Its two devices replace the eight here, more than a sync removes unasked; the
    # guard against that has tests of its own (test_import_mass_removal).
    settings.MIRROR_REMOVAL_LIMIT_PERCENT = 100
    with canned_vendor(settings, tmp_path) as canned:
        yield canned


@pytest.fixture
def root(login):
    return login("root")


def sync_now(client):
    return client.post(reverse("sync-now"))


def test_sync_now_queues_the_sync_and_its_page_follows_it(root, vendor):
    page = root.get(reverse("data")).content.decode()
    assert f"<strong>{vendor.url}</strong> as API client key-sync-now" in page

    response = sync_now(root)

    assert response.status_code == 302
    assert queued_jobs() == [SYNC_JOB]
    assert vendor.requests == []  # nothing happens in the web process
    status_url = response.url + "status"
    waiting = root.get(status_url).json()
    assert (waiting["state"], waiting["finished"]) == ("ready", False)
    assert waiting["progress"]["label"] == "Waiting for the worker"
    assert 'data-job-status="' + status_url + '"' in root.get(response.url).content.decode()

    run_worker()

    assert root.get(status_url).json() == {
        "state": "successful",
        "finished": True,
        "progress": None,
    }
    assert set(Device.objects.values_list("device_uid", flat=True)) == {"device-1", "device-2"}
    run = Run.objects.get(kind=Run.Kind.SYNC)
    assert (run.trigger, run.user.username, run.outcome) == ("web", "root", "succeeded")
    page = root.get(response.url).content.decode()
    assert 'id="result"' in page and "devices: 2 created" in page
    assert reverse("admin:refresh_run_change", args=[run.pk]) in page


def test_a_failed_sync_says_why_and_changes_nothing(root, vendor):
    vendor.on(TOKEN, Answer(401, {"error": "invalid_client"}))
    before = database_snapshot()

    response = sync_now(root)
    run_worker()

    page = root.get(response.url).content.decode()
    assert "The sync failed; nothing was changed" in page
    run = Run.objects.get(kind=Run.Kind.SYNC)
    assert run.outcome == "failed" and run.error in page.replace("&#x27;", "'")
    assert database_snapshot() == before


def test_a_second_click_follows_the_sync_under_way(root, vendor):
    first = sync_now(root)
    second = sync_now(root)

    assert second.url == first.url
    assert queued_jobs() == [SYNC_JOB]
    assert "Follow the sync under way" in root.get(reverse("data")).content.decode()


def test_without_a_vendor_there_is_no_button(root, settings):
    settings.VENDOR_URL = ""

    page = root.get(reverse("data")).content.decode()
    refused = sync_now(root)

    assert 'id="sync-now"' not in page and "No vendor to sync from: VENDOR_URL" in page
    assert refused.status_code == 400
    assert "VENDOR_URL must be the vendor&#x27;s address" in refused.content.decode()
    assert queued_jobs() == []


def test_an_unknown_sync_is_not_found(root, vendor):
    missing = "00000000-0000-0000-0000-000000000000"
    assert root.get(reverse("sync", args=[missing])).status_code == 404
    assert root.get(reverse("sync-status", args=[missing])).status_code == 404


def test_an_upload_job_is_no_sync(root, vendor):
    """The sync pages show Sync now jobs only, not any job of the engine."""
    from reports.refresh import jobs

    other = jobs.check_upload.enqueue("00000000-0000-0000-0000-000000000000")

    assert root.get(reverse("sync", args=[other.id])).status_code == 404


@pytest.mark.parametrize("name", ["alice", "carol", "dave", "sam", "erin"])
def test_nobody_but_a_system_administrator_can_sync(login, vendor, name):
    client = login(name)
    queued = sync_now(login("root")).url
    client = login(name)

    assert sync_now(client).status_code == 404
    assert client.get(queued).status_code == 404
    status = client.get(queued + "status")
    assert status.status_code == 404 and json.loads(status.content) == {"error": "not found"}
    assert queued_jobs() == [SYNC_JOB]  # the administrator's, and no other
    assert 'id="sync-now"' not in client.get("/").content.decode()


def test_a_signed_out_caller_cannot_sync(client, login, vendor):
    queued = sync_now(login("root")).url
    client.logout()

    assert sync_now(client).url.startswith(reverse("login"))
    assert client.get(queued).url.startswith(reverse("login"))
    assert client.get(queued + "status").status_code == 401
    assert queued_jobs() == [SYNC_JOB]
