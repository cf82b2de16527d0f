"""The audit log in the admin: to read, never to add, change or delete (append-only;
retention is the one remover, audit_prune). The page at /audit/ has the filters."""

from django.contrib import admin

from accounts.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "kind", "actor", "target", "address"]
    list_filter = ["kind"]
    search_fields = ["actor", "target", "address"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
