from django.contrib.admin.apps import AdminConfig


class BackupReportAdminConfig(AdminConfig):
    """The admin, behind the role check of accounts.admin_site."""

    default_site = "accounts.admin_site.BackupReportAdminSite"
