"""The filter form above each report: plain GET, works without JavaScript.

It only draws the controls; validation is the report query's (reports.query and
reports.dashboards.filters), so a page and the API read a parameter the same way.
"""

from __future__ import annotations

from django import forms
from django.http import QueryDict
from django.urls import reverse_lazy

from accounts.roles import Reach
from reports.dashboards.filters import DASHBOARD_PARAMETERS
from reports.health import FAILING, Health
from reports.query import ReportFilter

PAGE_SIZES = (25, 50, 100, 250, 500, 1000)
DEFAULT_PAGE_SIZE = 50

YES_NO = (("", "Any"), ("true", "Yes"), ("false", "No"))
# Every parameter that selects or sorts rows; those without a control on a report ride
# along as hidden inputs, so Apply keeps them. Paging starts again; export is a link.
PARAMETERS = tuple(
    name
    for name in (*ReportFilter.base_filters, *DASHBOARD_PARAMETERS)
    if name not in ("pgNum", "pgSize", "export", "extraColumns")
)


CHOICES = ("active", "alerted", "coldStorage", "health")  # the selects


def _text(label: str, placeholder: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": placeholder, "type": "search"}),
    )


class ReportForm(forms.Form):
    user = _text("User", "name, email or ID")
    device = _text("Device", "name or asset tag")
    org = _text("Org", "name or org code")
    # The org picker: a plain field without JavaScript; with it, static/reports/
    # org_picker.js offers the orgs within reach as one types (reports.dashboards.
    # views.orgs). Picks the org the path names and every org below it.
    orgTree = forms.CharField(
        label="Org and below",
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "name or path",
                "list": "org-suggestions",
                "autocomplete": "off",
                "data-org-suggest": reverse_lazy("org-suggestions"),
            }
        ),
    )
    os = _text("OS", "e.g. Windows, 14.6")
    destination = _text("Destination", "name")
    active = forms.ChoiceField(label="Active", choices=YES_NO, required=False)
    alerted = forms.ChoiceField(label="Alerted", choices=YES_NO, required=False)
    coldStorage = forms.ChoiceField(label="Cold storage", choices=YES_NO, required=False)
    health = forms.ChoiceField(
        label="Backup health",
        choices=(
            ("", "Any"),
            *((h.value, h.label) for h in Health),
            (FAILING, "Failing: warning, critical or never"),  # compliance's links
        ),
        required=False,
    )
    pgSize = forms.TypedChoiceField(
        label="Rows per page",
        choices=[(n, str(n)) for n in PAGE_SIZES],
        coerce=int,
        required=False,
    )

    def __init__(
        self,
        params: QueryDict,
        *,
        shown: tuple[str, ...],
        page_size: int,
        reach: Reach,
        rejected: tuple[str, ...] = (),
    ):
        """rejected: parameters with bad values, left out so that Apply drops them.

        "Org and below" is offered to a reach over orgs only: a desktop user's rows all
        lie in their own org, so it could list all of them or none, and its type-ahead
        (views.orgs) suggests no org to them; given in an address, it rides along as
        its chip, their own org's name read (filters.org_tree_roots)."""
        if not reach.has_fleet:
            shown = tuple(name for name in shown if name != "orgTree")
        data = params.copy()
        for name in rejected:
            data.pop(name, None)
        # The query reads these in any case (active=True, health=Critical); the select
        # shows them so, where it showed "Any" and Apply dropped them (2026-12-06).
        for name in CHOICES:
            if data.get(name):
                data[name] = data[name].lower()
        data["pgSize"] = str(page_size)
        super().__init__(data)
        for name in list(self.fields):
            if name not in shown and name != "pgSize":
                del self.fields[name]
        if page_size not in PAGE_SIZES:
            self.fields["pgSize"].choices = sorted(
                [*self.fields["pgSize"].choices, (page_size, str(page_size))]
            )
        self.carried = [
            (name, data[name]) for name in PARAMETERS if name not in self.fields and data.get(name)
        ]
