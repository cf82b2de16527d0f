from django.contrib import admin

from reports.models import Archive, Destination, Device, ReportRow, Server


class ReadOnlyAdmin(admin.ModelAdmin):
    """What nobody edits by hand: derived rows and the record of what happened."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ["name", "destination_uid", "type"]
    list_filter = ["type"]
    search_fields = ["name", "destination_uid"]
    show_full_result_count = False


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    list_display = ["name", "server_uid", "destination"]
    list_filter = ["destination"]
    search_fields = ["name", "server_uid"]
    list_select_related = ["destination"]
    autocomplete_fields = ["destination"]
    show_full_result_count = False


class ArchiveInline(admin.TabularInline):
    model = Archive
    extra = 0
    autocomplete_fields = ["destination", "server"]
    fields = [
        "archive_guid",
        "destination",
        "server",
        "selected_bytes",
        "archive_bytes",
        "backup_complete_percentage",
        "cold_storage",
        "last_completed_backup_date",
    ]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "device_uid", "user", "os", "status", "last_connected_date"]
    list_filter = ["os", "status"]
    search_fields = ["name", "device_uid", "os_hostname", "ext_ref", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [ArchiveInline]
    show_full_result_count = False


@admin.register(Archive)
class ArchiveAdmin(admin.ModelAdmin):
    list_display = [
        "archive_guid",
        "device",
        "destination",
        "server",
        "archive_bytes",
        "cold_storage",
        "last_completed_backup_date",
    ]
    list_filter = ["cold_storage", "destination"]
    search_fields = [
        "archive_guid",
        "device__name",
        "device__device_uid",
        "device__user__username",
        "device__user__last_name",
        "device__user__user_ext_ref",
    ]
    list_select_related = ["device", "destination", "server"]
    raw_id_fields = ["device"]
    autocomplete_fields = ["destination", "server"]
    show_full_result_count = False


@admin.register(ReportRow)
class ReportRowAdmin(ReadOnlyAdmin):
    """The read model, for inspection only: it is derived, never edited by hand."""

    list_display = ["device_name", "archive_guid", "username", "org_name", "archive_bytes"]
    search_fields = ["device_uid", "archive_guid", "username"]
    show_full_result_count = False
