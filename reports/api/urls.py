from django.urls import path

from reports.api import views

urlpatterns = [
    path("DeviceBackupReport", views.device_backup_report, name="device-backup-report"),
    path("schema.json", views.openapi_schema, name="api-schema"),
]
