"""Every query parameter an API resource reads, by name: the rest are unknown, and the
spec (section 3) has unknown parameters ignored, whatever they hold. backupreport.edge
drops an unknown one holding text the database cannot store (a NUL) or too long to
read, where it refused the request naming it; a known one is still refused so.

A name missing here is only dropped when it holds such text: its resource then reads
it as not given, never the text itself."""

from __future__ import annotations

from functools import cache

# Read by views that take no form: compliance and the trend, the token endpoints, the
# audit log's cursor (its filters are accounts.audit.forms.EventFilter's).
OTHERS = ("org", "sort", "days", "grant_type", "useBody", "cursor", "limit", "format")


@cache
def names() -> frozenset[str]:
    from accounts.audit.forms import EventFilter
    from reports.api import computers, orgs, users, vendor  # noqa: F401 (their forms)
    from reports.query import ReportFilter

    forms, found = [vendor.Parameters], set(OTHERS)
    while forms:
        form = forms.pop()
        found |= set(form.base_fields)
        forms += form.__subclasses__()
    return frozenset(found | set(ReportFilter.base_filters) | set(EventFilter.base_fields))
