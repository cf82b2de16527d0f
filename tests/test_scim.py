"""SCIM 2.0 provisioning (spec section 12: access ends at once when the identity
provider no longer allows a person). The provider's pushes, as Okta and Entra ID send
them, through real HTTP: a deactivation ends every way in the person had at once, the
provider's reactivation gives back what only it took, and nothing else changes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.audit.models import Event
from accounts.models import User
from accounts.sso.models import SsoIdentity
from tests.api_support import basic
from tests.test_sso_deprovisioning import answers, every_way_in

TOKEN = "scim-" + "k" * 40
SCIM = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ACTOR = "the identity provider (SCIM)"


@pytest.fixture
def scim(settings):
    settings.SCIM_TOKEN = TOKEN
    return Provider()


class Provider:
    """What an identity provider's provisioning sends: JSON with the bearer token."""

    headers = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    def get(self, path: str, **query):
        return Client().get(f"/scim/v2/{path}", query, **self.headers)

    def send(self, method: str, path: str, body) -> object:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        call = getattr(Client(), method.lower())
        return call(f"/scim/v2/{path}", data, content_type=SCIM, **self.headers)

    def find(self, user_name: str) -> dict:
        answer = self.get("Users", filter=f'userName eq "{user_name}"')
        assert answer.status_code == 200, answer.content
        return answer.json()

    def okta_deactivates(self, pk: int):
        operation = {"op": "replace", "value": {"active": False}}
        return self.send("PATCH", f"Users/{pk}", {"schemas": [PATCH_OP], "Operations": [operation]})

    def entra_sets_active(self, pk: int, active: str):
        operation = {"op": "Replace", "path": "active", "value": active}  # Entra: a string
        return self.send("PATCH", f"Users/{pk}", {"schemas": [PATCH_OP], "Operations": [operation]})


def access_events(kind: str, target: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind, target=target))


@pytest.mark.django_db
def test_the_provider_finds_a_mirrored_person_by_the_address_it_knows(scim, people):
    found = scim.find("DAVE@example.com")  # userName compared case-insensitively
    assert found["totalResults"] == 1
    (dave,) = found["Resources"]
    assert dave["id"] == str(people["dave"].pk)
    assert dave["userName"] == "dave@example.com"  # what SSO_MATCH (email) matches on
    assert dave["active"] is True
    assert dave["emails"] == [{"value": "dave@example.com", "type": "work", "primary": True}]
    assert dave["meta"]["location"].endswith(f"/scim/v2/Users/{people['dave'].pk}")
    assert scim.find("nobody@example.com")["totalResults"] == 0
    by_address = scim.get("Users", filter='emails[type eq "work" and value eq "dave@example.com"]')
    assert [r["id"] for r in by_address.json()["Resources"]] == [dave["id"]]


@pytest.mark.django_db
def test_with_sso_matching_usernames_the_username_is_the_user_name(scim, settings, people):
    settings.SSO_MATCH = "username"
    (dave,) = scim.find("Dave")["Resources"]
    assert dave["userName"] == "dave"
    assert scim.find("dave@example.com")["totalResults"] == 0


@pytest.mark.django_db
def test_okta_deactivating_a_person_ends_every_way_in_at_once(scim, people):
    dave = people["dave"]
    ways = every_way_in(dave)
    assert answers(ways) == dict.fromkeys(ways, 200)

    answer = scim.okta_deactivates(dave.pk)

    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == SCIM
    assert answer.json()["active"] is False
    assert answers(ways) == dict.fromkeys(ways, 401)  # not at the next sign-in: now
    (ended,) = access_events("sso.access_ended", "dave")
    assert ended.actor == ACTOR and ended.details["via"] == "SCIM provisioning"
    assert people["alice"].__class__.objects.get(pk=people["alice"].pk).is_active  # no one else


@pytest.mark.django_db
def test_entra_reactivating_gives_back_only_what_the_provider_took(scim, people):
    dave, sam = people["dave"], people["sam"]
    assert scim.entra_sets_active(dave.pk, "False").status_code == 200
    assert not User.objects.get(pk=dave.pk).is_active
    answer = scim.entra_sets_active(dave.pk, "True")
    assert answer.status_code == 200 and answer.json()["active"] is True
    assert Client().get("/api/DeviceBackupReport", **basic("dave")).status_code == 200
    assert len(access_events("sso.access_restored", "dave")) == 1
    # An administrator's deactivation is theirs: the provider's "active" does not undo it.
    User.objects.filter(pk=sam.pk).update(is_active=False)
    answer = scim.entra_sets_active(sam.pk, "True")
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert not User.objects.get(pk=sam.pk).is_active
    # Nor the vendor's: a person it deactivated is not active for the provider either.
    User.objects.filter(pk=dave.pk).update(user_status=User.Status.DEACTIVATED)
    assert scim.get(f"Users/{dave.pk}").json()["active"] is False


@pytest.mark.django_db
def test_what_the_provider_sends_beside_active_does_not_stop_the_deactivation(scim, people):
    """Entra ID's update of a leaver, as sent: its enterprise attributes (a manager as a
    bare string), an address this product does not hold, and `active` among them."""
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    operations = [
        {"op": "Add", "path": f"{enterprise}:employeeNumber", "value": "123"},
        {"op": "Replace", "path": f"{enterprise}:manager", "value": "55"},
        {"op": "Add", "path": 'addresses[type eq "work"].formatted', "value": "1 Main St"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:Acme:2.0:User:desk"},
        {"op": "Replace", "path": "ACTIVE", "value": "False"},
    ]
    dave = people["dave"]
    answer = scim.send(
        "PATCH", f"Users/{dave.pk}", {"schemas": [PATCH_OP], "Operations": operations}
    )
    assert answer.status_code == 200, answer.content
    assert not User.objects.get(pk=dave.pk).is_active
    # Okta's PUT of the whole profile, with its own extension, gives the access back.
    body = {
        "schemas": [CORE_USER, "urn:okta:custom"],
        "userName": "dave@example.com",
        "urn:okta:custom": {"costCenter": 7},
        "emails": [{"value": "not an address"}],
        "active": True,
    }
    assert scim.send("PUT", f"Users/{dave.pk}", body).status_code == 200
    assert User.objects.get(pk=dave.pk).is_active


@pytest.mark.django_db
def test_a_put_of_the_whole_person_sets_only_whether_they_may_sign_in(scim, people):
    dave = people["dave"]
    body = {
        "schemas": [CORE_USER],
        "userName": "dave@example.com",
        "name": {"givenName": "Someone", "familyName": "Else"},
        "emails": [{"value": "elsewhere@example.com", "primary": True}],
        "active": False,
    }
    answer = scim.send("PUT", f"Users/{dave.pk}", body)
    assert answer.status_code == 200, answer.content
    stored = User.objects.get(pk=dave.pk)
    assert not stored.is_active
    # Names and addresses are the vendor's, which the mirror keeps: unchanged.
    assert (stored.first_name, stored.last_name, stored.email) == (
        "Alex",
        "Dunn",
        "dave@example.com",
    )


@pytest.mark.django_db
def test_a_deleted_person_is_ended_then_not_found_until_created_again(scim, people):
    dave = people["dave"]
    assert scim.send("DELETE", f"Users/{dave.pk}", "").status_code == 204
    assert not User.objects.get(pk=dave.pk).is_active
    assert scim.get(f"Users/{dave.pk}").status_code == 404
    assert scim.find("dave@example.com")["totalResults"] == 0
    assert len(access_events("scim.removed", "dave")) == 1
    assert Client().get("/api/DeviceBackupReport", **basic("dave")).status_code == 401

    # Assigned again: the POST links the person the mirror knows (no account is made).
    users_before = User.objects.count()
    body = {"schemas": [CORE_USER], "userName": "Dave@Example.com", "active": True}
    answer = scim.send("POST", "Users", body)
    assert answer.status_code == 201, answer.content
    assert answer.json()["id"] == str(dave.pk) and answer.json()["active"] is True
    assert answer["Location"].endswith(f"/scim/v2/Users/{dave.pk}")
    assert User.objects.count() == users_before
    assert SsoIdentity.objects.get(user=dave).removed_by_idp_at is None
    assert scim.get(f"Users/{dave.pk}").status_code == 200


@pytest.mark.django_db
def test_an_administrators_reactivation_lists_a_deleted_person_again(scim, people):
    """Active by an administrator's hand and found by no lookup, the provider could
    never end the person's access again (found by a review)."""
    dave = people["dave"]
    assert scim.send("DELETE", f"Users/{dave.pk}", "").status_code == 204
    admin = Client()
    admin.force_login(User.objects.create_superuser("boss", "boss@example.com", "x" * 20))
    form = {"action": "reactivate", "_selected_action": [dave.pk], "index": 0}
    assert admin.post("/admin/accounts/user/", form).status_code == 302
    assert User.objects.get(pk=dave.pk).is_active
    (found,) = scim.find("dave@example.com")["Resources"]
    assert found["id"] == str(dave.pk) and found["active"] is True
    assert scim.okta_deactivates(dave.pk).status_code == 200
    assert not User.objects.get(pk=dave.pk).is_active


@pytest.mark.django_db
@pytest.mark.parametrize("filter_on", ["userName", "emails.value"])
def test_the_provider_finds_the_one_account_a_sign_in_would_use(scim, people, filter_on):
    """The vendor made a person anew (a new userUid, the same address; the old account
    ended by it, and older: first by id). The filter listed both, oldest first; a
    provider that takes the first (or refuses two) deactivated the old account, or no
    one, and the person's own kept every way in (found by an audit). As a sign-in does
    (identity.mirrored_user), the one the vendor has not ended is theirs."""
    from tests.factories import UserFactory

    UserFactory(username="ana-old", email="ana@example.com", user_status=User.Status.DEACTIVATED)
    ana = UserFactory(username="ana", email="ana@example.com")
    answer = scim.get("Users", filter=f'{filter_on} eq "Ana@example.com"')
    assert [r["id"] for r in answer.json()["Resources"]] == [str(ana.pk)]
    assert scim.okta_deactivates(ana.pk).status_code == 200
    assert Client().get("/api/DeviceBackupReport", **basic("ana")).status_code == 401
    # Two accounts a sign-in cannot choose between: both listed, for the provider to refuse.
    UserFactory(username="dave-2", email="dave@example.com")
    assert scim.find("dave@example.com")["totalResults"] == 2


@pytest.mark.django_db
def test_a_name_that_only_raises_to_a_person_s_finds_no_one(scim, people):
    """PostgreSQL's UPPER() raises "ſam" (a long s) to SAM: the provider's lookup of a
    person who named themselves so found sam, whom it would then provision as them;
    also where two accounts hold the address (found by an audit of section 12)."""
    from tests.factories import UserFactory

    assert scim.find("ſam@example.com")["totalResults"] == 0
    assert scim.find("Sam@example.com")["totalResults"] == 1
    UserFactory(username="sam-2", email="sam@example.com")
    assert scim.find("ſam@example.com")["totalResults"] == 0
    assert scim.find("sam@example.com")["totalResults"] == 2


@pytest.mark.django_db
def test_a_post_links_the_person_its_user_name_names_before_its_address(scim, people):
    """A provider whose person holds another's address among their emails (an alias, a
    shared mailbox): the POST after a DELETE linked that other person, whom the
    provider's next deactivation of its own then ended (found by an audit). userName
    is what the provider's filter and a sign-in find a person by; the address is read
    only when it names no one."""
    dave, alice = people["dave"], people["alice"]
    assert scim.send("DELETE", f"Users/{dave.pk}", "").status_code == 204
    body = {
        "schemas": [CORE_USER],
        "userName": "dave@example.com",
        "emails": [{"value": "alice@example.com", "type": "work", "primary": True}],
        "active": True,
    }
    answer = scim.send("POST", "Users", body)
    assert answer.status_code == 201, answer.content
    assert answer.json()["id"] == str(dave.pk)
    assert scim.okta_deactivates(dave.pk).status_code == 200
    assert Client().get("/api/DeviceBackupReport", **basic("alice")).status_code == 200
    # A userName that names no one (Entra ID's user principal name): the address does.
    body |= {"userName": "ALICE.X@tenant.example", "emails": [{"value": "Alice@example.com"}]}
    assert scim.send("POST", "Users", body).json()["id"] == str(alice.pk)


@pytest.mark.django_db
def test_deactivating_a_person_ends_the_account_a_sign_in_made_for_them_as_a_stranger(
    scim, settings, people
):
    """Let in as a stranger (SSO_ADMIT_UNKNOWN), then brought by the mirror: the
    stranger's account gives way at the person's next sign-in. Before it, the provider's
    deactivation ended the mirrored account only, and the stranger's session and token
    went on (found by an audit): spec 12, every way in ends at once."""
    from django.utils import timezone

    from accounts import tokens
    from tests.factories import UserFactory

    settings.SSO_ADMIT_UNKNOWN = True
    stranger = UserFactory(username="ana", email="ana@example.com", user_uid=None, org=None)
    SsoIdentity.admitted(stranger, "oidc", "https://idp.example", timezone.now())
    stranger.sso_bindings.create(
        protocol="oidc", issuer="https://idp.example", subject="ana-1", bound_at=timezone.now()
    )
    browser = Client()
    assert browser.login(username="ana", password="correct horse battery staple")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue(stranger)}"}
    mirrored = UserFactory(username="ana.m", email="ana@example.com")
    assert browser.get("/api/DeviceBackupReport").status_code == 200

    (found,) = scim.find("ana@example.com")["Resources"]
    assert found["id"] == str(mirrored.pk)
    assert scim.okta_deactivates(mirrored.pk).status_code == 200

    assert browser.get("/api/DeviceBackupReport").status_code == 401
    assert Client().get("/api/DeviceBackupReport", **bearer).status_code == 401
    (ended,) = access_events("sso.access_ended", "ana")
    assert ended.actor == ACTOR
    # The provider's reactivation gives back the person's own account, not the stranger's.
    assert scim.entra_sets_active(mirrored.pk, "True").json()["active"] is True
    assert not User.objects.get(pk=stranger.pk).is_active


@pytest.mark.django_db
@pytest.mark.parametrize("push", ["Entra ID's active false", "a DELETE"])
def test_a_sign_in_does_not_give_back_what_the_providers_push_ended(scim, oidc, people, push):
    """Entra ID with "Assignment required" off signs in a person it no longer
    provisions: their next sign-in gave back every way in the push had ended, and after
    a DELETE left them active where SCIM no longer lists them (found by an audit). Only
    the provider's push gives back what its push took; a sign-in refused for its groups
    is still given back by a later allowed one (test_sso_deprovisioning)."""
    from tests.sso_support import oidc_sign_in

    dave = people["dave"]
    oidc.person("dave", email="dave@example.com")
    if push == "a DELETE":
        assert scim.send("DELETE", f"Users/{dave.pk}", "").status_code == 204
    else:
        assert scim.entra_sets_active(dave.pk, "False").status_code == 200
    answer = oidc_sign_in(Client(), oidc, "dave")
    assert answer.status_code == 403 and b"deactivated" in answer.content
    assert not User.objects.get(pk=dave.pk).is_active
    assert Client().get("/api/DeviceBackupReport", **basic("dave")).status_code == 401
    if push == "a DELETE":
        created = {"schemas": [CORE_USER], "userName": "dave@example.com", "active": True}
        assert scim.send("POST", "Users", created).status_code == 201
    else:
        assert scim.entra_sets_active(dave.pk, "True").json()["active"] is True
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 302


@pytest.mark.django_db
def test_a_push_does_not_give_back_what_a_sign_in_refused_for_its_groups_ended(
    scim, oidc, settings, people
):
    """Outside SSO_ALLOWED_GROUPS, a sign-in is refused and every way in ends. Okta's PUT
    of the whole profile, sent at any change of it, says `active: true` (the person is
    assigned, not in the allowed groups) and gave every way in back (found by an audit).
    What a refused sign-in ended, an allowed sign-in gives back."""
    from tests.sso_support import STAFF_GROUP, oidc_sign_in

    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    dave = people["dave"]
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403
    assert not User.objects.get(pk=dave.pk).is_active
    okta = {"schemas": [CORE_USER], "userName": "dave@example.com", "active": True}
    answer = scim.send("PUT", f"Users/{dave.pk}", okta)
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert Client().get("/api/DeviceBackupReport", **basic("dave")).status_code == 401
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 302


@pytest.mark.django_db
def test_an_administrator_sees_what_the_providers_push_did(scim, people):
    """The user's page said "deactivated when the identity provider refused them" of a
    person its push ended, after blank protocol and issuer, and nothing of a DELETE
    (found by an audit): an administrator reactivating them could not tell that the
    provider no longer lists them."""
    from django.urls import reverse

    dave, erin = people["dave"], people["erin"]
    assert scim.okta_deactivates(dave.pk).status_code == 200
    assert scim.send("DELETE", f"Users/{erin.pk}", "").status_code == 204
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x" * 20))
    page = admin.get(reverse("admin:accounts_user_change", args=[dave.pk])).content.decode()
    assert "never; deactivated by the identity provider&#x27;s provisioning (SCIM)" in page
    page = admin.get(reverse("admin:accounts_user_change", args=[erin.pk])).content.decode()
    assert "deleted by the identity provider&#x27;s provisioning (SCIM)" in page


@pytest.mark.django_db
def test_a_person_the_mirror_does_not_know_is_not_made(scim, people):
    users_before = User.objects.count()
    body = {"schemas": [CORE_USER], "userName": "stranger@example.com", "active": True}
    answer = scim.send("POST", "Users", body)
    assert answer.status_code == 400
    assert answer.json()["scimType"] == "invalidValue"
    assert "stranger@example.com" in answer.json()["detail"]
    assert User.objects.count() == users_before


@pytest.mark.django_db
def test_a_superuser_is_not_deactivated_by_the_provider_and_it_is_told_so(scim, people):
    root = User.objects.create_superuser("root", "root@example.com", "a long pass phrase 42")
    answer = scim.okta_deactivates(root.pk)
    assert answer.status_code == 400
    assert answer.json()["scimType"] == "mutability"
    assert "superuser" in answer.json()["detail"]
    assert User.objects.get(pk=root.pk).is_active


@pytest.mark.django_db
def test_without_the_token_nothing_is_answered_and_the_attempt_is_on_the_log(scim, people):
    dave = people["dave"]
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, basic("dave")):
        answer = Client().patch(
            f"/scim/v2/Users/{dave.pk}",
            json.dumps({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {}}]}),
            content_type=SCIM,
            **headers,
        )
        assert answer.status_code == 401
        assert answer["WWW-Authenticate"] == 'Bearer realm="SCIM"'
        assert answer.json()["status"] == "401"
    refused = Event.objects.filter(kind="scim.refused").order_by("pk")
    assert refused.count() == 3
    # Whoever lacked the token is not the identity provider: the log named them so
    # (found by an audit). Their address is what is known.
    assert [event.actor for event in refused] == ["", "", ""]
    assert {event.address for event in refused} == {"127.0.0.1"}
    assert Client().get("/scim/v2/Users").status_code == 401
    assert User.objects.get(pk=dave.pk).is_active


@pytest.mark.django_db
def test_scim_is_off_without_a_token(settings, people):
    settings.SCIM_TOKEN = ""
    answer = Client().get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer ")
    assert answer.status_code == 404
    assert "SCIM_TOKEN" in answer.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "body", "status", "scim_type", "named"),
    [
        ("GET", "Users?filter=userName pr", None, 400, "invalidFilter", "userName pr"),
        ("GET", "Users?filter=userName eq", None, 400, "invalidFilter", ""),
        ("GET", 'Users?filter=title eq "x"', None, 400, "invalidFilter", "title"),
        ("GET", "Users?count=ten", None, 400, "invalidValue", "count"),
        ("GET", "Users?startIndex=1.5", None, 400, "invalidValue", "startIndex"),
        ("PATCH", "Users/{dave}", "{not json", 400, "invalidSyntax", "JSON"),
        ("PATCH", "Users/{dave}", "[]", 400, "invalidSyntax", "object"),
        (
            "PATCH",
            "Users/{dave}",
            {"schemas": [PATCH_OP], "Operations": [{"op": "merge"}]},
            400,
            "invalidValue",
            "Operations",
        ),
        (
            "PUT",
            "Users/{dave}",
            {"schemas": [CORE_USER], "active": "maybe"},
            400,
            "invalidValue",
            "'maybe'",
        ),
        ("POST", "Users", {"schemas": [CORE_USER]}, 400, "invalidValue", "userName"),
        (
            "PATCH",
            "Users/{dave}",
            {"Operations": [{"op": "replace", "path": "active", "value": 0}]},
            400,
            "invalidValue",
            "Operations[1].value must be true or false, not 0",
        ),
        ("GET", "Users/999999", None, 404, None, "999999"),
        ("GET", "Groups", None, 404, None, "Groups"),
        ("POST", "Users/{dave}", {}, 405, None, "POST"),
    ],
)
def test_bad_requests_get_a_scim_error_that_names_what_was_wrong(
    scim, people, method, path, body, status, scim_type, named
):
    path = path.format(dave=people["dave"].pk)
    if method == "GET":
        answer = Client().get(f"/scim/v2/{path}", **scim.headers)
    else:
        answer = scim.send(method, path, body)
    assert answer.status_code == status, answer.content
    error = answer.json()
    assert error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert error["status"] == str(status)
    if scim_type:
        assert error["scimType"] == scim_type
    assert named in error["detail"]
    assert User.objects.get(pk=people["dave"].pk).is_active  # nothing half done


@pytest.mark.django_db
def test_the_list_pages_as_rfc_7644_says(scim, people):
    everyone = scim.get("Users").json()
    assert everyone["totalResults"] == User.objects.count() == 5
    page = scim.get("Users", startIndex=2, count=2).json()
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["id"] for r in page["Resources"]] == [r["id"] for r in everyone["Resources"][1:3]]
    assert scim.get("Users", count=0).json()["totalResults"] == 5
    assert scim.get("Users", startIndex=0, count=-3).json()["startIndex"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"startIndex": "\u00b2"}, "startIndex"),  # a digit to str.isdigit, not to int()
        ({"count": "--5"}, "count"),
        ({"filter": 'id eq "\u00b2"'}, None),
        ({"startIndex": "9" * 20}, None),  # past SQLite's and PostgreSQL's OFFSET
    ],
)
def test_numbers_no_database_can_read_are_an_error_or_an_empty_page(scim, people, query, named):
    """Each was a 500 (found by an audit): int() refused what isdigit() let through, and
    an offset past 64 bits reached the database."""
    answer = scim.get("Users", **query)
    if named:
        assert answer.status_code == 400, answer.content
        assert answer.json()["scimType"] == "invalidValue" and named in answer.json()["detail"]
    else:
        assert answer.status_code == 200, answer.content
        assert answer.json()["Resources"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "body", "scim_type", "named"),
    [
        ("PATCH", "[" * 100_000, "invalidSyntax", "JSON"),  # json's RecursionError
        ("PATCH", '{"active": ' + "1" * 5_000 + "}", "invalidSyntax", "JSON"),  # int()'s limit
        ("POST", {"userName": "dave@example.com", "emails": 5}, "invalidValue", "emails"),
        ("POST", {"userName": "x" * 60_000}, "invalidValue", "userName"),  # SQLite's LIKE
        ("POST", {"userName": "dave@example.com\u0000"}, "invalidValue", "NUL"),  # PostgreSQL
    ],
)
def test_bodies_no_one_can_read_are_a_scim_error(scim, people, method, body, scim_type, named):
    """Each was a 500 (found by an audit). Sent as text/plain, as SCIM reads any body:
    the edge's NUL check (backupreport.edge) reads only JSON's content types."""
    data = body if isinstance(body, str) else json.dumps(body)
    path = "Users" if method == "POST" else f"Users/{people['dave'].pk}"
    call = getattr(Client(), method.lower())
    answer = call(f"/scim/v2/{path}", data, content_type="text/plain", **scim.headers)
    assert answer.status_code == 400, answer.content
    assert answer.json()["scimType"] == scim_type and named in answer.json()["detail"]
    assert len(answer.json()["detail"]) < 500  # what was sent is not quoted back whole


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ('{"Operations": [{"op": "replace", "path": "title", "value": "a\\u0000"}]}', 400, "NUL"),
        ('{"x": "' + "x" * 3_000_000 + '"}', 413, "too large"),
    ],
)
def test_what_the_edge_refuses_is_told_as_a_scim_error(scim, people, body, status, named):
    """The edge (backupreport.edge) answered these with an HTML page, which a provider's
    provisioning log shows as a bare failure (found by an audit)."""
    answer = scim.send("PATCH", f"Users/{people['dave'].pk}", body)
    assert answer.status_code == status, answer.content[:300]
    assert answer["Content-Type"] == SCIM
    assert answer.json()["status"] == str(status) and named in answer.json()["detail"]


@pytest.mark.django_db
def test_discovery_says_what_is_supported(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 100}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    (user_type,) = scim.get("ResourceTypes").json()["Resources"]
    assert user_type["endpoint"] == "/Users"
    (schema,) = scim.get("Schemas").json()["Resources"]
    assert schema["id"] == CORE_USER
    # Each by its id too, as RFC 7644 4 asks (scim2-cli's compliance check reads them).
    assert scim.get("ResourceTypes/User").json()["endpoint"] == "/Users"
    assert scim.get(f"Schemas/{CORE_USER}").json()["name"] == "User"
    assert scim.get("ResourceTypes/Group").status_code == 404
    assert scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").status_code == 404


@pytest.mark.django_db
def test_what_the_provider_is_answered_is_kept_by_no_cache(scim, people):
    """The people's names and addresses, and the refusals, said nothing of caching:
    every other answer of their rows says private, no-store (backupreport.private_answers),
    which only a signed-in user's got, never the provider's (found by an audit of the
    caches)."""
    dave = people["dave"]
    answers_read = [
        scim.get("Users"),
        scim.get("Users", filter='userName eq "dave@example.com"'),
        scim.get(f"Users/{dave.pk}"),
        scim.get("ServiceProviderConfig"),
        Client().get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer wrong"),
    ]
    for answer in answers_read:
        words = {word.strip() for word in answer.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= words, (answer.status_code, answer.content[:80])
