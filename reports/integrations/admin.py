from django.contrib import admin

from accounts.roles import is_system_administrator
from reports.admin import ReadOnlyAdmin
from reports.integrations.models import WebhookDelivery, WebhookEndpoint


class SystemAdministratorsOnly:
    """Endpoints hold secrets and the deliveries name devices of any org: system
    administrators' (or superusers') alone, whatever model permissions say."""

    def has_module_permission(self, request) -> bool:
        return is_system_administrator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_system_administrator(request.user) and super().has_view_permission(request, obj)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SystemAdministratorsOnly, admin.ModelAdmin):
    list_display = ["name", "kind", "org", "events", "active", "created_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["org"]

    def has_change_permission(self, request, obj=None) -> bool:
        return is_system_administrator(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return is_system_administrator(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_system_administrator(request.user) and super().has_delete_permission(request, obj)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SystemAdministratorsOnly, ReadOnlyAdmin):
    """The delivery log."""

    list_display = [
        "created_at",
        "endpoint",
        "event",
        "state",
        "attempts",
        "last_status",
        "delivered_at",
    ]
    list_filter = ["state", "event", "endpoint"]
    search_fields = ["key", "last_error"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    show_full_result_count = False
