"""The overview and compliance by org as one PDF, for management (spec section 15):
the same figures and SVG charts as the pages (reports.dashboards.charts), for the
viewer's reach, rendered by WeasyPrint (HTML and SVG to PDF, no browser; it needs
Debian's pango). Downloaded from the overview, or attached to a subscription."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.template.loader import render_to_string

from accounts import file_names, org_names
from accounts.roles import Reach
from reports import clock, health
from reports.dashboards import figures
from reports.dashboards.views.overview import _charts, _health_cards
from reports.history import figures as history_figures
from reports.history.asking import compliance_asked
from reports.history.charts import describe_trend, trend_chart
from reports.history.compliance import judged_notes
from reports.history.reading import trend_days
from reports.history.snapshots import day_of
from reports.models import ReportRow

CONTENT_TYPE = "application/pdf"
TARGET = "overview and compliance"  # what the audit log names it


def management_context(user, reach: Reach, now: dt.datetime) -> dict:
    overview = figures.overview(ReportRow.objects.visible_to(user)).at(now)
    context = {
        "overview": overview,
        "as_of": now,
        "health_cards": _health_cards(overview),
        "warning_days": health.warning_days(),
        "critical_days": health.critical_days(),
        "target": settings.COMPLIANCE_TARGET_PERCENT,
        "scope": reach.role_label,
        "recipient": user,
        # The org chart's names as this viewer may read them (as on the overview).
        **_charts(overview, org_names.names_of([o.path for o in overview.by_org], reach.scope)),
    }
    if reach.has_fleet:  # the trend and compliance by org: for those who see more than their own
        compliance, rows, _ = compliance_asked(reach, QueryDict())
        context |= {"compliance": compliance, "compliance_rows": rows} | _trend(reach, now)
        context["judged_notes"] = judged_notes(rows)
    return context


def _trend(reach: Reach, now: dt.datetime) -> dict:
    """The overview's health trend, as the page draws it (its wide shape: a page of A4),
    with its first and latest days in words: management's "are we getting better?" (spec
    section 9); the PDF of the overview left it out (found by an audit of section 9)."""
    today = day_of(now)
    points = history_figures.trend(reach, today)
    return {
        # Compact: a path per health, not a rect a day (charts._paths: 2-2.8x faster).
        "trend_chart": trend_chart(points, today, compact=True),
        "trend_days": trend_days(),
        "trend_said": describe_trend(points, today) if points else "",
    }


@dataclass(frozen=True)
class ManagementPdf:
    data: bytes
    devices: int  # the active devices its figures count
    orgs: int  # the rows of its compliance by org (none for one who sees only their own)

    def audited(self) -> dict:
        """What the audit log says of it (spec section 13: exports with row counts)."""
        return {"rows": self.orgs, "devices": self.devices}


def management_pdf(user, reach: Reach, now: dt.datetime | None = None) -> ManagementPdf:
    context = management_context(user, reach, now or clock.now())
    html = render_to_string("reports/management.pdf.html", context)
    # Imported at a process's first PDF, not with the module: held by every gunicorn
    # worker, which loads the app whole before serving (backupreport.wsgi), WeasyPrint
    # cost each 43 MB for a download few ask for (0.46 s at the first; 2026-12-08).
    from weasyprint import HTML

    # Links in the charts are the site's own: absolute in the PDF.
    data = HTML(string=html, base_url=settings.SITE_URL).write_pdf()
    orgs = len(context.get("compliance_rows", ()))
    return ManagementPdf(data, context["overview"].health.devices, orgs)


def file_name(now: dt.datetime | None = None) -> str:
    return file_names.stamped("backup-overview-and-compliance", "pdf", now or clock.now())
