"""The backup environment, as the vendor describes it (spec section 1).

These tables are written by the importers, the demo generator and the admin. The
report never reads them on the request path: it reads `ReportRow`, kept in step by
`reports.read_model`.
"""

from django.conf import settings
from django.db import models


class Destination(models.Model):
    class Type(models.TextChoices):
        CLOUD = "cloud"
        LOCAL = "local"
        SERVER = "server"

    destination_uid = models.CharField("destinationUid", max_length=64, unique=True)
    name = models.CharField("destinationName", max_length=200, db_index=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.CLOUD)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Server(models.Model):
    server_uid = models.CharField("serverUid", max_length=64, unique=True)
    name = models.CharField("serverName", max_length=200, db_index=True)
    destination = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.PROTECT, related_name="servers"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    class OS(models.TextChoices):
        WINDOWS = "win"
        MAC = "mac"
        LINUX = "linux"

    class Status(models.TextChoices):
        ACTIVE = "Active"
        DEACTIVATED = "Deactivated"

    device_uid = models.CharField("deviceUid", max_length=64, unique=True)
    name = models.CharField("deviceName", max_length=200, db_index=True)
    os_hostname = models.CharField("deviceOsHostname", max_length=200, blank=True, default="")
    ext_ref = models.CharField("deviceExtRef", max_length=200, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="devices"
    )
    os = models.CharField(max_length=16, blank=True, default="")
    os_version = models.CharField("osVersion", max_length=100, blank=True, default="")
    version = models.CharField("agent version", max_length=50, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    address = models.CharField(max_length=100, blank=True, default="")
    remote_address = models.CharField("remoteAddress", max_length=100, blank=True, default="")
    creation_date = models.DateTimeField("creationDate", null=True, blank=True)
    last_connected_date = models.DateTimeField("lastConnectedDate", null=True, blank=True)
    # Space separated: OK, WarningBackupAlert, CriticalBackupAlert, ...ConnectionAlert.
    alert_states = models.CharField("alertStates", max_length=200, default="OK")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Archive(models.Model):
    """One backup set: a device's backup to one destination."""

    archive_guid = models.CharField("archiveGuid", max_length=64, unique=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="archives")
    destination = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.PROTECT, related_name="archives"
    )
    server = models.ForeignKey(
        Server, null=True, blank=True, on_delete=models.PROTECT, related_name="archives"
    )
    selected_bytes = models.BigIntegerField("selectedBytes", null=True, blank=True)
    archive_bytes = models.BigIntegerField("archiveBytes", null=True, blank=True)
    backup_complete_percentage = models.FloatField(
        "backupCompletePercentage", null=True, blank=True
    )
    cold_storage = models.BooleanField("coldStorage", default=False)
    cold_storage_expire_date = models.DateTimeField("coldStorageExpireDate", null=True, blank=True)
    last_completed_backup_date = models.DateTimeField(
        "lastCompletedBackupDate", null=True, blank=True
    )
    last_activity = models.DateTimeField("lastActivity", null=True, blank=True)
    most_recent_user_profile_creation_result = models.CharField(
        "mostRecentUserProfileCreationResult", max_length=200, blank=True, default=""
    )
    most_recent_user_profile_backup_result = models.CharField(
        "mostRecentUserProfileBackupResult", max_length=200, blank=True, default=""
    )

    class Meta:
        ordering = ["archive_guid"]

    def __str__(self) -> str:
        return self.archive_guid
