"""A saved view (spec section 15): a report page's parameters under a name.

It holds a query, never rows: whoever opens it, or receives it by subscription, gets the
report computed afresh with their own reach (accounts.roles), so sharing a view shares
a question, not an answer, and never widens anyone's reach.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from accounts.roles import SYSTEM_ADMINISTRATORS, is_system_administrator
from reports.catalog import REPORTS


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user) -> QuerySet:
        """Views the user owns or that are shared with them or one of their roles."""
        if not user.is_authenticated:
            return self.none()
        shared = Q(shared_users=user) | Q(shared_roles__in=user.groups.all())
        if is_system_administrator(user):  # a superuser is one without the group (spec 4)
            shared |= Q(shared_roles__name=SYSTEM_ADMINISTRATORS)
        matching = self.filter(Q(owner=user) | shared).values("pk")
        return self.filter(pk__in=matching)  # no duplicates from the joins

    def seen_by(self, pairs: list[tuple[int, int]], users: dict[int, object]) -> set:
        """The (view pk, user pk) pairs of these where visible_to(user) holds the view,
        in three queries however many (the Subscriptions page asks it of each
        subscription's maker: one query each cost 200 at 200, found by an audit).
        `users`: by pk, each pair's user, read through accounts.roles.with_roles (their
        role costs no query). Its rule is visible_to's, each pair read the same:
        tests/test_subscriptions_held.py asks both of every pair."""
        view_pks = {view for view, _ in pairs}
        user_pks = {user for _, user in pairs}
        owners = dict(self.filter(pk__in=view_pks).values_list("pk", "owner_id"))
        to_users = set(
            SavedView.shared_users.through.objects.filter(
                savedview_id__in=view_pks, user_id__in=user_pks
            ).values_list("savedview_id", "user_id")
        )
        to_roles: dict[int, set[int]] = {}
        administrators = set()  # views shared with the role a superuser holds unnamed
        shared_roles = SavedView.shared_roles.through.objects.filter(savedview_id__in=view_pks)
        for view, group, name in shared_roles.values_list(
            "savedview_id", "group_id", "group__name"
        ):
            to_roles.setdefault(view, set()).add(group)
            if name == SYSTEM_ADMINISTRATORS:
                administrators.add(view)
        groups: dict[int, set[int]] = {}
        memberships = Group.user_set.through.objects.filter(user_id__in=user_pks)
        for user, group in memberships.values_list("user_id", "group_id"):
            groups.setdefault(user, set()).add(group)
        return {
            (view, user)
            for view, user in pairs
            if users[user].is_authenticated
            and (
                owners.get(view) == user
                or (view, user) in to_users
                or to_roles.get(view, set()) & groups.get(user, set())
                or (view in administrators and is_system_administrator(users[user]))
            )
        }


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=100)
    report = models.CharField(
        max_length=40, choices=[(slug, r.title) for slug, r in REPORTS.items()]
    )
    # The report page's parameters, URL-encoded: filters, sort, view (the columns);
    # never the page number.
    query = models.TextField()
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="shared with users"
    )
    shared_roles = models.ManyToManyField(
        Group, blank=True, related_name="+", verbose_name="shared with roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    # A view outlives its report when an upgrade renames or removes one: its list, its
    # subscriptions' page and the sending broke on it with a KeyError (found by an
    # audit); its subscriptions are held for it (reports.notifications.subscriptions).
    @property
    def offered(self) -> bool:
        """Whether its report is still one of the site's."""
        return self.report in REPORTS

    @property
    def report_title(self) -> str:
        if not self.offered:
            return f"{self.report} (a report no longer offered)"
        return REPORTS[self.report].title

    @property
    def query_dict(self) -> QueryDict:
        return QueryDict(self.query)

    @property
    def url(self) -> str:
        """The report page with these parameters (relative: the site's own link); the
        saved views' list, where its report is no longer offered."""
        if not self.offered:
            return reverse("saved-views")
        return f"{REPORTS[self.report].path}?{self.query}"
