from django.contrib import admin

from reports.admin import ReadOnlyAdmin
from reports.notifications.models import Message, Preference, SiteSwitch, Subscription


@admin.register(SiteSwitch)
class SiteSwitchAdmin(admin.ModelAdmin):
    """One row (SiteSwitch.current): change it, never add or delete it."""

    list_display = ["__str__", "owner_alerts", "changed_at"]

    def has_add_permission(self, request) -> bool:
        return not SiteSwitch.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "digest", "owner_alerts"]
    list_filter = ["digest", "owner_alerts"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The send log, read-only: what went out, what failed and why (retried next run)."""

    list_display = ["claimed_at", "kind", "address", "key", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["address", "key", "error"]
    date_hierarchy = "claimed_at"
    readonly_fields = [f.name for f in Message._meta.fields]
    show_full_result_count = False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Saved views on a schedule; what each sent is in the send log (kind Subscription)."""

    list_display = ["view", "frequency", "hour", "format", "created_by", "active"]
    list_filter = ["frequency", "format", "active"]
    search_fields = ["view__name", "created_by__username"]
    raw_id_fields = ["view", "created_by", "recipients", "unsubscribed"]
    filter_horizontal = ["recipient_roles"]
