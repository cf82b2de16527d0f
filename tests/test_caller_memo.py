"""API callers kept between requests (accounts.caller_memo): never past a change to who
may sign in or what they may see, by the access generation, on every backend."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import access_generation, watched_tables
from accounts.api_clients import ApiClient
from accounts.caller_memo import caller_memo
from accounts.models import User
from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from accounts.watched_tables import ACCESS
from tests.api_support import API, PASSWORD, basic, expected_keys, keys_of

# What the triggers leave out (migration accounts 0006): written by sign-ins and use.
UNWATCHED = {"accounts_user": {"last_login"}, "accounts_apiclient": {"last_used_at"}}
WATCHED_WHOLE = [
    "accounts_user_groups",
    "auth_group",
    "accounts_org",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
]


def page_keys(client, name: str, password: str = PASSWORD, **extra) -> set:
    response = client.get(API, {"pgSize": 1000}, **basic(name, password), **extra)
    assert response.status_code == 200, response.content
    return set(keys_of(response.json()["data"]))


def status(client, name: str, password: str = PASSWORD, **extra) -> int:
    return client.get(API, **basic(name, password), **extra).status_code


def kept(client, name: str, django_assert_num_queries) -> None:
    """The caller is kept: a page of it reads the two generations (one query, the
    request's first: reports.api.generations) and nothing about it."""
    client.get(API, **basic(name))
    with django_assert_num_queries(1):
        assert status(client, name) == 200


# The triggers


@pytest.mark.parametrize("table", sorted(UNWATCHED))
def test_every_column_but_the_ones_use_writes_moves_the_generation(db, table):
    with connection.cursor() as cursor:
        columns = {
            column.name for column in connection.introspection.get_table_description(cursor, table)
        }
    assert watched_tables.is_watched(connection, ACCESS, table)
    assert watched_tables.update_columns(connection, ACCESS, table) == columns - UNWATCHED[table]


@pytest.mark.parametrize("table", WATCHED_WHOLE)
def test_every_change_to_these_tables_moves_the_generation(db, table):
    assert watched_tables.is_watched(connection, ACCESS, table)
    assert watched_tables.update_columns(connection, ACCESS, table) is None  # every UPDATE


def test_a_sign_in_and_a_use_leave_it_a_deactivation_moves_it(personas):
    before = access_generation.current()
    User.objects.filter(pk=personas["dave"].pk).update(last_login=timezone.now())
    api_client, _ = ApiClient.objects.create_for(personas["dave"], "script")
    after_create = access_generation.current()
    assert after_create > before
    ApiClient.objects.filter(pk=api_client.pk).update(last_used_at=timezone.now())
    assert access_generation.current() == after_create
    User.objects.filter(pk=personas["dave"].pk).update(is_active=False)
    assert access_generation.current() > after_create


def test_nothing_is_kept_while_the_generation_is_flushed_away(client, personas):
    access_generation.AccessGeneration.objects.all().delete()
    assert access_generation.current() is None
    client.get(API, **basic("dave"))
    client.get(API, **basic("dave"))
    assert not caller_memo._entries


# A kept caller is dropped by the very next request after a change


def test_a_deactivated_user_is_refused_at_once(client, personas, django_assert_num_queries):
    kept(client, "dave", django_assert_num_queries)
    User.objects.filter(pk=personas["dave"].pk).update(is_active=False)
    assert status(client, "dave") == 401


def test_the_old_password_is_refused_at_once_after_a_change(
    client, personas, django_assert_num_queries
):
    kept(client, "dave", django_assert_num_queries)
    dave = personas["dave"]
    dave.set_password("a new one entirely")
    dave.save()
    assert status(client, "dave") == 401
    assert status(client, "dave", "a new one entirely") == 200


def test_a_role_taken_away_or_given_is_seen_at_once(client, personas, django_assert_num_queries):
    carol = personas["carol"]
    kept(client, "carol", django_assert_num_queries)
    assert page_keys(client, "carol") == expected_keys(carol)
    carol.groups.remove(Group.objects.get(name=ORG_MANAGERS))
    assert page_keys(client, "carol") == expected_keys(carol)  # her own devices only
    carol.groups.add(Group.objects.get(name=SYSTEM_ADMINISTRATORS))
    assert page_keys(client, "carol") == expected_keys(carol)  # everything


def test_a_moved_org_moves_its_managers_reach_at_once(
    client, personas, orgs, django_assert_num_queries
):
    carol = personas["carol"]
    kept(client, "carol", django_assert_num_queries)
    before = page_keys(client, "carol")
    americas = orgs["americas"]
    americas.parent = orgs["emea"]  # its path, and so carol's reach, changes
    americas.save()
    assert page_keys(client, "carol") == expected_keys(carol) == before


def test_a_revoked_client_is_refused_at_once(client, personas):
    api_client, secret = ApiClient.objects.create_for(personas["dave"], "nightly")
    assert status(client, api_client.client_id, secret) == 200
    assert status(client, api_client.client_id, secret) == 200  # kept
    api_client.revoke()
    assert status(client, api_client.client_id, secret) == 401


def test_a_client_that_expires_is_refused_without_any_write(client, personas):
    start = timezone.now()
    api_client, secret = ApiClient.objects.create_for(
        personas["dave"], "until tonight", expires_at=start + dt.timedelta(minutes=2)
    )
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert status(client, api_client.client_id, secret) == 200
        number = access_generation.current()
    with time_machine.travel(start + dt.timedelta(minutes=2, seconds=1), tick=False):
        assert access_generation.current() == number  # no write: time alone
        assert status(client, api_client.client_id, secret) == 401


def test_a_kept_caller_lasts_no_longer_than_its_deadline(
    client, personas, django_assert_num_queries
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        kept(client, "dave", django_assert_num_queries)
    with time_machine.travel(start + dt.timedelta(seconds=caller_memo.seconds + 1), tick=False):
        with CaptureQueriesContext(connection) as queries:
            assert status(client, "dave") == 200
        assert any("accounts_user" in query["sql"] for query in queries.captured_queries)


def test_an_address_locked_by_someone_else_refuses_a_kept_caller(
    client, personas, settings, django_assert_num_queries
):
    settings.AXES_FAILURE_LIMIT = 3
    kept(client, "dave", django_assert_num_queries)
    answers = [status(client, "mallory", "guess") for _ in range(3)]
    assert answers == [401, 401, 429]  # the third failure locks
    assert AccessAttempt.objects.exists()
    assert status(client, "dave") == 429
    AccessAttempt.objects.all().delete()  # a system administrator lifts the lock
    assert status(client, "dave") == 200


def test_the_same_credentials_from_another_address_are_checked_afresh(
    client, personas, settings, django_assert_num_queries
):
    settings.AXES_FAILURE_LIMIT = 3
    kept(client, "dave", django_assert_num_queries)
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert [status(client, "mallory", "guess", **elsewhere) for _ in range(3)][-1] == 429
    assert status(client, "dave", **elsewhere) == 429  # that address is locked
    assert AccessAttempt.objects.filter(ip_address="127.0.0.1").count() == 0
    assert status(client, "dave") == 200  # this one is not


def test_wrong_credentials_are_never_kept(client, personas):
    assert status(client, "dave", "wrong") == 401
    assert status(client, "dave", "wrong") == 401
    assert len(caller_memo._entries) == 0


def test_a_kept_user_is_a_copy_for_each_request(client, personas):
    from django.test import RequestFactory

    from accounts.callers import api_caller

    factory = RequestFactory()
    first, _ = api_caller(factory.get(API, **basic("dave")))
    first.note = "set by a view"
    second, _ = api_caller(factory.get(API, **basic("dave")))
    assert second == first and second is not first
    assert not hasattr(second, "note")
