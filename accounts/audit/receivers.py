"""Events that Django and django-axes announce by signal, where no code of ours runs to
record them: sign-in, its failure and sign-out (every backend, the admin's login too),
lockouts and their lifting, role groups changed through the many-to-many relation (by
hand in the admin, by the identity provider), and the admin's own change log.

Roles written in bulk (accounts.bulk_roles) bypass the m2m signals and record there.
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.audit.recording import record

ADMIN_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def signin_method(request, user=None) -> str:
    """How the caller signed in: sso, api client, basic, token or password."""
    from accounts import backends
    from accounts.api_clients import looks_like_client_id
    from accounts.callers import authorization

    session = getattr(request, "session", None)
    if (
        user is not None
        and session is not None
        and session.get(BACKEND_SESSION_KEY) == backends.PATH
    ):
        return "sso"  # the backend login() was given, which checks no password
    sent = authorization(request) if request is not None else None
    if sent is not None and sent[0] == "basic":
        from accounts.callers import basic_credentials

        name = (basic_credentials(request) or ("", ""))[0]
        if looks_like_client_id(name):
            return "api client"
        return "token" if request.path.startswith("/api/v3/") else "basic"
    return "password"


def on_signed_in(sender, request, user, **kwargs) -> None:
    record(
        "signin.succeeded",
        actor=user,
        target=user.get_username(),
        request=request,
        method=signin_method(request, user),
    )


def on_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(
        "signin.failed",
        actor=username,
        target=username,
        request=request,
        method=signin_method(request),
    )


def on_signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("signout", actor=user, target=user.get_username(), request=request)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    record(
        "lockout.locked",
        actor=username or "",
        target=username or ip_address or "",
        request=request,
        locked_address=ip_address,
    )


def on_attempt_deleted(sender, instance, **kwargs) -> None:
    """An AccessAttempt removed: deleting it in the admin is how a lock is lifted."""
    from django.conf import settings

    if instance.failures_since_start >= settings.AXES_FAILURE_LIMIT:
        record(
            "lockout.lifted",
            target=instance.username or instance.ip_address,
            locked_address=instance.ip_address,
            failures=instance.failures_since_start,
        )


def on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A role given or taken through user.groups (or group.user_set)."""
    from accounts.roles import ROLE_GROUPS

    if action not in ("post_add", "post_remove") or not pk_set:
        return
    kind = "role.given" if action == "post_add" else "role.taken"
    if reverse:  # group.user_set.add(users)
        groups, users = [instance], list(get_user_model().objects.filter(pk__in=pk_set))
    else:
        groups, users = list(Group.objects.filter(pk__in=pk_set)), [instance]
    for group in groups:
        if group.name not in ROLE_GROUPS.values():
            continue
        for user in users:
            record(kind, target=user.get_username(), role=group.name, users=1)


def on_admin_change(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    record(
        "admin.change",
        actor=instance.user,
        target=f"{instance.content_type.app_label}.{instance.content_type.model}"
        f" {instance.object_repr}",
        action=ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
        object_id=str(instance.object_id),
        change=instance.get_change_message(),
    )


def connect() -> None:
    from axes.models import AccessAttempt
    from axes.signals import user_locked_out

    user_logged_in.connect(on_signed_in, dispatch_uid="audit_signed_in")
    user_login_failed.connect(on_failed, dispatch_uid="audit_failed")
    user_logged_out.connect(on_signed_out, dispatch_uid="audit_signed_out")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    post_delete.connect(on_attempt_deleted, sender=AccessAttempt, dispatch_uid="audit_unlock")
    m2m_changed.connect(
        on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="audit_roles"
    )
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="audit_admin")
