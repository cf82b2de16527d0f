"""The five reports of spec section 5: what each is and asks by default.

Defaults are plain report parameters, so a report's URL is the API's query and can be
bookmarked; a bare report URL redirects to them. The core's, as the dashboards, the
menu, the digests and warming all name the reports; how a report is drawn (its table,
its filter controls) is the dashboards' own (reports.dashboards.report_pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

# The search report lists rows only once one of these narrows them.
# What a search looks for: any of these given lists its rows. An org picked by its path
# (orgTree) too: its chip said it applied while the page still asked what to search for
# (found by an audit of the pages).
SEARCH_PARAMETERS = (
    "user",
    "device",
    "org",
    "orgTree",
    "userUid",
    "deviceUid",
    "orgUid",
    "exactOrgUid",
    "archiveGuid",
)
SEARCH_FIRST = "Search first: give a user, device or org."
# Parameters that lay a list out (its paging, sort, view, file) without filtering it:
# no filter for the empty state, the chips' words, a file's name or a subscription's.
LAYOUT = ("pgNum", "pgSize", "srtKey", "srtDir", "view", "export", "extraColumns")


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    question: str  # what the report answers, under its title
    defaults: tuple[tuple[str, str], ...]
    totals: bool = False  # exact device count and bytes for the whole filtered set
    needs_search: bool = False
    # What an empty list at the defaults means: said instead of "loosen a filter" to
    # someone who set none (found by an audit of the pages).
    nothing: str = "Nothing you may see is in this report."

    @property
    def path(self) -> str:
        return reverse("report", args=[self.slug])

    def awaits_search(self, params) -> bool:
        """Whether these parameters list nothing yet: a search report without what it
        looks for (its page asks for it; its files and subscriptions refuse)."""
        return self.needs_search and not any(params.get(name) for name in SEARCH_PARAMETERS)

    @staticmethod
    def never_bare(query: QueryDict) -> QueryDict:
        """A query of a page asked with some parameters, kept from reading as one asked
        with none (as_asked): emptied of where the viewer was (?pgSize=100 lists every
        row), it still selects every row, where a bare address is the defaults'."""
        if not query:
            query["srtDir"] = "asc"
        return query

    def as_asked(self, params: QueryDict) -> QueryDict:
        """The parameters the report is asked with: the ones given, or with none at all
        its defaults, as its page redirects to them. A file or a subscription of a bare
        report address listed every row where its page listed the report's (found by an
        audit of the subscriptions: 502 rows mailed, 40 at the link)."""
        if params:
            return params
        return QueryDict(urlencode(self.defaults))

    def is_unfiltered(self, params) -> bool:
        """Whether these parameters filter no more than the report's defaults: only
        sort, page and view beside them."""
        given = {name: params.get(name) for name in params if name not in LAYOUT}
        return {k: v for k, v in given.items() if v} == {
            k: v for k, v in self.defaults if k not in LAYOUT
        }

    def url(self, **params: str) -> str:
        return f"{self.path}?{urlencode(dict(self.defaults) | params)}"

    @property
    def default_url(self) -> str:
        return self.url()


REPORTS: dict[str, Report] = {
    report.slug: report
    for report in (
        Report(
            slug="backup-status",
            title="Backup status",
            question="Active devices, longest since their last connection first.",
            nothing="No active device is yours to see.",
            defaults=(
                ("active", "true"),
                ("view", "devices"),
                ("srtKey", "lastConnectedDate"),
                ("srtDir", "asc"),
            ),
        ),
        Report(
            slug="disk-usage",
            title="Disk usage",
            question="Who uses the most storage: largest archives first.",
            nothing="No device is yours to see.",
            defaults=(("srtKey", "archiveBytes"), ("srtDir", "desc")),
            totals=True,
        ),
        Report(
            slug="migration-plan",
            title="Migration plan",
            question="One OS in one org, largest selection first: what a migration must move.",
            nothing="No active Mac is yours to see: choose another OS or org above.",
            defaults=(
                ("os", "mac"),
                ("active", "true"),
                ("view", "devices"),
                ("srtKey", "selectedBytes"),
                ("srtDir", "desc"),
            ),
            totals=True,
        ),
        Report(
            slug="cold-storage",
            title="Cold storage",
            question="Archives in cold storage, longest since their last connection first.",
            nothing="None of the archives you may see is in cold storage: nothing to purge.",
            defaults=(
                ("coldStorage", "true"),
                ("srtKey", "lastConnectedDate"),
                ("srtDir", "asc"),
            ),
            totals=True,
        ),
        Report(
            slug="search",
            title="Search",
            question="Find users, devices and orgs by name or by reference (employee ID, "
            "asset tag, org code).",
            defaults=(("srtKey", "username"), ("srtDir", "asc")),
            needs_search=True,
        ),
    )
}
