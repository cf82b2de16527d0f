"""The page frame: what every page shows around its content (templates/base.html), from
one context processor, so that a new page cannot forget it.

- the menu: the overview, the five reports (reports.catalog), compliance by org for a
  reach with fleet figures, saved views, notifications, and the data page, the audit log
  and the admin for system administrators; the item whose address holds the page's is
  marked current;
- the user's role label (accounts.roles);
- how old the data is (reports.refresh.data_age), which the overview shows.

Everything is read when a template first asks for it, and once: a page that draws no
frame (the admin, a JSON answer) costs nothing. Here, beside the settings and the URLs,
because the frame knows every feature's pages and no feature knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest
from django.urls import reverse

from accounts.roles import Reach, reach_of_request
from reports import clock
from reports.catalog import REPORTS
from reports.refresh.data_age import DataAge, data_age


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


class Frame:
    def __init__(self, request: HttpRequest):
        self.request = request

    @cached_property
    def reach(self) -> Reach:
        return reach_of_request(self.request)

    @property
    def role_label(self) -> str:
        return self.reach.role_label

    @property
    def can_admin(self) -> bool:
        """The admin site lets in exactly these (accounts.admin_site)."""
        return self.reach.everything

    @cached_property
    def menu(self) -> list[MenuItem]:
        items = [("Overview", reverse("overview"), reverse("overview"))]
        items += [(r.title, r.default_url, r.path) for r in REPORTS.values()]
        if self.reach.has_fleet:
            items.append(("Compliance", reverse("compliance"), reverse("compliance")))
        items.append(("Saved views", reverse("saved-views"), reverse("saved-views")))
        items.append(("Notifications", reverse("notifications"), reverse("notifications")))
        if self.can_admin:
            items.append(("Data", reverse("data"), reverse("data")))
            items.append(("Audit log", reverse("audit"), reverse("audit")))
            items.append(("Admin", reverse("admin:index"), None))
        return [MenuItem(label, url, self._is_current(path)) for label, url, path in items]

    def _is_current(self, path: str | None) -> bool:
        """The page is the item's or below it ("/" only itself): the data page's
        uploads and syncs mark Data."""
        here = self.request.path
        if path is None:
            return False
        return here == path or (path != "/" and here.startswith(path))

    @cached_property
    def data_age(self) -> DataAge:
        return data_age(clock.now())


def page_frame(request: HttpRequest) -> dict:
    """The context processor (settings.TEMPLATES)."""
    # No user on a page answered before authentication (the edge's 400 and 404 pages).
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"frame": Frame(request)}
