from django.contrib import admin

from accounts.roles import is_system_administrator


class BackupReportAdminSite(admin.AdminSite):
    """Only system administrators and superusers may enter (spec section 4)."""

    site_header = "Backup Report administration"
    site_title = "Backup Report admin"
    index_title = "Environment and accounts"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_authenticated and is_system_administrator(user)
