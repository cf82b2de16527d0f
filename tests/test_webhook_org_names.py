"""Orgs by path in webhook messages (spec sections 11 and 14): two orgs called Finance,
under EMEA and under Americas, read alike in Slack and Teams messages and in their
scope (found by an audit of the integrations). A message names an org as the
dashboards name it for the endpoint's reach, so an org's endpoint never reads the
names above its org; plain JSON names it as the API does (orgName and orgUid)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from reports.history.snapshots import take
from reports.integrations.delivery import deliver_due
from reports.integrations.events import devices_entering_critical, weekly_summary
from reports.integrations.models import Event, WebhookDelivery
from reports.integrations.payloads import summary
from tests.factories import ArchiveFactory, DeviceFactory, OrgFactory, UserFactory
from tests.test_webhooks import card_texts, endpoint, make_critical, nothing_critical_yet
from tests.webhook_support import receiver

DEVICES = {"emea": "FIN-EU", "americas": "FIN-US"}


@pytest.fixture
def two_finances(orgs):
    """A Finance under EMEA and one under Americas, each with one device gone critical
    since the last look."""
    finances = {
        "emea": OrgFactory(org_uid="org-fin-emea", name="Finance", parent=orgs["emea"]),
        "americas": OrgFactory(org_uid="org-fin-am", name="Finance", parent=orgs["americas"]),
    }
    devices = []
    for where, org in finances.items():
        user = UserFactory(username=f"fin-{where}", org=org)
        device = DeviceFactory(user=user, name=DEVICES[where])
        ArchiveFactory(device=device)
        devices.append(device)
    nothing_critical_yet()
    make_critical(devices)
    return finances


def line_of(lines: list[str], device: str) -> str:
    [line] = [line for line in lines if line.startswith(device)]
    return line


def test_a_fleet_endpoint_names_each_finance_by_its_path(two_finances):
    with receiver() as slack, receiver() as teams, receiver() as plain:
        endpoint(slack.url, kind="slack", name="slack")
        endpoint(teams.url, kind="teams", name="teams")
        endpoint(plain.url, kind="json", name="json")
        assert devices_entering_critical(timezone.now()) == 3
        deliver_due()
    [section] = [b for b in slack.received[0].json()["blocks"] if b["type"] == "section"][:1]
    slack_lines = section["text"]["text"].splitlines()
    card = teams.received[0].json()["attachments"][0]["content"]
    for lines in (slack_lines, card_texts(card)):
        assert "Acme › EMEA › Finance" in line_of(lines, "FIN-EU")
        assert "Acme › Americas › Finance" in line_of(lines, "FIN-US")
    # JSON as the API: the org's own name, told apart by its uid; no path.
    devices = {d["deviceName"]: d for d in plain.received[0].json()["data"]["devices"]}
    assert devices["FIN-EU"]["orgName"] == devices["FIN-US"]["orgName"] == "Finance"
    assert devices["FIN-EU"]["orgUid"] == "org-fin-emea"


def test_an_org_endpoint_reads_no_name_above_its_org(two_finances, orgs):
    with receiver() as finance, receiver() as emea:
        endpoint(finance.url, kind="slack", org=two_finances["emea"], name="finance")
        endpoint(emea.url, kind="teams", org=orgs["emea"], name="emea")
        assert devices_entering_critical(timezone.now()) == 2
        deliver_due()
    # As the dashboards show Finance's org manager: their org by its name, for no other
    # Finance is within their reach, and EMEA's names are not theirs to read.
    message = finance.received[0].json()
    assert message["text"] == "1 device entered critical in Finance"
    assert "EMEA" not in str(message) and "Acme" not in str(message)
    card = emea.received[0].json()["attachments"][0]["content"]
    assert card_texts(card)[0] == "1 device entered critical in EMEA"
    # The other Finance is outside EMEA's reach: the name alone is not ambiguous there.
    assert "(fin-emea, Finance)" in line_of(card_texts(card), "FIN-EU")
    assert "Acme" not in str(card)


def test_a_namesake_within_an_org_endpoints_reach_is_named_by_its_path(two_finances, orgs):
    """Finance's endpoint sees a Finance below it: the one and the other."""
    inner = OrgFactory(org_uid="org-fin-inner", name="Finance", parent=two_finances["emea"])
    device = DeviceFactory(user=UserFactory(username="fin-inner", org=inner), name="FIN-INNER")
    ArchiveFactory(device=device)
    make_critical([device])
    endpoint("http://127.0.0.1:9/unused", kind="slack", org=two_finances["emea"])
    devices_entering_critical(timezone.now())
    words = summary(Event.CRITICAL, WebhookDelivery.objects.get().payload)
    assert words.title == "2 devices entered critical in Finance"
    assert "(fin-inner, Finance › Finance)" in line_of(words.lines, "FIN-INNER")
    assert "(fin-emea, Finance)" in line_of(words.lines, "FIN-EU")


def test_the_weekly_summary_names_its_org_as_its_message_shows_it(two_finances, orgs):
    take()
    endpoint("http://127.0.0.1:9/a", kind="slack", events=[Event.WEEKLY], org=orgs["acme"])
    finance = two_finances["americas"]
    endpoint("http://127.0.0.1:9/b", kind="slack", events=[Event.WEEKLY], org=finance)
    assert weekly_summary(timezone.now()) == 2
    titles = {
        d.endpoint.org.org_uid: summary(Event.WEEKLY, d.payload).title
        for d in WebhookDelivery.objects.select_related("endpoint__org")
    }
    assert titles["org-acme"].startswith("Weekly backup summary in Acme, ")
    assert titles["org-fin-am"].startswith("Weekly backup summary in Finance, ")
