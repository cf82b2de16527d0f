from django.contrib import admin

from reports.refresh.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
