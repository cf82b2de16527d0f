"""The admin in the product's look (issue 27): readable column names, the role as one
choice with the three roles explained, dates and numbers written as on the pages, plural
names that are words. The superuser rules of accounts.roles.may_manage still hold."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin_roles import role_of
from accounts.models import User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.admin_formats import readable
from reports.refresh.models import Run
from tests.factories import UserFactory
from tests.personas import ago


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def headers(page: str) -> list[str]:
    """The column names of an admin list, as shown."""
    cells = re.findall(r'<th scope="col" class="[^"]*column-[^"]*">(.*?)</th>', page, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in cells]


def change_form(user: User, **changes) -> dict:
    """The change form of a user, as the browser sends it unchanged, with changes."""
    form = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "role": role_of(user),
        "org": user.org_id or "",
        "user_uid": user.user_uid or "",
        "user_ext_ref": user.user_ext_ref,
        "user_status": user.user_status,
        "legacy_dates": user.legacy_dates,
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": user.date_joined.time().replace(microsecond=0).isoformat(),
        "last_login_0": "",
        "last_login_1": "",
    }
    return form | changes


def save(actor: User, user: User, **changes):
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return as_user(actor).post(url, change_form(user, **changes))


@pytest.mark.parametrize(
    ("vendor", "words"),
    [
        ("userUid", "User UID"),
        ("userExtRef", "User external reference"),
        ("deviceOsHostname", "Device OS hostname"),
        ("coldStorageExpireDate", "Cold storage expire date"),
        ("archiveGuid", "Archive GUID"),
        ("send owner alerts", "send owner alerts"),
    ],
)
def test_vendor_names_read_as_words(vendor, words):
    assert readable(vendor) == words


def test_the_user_list_has_readable_columns_and_each_role(personas):
    page = as_user(personas["sysadmin"]).get(reverse("admin:accounts_user_changelist"))
    shown = headers(page.content.decode())
    assert "User UID" in shown and "User external reference" in shown
    assert "Role" in shown and "User status" in shown
    assert not any(re.search(r"[a-z][A-Z]", name) for name in shown), shown
    rows = {
        m[0]: m[1]
        for m in re.findall(
            r'<a href="/admin/accounts/user/\d+/change/[^"]*">([^<]+)</a>.*?'
            r'<td class="field-role_groups">([^<]*)</td>',
            page.content.decode(),
            re.S,
        )
    }
    assert rows["alice"] == "Org manager"
    assert rows["dave"] == "Desktop user"
    assert rows["erin"] == "No role"
    assert rows["sysadmin"] == "System administrator"


def test_the_user_list_asks_the_same_queries_for_more_users(personas):
    client = as_user(personas["sysadmin"])
    url = reverse("admin:accounts_user_changelist")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        UserFactory(username=f"more{n}").groups.add(Group.objects.get(name=ORG_MANAGERS))
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(few)


def test_the_change_form_offers_one_role_each_explained(personas):
    url = reverse("admin:accounts_user_change", args=[personas["dave"].pk])
    page = as_user(personas["super"]).get(url).content.decode()
    assert page.count('type="radio" name="role"') == 4
    for explained in ("System administrator</strong>: sees every device", "Org manager</strong>"):
        assert explained in page
    assert re.search(f'name="role" value="{DESKTOP_USERS}" id="[^"]+" checked', page)
    assert 'name="groups"' not in page
    assert 'name="is_staff"' not in page and "Staff status" not in page
    assert 'name="user_permissions"' not in page


def test_a_system_administrator_makes_a_desktop_user_an_org_manager(personas):
    dave = personas["dave"]
    response = save(personas["sysadmin"], dave, role=ORG_MANAGERS)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert list(dave.groups.values_list("name", flat=True)) == [ORG_MANAGERS]


def test_no_role_takes_every_role_group_and_keeps_others(personas):
    alice = personas["alice"]
    other, _ = Group.objects.get_or_create(name="Auditors")
    alice.groups.add(other)
    assert save(personas["sysadmin"], alice, role="").status_code == 302
    assert list(alice.groups.values_list("name", flat=True)) == ["Auditors"]


def test_only_a_superuser_makes_a_system_administrator(personas):
    dave = personas["dave"]
    response = save(personas["sysadmin"], dave, role=SYSTEM_ADMINISTRATORS)
    assert response.status_code == 200  # the form again
    assert "Select a valid choice" in response.content.decode()
    assert list(dave.groups.values_list("name", flat=True)) == [DESKTOP_USERS]
    assert save(personas["super"], dave, role=SYSTEM_ADMINISTRATORS).status_code == 302
    assert list(dave.groups.values_list("name", flat=True)) == [SYSTEM_ADMINISTRATORS]


def test_a_system_administrator_still_may_not_change_a_superuser(personas):
    superuser = personas["super"]
    response = save(personas["sysadmin"], superuser, role=DESKTOP_USERS)
    assert response.status_code == 403
    assert not superuser.groups.exists()


def test_the_run_log_writes_dates_and_counts_as_the_pages(personas):
    Run.objects.create(
        kind=Run.Kind.choices[0][0],
        trigger=Run.Trigger.choices[0][0],
        started_at=ago(days=3, minutes=5),
        finished_at=ago(days=3),
        outcome=Run.Outcome.SUCCEEDED,
        created=6883,
        updated=1234567,
    )
    page = as_user(personas["sysadmin"]).get(reverse("admin:refresh_run_changelist"))
    html = page.content.decode()
    assert re.search(
        r'<time datetime="[^"]+" class="when">\d{4}-\d\d-\d\d \d\d:\d\d UTC'
        r'<span class="when-ago"><span class="when-sep"> · </span>3 days ago</span></time>',
        html,
    )
    assert ">6,883<" in html and ">1,234,567<" in html
    assert "p.m." not in html and "a.m." not in html


def test_a_run_says_its_steps_after_it_in_words(personas):
    """The run's page showed the steps' JSON ([{"step": ..., "note": ...}])."""
    run = Run.objects.create(
        kind=Run.Kind.choices[0][0],
        trigger=Run.Trigger.choices[0][0],
        started_at=ago(hours=1),
        outcome=Run.Outcome.SUCCEEDED,
        after_refresh=[
            {"step": "warm figures", "note": "12 reaches", "error": ""},
            {"step": "send alerts", "note": "", "error": "SMTPServerDisconnected: gone"},
        ],
    )
    url = reverse("admin:refresh_run_change", args=[run.pk])
    html = as_user(personas["sysadmin"]).get(url).content.decode()
    assert "<div>warm figures: 12 reaches</div>" in html
    assert "<div>send alerts failed: SMTPServerDisconnected: gone</div>" in html
    assert "&quot;step&quot;" not in html and '"step"' not in html


def test_a_change_form_writes_dates_as_the_pages(personas):
    dave = personas["dave"]
    dave.last_login = dt.datetime(2026, 12, 3, 23, 35, tzinfo=dt.UTC)
    dave.save()
    client = as_user(personas["super"])
    url = reverse("admin:accounts_user_change", args=[dave.pk])
    html = client.get(url).content.decode()
    assert 'value="2026-12-03"' in html and "Dec." not in html


def test_every_plural_name_is_a_word(db):
    for model in apps.get_models():
        if model._meta.app_label not in ("accounts", "reports", "refresh", "notifications"):
            continue
        plural = str(model._meta.verbose_name_plural)
        assert not re.search(r"(ss|chs|shs|xs|[^aeiou]ys)$", plural), (model, plural)
    page_models = apps.get_model("notifications", "SiteSwitch")._meta
    assert page_models.verbose_name_plural == "site-wide notification switches"


def test_the_index_says_switches(personas):
    page = as_user(personas["sysadmin"]).get(reverse("admin:index")).content.decode()
    assert "Site-wide notification switches" in page
    assert "switchs" not in page


def test_the_sidebar_names_every_app_in_words(db):
    """Third-party apps said "Axes", "Otp_Totp" and "Tasks Database Backend"."""
    root = UserFactory(username="superroot", is_superuser=True, is_staff=True)
    page = as_user(root).get(reverse("admin:index")).content.decode()
    names = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>(.*?)</a>', page, re.S)
    assert {"Sign-in lockouts", "Second factor (authenticator apps)", "Background jobs"} <= set(
        names
    )
    assert not {"Axes", "Otp_Totp", "Tasks Database Backend"} & set(names)
    assert all(re.fullmatch(r"[A-Z][a-z].*", name) and "_" not in name for name in names), names


def test_the_data_pages_run_log_writes_dates_as_every_page(personas):
    """The same format (backup_format.age) on the data page as in the admin's run log."""
    Run.objects.create(
        kind=Run.Kind.choices[0][0],
        trigger=Run.Trigger.choices[0][0],
        started_at=ago(days=2, hours=1),
        outcome=Run.Outcome.SUCCEEDED,
        created=6883,
    )
    html = as_user(personas["sysadmin"]).get(reverse("data")).content.decode()
    assert re.search(
        r'<td><a href="[^"]+"><time datetime="[^"]+" class="when">\d{4}-\d\d-\d\d \d\d:\d\d UTC'
        r'<span class="when-ago"><span class="when-sep"> · </span>2 days ago</span>'
        r"</time></a></td>",
        html,
    )
    assert ">6,883<" in html


def test_every_admin_list_answers_sorted_by_each_column(personas, fleet):
    """The formatted columns (reports.admin_formats) sort as the fields they show."""
    from django.contrib import admin

    Run.objects.create(kind=Run.Kind.choices[0][0], trigger=Run.Trigger.choices[0][0], created=5)
    client = as_user(personas["super"])
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        for n in range(1, len(model_admin.list_display) + 1):
            response = client.get(url, {"o": str(n)})
            assert response.status_code == 200, (url, n)
