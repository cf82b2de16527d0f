"""The Subscriptions page asks why each subscription it lists is held for all of them at
once (reports.notifications.subscriptions.problems_of): building each one's report query
to check its parameters cost 3.3 s a page of 100, and each view naming an org read its
orgs again, row after row (found by an audit of the page's speed). Read once per view's
parameters and once per org text and reach, each subscription must still be held for
exactly what it is held for alone, whoever made it and whoever it goes to."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from accounts.roles import ORG_MANAGERS, reach_of
from reports.catalog import REPORTS
from reports.dashboards import spreadsheet
from reports.notifications import subscriptions
from reports.notifications.models import Subscription
from reports.query import InvalidParameters
from tests.factories import OrgFactory, UserFactory
from tests.test_subscriptions import make_view, subscribe

QUERIES = (
    "view=devices&health=failing",
    "",  # the report's defaults
    "view=devices&health=sometimes",
    "view=devices&health=failing&health=warning",  # given twice
    "srtKey=nope&srtDir=sideways&pgSize=0",
    "view=devices&os=Windows&exactOs=plan9",
    "view=archives&backupAge=forever&coldStorageExpiresWithin=-1",
    "orgTree=Accounting&orgUid=org-eng&exactOrgUid=org-nowhere",
    "orgTree=Atlantis&active=maybe",
    "user=alice&device=x",
)


@pytest.mark.parametrize("slug", sorted(REPORTS))
def test_whether_parameters_hold_is_the_same_for_every_reader(fleet, slug):
    """What the batched check says of a view's parameters is what building its sheet
    raises, for every role and reach, read as its own or as shared by another: the
    proof that one answer serves every subscriber of the view."""
    users = fleet["users"]
    for query in QUERIES:
        expected = spreadsheet.parameters_problem(slug, QueryDict(query))
        for reader in users.values():
            for shared_by in (None, users["root"], users["carol"]):
                try:
                    spreadsheet.report_sheet(
                        slug, QueryDict(query), reader, reach_of(reader), shared_by
                    )
                except InvalidParameters as error:
                    said = str(error)
                else:
                    said = None
                assert said == (None if expected is None else str(expected)), (query, reader)


def _varied(fleet, orgs) -> list[Subscription]:
    """Makers and recipients of each role; views whose org filters name orgs in one
    reader's reach and out of another's, or no org; stopped and held ones."""
    users = fleet["users"]
    root, alice, carol, dave, sam = (users[n] for n in ("root", "alice", "carol", "dave", "sam"))
    managers = Group.objects.get(name=ORG_MANAGERS)
    made = []
    accounting = make_view(root, query="view=devices&orgTree=Accounting", name="Accounting")
    accounting.shared_roles.add(managers)
    accounting.shared_users.add(dave, sam)
    for person in (alice, carol, dave, sam):  # in alice's and dave's reading only
        made.append(subscribe(accounting, person, users=[person]))
    made.append(subscribe(accounting, root, roles=[ORG_MANAGERS]))
    by_uid = make_view(alice, query="orgUid=org-accounting", name="By code")
    by_uid.shared_roles.add(managers)
    by_uid.shared_users.add(root)
    made += [subscribe(by_uid, alice, users=[alice]), subscribe(by_uid, carol, users=[carol])]
    made.append(subscribe(by_uid, root, users=[carol, dave]))  # alice's reading goes
    alice.groups.remove(managers)  # demoted: her own reading changes, and her sending
    # Daily: one running subscription a view, maker and frequency (the constraint).
    made.append(subscribe(by_uid, alice, users=[carol], frequency="daily"))
    made.append(subscribe(by_uid, root, users=[carol], frequency="daily"))  # owner's: gone
    alice.groups.add(managers)
    theirs = make_view(carol, query="view=devices&orgTree=Accounting", name="Carol's")
    theirs.shared_users.add(root)
    made.append(subscribe(theirs, root, roles=[ORG_MANAGERS]))  # beside its owner's reach
    made.append(subscribe(theirs, carol, users=[carol]))
    mona = UserFactory(username="mona", org=orgs["sales"])  # an owner demoted since
    sales = make_view(mona, query="orgTree=Sales", name="Sales")
    sales.shared_users.add(root, mona)
    made += [
        subscribe(sales, root, roles=[ORG_MANAGERS]),
        subscribe(sales, root, users=[root], frequency="daily"),
    ]
    gone = make_view(root, query="exactOrgUid=org-gone&orgTree=Engineering", name="Gone")
    gone.shared_users.add(carol, dave)
    made += [subscribe(gone, carol, users=[carol]), subscribe(gone, root, users=[carol])]
    engineering = make_view(root, query="orgTree=Americas > Engineering", name="Eng")
    engineering.shared_users.add(carol, dave)
    made += [
        subscribe(engineering, carol, users=[carol]),
        subscribe(engineering, dave, users=[dave]),
    ]
    broken = make_view(root, query="view=devices&health=sometimes", name="Broken")
    broken.shared_roles.add(managers)
    stopped = subscribe(broken, root, roles=[ORG_MANAGERS])
    Subscription.objects.filter(pk=stopped.pk).update(active=False)
    made += [stopped, subscribe(broken, carol, users=[carol])]
    search = make_view(root, query="", name="Search")
    search.report = "search"
    search.save()
    made.append(subscribe(search, root, users=[root]))
    private = make_view(root, query="view=devices", name="Private")
    made += [subscribe(private, carol, users=[carol]), subscribe(private, root, users=[root])]
    return made


def test_the_page_s_answers_are_each_subscription_s_alone(fleet, orgs):
    """Every subscription is held, or not, for what it alone is held for, and where its
    parameters hold they hold for each of its recipients (view_sheet, the sending run's
    building of their copy), and where they do not, fail alike for each."""
    made = _varied(fleet, orgs)
    shown = list(Subscription.objects.select_related("view", "created_by").order_by("pk"))
    together = subscriptions.problems_of(shown)
    alone = {s.pk: subscriptions.problems_of([s])[s.pk] for s in shown}
    assert together == alone
    held = {pk for pk, problem in together.items() if problem}
    assert 0 < len(held) < len(made)
    kinds = {
        re.sub(r'"[^"]*"', "", problem).split(":")[0] for problem in together.values() if problem
    }
    assert len(kinds) >= 5, kinds  # the varied set reaches the kinds of hold
    for subscription in shown:
        said = together[subscription.pk] or ""
        for recipient in [subscription.created_by, *subscriptions.recipients_of(subscription)]:
            try:
                subscriptions.view_sheet(subscription, recipient)
            except InvalidParameters as error:
                assert f"no longer holds: {error}" in said
            else:
                assert "no longer holds" not in said


def _page_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/notifications/subscriptions/").content.decode()
    return len(captured), html


def test_views_naming_orgs_are_read_in_queries_that_do_not_grow(fleet, orgs, login):
    """Subscriptions of views naming orgs, by name or code, made by managers of one org
    and sent to managers by an administrator: their orgs are read once per text and
    reach and all their codes at once, whatever the number of subscriptions."""
    users = fleet["users"]
    root = users["root"]
    managers = Group.objects.get(name=ORG_MANAGERS)
    by_name = make_view(root, query="view=devices&orgTree=Accounting", name="By name")
    by_name.shared_roles.add(managers)

    def some(n: int) -> None:
        person = UserFactory(username=f"mgr{n}", org=orgs["accounting"])
        person.groups.add(managers)
        subscribe(by_name, person, users=[person])
        code = OrgFactory(org_uid=f"org-team-{n}", name=f"Team {n}", parent=orgs["accounting"])
        own = make_view(person, query=f"orgUid={code.org_uid}", name=f"Team {n}")
        own.shared_users.add(root)
        subscribe(own, person, users=[person])
        beside = make_view(person, query=f"exactOrgUid=org-gone-{n}", name=f"Gone {n}")
        subscribe(beside, person, users=[person])
        subscribe(own, root, roles=[ORG_MANAGERS])

    client = login("root")
    some(0)
    few, _ = _page_queries(client)
    for n in range(1, 6):
        some(n)
    many, html = _page_queries(client)
    assert many == few
    assert html.count("names no org: exactOrgUid=org-gone-") == 6
    assert html.count("Sending to") == 18
