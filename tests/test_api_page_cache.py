"""The API's page cache (reports.api.page_cache): a kept page is the page computed now,
for the same scope only, never across a write; its ETag answers 304 while it holds."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.roles import SYSTEM_ADMINISTRATORS
from reports.models import ReportRow
from tests.api_support import API, basic, expected_keys, keys_of
from tests.factories import NOW, ArchiveFactory, DeviceFactory

PERSONAS = ["alice", "carol", "dave", "sam", "erin", "sysadmin", "super"]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def page(client, name: str, headers: dict | None = None, **params):
    return client.get(API, params, **basic(name), **(headers or {}))


def without_timestamp(body: bytes) -> dict:
    decoded = json.loads(body)
    del decoded["metadata"]["timestamp"]
    return decoded


def test_a_page_answered_again_is_the_same_page_at_the_new_moment(client, personas):
    first_moment = NOW + dt.timedelta(seconds=1)
    with time_machine.travel(first_moment, tick=False):
        first = page(client, "sysadmin", pgSize=2)
    later = first_moment + dt.timedelta(minutes=5, microseconds=123000)
    with time_machine.travel(later, tick=False):
        second = page(client, "sysadmin", pgSize=2)
    assert first.status_code == second.status_code == 200
    assert second.json()["metadata"]["timestamp"] == later.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    assert first.json()["metadata"]["timestamp"] != second.json()["metadata"]["timestamp"]
    assert without_timestamp(first.content) == without_timestamp(second.content)
    # Byte for byte what the envelope wrote before there was a cache: the timestamp first.
    assert second.content.startswith(b'{"metadata": {"timestamp": "')
    assert b', "params": {' in second.content
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('W/"')


def test_a_kept_page_for_a_kept_caller_costs_one_query_the_generations(
    client, personas, django_assert_num_queries
):
    page(client, "sysadmin", pgSize=2, srtKey="deviceName")
    # The access and report generations (reports.api.generations): the caller is kept
    # (accounts.caller_memo), the page too.
    with django_assert_num_queries(1):
        again = page(client, "sysadmin", pgSize=2, srtKey="deviceName")
    assert len(again.json()["data"]) == 2
    # Cache-Control: no-cache computes afresh: the count is still kept, the page read.
    with django_assert_num_queries(2):
        fresh = page(client, "sysadmin", {"HTTP_CACHE_CONTROL": "no-cache"}, pgSize=2)
    assert fresh.status_code == 200


@pytest.mark.parametrize("rounds", [2])
def test_each_scope_gets_its_own_rows_when_every_page_is_kept(client, personas, rounds):
    """The role matrix asked twice over with the very same parameters: the second round
    is all kept pages, and nobody sees a row of another scope."""
    for _ in range(rounds):
        for name in PERSONAS:
            body = page(client, name, pgSize=100).json()
            expected = expected_keys(personas[name])
            assert sorted(keys_of(body["data"]), key=str) == sorted(expected, key=str), name
            assert body["metadata"]["totalCount"] == len(expected)


def test_a_write_between_two_requests_is_seen_by_the_second(client, personas):
    before = page(client, "alice", pgSize=100)
    device = DeviceFactory(user=personas["dave"], name="WRITTEN-BETWEEN")
    ArchiveFactory(device=device)
    after = page(client, "alice", pgSize=100)
    assert after.json()["metadata"]["totalCount"] == before.json()["metadata"]["totalCount"] + 1
    assert "WRITTEN-BETWEEN" in {row["deviceName"] for row in after.json()["data"]}
    assert after["ETag"] != before["ETag"]
    # And a change to a row already on the page.
    device.name = "RENAMED-BETWEEN"
    device.save()
    names = {row["deviceName"] for row in page(client, "alice", pgSize=100).json()["data"]}
    assert "RENAMED-BETWEEN" in names and "WRITTEN-BETWEEN" not in names


def test_if_none_match_answers_304_until_the_page_changes(client, personas):
    first = page(client, "sysadmin", pgSize=3)
    etag = first["ETag"]
    unchanged = page(client, "sysadmin", {"HTTP_IF_NONE_MATCH": etag}, pgSize=3)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag
    assert page(client, "sysadmin", {"HTTP_IF_NONE_MATCH": '"other"'}, pgSize=3).status_code == 200
    # Another scope's page is another page: its own ETag, not a 304 for this one.
    dave = page(client, "dave", {"HTTP_IF_NONE_MATCH": etag}, pgSize=3)
    assert dave.status_code == 200 and dave["ETag"] != etag
    DeviceFactory(user=personas["erin"], name="NEW-ONE")
    changed = page(client, "sysadmin", {"HTTP_IF_NONE_MATCH": etag}, pgSize=3)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_bad_parameters_are_never_kept(client, personas):
    for _ in range(2):
        response = page(client, "sysadmin", pgSize="0")
        assert response.status_code == 400
        assert "pgSize" in response.json()["parameters"]
        assert "ETag" not in response


def test_the_same_question_spelled_otherwise_is_answered_alike(client, personas):
    """Unknown parameters and repeated empty values do not change the rows: the pages
    are kept apart by the parameters as sent, and equal."""
    plain = page(client, "carol", pgSize=10)
    spelled = client.get(API + "?pgSize=10&pgNum=&unknown=1", **basic("carol"))
    assert without_timestamp(plain.content) == without_timestamp(spelled.content)
    assert plain["ETag"] == spelled["ETag"]


def test_a_role_given_or_taken_between_two_requests_changes_the_page(client, personas):
    """The caller's roles are read with the caller on every request: a kept page of
    the old scope never answers the new one."""
    dave = personas["dave"]
    administrators = Group.objects.get(name=SYSTEM_ADMINISTRATORS)
    for _ in range(2):  # the second time, every page below is a kept one
        own = page(client, "dave", pgSize=100).json()
        assert sorted(keys_of(own["data"]), key=str) == sorted(expected_keys(dave), key=str)
        dave.groups.add(administrators)
        everything = page(client, "dave", pgSize=100).json()
        assert everything["metadata"]["totalCount"] == ReportRow.objects.count()
        dave.groups.remove(administrators)
        again = page(client, "dave", pgSize=100).json()
        assert keys_of(again["data"]) == keys_of(own["data"])
    # A manager moved to another org manages that org's subtree from the next request.
    alice = personas["alice"]
    page(client, "alice", pgSize=100)
    alice.org = personas["carol"].org
    alice.save()
    moved = page(client, "alice", pgSize=100).json()
    assert sorted(keys_of(moved["data"]), key=str) == sorted(expected_keys(alice), key=str)
    assert sorted(keys_of(moved["data"]), key=str) == sorted(
        expected_keys(personas["carol"]) | expected_keys(alice), key=str
    )
