from django.contrib import admin

from reports.dashboards.saved.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "report", "owner", "changed_at"]
    list_filter = ["report"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner", "shared_users"]
    filter_horizontal = ["shared_roles"]
