"""An empty fleet (a fresh installation, nothing imported or synced yet) before a system
administrator: the overview, the report pages and storage by user or org say there is no
data yet and lead to the Data page, where they read "No active device is yours to see", a matter of
permissions to the one person who may see everything (found by an audit of the pages).
Another reach's empty list says nothing of the rest of the fleet."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.catalog import REPORTS
from tests.factories import OrgFactory, UserFactory

PAGES = [report.default_url for report in REPORTS.values() if not report.needs_search]
PAGES += ["/reports/search/?user=nobody", "/reports/disk-usage/by-user/"]
PAGES += ["/reports/disk-usage/by-org/", "/reports/backup-status/?health=ok", "/"]
NO_DATA = "No device has been imported or synced yet"


def signed_in(client, role: str):
    user = UserFactory(username=f"someone-{role.split()[0].lower()}", org=OrgFactory())
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_an_administrator_is_told_nothing_is_imported_yet(client, page):
    html = signed_in(client, SYSTEM_ADMINISTRATORS).get(page).content.decode()
    assert NO_DATA in html
    assert 'href="/data/"' in html
    assert "is yours to see" not in html


@pytest.mark.django_db
def test_a_manager_is_not_told_of_the_fleet(client):
    html = signed_in(client, ORG_MANAGERS).get(REPORTS["backup-status"].default_url)
    assert NO_DATA not in html.content.decode()


@pytest.mark.parametrize("page", ["/reports/backup-status/?user=nobody-at-all", PAGES[0]])
def test_an_empty_list_of_a_fleet_is_not_called_empty(login, page):
    html = login("root").get(page).content.decode()
    assert NO_DATA not in html
