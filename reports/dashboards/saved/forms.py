"""Saving a view: its name, whom it is shared with, and the report page it keeps (the
page's own address, checked as the page checks it)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict

from accounts.named_users import named_users
from accounts.role_choices import RoleChoiceField
from accounts.roles import reach_of
from reports.catalog import REPORTS, Report
from reports.dashboards.filters import dashboard_query
from reports.dashboards.saved.models import SavedView
from reports.query import InvalidParameters

# Never part of a saved view: where the viewer was, not what they asked.
NOT_KEPT = ("pgNum", "export", "extraColumns")


def report_at(page: str) -> tuple[Report, str] | None:
    """The report a page's address is of, and its query string; None for the address
    of no report page, or no address at all: urlsplit raises for an unclosed IPv6
    bracket ("http://["), and the save form's page and its POST were a 500 (found by an
    audit of section 15)."""
    try:
        address = urlsplit(page)
    except ValueError:
        return None
    report = next((r for r in REPORTS.values() if r.path == address.path), None)
    return None if report is None else (report, address.query)


def query_problem(report, params: QueryDict, owner) -> str | None:
    """What is wrong with a report's parameters as the owner would open them, or None:
    the page's own check, for the save form and the admin's."""
    if report.awaits_search(params):
        return "Search first: a saved search needs what it looks for."
    try:
        dashboard_query(params, owner)
    except InvalidParameters as invalid:
        wrong = "; ".join(f"{name}: {error}" for name, error in sorted(invalid.errors.items()))
        return f"The report's parameters are wrong: {wrong}"
    return None


def kept_query(params: QueryDict) -> str:
    """Saved from ?pgNum=3, a page listing every row, the view kept nothing and opened
    (and was mailed) at the report's defaults (found by an audit of the pages)."""
    query = params.copy()
    for name in NOT_KEPT:
        query.pop(name, None)
    return (Report.never_bare(query) if params else query).urlencode()


class SavedViewForm(forms.ModelForm):
    page = forms.CharField(widget=forms.HiddenInput, max_length=4000)
    shared_usernames = forms.CharField(
        required=False,
        max_length=2000,
        label="Share with people",
        help_text=(
            "Usernames of people you may see, separated by commas. Each sees the view "
            "with their own reach."
        ),
    )

    class Meta:
        model = SavedView
        fields = ["name", "shared_roles"]
        labels = {"shared_roles": "Share with roles"}
        widgets = {"shared_roles": forms.CheckboxSelectMultiple}
        field_classes = {"shared_roles": RoleChoiceField}

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        roles = self.fields["shared_roles"]
        roles.help_text = "Everyone with the role, each within their own reach."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the view a name.")
        # It is a mail's subject too: a line break there made every copy fail (2026-12-06).
        if any(unicodedata.category(character) == "Cc" for character in name):
            raise forms.ValidationError(
                "A name is one line of text: no line breaks, tabs or control characters."
            )
        if SavedView.objects.filter(owner=self.owner, name=name).exists():
            raise self.name_taken(name)
        return name

    @staticmethod
    def name_taken(name: str) -> forms.ValidationError:
        return forms.ValidationError(f'You already have a view named "{name}".')

    def clean_page(self) -> tuple[str, str]:
        """(report slug, query) of the report page's address, or the reason it is not."""
        found = report_at(self.cleaned_data["page"])
        if found is None:
            raise forms.ValidationError("Only a report page can be saved as a view.")
        report, query = found
        params = report.as_asked(QueryDict(query))
        problem = query_problem(report, params, self.owner)
        if problem:
            raise forms.ValidationError(problem)
        return report.slug, kept_query(params)

    def clean_shared_usernames(self) -> list:
        return named_users(self.cleaned_data["shared_usernames"], reach_of(self.owner))

    def save(self, commit: bool = True) -> SavedView:
        view = super().save(commit=False)
        view.owner = self.owner
        view.report, view.query = self.cleaned_data["page"]
        view.save()
        self.save_m2m()
        view.shared_users.set(self.cleaned_data["shared_usernames"])
        return view
