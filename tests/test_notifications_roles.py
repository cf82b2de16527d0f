"""The role matrix over digests (spec sections 4 and 10): over random org trees and
roles, each digest names only devices, users and orgs of its recipient's subtree, and
lists every stale device of it; an owner alert goes only to the device's owner."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Org
from reports.models import Device
from reports.notifications.models import SiteSwitch
from reports.notifications.sending import send_due
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory
from tests.personas import ago
from tests.test_api_roles import build_environment, environments, role_matrix_examples
from tests.test_history_roles import orgs_granted


def named(name: str, text: str) -> bool:
    """The name as a whole word: "Org 1" is not named by "Org 12"."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


@pytest.mark.django_db
@role_matrix_examples(15)
@given(environment=environments(), stale=st.lists(st.booleans(), min_size=7, max_size=7))
def test_a_digest_names_only_the_recipients_subtree(smtp_server, environment, stale):
    smtp_server.received.clear()
    with transaction.atomic():
        SiteSwitch.objects.update_or_create(pk=1, defaults={"owner_alerts": True})
        # Always something outside every generated subtree, stale so a digest would list it.
        outsider = UserFactory(org=OrgFactory(parent=None), email="")
        ArchiveFactory(device=DeviceFactory(user=outsider), last_completed_backup_date=ago(days=9))
        users = build_environment(
            environment,
            fields=lambda i: {"last_completed_backup_date": ago(hours=120 if stale[i] else 1)},
        )
        send_due()
        by_address = {u.email: u for u in users}
        digests = [r for r in smtp_server.received if "digest" in r.subject]
        alerts = [r for r in smtp_server.received if "digest" not in r.subject]
        assert len(digests) == sum(bool(orgs_granted(u)) for u in users)
        for received in digests:
            (address,) = received.envelope_to
            recipient = by_address[address]
            granted = orgs_granted(recipient)
            assert granted
            body = received.text + received.html
            for device in Device.objects.select_related("user__org"):
                inside = device.user.org_id in granted
                if not inside:
                    assert not named(device.name, body), (address, device.name)
                    assert not named(device.user.username, body), (address, device.user)
                    assert not named(device.device_uid, body), (address, device.device_uid)
                elif device.archives.filter(last_completed_backup_date__lt=ago(days=3)):
                    assert named(device.name, body), (address, device.name)
            for org in Org.objects.exclude(pk__in=granted):
                assert not named(org.name, body), (address, org.name)
        for received in alerts:
            (address,) = received.envelope_to
            owner = by_address[address]
            named_devices = {d for d in Device.objects.all() if named(d.name, received.text)}
            assert named_devices and all(d.user_id == owner.pk for d in named_devices)
        stale_devices = {
            d.pk
            for d in Device.objects.exclude(user=outsider)
            if d.archives.filter(last_completed_backup_date__lt=ago(days=3)).exists()
        }
        assert len(alerts) == len(stale_devices)
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    "ended",
    [{"user_status": "Deactivated"}, {"user_status": "Blocked"}, {"is_active": False}],
)
def test_no_mail_to_a_person_whose_access_ended(smtp_server, fleet, ended):
    """Spec section 12: access ends at once on every surface when the vendor deactivates
    or blocks a person (or an admin here): a deactivated manager still got their digest
    and subscriptions (2026-12-06). alice manages Accounting (a digest), dave owns a
    stale laptop (an owner alert); both are named in a subscription."""
    from tests.test_subscriptions import make_view, subscribe

    users = fleet["users"]
    SiteSwitch.objects.update_or_create(pk=1, defaults={"owner_alerts": True})
    subscribe(make_view(users["root"]), users["root"], users=[users["alice"], users["dave"]])
    ended_people = (users["alice"], users["dave"])
    for person in ended_people:
        for field, value in ended.items():
            setattr(person, field, value)
        person.save()
    send_due()
    for person in ended_people:
        assert smtp_server.to(person.email) == [], person.username
    assert smtp_server.to(users["root"].email)  # the others' mail goes on


def test_a_person_whose_access_ended_cannot_be_named_a_recipient(fleet):
    from django import forms

    from accounts.named_users import named_users
    from accounts.roles import reach_of

    dave, everyone = fleet["users"]["dave"], reach_of(fleet["users"]["root"])
    assert named_users("dave, alice", everyone) == [fleet["users"]["alice"], dave]
    dave.user_status = "Blocked"
    dave.save()
    with pytest.raises(forms.ValidationError, match="No such user, or not one you may name: dave."):
        named_users("dave, alice", everyone)
