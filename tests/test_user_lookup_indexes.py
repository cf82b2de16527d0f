"""PostgreSQL: a person found by address or username, case-insensitively (single
sign-on, SCIM's filters, the vendor's users resource), is read from an index, not by
reading every user (185 ms at 600,000 users, once per person of a provisioning cycle)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from accounts.sso.scim import people as scim_people

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: its indexes and planner"
)


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of users: the planner would scan the table; told not to, it shows
        # which index answers the condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lookup", "index"),
    [("email__iexact", "user_email_folded_idx"), ("username__iexact", "user_username_folded_idx")],
)
def test_a_person_is_found_by_a_folded_index(people, lookup, index):
    assert index in plan(User.objects.filter(**{lookup: "DAVE@example.com"}))


@pytest.mark.django_db
def test_scims_filter_is_read_from_the_index(people, settings, django_assert_max_num_queries):
    """`userName eq` finds the person as a sign-in does (identity.mirrored_user, its
    lookup the one above), then lists them by primary key."""
    dave = people["dave"]
    with django_assert_max_num_queries(1) as lookups:
        found = scim_people.filtered('userName eq "Dave@example.com"')
    assert 'UPPER("accounts_user"."email"' in lookups.captured_queries[0]["sql"]
    assert "pkey" in plan(found) and list(found) == [dave]
    settings.SSO_MATCH = "username"
    with django_assert_max_num_queries(1) as lookups:
        found = scim_people.filtered('userName eq "Dave"')
    assert 'UPPER("accounts_user"."username"' in lookups.captured_queries[0]["sql"]
    assert "pkey" in plan(found) and list(found) == [dave]
