"""Links that keep the current query: sort headers, pages, export, the API twin.

Empty parameters are dropped so that bookmarked URLs stay short; a link is never bare
(a bare report URL means "the report's defaults"), so an emptied query keeps srtDir.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse

from reports.catalog import Report
from reports.dashboards.filters import DASHBOARD_PARAMETERS


def api_path() -> str:
    """The JSON API's report, below the path the app is served at (FORCE_SCRIPT_NAME)."""
    return reverse("device-backup-report")


class QueryLinks:
    def __init__(self, path: str, params: QueryDict):
        self.path = path
        self.params = params

    def query(self, **changes: str | int | None) -> QueryDict:
        """The current parameters with these changed (None removes one)."""
        query = QueryDict(mutable=True)
        for name, values in self.params.lists():
            kept = [v for v in values if v != ""]
            if kept:
                query.setlist(name, kept)
        for name, value in changes.items():
            if value is None:
                query.pop(name, None)
            else:
                query[name] = str(value)
        return query

    def given(self, **changes: str | int | None) -> QueryDict:
        """query(), never empty: a report asked with no parameter at all is asked at its
        defaults (its page redirects there, a file reads them: Report.as_asked), and a
        page here, asked with some, lists what they select and nothing more."""
        return Report.never_bare(self.query(**changes))

    def url(self, **changes: str | int | None) -> str:
        return f"{self.path}?{self.given(**changes).urlencode()}"

    def page(self, number: int) -> str:
        return self.url(pgNum=None if number == 1 else number)

    def pager(self, page) -> dict[str, str | None]:
        """First, previous, next and last of a paging.Page; None where there is none."""
        return {
            "first": self.page(1),
            "previous": self.page(page.number - 1) if page.has_previous else None,
            "next": self.page(page.number + 1) if page.has_next else None,
            "last": self.page(page.last_number) if page.last_number else None,
        }

    def sort(self, key: str, current_key: str | None, descending: bool) -> str:
        """Sort by key; a second click on the sorted column turns the direction round."""
        direction = "asc" if key == current_key and descending else "desc"
        if key != current_key:
            direction = "asc"
        return self.url(srtKey=key, srtDir=direction, pgNum=None)

    def export(self) -> str:
        """The button's download: for a person at a spreadsheet, so with the names of
        the device's owner (the vendor's columns have only username and email) and when
        a cold-storage archive expires (what the cold-storage report is about)."""
        return self.url(export="csv", extraColumns="true", pgNum=None, pgSize=None)

    def vendor_export(self) -> str:
        """The vendor's exact 34 columns, to feed a script written against it."""
        return self.url(export="csv", extraColumns=None, pgNum=None, pgSize=None)

    def spreadsheet(self, fmt: str) -> str:
        """What is on screen, every row, for a spreadsheet (reports.dashboards.spreadsheet).
        Never a bare address: a page asked with nothing but its paging
        (?pgSize=100) lists every row, and its file, asked with nothing, the report's
        defaults' (found by an audit of the pages: 841 rows on screen, 461 in the file)."""
        query = self.given(export=None, extraColumns=None, pgNum=None, pgSize=None)
        return f"{self.path}spreadsheet.{fmt}?{query.urlencode()}"

    @property
    def xlsx(self) -> str:
        return self.spreadsheet("xlsx")

    @property
    def spreadsheet_csv(self) -> str:
        return self.spreadsheet("csv")

    @property
    def save_view(self) -> str:
        """The form that saves this page, its filters, sort and view, under a name."""
        page = self.url(pgNum=None, export=None, extraColumns=None)
        return f"{reverse('save-view')}?{urlencode({'from': page})}"

    def api(self, page_size: int) -> str:
        """The same page in the JSON API (which ignores the dashboard-only parameters)."""
        query = self.query(export=None, extraColumns=None, pgSize=page_size)
        for name in DASHBOARD_PARAMETERS:
            query.pop(name, None)
        return f"{api_path()}?{query.urlencode()}"

    def without(self, name: str) -> str:
        return self.url(**{name: None, "pgNum": None})
