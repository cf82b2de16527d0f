from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def let_system_administrators_read_the_log(
    sender: AppConfig, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **kwargs
) -> None:
    """System administrators may view the run log in the admin, nothing more: it is what
    happened. Granted after every migrate, as accounts.apps grants theirs, since the
    permission does not exist while a fresh database migrates."""
    if sender.label != RefreshConfig.label:
        return
    from accounts.roles import SYSTEM_ADMINISTRATORS

    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated (e.g. migrating to zero)
        return
    group = Group.objects.using(using).filter(name=SYSTEM_ADMINISTRATORS).first()
    view = Permission.objects.using(using).filter(
        content_type__app_label=sender.label, codename="view_run"
    )
    if group is not None:
        group.permissions.add(*view)


class RefreshConfig(AppConfig):
    name = "reports.refresh"
    label = "refresh"
    verbose_name = "Data refresh"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_tasks.signals import task_started

        from reports.refresh.reaping import name_the_worker

        post_migrate.connect(
            let_system_administrators_read_the_log, dispatch_uid="refresh_view_permission"
        )
        # Every job on the worker says which worker runs it, so that reaping can tell
        # when that worker died (reports.refresh.reaping).
        task_started.connect(name_the_worker, dispatch_uid="refresh_name_the_worker")
