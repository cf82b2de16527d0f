from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

# The apps whose models a system administrator manages in the admin; in axes, the
# failed sign-ins and lockouts, which deleting lifts; in otp_totp, the authenticator
# apps, which deleting lets a person who lost theirs enrol again.
SYSADMIN_APP_LABELS = (
    "accounts",
    "reports",
    "axes",
    "notifications",
    "saved_views",
    "integrations",
    "otp_totp",
)
SYSADMIN_ACTIONS = ("view", "add", "change", "delete")
# Apps whose records system administrators may only read in the admin: the audit log is
# append-only (accounts.audit.admin).
SYSADMIN_READ_ONLY = {"audit": ("view_event",)}


def grant_sysadmin_permissions(
    sender: AppConfig, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **kwargs
) -> None:
    """Give the System administrators group the admin permissions on one app's models.

    Runs after every migrate, once per app, just after django.contrib.auth has created
    that app's permissions (auth connects first): on a fresh database the permissions
    do not exist while the migrations run, so a data migration cannot grant them.
    The role groups are made again too if missing (a flush empties them, then
    sends post_migrate).
    """
    if sender.label not in SYSADMIN_APP_LABELS and sender.label not in SYSADMIN_READ_ONLY:
        return
    from accounts.roles import ROLE_GROUPS, SYSTEM_ADMINISTRATORS

    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated (e.g. migrating to zero)
        return
    for name in ROLE_GROUPS.values():
        Group.objects.using(using).get_or_create(name=name)
    group = Group.objects.using(using).get(name=SYSTEM_ADMINISTRATORS)
    codenames = SYSADMIN_READ_ONLY.get(sender.label) or [
        f"{action}_{model._meta.model_name}"
        for model in sender.get_models()
        for action in SYSADMIN_ACTIONS
    ]
    permissions = Permission.objects.using(using).filter(
        content_type__app_label=sender.label, codename__in=codenames
    )
    group.permissions.add(*permissions)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and orgs"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401  (registers the deployment checks)

        post_migrate.connect(grant_sysadmin_permissions, dispatch_uid="grant_sysadmin_permissions")
