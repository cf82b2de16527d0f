"""Every object the admin's "Delete selected" removes, recorded as deleting one alone is.

Django (5.1 and later) writes the log entries of two or more deletions with one
bulk_create, which sends no post_save: the audit log (receivers.on_admin_change) heard
of none of them, while deleting a single user was recorded (2026-12-06). Mixed into
every ModelAdmin by accounts.admin_site.
"""

from __future__ import annotations

from django.contrib.admin.models import LogEntry

from accounts.audit.receivers import on_admin_change


class AuditedDeletions:
    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        if isinstance(entries, list) and len(entries) > 1:  # bulk-created: no signal
            for entry in entries:
                on_admin_change(LogEntry, entry, created=True)
        return entries
