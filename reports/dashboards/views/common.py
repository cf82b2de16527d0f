"""What every dashboard page shows around its content: the nav, the user and their role."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import reach_of
from reports.catalog import REPORTS


def page_context(request: HttpRequest, current: str) -> dict:
    reach = reach_of(request.user)
    return {
        "role_label": reach.role_label,
        # The admin site lets in exactly these (accounts.admin_site).
        "can_admin": reach.everything,
        "has_history": reach.has_fleet,
        "reach": reach,  # for a page's own use, so it is read once
        "nav_reports": REPORTS.values(),
        "current": current,
    }
