from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.text import Truncator

from reports.admin import ReadOnlyAdmin
from reports.pipeline import StepOutcome
from reports.refresh.models import Run
from reports.refresh.reaping import reap


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    """Read-only: the log is what happened. Newest first."""

    list_display = [
        "started_at",
        "kind",
        "trigger",
        "user",
        "outcome",
        "error_line",
        "created",
        "updated",
        "removed",
        "unchanged",
        "finished_at",
        "source",
    ]
    list_filter = ["outcome", "kind", "trigger"]
    search_fields = ["source", "error"]
    date_hierarchy = "started_at"
    list_select_related = ["user"]
    ordering = ["-started_at", "-pk"]
    # The steps after the run as lines ("warm figures: 12 reaches"), not their JSON.
    exclude = ["after_refresh"]
    readonly_fields = [f.name for f in Run._meta.fields if f.name != "after_refresh"] + [
        "steps_after_refresh"
    ]

    @admin.display(description="error")
    def error_line(self, run: Run) -> str:
        # Why a run failed, in the list: a scheduled sync has no page of its own.
        return Truncator(run.error).chars(120)

    @admin.display(description="after the run")
    def steps_after_refresh(self, run: Run):
        lines = [StepOutcome(**step).line() for step in run.after_refresh]
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) or "none"

    def changelist_view(self, request, extra_context=None):
        reap()  # a run whose process died is listed as failed, not running
        return super().changelist_view(request, extra_context)
