from django.contrib import admin

from reports.admin import ReadOnlyAdmin
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
    readonly_fields = [f.name for f in Run._meta.fields]

    def changelist_view(self, request, extra_context=None):
        reap()  # a run whose process died is listed as failed, not running
        return super().changelist_view(request, extra_context)
