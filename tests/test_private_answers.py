"""What a signed-in caller is answered is kept by no cache (backupreport.private_answers):
every page and every file of their rows says Cache-Control: private, no-store."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.catalog import REPORTS
from reports.history.snapshots import take


def assert_kept_by_no_cache(response, url: str) -> None:
    assert response.status_code == 200, url
    words = {word.strip() for word in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= words, f"{url}: {response.get('Cache-Control')!r}"


@pytest.fixture
def root(login, fleet):
    take()  # compliance by org and the trend read the snapshots
    return login("root")


def test_every_file_of_the_callers_rows_is_kept_by_no_cache(root):
    # Compliance by org, the trend and the storage rollups had no Cache-Control at all.
    files = [
        reverse("compliance") + "?format=csv",
        reverse("trend-csv"),
        reverse("storage-rollup", args=["org"]) + "?export=csv",
        reverse("storage-rollup", args=["user"]) + "?export=csv",
        reverse("spreadsheet", args=["backup-status", "csv"]),
        reverse("spreadsheet", args=["backup-status", "xlsx"]),
        reverse("v1-device-backup-report") + "?export=csv",
        reverse("audit") + "?format=csv",
        reverse("management-pdf"),
    ]
    for url in files:
        assert_kept_by_no_cache(root.get(url), url)


def test_every_page_of_the_callers_rows_is_kept_by_no_cache(root, fleet):
    # Back after signing out showed them from the browser's cache.
    pages = [
        reverse("overview"),
        *(REPORTS[slug].default_url for slug in REPORTS),
        reverse("storage-rollup", args=["org"]),
        reverse("device", args=[fleet["warning"].device_uid]),
        reverse("compliance"),
        reverse("saved-views"),
        reverse("notifications"),
        reverse("subscriptions"),
        reverse("data"),
        reverse("audit"),
    ]
    for url in pages:
        assert_kept_by_no_cache(root.get(url), url)


def test_an_answer_that_says_how_to_cache_keeps_its_words(root):
    # The API's JSON pages are computed afresh on no-cache and answer an ETag (page cache).
    response = root.get(reverse("v1-device-backup-report"))
    assert "no-store" in response["Cache-Control"]
    assert response["Cache-Control"].count("no-store") == 1


def test_an_answer_with_its_own_cache_control_keeps_it(personas, rf):
    """The rule adds its words only where an answer said none: one that says how it may
    be kept keeps its words. Every such answer of the product says no-store already
    (never_cache), so the API's above passed as well with them overwritten; an answer of
    its own words here, a signed-in caller's (found by a review)."""
    from django.http import HttpResponse

    from backupreport.private_answers import PrivateAnswersMiddleware

    def own_words(request):
        response = HttpResponse("kept a minute")
        response["Cache-Control"] = "private, max-age=60"
        return response

    request = rf.get("/")
    request.user = personas["sysadmin"]
    assert PrivateAnswersMiddleware(own_words)(request)["Cache-Control"] == "private, max-age=60"
    said_nothing = PrivateAnswersMiddleware(lambda request: HttpResponse("mine"))(request)
    assert "no-store" in said_nothing["Cache-Control"]


def test_an_answer_to_nobody_signed_in_is_left_as_it_is(client, db):
    # The vendor's constant login configuration holds nothing of anyone's.
    response = client.get(reverse("login-configuration"))
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")
