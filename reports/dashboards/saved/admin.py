from django import forms
from django.contrib import admin
from django.http import QueryDict

from reports.catalog import REPORTS
from reports.dashboards.saved.forms import query_problem
from reports.dashboards.saved.models import SavedView


class SavedViewAdminForm(forms.ModelForm):
    """Its parameters checked as the report page checks them, for its owner: saved
    unchecked, a view that no report reads held its subscriptions from then on (found
    by an audit of the subscriptions)."""

    class Meta:
        model = SavedView
        fields = ["owner", "name", "report", "query", "shared_users", "shared_roles"]

    def clean(self):
        cleaned = super().clean()
        owner, report = cleaned.get("owner"), REPORTS.get(cleaned.get("report") or "")
        if owner is not None and report is not None:
            params = report.as_asked(QueryDict(cleaned.get("query") or ""))
            if problem := query_problem(report, params, owner):
                self.add_error("query", problem)
        return cleaned


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    form = SavedViewAdminForm
    list_display = ["name", "report", "owner", "changed_at"]
    list_filter = ["report"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner", "shared_users"]
    filter_horizontal = ["shared_roles"]
