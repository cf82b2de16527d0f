"""OpenID Connect sign-in against a real provider (oidc-provider on Node, on loopback):
the person is the mirrored user, the provider's groups give and take the roles, and an
answer that is not genuine, not for us, or not for this sign-in is refused."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS, reach_of
from accounts.sso import oidc as oidc_module
from accounts.sso.identity import Refused
from accounts.sso.models import IdpRole, SsoIdentity
from tests.api_support import expected_keys, keys_of
from tests.idp.oidc_support import CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT_ID, OTHER_SECRET
from tests.sso_support import ADMINS_GROUP, MANAGERS_GROUP, STAFF_GROUP, oidc_sign_in

pytestmark = pytest.mark.django_db


def signed_in_as(client) -> User | None:
    response = client.get("/api/DeviceBackupReport")
    if response.status_code != 200:
        return None
    return User.objects.get(pk=client.session["_auth_user_id"])


def test_an_org_manager_signs_in_with_the_role_and_reach_of_their_group(client, oidc, people):
    alice = people["alice"]
    oidc.person("alice-at-idp", email="ALICE@Example.COM", groups=[MANAGERS_GROUP, STAFF_GROUP])
    answer = oidc_sign_in(client, oidc, "alice-at-idp", next_page="/history/")
    assert answer.status_code == 302
    assert answer["Location"] == "/history/"  # the digest's link, after the round trip
    alice.refresh_from_db()
    assert set(alice.groups.values_list("name", flat=True)) == {ORG_MANAGERS}
    assert IdpRole.objects.filter(user=alice, group__name=ORG_MANAGERS).exists()
    assert reach_of(alice).org_paths == (alice.org.path,)
    rows = client.get("/api/DeviceBackupReport", {"pgSize": 100}).json()["data"]
    assert set(keys_of(rows)) == expected_keys(alice)
    assert {row["username"] for row in rows} == {"alice", "dave"}  # Accounting, not Sales
    standing = SsoIdentity.objects.get(user=alice)
    assert (standing.protocol, standing.issuer, standing.subject) == (
        "oidc",
        oidc.issuer,
        "alice-at-idp",
    )
    assert User.objects.count() == len(people)  # no second account


def test_removing_the_group_at_the_provider_removes_the_role_at_the_next_sign_in(
    client, oidc, people
):
    alice = people["alice"]
    alice.groups.add(Group.objects.get(name=DESKTOP_USERS))  # given in the admin: stays
    oidc.person("alice-at-idp", email="alice@example.com", groups=[MANAGERS_GROUP])
    oidc_sign_in(client, oidc, "alice-at-idp")
    assert set(alice.groups.values_list("name", flat=True)) == {ORG_MANAGERS, DESKTOP_USERS}
    client.logout()
    oidc.person("alice-at-idp", email="alice@example.com", groups=[STAFF_GROUP])
    answer = oidc_sign_in(client, oidc, "alice-at-idp")
    assert answer.status_code == 302
    assert set(alice.groups.values_list("name", flat=True)) == {DESKTOP_USERS}
    assert not IdpRole.objects.filter(user=alice).exists()
    assert not reach_of(alice).org_paths
    rows = client.get("/api/DeviceBackupReport", {"pgSize": 100}).json()["data"]
    assert {row["username"] for row in rows} == {"alice"}


def test_a_role_given_in_the_admin_is_not_taken_by_the_provider(client, oidc, people):
    carol = people["carol"]
    carol.groups.add(Group.objects.get(name=ORG_MANAGERS))
    oidc.person("carol", email="carol@example.com", groups=[ADMINS_GROUP])
    oidc_sign_in(client, oidc, "carol")
    names = set(carol.groups.values_list("name", flat=True))
    assert names == {ORG_MANAGERS, SYSTEM_ADMINISTRATORS}
    client.logout()
    oidc.person("carol", email="carol@example.com", groups=[])
    oidc_sign_in(client, oidc, "carol")
    assert set(carol.groups.values_list("name", flat=True)) == {ORG_MANAGERS}


def test_a_person_the_mirror_does_not_know_gets_no_access(client, oidc, people):
    oidc.person("mallory", email="mallory@example.com", groups=[ADMINS_GROUP])
    answer = oidc_sign_in(client, oidc, "mallory")
    assert answer.status_code == 403
    assert b"not known here" in answer.content
    assert not User.objects.filter(email__iexact="mallory@example.com").exists()
    assert signed_in_as(client) is None


def test_a_setting_lets_a_stranger_in_with_no_role(client, oidc, people, settings):
    settings.SSO_ADMIT_UNKNOWN = True
    oidc.person("newcomer", email="newcomer@example.com", preferred_username="newcomer")
    assert oidc_sign_in(client, oidc, "newcomer").status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert not newcomer.groups.exists() and not newcomer.has_usable_password()
    assert client.get("/api/DeviceBackupReport").json()["data"] == []


def test_the_person_may_be_matched_by_username(client, oidc, people, settings):
    settings.SSO_MATCH = "username"
    oidc.person("x1", email="someone-else@example.com", preferred_username="SAM")
    assert oidc_sign_in(client, oidc, "x1").status_code == 302
    assert signed_in_as(client) == people["sam"]


def test_a_replayed_callback_is_refused(client, oidc, people):
    oidc.person("dave", email="dave@example.com")
    start = client.get("/sso/oidc/login/")
    back = urlsplit(oidc.log_in(start["Location"], "dave"))
    callback = f"{back.path}?{back.query}"
    assert client.get(callback).status_code == 302
    client.logout()
    replayed = client.get(callback)
    assert replayed.status_code == 403
    assert signed_in_as(client) is None


def test_a_callback_with_a_state_this_browser_never_sent_is_refused(client, oidc, people):
    oidc.person("dave", email="dave@example.com")
    start = client.get("/sso/oidc/login/")
    back = urlsplit(oidc.log_in(start["Location"], "dave"))
    other_browser = type(client)()
    assert other_browser.get(f"{back.path}?{back.query}").status_code == 403


def test_next_may_not_lead_off_the_site(client, oidc, people):
    oidc.person("dave", email="dave@example.com")
    answer = oidc_sign_in(client, oidc, "dave", next_page="https://evil.example/phish")
    assert answer["Location"] == "/"


def test_the_id_token_is_verified(oidc, people):
    """A genuine token passes; one with an altered signature or payload, one issued to
    another client (wrong audience), or one with another sign-in's nonce does not."""
    oidc.person("dave", email="dave@example.com")
    genuine = oidc.tokens_for(CLIENT_ID, CLIENT_SECRET, "dave", "http://testserver", "nonce-1")
    assert oidc_module.verified_claims(genuine, "nonce-1")["sub"] == "dave"

    header, payload, signature = genuine["id_token"].split(".")
    flipped = signature[:-3] + ("AAA" if signature[-3:] != "AAA" else "BBB")
    with pytest.raises(Refused):
        oidc_module.verified_claims(
            {**genuine, "id_token": f"{header}.{payload}.{flipped}"}, "nonce-1"
        )
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "root"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(Refused):
        oidc_module.verified_claims(
            {**genuine, "id_token": f"{header}.{forged}.{signature}"}, "nonce-1"
        )

    foreign = oidc.tokens_for(OTHER_CLIENT_ID, OTHER_SECRET, "dave", "http://testserver", "n-2")
    with pytest.raises(Refused):
        oidc_module.verified_claims(foreign, "n-2")

    with pytest.raises(Refused):  # a token from an earlier sign-in, replayed into this one
        oidc_module.verified_claims(genuine, "nonce-of-this-sign-in")


def test_the_login_page_offers_the_provider_first(client, oidc):
    page = client.get("/accounts/login/", {"next": "/history/"}).content.decode()
    assert "Sign in with Acme OpenID" in page
    assert page.index("sso-oidc") < page.index('name="username"')
    assert 'href="/sso/oidc/login/?next=/history/"' in page


def test_without_sso_the_login_page_has_no_button(client, settings):
    settings.OIDC_DISCOVERY_URL = ""
    settings.SAML_IDP_METADATA_URL = settings.SAML_IDP_METADATA_FILE = ""
    assert b"Sign in with" not in client.get("/accounts/login/").content
    assert client.get("/sso/oidc/login/").status_code == 404
    assert client.get("/sso/saml/login/").status_code == 404
    assert client.post("/sso/saml/acs/", {"SAMLResponse": "x"}).status_code == 404
