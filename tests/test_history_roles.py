"""The role matrix over history (spec sections 4 and 9): over random org trees and
roles, a viewer's trend and compliance rows cover exactly the orgs of their reach."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Org
from accounts.roles import ROLE_GROUPS, reach_of
from reports.history.compliance import compliance_of
from reports.history.models import Snapshot
from reports.history.reading import trend_of
from reports.history.snapshots import take
from reports.models import Device
from tests.personas import ago
from tests.test_api_roles import build_environment, environments, role_matrix_examples


def orgs_granted(user) -> set[int]:
    """Independently of the history code: the orgs of the subtrees the user's groups grant."""
    groups = set(user.groups.values_list("name", flat=True))
    if user.is_superuser or ROLE_GROUPS["sysadmin"] in groups:
        return set(Org.objects.values_list("pk", flat=True))
    if ROLE_GROUPS["org-manager"] in groups and user.org_id:
        return set(Org.objects.subtree_of(user.org).values_list("pk", flat=True))
    return set()


def every_level(reach):
    """Walk the compliance tree from the top, following each drill-down link."""
    pending, seen = [None], []
    while pending:
        org_uid = pending.pop()
        level = compliance_of(reach, org_uid)
        seen.append(level)
        pending.extend(row.org_uid for row in level.rows if row.drill)
    return seen


@pytest.mark.django_db
@role_matrix_examples(15)
@given(environment=environments(), healthy=st.lists(st.booleans(), min_size=7, max_size=7))
def test_a_viewers_history_is_exactly_their_reach(environment, healthy):
    with transaction.atomic():
        users = build_environment(
            environment,
            fields=lambda i: {"last_completed_backup_date": ago(hours=1 if healthy[i] else 200)},
        )
        today = take(timezone.now()).day
        for user in users:
            reach = reach_of(user)
            granted = orgs_granted(user)
            assert reach.has_fleet == bool(granted)
            devices = Device.objects.filter(user__org__in=granted, status="Active")
            trend = trend_of(reach, today)
            # The fleet's snapshot day is every subtree's, none counted where it had none.
            if granted and Snapshot.objects.filter(day=today).exists():
                assert [day for day, _ in trend] == [today]
                assert trend[0][1].devices == devices.count()
            else:
                assert trend == []
            if not granted:
                continue
            granted_uids = set(Org.objects.filter(pk__in=granted).values_list("org_uid", flat=True))
            levels = every_level(reach)
            assert {row.org_uid for level in levels for row in level.rows} <= granted_uids
            for level in levels:
                for row in level.rows:
                    org = Org.objects.get(org_uid=row.org_uid)
                    orgs_counted = [org] if row.own else Org.objects.subtree_of(org)
                    live = Device.objects.filter(user__org__in=orgs_counted, status="Active")
                    assert row.devices == live.count(), (row, level.level)
            top = compliance_of(reach)
            assert sum(row.devices for row in top.rows) == devices.count()
            outside = Org.objects.exclude(pk__in=granted).first()
            if outside is not None:
                with pytest.raises(LookupError):
                    compliance_of(reach, outside.org_uid)
        transaction.set_rollback(True)
