"""What the compliance page and its JSON twin (reports.api.compliance) ask, read the same
way by both: a level of the viewer's reach (`org`) and a sort."""

from __future__ import annotations

from accounts.roles import Reach
from reports import clock
from reports.history import figures
from reports.history.compliance import Compliance, ComplianceRow, sorted_rows, with_now_of

DEFAULT_SORT = "now"  # the worst first: what a review starts with
NO_FLEET = "Compliance by org covers org subtrees; your role lets you see your own devices only."


class BadParameter(ValueError):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def compliance_asked(reach: Reach, query) -> tuple[Compliance, list[ComplianceRow], str]:
    """The level asked for, sorted; raises OutOfReach or BadParameter."""
    sort = query.get("sort") or DEFAULT_SORT
    compliance = figures.compliance(reach, query.get("org") or None)
    compliance = with_now_of(compliance, figures.health_by_org(), clock.now())
    try:
        rows = sorted_rows(compliance.rows, sort)
    except ValueError as error:
        raise BadParameter("sort", str(error)) from None
    return compliance, rows, sort
