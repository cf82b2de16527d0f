"""The role matrix (spec section 4) with people who signed in through single sign-on:
random org trees, each person's roles given only by their groups at a real OpenID
provider; each sees exactly the rows their roles grant, through their SSO session.
And a person the provider stops allowing loses every way in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from hypothesis import given

from accounts import tokens
from accounts.models import ApiClient, User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, ROLE_GROUPS, SYSTEM_ADMINISTRATORS
from accounts.sso.models import SsoIdentity
from tests.api_support import API, basic, expected_keys, keys_of
from tests.personas import PASSWORD
from tests.sso_support import ADMINS_GROUP, MANAGERS_GROUP, STAFF_GROUP, oidc_sign_in
from tests.test_api_roles import build_environment, environments, role_matrix_examples

IDP_GROUP_OF_ROLE = {
    "desktop-user": "BR-Desktop",
    "org-manager": MANAGERS_GROUP,
    "sysadmin": ADMINS_GROUP,
}


def session_rows(browser: Client) -> list[dict]:
    rows = []
    for page in range(1, 1000):
        response = browser.get(API, {"pgNum": page, "pgSize": 3})
        assert response.status_code == 200, response.content
        data = response.json()["data"]
        if not data:
            return rows
        rows.extend(data)
    raise AssertionError("paging never ended")


@pytest.mark.django_db
@role_matrix_examples(10)
@given(environment=environments())
def test_people_signed_in_through_sso_see_exactly_their_rows(oidc, settings, environment):
    settings.SSO_ROLE_GROUPS = {
        SYSTEM_ADMINISTRATORS: [ADMINS_GROUP],
        ORG_MANAGERS: [MANAGERS_GROUP],
        DESKTOP_USERS: ["BR-Desktop"],
    }
    parents, user_specs, devices = environment
    with transaction.atomic():
        # Nobody has a role here before signing in: the provider gives every one.
        users = build_environment((parents, [(org, set()) for org, _ in user_specs], devices))
        for user, (_, roles) in zip(users, user_specs, strict=True):
            login = f"idp-{user.pk}"
            groups = [IDP_GROUP_OF_ROLE[role] for role in roles] + [STAFF_GROUP]
            oidc.person(login, email=user.email.upper(), groups=groups)
            browser = Client()
            assert oidc_sign_in(browser, oidc, login).status_code == 302
            names = set(user.groups.values_list("name", flat=True))
            assert names == {ROLE_GROUPS[role] for role in roles}
            expected = expected_keys(user)
            assert sorted(keys_of(session_rows(browser)), key=str) == sorted(expected, key=str)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_person_the_provider_no_longer_allows_loses_every_way_in(oidc, settings, people):
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    dave = people["dave"]
    dave.set_password(PASSWORD)
    dave.save()
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    first = Client()
    assert oidc_sign_in(first, oidc, "dave").status_code == 302
    api_client, secret = ApiClient.objects.create_for(dave, "script")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue(dave)}"}
    ways = [
        lambda: first.get(API),
        lambda: Client().get(API, **basic("dave")),
        lambda: Client().get(API, **bearer),
        lambda: Client().get(API, **basic(api_client.client_id, secret)),
    ]
    assert [way().status_code for way in ways] == [200] * 4

    oidc.person("dave", email="dave@example.com", groups=[])  # left the staff group
    refused = oidc_sign_in(Client(), oidc, "dave")
    assert refused.status_code == 403
    assert b"does not allow you" in refused.content
    assert [way().status_code for way in ways] == [401] * 4
    assert SsoIdentity.objects.get(user=dave).ended_by_idp_at is not None

    # Allowed again: what only the provider's refusal took comes back.
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    again = Client()
    assert oidc_sign_in(again, oidc, "dave").status_code == 302
    assert again.get(API).status_code == 200
    assert SsoIdentity.objects.get(user=dave).ended_by_idp_at is None


@pytest.mark.django_db
def test_an_administrators_deactivation_is_not_undone_by_a_sign_in(client, oidc, people):
    User.objects.filter(pk=people["dave"].pk).update(is_active=False)
    oidc.person("dave", email="dave@example.com")
    answer = oidc_sign_in(client, oidc, "dave")
    assert answer.status_code == 403
    assert b"deactivated" in answer.content
    assert not User.objects.get(pk=people["dave"].pk).is_active


@pytest.mark.django_db
def test_the_vendors_deactivation_refuses_the_sign_in(client, oidc, people):
    User.objects.filter(pk=people["dave"].pk).update(user_status=User.Status.DEACTIVATED)
    oidc.person("dave", email="dave@example.com")
    assert oidc_sign_in(client, oidc, "dave").status_code == 403
    assert client.get(API).status_code == 401


@pytest.mark.django_db
def test_the_admin_shows_where_each_role_came_from(client, oidc, people, personas):
    alice = people["alice"]  # an org manager by hand (personas)
    oidc.person("alice", email="alice@example.com", groups=[ADMINS_GROUP])
    oidc_sign_in(Client(), oidc, "alice")
    root = User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client.force_login(root)
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "Org managers: assigned here" in page
    assert "System administrators: identity provider" in page
    assert "Last single sign-on" in page and oidc.issuer in page
    # The add form is still Django's: a username and a password, and it saves.
    added = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newbie",
            "password1": "a long pass phrase 42",
            "password2": "a long pass phrase 42",
            "usable_password": "true",
        },
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    assert User.objects.filter(username="newbie").exists()
    assert Group.objects.filter(name=ORG_MANAGERS).exists()


@pytest.mark.django_db
def test_a_superuser_the_provider_refuses_is_refused_but_keeps_their_account(oidc, settings):
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    root = User.objects.create_superuser("break-glass", "glass@example.com", PASSWORD)
    oidc.person("glass", email="glass@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "glass").status_code == 403
    root.refresh_from_db()
    assert root.is_active
    assert Client().get(API, **basic("break-glass")).status_code == 200
