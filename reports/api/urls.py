from django.urls import path

from reports.api import compliance, computers, orgs, roles, users, views


def vendor_read_resources(version: str) -> list:
    """The vendor's read resources (spec section 7) under /api/<version>: older scripts
    call them unversioned (/api/User), pycpg and crashplancli at /api/v1/."""
    name = f"{version.rstrip('/')}-" if version else ""
    return [
        path(f"{version}User", users.user_list, name=f"{name}user-list"),
        path(f"{version}User/my", users.current_user, name=f"{name}user-my"),
        path(f"{version}User/<str:key>", users.user_detail, name=f"{name}user-detail"),
        path(f"{version}Computer", computers.computer_list, name=f"{name}computer-list"),
        path(
            f"{version}Computer/<str:key>", computers.computer_detail, name=f"{name}computer-detail"
        ),
        path(f"{version}Org", orgs.org_list, name=f"{name}org-list"),
        path(f"{version}Org/my", orgs.current_org, name=f"{name}org-my"),
        path(f"{version}Org/<str:key>", orgs.org_detail, name=f"{name}org-detail"),
        path(f"{version}role", roles.role_list, name=f"{name}role-list"),
    ]


urlpatterns = [
    path("DeviceBackupReport", views.device_backup_report, name="device-backup-report"),
    path("v1/DeviceBackupReport", views.device_backup_report, name="v1-device-backup-report"),
    path("schema.json", views.openapi_schema, name="api-schema"),
    *vendor_read_resources(""),
    *vendor_read_resources("v1/"),
    path("v3/orgs/<str:guid>", orgs.org_v3, name="v3-org-detail"),
    path("v3/users/<str:uid>/roles", roles.user_roles, name="v3-user-roles"),
    path("history/compliance", compliance.compliance_resource, name="history-compliance"),
    path("history/trend", compliance.trend_resource, name="history-trend"),
]
