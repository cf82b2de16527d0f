"""Single sign-on's standing of a person against what an administrator did by hand
(README, Single sign-on): a session's fixed end, a deactivation and a role given or
taken here, none of which a later sign-in may move or undo (found by an audit of
section 12, 2026-12-06). Against the real OpenID provider of tests.sso_support."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.audit.models import Event
from accounts.models import User
from accounts.roles import ORG_MANAGERS
from accounts.sso.models import IdpRole
from tests.api_support import API
from tests.personas import PASSWORD
from tests.sso_support import MANAGERS_GROUP, STAFF_GROUP, oidc_sign_in

pytestmark = pytest.mark.django_db


def roles(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@pytest.fixture
def admin(people) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", PASSWORD))
    return client


def admin_action(admin: Client, action: str, user: User) -> None:
    form = {"action": action, "_selected_action": [user.pk], "index": 0}
    assert admin.post("/admin/accounts/user/", form).status_code == 302


def test_a_session_ends_sso_session_hours_after_the_sign_in_whatever_it_saves(
    oidc, settings, people
):
    """Django's set_expiry(seconds) is an idle timeout: each save of the session (a
    visit to /sso/oidc/login/ that goes no further) moved the end on, for ever."""
    settings.SSO_SESSION_HOURS = 10
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    browser = Client()
    signed_in = timezone.now()
    assert oidc_sign_in(browser, oidc, "dave").status_code == 302
    for hours in (3, 6, 9):
        with time_machine.travel(signed_in + dt.timedelta(hours=hours), tick=False):
            assert browser.get("/sso/oidc/login/").status_code == 302  # saves the session
            assert browser.get(API).status_code == 200
    with time_machine.travel(signed_in + dt.timedelta(hours=10, minutes=1), tick=False):
        assert browser.get(API).status_code == 401


def test_an_administrators_deactivation_after_a_providers_refusal_stays(
    oidc, settings, people, admin
):
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    dave = people["dave"]
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403  # the provider's refusal
    admin_action(admin, "deactivate", dave)  # and the administrator's, on purpose
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    browser = Client()
    assert oidc_sign_in(browser, oidc, "dave").status_code == 403
    assert not User.objects.get(pk=dave.pk).is_active
    assert browser.get(API).status_code == 401


def test_a_reactivation_and_deactivation_by_hand_stays_too(oidc, settings, people, admin):
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    dave = people["dave"]
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403
    admin_action(admin, "reactivate", dave)
    admin_action(admin, "deactivate", dave)
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403


def test_an_allowed_sign_in_still_gives_back_what_only_the_providers_refusal_took(
    oidc, settings, people
):
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 302
    assert User.objects.get(pk=people["dave"].pk).is_active


@pytest.mark.parametrize("by", ["admin action", "assign_role"])
def test_a_role_taken_and_given_back_by_hand_is_not_the_providers(
    oidc, settings, people, admin, by
):
    alice = people["alice"]
    alice.groups.clear()
    oidc.person("alice", email="alice@example.com", groups=[MANAGERS_GROUP, STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "alice").status_code == 302
    assert IdpRole.objects.filter(user=alice).exists()
    if by == "admin action":
        admin_action(admin, "take_roles", alice)
        admin_action(admin, "make_org_managers", alice)
    else:
        call_command("assign_role", "alice", "org-manager", "--remove", verbosity=0)
        call_command("assign_role", "alice", "org-manager", verbosity=0)
    assert not IdpRole.objects.filter(user=alice).exists()
    page = admin.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "Org managers: assigned here" in page
    oidc.person("alice", email="alice@example.com", groups=[STAFF_GROUP])  # group gone
    assert oidc_sign_in(Client(), oidc, "alice").status_code == 302
    assert roles(alice) == {ORG_MANAGERS}  # given here: single sign-on never takes it


def test_each_refused_sign_in_is_a_failed_sign_in_on_the_audit_log(oidc, settings, people):
    """Spec section 13: sign-ins and their failures are recorded; refused single
    sign-ons recorded nothing."""
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    oidc.person("stranger", email="stranger@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "stranger").status_code == 403
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403
    start = Client().get("/sso/oidc/login/")  # a state another browser never sent
    back = urlsplit(oidc.log_in(start["Location"], "dave"))
    assert Client().get(f"{back.path}?{back.query}").status_code == 403
    failed = Event.objects.filter(kind="signin.failed").order_by("pk")
    assert [(e.target, e.details["method"]) for e in failed] == [
        ("stranger@example.com", "sso"),
        ("dave@example.com", "sso"),
        ("", "sso"),
    ]
    assert "not known here" in failed[0].details["reason"]
    assert "does not allow you" in failed[1].details["reason"]
    assert not Event.objects.filter(kind="signin.succeeded").exists()


def test_roles_the_provider_gives_name_no_one_the_browser_was_signed_in_as(oidc, people):
    """A browser signed in as alice signs in through the provider as dave: the roles
    dave's groups gave were recorded as given by alice, the session's user until the
    sign-in replaced it (found by an audit)."""
    browser = Client()
    browser.force_login(people["alice"])
    oidc.person("dave", email="dave@example.com", groups=[MANAGERS_GROUP])
    assert oidc_sign_in(browser, oidc, "dave").status_code == 302
    events = Event.objects.filter(target="dave").order_by("pk")
    assert [(e.kind, e.actor, e.actor_id, e.target) for e in events] == [
        ("role.given", "", None, "dave"),
        ("signin.succeeded", "dave", people["dave"].pk, "dave"),
    ]
    assert events[0].details["via"] == "the identity provider"


def test_the_providers_deactivation_and_its_undoing_are_on_the_audit_log(oidc, settings, people):
    """The provider's refusal deactivated dave, ending his sessions, Basic, tokens and
    API clients, and an allowed sign-in gave them back: the log said only that one
    sign-in failed and a later one succeeded (found by an audit)."""
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 302
    oidc.person("dave", email="dave@example.com", groups=[])
    for _ in range(2):  # refused twice, deactivated once
        assert oidc_sign_in(Client(), oidc, "dave").status_code == 403
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 302
    events = Event.objects.exclude(kind__startswith="role.").order_by("pk")
    assert [(e.kind, e.actor, e.target) for e in events] == [
        ("signin.succeeded", "dave", "dave"),
        ("sso.access_ended", "", "dave"),
        ("signin.failed", "dave@example.com", "dave@example.com"),
        ("signin.failed", "dave@example.com", "dave@example.com"),
        ("sso.access_restored", "", "dave"),
        ("signin.succeeded", "dave", "dave"),
    ]


def test_an_account_made_for_a_stranger_is_on_the_audit_log(oidc, settings, people):
    """SSO_ADMIT_UNKNOWN made an account, a system administrator's by the provider's
    groups: the log said only that a role was given and someone signed in, not that a
    sign-in had made the account, nor for whom (found by an audit)."""
    from tests.sso_support import ADMINS_GROUP

    settings.SSO_ADMIT_UNKNOWN = True
    oidc.person("zed", email="zed@elsewhere.example", groups=[ADMINS_GROUP])
    assert oidc_sign_in(Client(), oidc, "zed").status_code == 302
    assert oidc_sign_in(Client(), oidc, "zed").status_code == 302  # made once
    made = Event.objects.get(kind="sso.stranger_admitted")
    assert (made.actor, made.target) == ("", "zed@elsewhere.example")
    assert made.details["email"] == "zed@elsewhere.example"
    assert made.details["protocol"] == "oidc" and made.details["issuer"] == oidc.issuer
    kinds = list(Event.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds.index("sso.stranger_admitted") < kinds.index("role.given")


def test_a_binding_holds_for_each_provider_when_both_are_configured(oidc, saml, people):
    """One binding an account: a SAML sign-in overwrote the OpenID one, and the
    newcomer refused by OpenID Connect got in through it afterwards (2026-12-06)."""
    from tests.sso_support import saml_sign_in

    oidc.person("dave-original", email="dave@example.com")
    assert oidc_sign_in(Client(), oidc, "dave-original").status_code == 302
    oidc.person("dave-newcomer", email="dave@example.com")  # the address given anew
    assert oidc_sign_in(Client(), oidc, "dave-newcomer").status_code == 403
    saml.person("dave", email="dave@example.com")
    assert saml_sign_in(Client(), saml, "dave").status_code == 302  # SAML's own binding
    browser = Client()
    assert oidc_sign_in(browser, oidc, "dave-newcomer").status_code == 403
    assert browser.get(API).status_code == 401
    assert oidc_sign_in(Client(), oidc, "dave-original").status_code == 302
    issuers = set(people["dave"].sso_bindings.values_list("protocol", flat=True))
    assert issuers == {"oidc", "saml"}


def test_an_administrator_forgets_a_binding_for_a_new_subject(oidc, people, admin):
    """A move to another provider gives everyone a new subject: their bindings refused
    them all, with no way to forget one but the database."""
    from accounts.audit.models import Event as AuditEvent

    oidc.person("dave-old", email="dave@example.com")
    assert oidc_sign_in(Client(), oidc, "dave-old").status_code == 302
    oidc.person("dave-new", email="dave@example.com")
    assert oidc_sign_in(Client(), oidc, "dave-new").status_code == 403
    admin_action(admin, "forget_sso_bindings", people["dave"])
    assert oidc_sign_in(Client(), oidc, "dave-new").status_code == 302
    forgotten = AuditEvent.objects.get(kind="sso.bindings_forgotten")
    assert (forgotten.actor, forgotten.target) == ("boss", "dave")


def test_a_session_ended_with_the_access_stays_ended_when_it_is_given_back(
    oidc, settings, people, admin
):
    """Deactivated by an administrator or refused by the provider, a person's sessions
    were refused while the access was off, and came back with it (2026-12-06)."""
    settings.SSO_ALLOWED_GROUPS = [STAFF_GROUP]
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    by_sso = Client()
    assert oidc_sign_in(by_sso, oidc, "dave").status_code == 302
    by_password = Client()
    by_password.force_login(people["dave"])
    assert by_password.get(API).status_code == 200
    oidc.person("dave", email="dave@example.com", groups=[])
    assert oidc_sign_in(Client(), oidc, "dave").status_code == 403  # refused: ended
    oidc.person("dave", email="dave@example.com", groups=[STAFF_GROUP])
    again = Client()
    assert oidc_sign_in(again, oidc, "dave").status_code == 302  # access given back
    assert again.get(API).status_code == 200
    assert by_sso.get(API).status_code == 401 and by_password.get(API).status_code == 401
    admin_action(admin, "deactivate", people["dave"])
    admin_action(admin, "reactivate", people["dave"])
    assert again.get(API).status_code == 401  # the administrator's ends it too


def test_bindings_forgotten_whose_event_fails_are_kept(oidc, people, admin, monkeypatch):
    """The bindings are forgotten and recorded in one transaction: deleted first and
    alone, an event that then failed left them forgotten with no trace (found by an
    audit of the small defects)."""
    from accounts import audit

    oidc.person("dave-old", email="dave@example.com")
    assert oidc_sign_in(Client(), oidc, "dave-old").status_code == 302

    def failing_record(kind, **kwargs):
        raise RuntimeError("the audit log cannot be written")

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        admin_action(admin, "forget_sso_bindings", people["dave"])
    assert people["dave"].sso_bindings.count() == 1
