"""The one reach rule (spec section 4, accounts.roles.Reach): a user sees their own
devices plus whole org subtrees, or everything. Reach.q() is that rule on any model and
Reach.covers() on one org path; every surface goes through them, so each is checked
here against the rule written out by hand, persona by persona."""

from __future__ import annotations

import pytest
from django.db.models import Q

from accounts import org_paths
from accounts.models import Org, User
from accounts.roles import EVERYTHING, NOTHING, Reach, reach_of, with_fleet
from reports.api.visibility import visible_orgs, visible_users
from reports.history.models import Snapshot
from reports.history.reading import snapshots_of
from reports.history.snapshots import take
from reports.models import ReportRow

PERSONAS = ("sysadmin", "super", "alice", "carol", "dave", "sam", "erin")


def subtree_pks(reach: Reach) -> set[int]:
    """The orgs of the granted subtrees, from each org's ancestors (not its path prefix)."""
    granted = set(Org.objects.filter(path__in=reach.org_paths).values_list("pk", flat=True))
    return {org.pk for org in Org.objects.all() if granted & {a.pk for a in org.ancestors()}}


@pytest.fixture
def reaches(personas) -> dict[str, tuple[User, Reach]]:
    return {name: (personas[name], reach_of(personas[name])) for name in PERSONAS}


@pytest.mark.parametrize("name", PERSONAS)
def test_report_rows_are_the_owners_and_the_subtrees(reaches, name):
    user, reach = reaches[name]
    seen = set(ReportRow.objects.visible_to(user).values_list("pk", flat=True))
    if reach.everything:
        assert seen == set(ReportRow.objects.values_list("pk", flat=True))
        return
    orgs = subtree_pks(reach)
    expected = {
        row.pk for row in ReportRow.objects.all() if row.owner_id == user.pk or row.org_id in orgs
    }
    assert seen == expected


@pytest.mark.parametrize("name", PERSONAS)
def test_users_orgs_and_snapshots_follow_the_same_rule(reaches, name):
    user, reach = reaches[name]
    take()
    everything = reach.everything
    orgs = subtree_pks(reach)
    users = set(visible_users(reach).values_list("pk", flat=True))
    # The vendor's users (a userUid and an org, as the vendor's all have): an account
    # made here lists in none of its resources (reports.api.visibility).
    vendors = [u for u in User.objects.all() if u.user_uid and u.org_id]
    assert users == {u.pk for u in vendors if everything or u.pk == user.pk or u.org_id in orgs}
    seen_orgs = set(visible_orgs(reach, user.org_id).values_list("pk", flat=True))
    assert seen_orgs == {
        o.pk for o in Org.objects.all() if everything or o.pk in orgs or o.pk == user.org_id
    }
    snapshots = set(snapshots_of(reach).values_list("pk", flat=True))
    assert snapshots == {s.pk for s in Snapshot.objects.all() if everything or s.org_id in orgs}
    assert snapshots or not reach.has_fleet


@pytest.mark.parametrize("name", PERSONAS)
def test_covers_is_the_rule_on_one_path(reaches, name):
    _, reach = reaches[name]
    orgs = subtree_pks(reach)
    for org in Org.objects.all():
        assert reach.covers(org.path) == (reach.everything or org.pk in orgs), org.name


def test_the_condition_combines_with_others_either_way(reaches):
    _, everything = reaches["sysadmin"]
    _, own = reaches["dave"]
    accounting = Org.objects.get(org_uid="org-accounting")
    orgs = Org.objects.all()
    assert orgs.filter(everything.q(path="path") | Q(pk=accounting.pk)).count() == orgs.count()
    assert list(orgs.filter(own.q(path="path") | Q(pk=accounting.pk))) == [accounting]
    assert not orgs.filter(own.q(path="path")).exists()  # no subtree: nothing
    assert orgs.filter(EVERYTHING).count() == orgs.count()
    assert not orgs.filter(NOTHING).exists()


def test_the_condition_must_say_where_the_org_is(reaches):
    _, reach = reaches["alice"]
    with pytest.raises(TypeError, match="path= or org="):
        reach.q(owner="pk")


def test_a_reach_of_nothing_sees_nothing(personas):
    nobody = Reach(everything=False, owner_id=None)
    assert not ReportRow.objects.within(nobody).exists()
    assert not visible_users(nobody).exists()
    assert not snapshots_of(nobody).exists()


def test_the_holders_of_fleet_figures_are_the_reaches_with_a_fleet(personas):
    holders = set(with_fleet(User.objects.all()).values_list("username", flat=True))
    assert holders == {u.username for u in User.objects.all() if reach_of(u).has_fleet}
    assert holders == {"sysadmin", "super", "alice", "carol"}


def test_org_paths_are_read_in_one_place(orgs):
    accounting = orgs["accounting"]
    path = accounting.path
    assert org_paths.pks(path) == [orgs["acme"].pk, orgs["emea"].pk, accounting.pk]
    assert org_paths.depth(path) == accounting.depth == 3
    assert org_paths.ancestor_path(path, 2) == orgs["emea"].path
    assert org_paths.child_path(orgs["emea"].path, accounting.pk) == path
    assert org_paths.within(path, orgs["emea"].path)
    assert not org_paths.within(orgs["sales"].path, path)
    assert list(Org.objects.subtree_of(orgs["emea"])) == list(
        Org.objects.subtree_of(orgs["emea"].path)
    )
    assert {o.name for o in Org.objects.subtree_of(orgs["emea"])} == {
        "EMEA",
        "Accounting",
        "Sales",
    }


def test_an_org_without_a_path_grants_nothing_beyond_the_owners_own(personas):
    """An empty path is a prefix of every path: a manager of an org whose path was never
    written would have read the whole fleet. None can be made (an audit looked); the
    reach fails closed all the same, on the report rows, people and orgs."""
    alice = personas["alice"]
    Org.objects.filter(pk=alice.org_id).update(path="")
    alice = User.objects.get(pk=alice.pk)
    reach = reach_of(alice)
    assert reach.org_paths == () and not reach.has_fleet
    seen = ReportRow.objects.visible_to(alice)
    assert set(seen.values_list("owner_id", flat=True)) <= {alice.pk}
    assert ReportRow.objects.exclude(owner_id=alice.pk).exists()
    assert not Org.objects.filter(reach.q(path="path")).exists()
    assert set(User.objects.filter(reach.q(org="org", owner="pk"))) == {alice}
