"""Admin and other ORM edits keep the read model in step.

Bulk writers (importers, the demo generator) bypass signals and call
`reports.read_model` themselves, once, after writing.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import Org, User, org_saved
from reports import read_model
from reports.models import Archive, Destination, Device, ReportRow, Server


@receiver(org_saved, sender=Org)
def org_changed(sender, instance: Org, raw=False, **kwargs) -> None:
    if not raw:
        read_model.refresh_orgs([instance.pk])


@receiver(post_save, sender=User)
def user_saved(sender, instance: User, raw=False, update_fields=None, **kwargs) -> None:
    # A login only stamps last_login; nothing of the report changes.
    if raw or (update_fields is not None and set(update_fields) <= {"last_login", "password"}):
        return
    read_model.refresh_users([instance.pk])


@receiver(post_save, sender=Device)
def device_saved(sender, instance: Device, raw=False, **kwargs) -> None:
    if not raw:
        read_model.refresh_devices([instance.pk])


@receiver(post_delete, sender=Device)
def device_deleted(sender, instance: Device, **kwargs) -> None:
    ReportRow.objects.filter(device_id=instance.pk).delete()


@receiver(pre_save, sender=Archive)
def archive_saving(sender, instance: Archive, raw=False, **kwargs) -> None:
    """The device an archive leaves, when an edit moves it to another (the admin's
    Device field): its rows are redone too, or its row of the archive stayed beside the
    new device's and the save failed on the row's unique archive (a 500; an audit)."""
    if not raw and instance.pk is not None:
        before = Archive.objects.filter(pk=instance.pk).values_list("device_id", flat=True)
        instance._device_before = before.first()


@receiver(post_save, sender=Archive)
@receiver(post_delete, sender=Archive)
def archive_changed(sender, instance: Archive, raw=False, **kwargs) -> None:
    if not raw:
        devices = {instance.device_id, getattr(instance, "_device_before", None)}
        read_model.refresh_devices(devices - {None})


@receiver(post_save, sender=Destination)
def destination_saved(sender, instance: Destination, raw=False, **kwargs) -> None:
    if not raw:
        read_model.refresh_destinations([instance.pk])


@receiver(post_save, sender=Server)
def server_saved(sender, instance: Server, raw=False, **kwargs) -> None:
    if not raw:
        read_model.refresh_servers([instance.pk])
