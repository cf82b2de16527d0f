"""The audit log in the admin: to read, never to add, change or delete (append-only;
retention is the one remover, audit_prune). The page at /audit/ has the filters."""

from django.contrib import admin

from accounts.audit.kinds import KINDS
from accounts.audit.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "what", "actor", "target", "address"]
    list_filter = ["kind"]
    search_fields = ["actor", "target", "address"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in Event._meta.fields]

    @admin.display(description="What", ordering="kind")
    def what(self, event: Event) -> str:
        """The kind in the words of the audit page (accounts.audit.kinds), not its code
        ("role.given"; found by an audit of the pages)."""
        return KINDS.get(event.kind, event.kind)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
