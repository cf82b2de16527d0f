"""SAML 2.0 sign-in against a real identity provider (pysaml2's IdP in a process of its
own, on loopback): signed assertions only, each taken once, the person the mirrored
user, the roles from their groups."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import ORG_MANAGERS, reach_of
from accounts.sso.models import IdpRole, SsoIdentity
from accounts.sso.saml import forget_configs
from tests.sso_support import MANAGERS_GROUP, STAFF_GROUP, saml_sign_in

pytestmark = pytest.mark.django_db


def api_usernames(client) -> set[str] | None:
    response = client.get("/api/DeviceBackupReport", {"pgSize": 100})
    if response.status_code != 200:
        return None
    return {row["username"] for row in response.json()["data"]}


def test_an_org_manager_signs_in_with_the_role_and_reach_of_their_group(client, saml, people):
    carol = people["carol"]
    saml.person("carol.c", email="Carol@Example.com", groups=[MANAGERS_GROUP, STAFF_GROUP])
    answer = saml_sign_in(client, saml, "carol.c", next_page="/history/")
    assert answer.status_code == 302, answer.content
    assert answer["Location"] == "/history/"
    assert set(carol.groups.values_list("name", flat=True)) == {ORG_MANAGERS}
    assert IdpRole.objects.filter(user=carol).count() == 1
    assert reach_of(carol).org_paths == (carol.org.path,)
    assert api_usernames(client) == {"carol", "erin"}  # Americas and Engineering below it
    assert SsoIdentity.objects.get(user=carol).protocol == "saml"
    assert User.objects.count() == len(people)


def test_removing_the_group_removes_the_role_at_the_next_sign_in(client, saml, people):
    saml.person("carol", email="carol@example.com", groups=[MANAGERS_GROUP])
    saml_sign_in(client, saml, "carol")
    client.logout()
    saml.person("carol", email="carol@example.com", groups=[])
    assert saml_sign_in(client, saml, "carol").status_code == 302
    assert not people["carol"].groups.exists()
    assert api_usernames(client) == {"carol"}


def test_an_unsigned_assertion_is_refused(client, saml, people):
    saml.person("dave", email="dave@example.com")
    answer = saml_sign_in(client, saml, "dave", unsigned="1")
    assert answer.status_code == 403
    assert b"not signed by its key (unsigned, or altered)" in answer.content
    assert api_usernames(client) is None


def test_an_altered_assertion_is_refused(client, saml, people):
    saml.person("dave", email="dave@example.com", groups=[])
    start = client.get("/sso/saml/login/")
    _, fields = saml.log_in(start["Location"], "dave")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert xml.count("dave@example.com") >= 2
    altered = xml.replace("dave@example.com", "root@example.com")
    fields["SAMLResponse"] = base64.b64encode(altered.encode()).decode()
    answer = client.post("/sso/saml/acs/", fields)
    assert answer.status_code == 403
    assert b"not signed by its key (unsigned, or altered)" in answer.content
    assert api_usernames(client) is None


def test_a_replayed_assertion_is_refused(client, saml, people):
    saml.person("dave", email="dave@example.com")
    start = client.get("/sso/saml/login/")
    _, fields = saml.log_in(start["Location"], "dave")
    assert client.post("/sso/saml/acs/", fields).status_code == 302
    client.logout()
    assert client.post("/sso/saml/acs/", fields).status_code in (400, 403)
    assert api_usernames(client) is None
    elsewhere = Client()  # another browser, with a request of its own in flight
    elsewhere.get("/sso/saml/login/")
    assert elsewhere.post("/sso/saml/acs/", fields).status_code in (400, 403)
    assert api_usernames(elsewhere) is None


def test_an_assertion_id_is_taken_once_until_its_time_is_past(db):
    """Recorded in the database (every worker's), and forgotten once past its time, at
    a later sign-in: the table stays a day's sign-ins long."""
    import datetime as dt

    from django.utils import timezone

    from accounts.sso.models import UsedAssertion

    now, kept = timezone.now(), dt.timedelta(hours=24)
    assert UsedAssertion.first_use("id-a1", now, kept)
    assert not UsedAssertion.first_use("id-a1", now + dt.timedelta(hours=23), kept)
    assert UsedAssertion.first_use("id-" + "é" * 5000, now, kept)  # any length, any letter
    later = now + kept + dt.timedelta(seconds=1)
    assert UsedAssertion.first_use("id-b2", later, kept)
    assert UsedAssertion.objects.count() == 1
    assert UsedAssertion.first_use("id-a1", later, kept)


def test_a_person_the_mirror_does_not_know_gets_no_access(client, saml, people):
    saml.person("mallory", email="mallory@example.com", groups=[MANAGERS_GROUP])
    answer = saml_sign_in(client, saml, "mallory")
    assert answer.status_code == 403
    assert b"not known here" in answer.content
    assert not User.objects.filter(email="mallory@example.com").exists()


def test_the_service_provider_metadata_is_served(client, saml, live_server):
    answer = client.get("/sso/saml/metadata/")
    assert answer.status_code == 200
    xml = answer.content.decode()
    assert f'entityID="{live_server.url}/sso/saml/metadata/"' in xml
    assert f'Location="{live_server.url}/sso/saml/acs/"' in xml
    assert 'WantAssertionsSigned="true"' in xml


def test_the_metadata_may_come_from_a_file(client, saml, settings, tmp_path, people):
    import requests

    path = tmp_path / "idp.xml"
    path.write_bytes(requests.get(saml.metadata_url, timeout=10).content)
    settings.SAML_IDP_METADATA_URL = ""
    settings.SAML_IDP_METADATA_FILE = str(path)
    saml.person("dave", email="dave@example.com")
    assert saml_sign_in(client, saml, "dave").status_code == 302
    assert api_usernames(client) == {"dave"}


def test_garbage_at_the_assertion_consumer_service_is_refused_not_a_500(client, saml):
    for garbage in ("not base64 at all!", base64.b64encode(b"<not-saml/>").decode()):
        answer = client.post("/sso/saml/acs/", {"SAMLResponse": garbage})
        assert answer.status_code in (400, 403)
        assert b"could not be verified" in answer.content
    assert client.post("/sso/saml/acs/", {}).status_code == 400


@pytest.mark.parametrize("where", ["url", "file"])
def test_an_unreadable_metadata_is_a_503_at_the_assertion_consumer_service(
    client, saml, settings, tmp_path, where
):
    """Reachable by anyone: a process that had not read the metadata yet answered the
    POST with a 500 while the metadata could not be read (2026-12-06)."""
    if where == "url":
        settings.SAML_IDP_METADATA_URL = "http://127.0.0.1:1/metadata"
    else:
        settings.SAML_IDP_METADATA_URL = ""
        settings.SAML_IDP_METADATA_FILE = str(tmp_path / "missing.xml")
    forget_configs()
    answer = client.post("/sso/saml/acs/", {"SAMLResponse": "anything"})
    assert answer.status_code == 503
    assert b"cannot be reached just now" in answer.content
