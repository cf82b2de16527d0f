"""Events that Django and django-axes announce by signal, where no code of ours runs to
record them: sign-in, its failure and sign-out (every backend, the admin's login too),
lockouts and their lifting, role groups changed through the many-to-many relation (by
hand in the admin, by the identity provider), a user made or unmade superuser (the
admin, createsuperuser), and the admin's own change log.

Roles written in bulk (accounts.bulk_roles) bypass the m2m signals and record there.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from accounts.audit.recording import record
from accounts.audit.signin_methods import failure_details, signin_method

ADMIN_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def on_signed_in(sender, request, user, **kwargs) -> None:
    from accounts import second_factor

    method = signin_method(request, user)
    details = {"method": method}
    if method == "password" and second_factor.required_of(user):
        # Not a way in yet: the code is (its pass or failure, method totp, follows).
        details["second_factor"] = "to pass"
    record("signin.succeeded", actor=user, target=user.get_username(), request=request, **details)


def on_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(
        "signin.failed",
        actor=username,
        target=username,
        request=request,
        **failure_details(request),
    )


def on_signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("signout", actor=user, target=user.get_username(), request=request)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    # Axes signals the lock as it begins and again at each attempt refused while it
    # holds; a refused attempt is on the record already (signin.failed: by on_failed for
    # a password check refused, by accounts.lockout.refuse for an attempt no check saw),
    # so the lock is recorded once. Axes counted the failures only where this attempt was let in: it
    # leaves the count at None for a refused one (its proxy handler's update_request).
    if request is not None and getattr(request, "axes_failures_since_start", None) is None:
        return
    # What the lock is on: the username, the address, or both (axes counts each apart);
    # the target named the username when only the address was locked (an audit found).
    limit = settings.AXES_FAILURE_LIMIT
    locked = [
        what
        for what, parameter, value in (
            ("username", "username", username),
            ("address", "ip_address", ip_address),
        )
        if value and _failures(parameter, value) >= limit
    ]
    target = ip_address if locked == ["address"] else username or ip_address
    record(
        "lockout.locked",
        actor=username or "",
        target=target or "",
        request=request,
        locked_address=ip_address,
        locked=locked,
    )


# The failures of each username and address (axes locks either, AXES_LOCKOUT_PARAMETERS)
# as they stood before a deletion of attempts began: a lock may add up several rows (a
# username tried from two addresses), which one row alone never showed, so deleting them
# lifted it unrecorded (2026-12-06). Written by pre_delete (each deletion afresh), read
# once by post_delete; a thread's own, as requests are.
_DELETING = threading.local()


def _before() -> dict[tuple[str, str], int]:
    if not hasattr(_DELETING, "failures"):
        _DELETING.failures = {}
    return _DELETING.failures


def _failures(parameter: str, value: str) -> int:
    from axes.models import AccessAttempt
    from django.db.models import Sum

    attempts = AccessAttempt.objects.filter(**{parameter: value})
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def _locks_of(instance) -> list[tuple[str, str]]:
    return [(p, v) for p in ("username", "ip_address") if (v := getattr(instance, p))]


def on_attempt_deleting(sender, instance, **kwargs) -> None:
    for lock in _locks_of(instance):
        _before()[lock] = _failures(*lock)  # every row still there: the whole lock


def on_attempt_deleted(sender, instance, **kwargs) -> None:
    """An AccessAttempt removed: deleting attempts in the admin is how a lock is lifted.
    Recorded once a lock, by its username (else its address), when the failures it
    added up reached the limit and no longer do."""
    from django.conf import settings

    limit = settings.AXES_FAILURE_LIMIT
    lifted = []
    for lock in _locks_of(instance):
        before = _before().pop(lock, None)
        if before is not None and before >= limit and _failures(*lock) < limit:
            lifted.append((lock, before))
    if not lifted:
        return
    (_, value), before = lifted[0]  # the username's, when both were locked
    record("lockout.lifted", target=value, locked_address=instance.ip_address, failures=before)


def on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A role given or taken through user.groups (or group.user_set)."""
    from accounts.roles import ROLE_GROUPS

    if action == "pre_clear":
        # A clear is announced without the members it removes (pk_set is None): they
        # are read before it, here, and taken after. A clear took roles unrecorded
        # (found by an audit).
        if reverse and instance.name not in ROLE_GROUPS.values():
            return  # the members of a group that is no role are not read
        cleared = instance.user_set if reverse else instance.groups
        instance._audit_clearing = set(cleared.values_list("pk", flat=True))
        return
    if action == "post_clear":
        action, pk_set = "post_remove", instance.__dict__.pop("_audit_clearing", set())
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    kind = "role.given" if action == "post_add" else "role.taken"
    if reverse:  # group.user_set.add(users)
        if instance.name not in ROLE_GROUPS.values():
            return  # no query for the members of a group that is no role
        groups, users = [instance], list(get_user_model().objects.filter(pk__in=pk_set))
    else:
        groups, users = list(Group.objects.filter(pk__in=pk_set)), [instance]
    for group in groups:
        if group.name not in ROLE_GROUPS.values():
            continue
        for user in users:
            record(kind, target=user.get_username(), role=group.name, users=1)


SUPERUSER = "superuser"  # the role a role event names for is_superuser


def on_user_saving(sender, instance, update_fields=None, **kwargs) -> None:
    """What is_superuser was before this save (one query, and none for a save that does
    not write it: a sign-in's last_login)."""
    if update_fields is not None and "is_superuser" not in update_fields:
        return
    if instance._state.adding or instance.pk is None:
        instance._audit_was_superuser = False
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("is_superuser", flat=True)
    instance._audit_was_superuser = bool(stored.first())


def on_user_saved(sender, instance, **kwargs) -> None:
    """A superuser sees every row and enters the admin as a system administrator does
    (spec section 4), so becoming one, or no longer, is a role given or taken: made by
    createsuperuser it left no event, and made in the admin only the change log's
    "Changed Superuser status" (found by an audit)."""
    was = instance.__dict__.pop("_audit_was_superuser", None)
    if was is None or was == bool(instance.is_superuser):
        return
    kind = "role.given" if instance.is_superuser else "role.taken"
    record(kind, target=instance.get_username(), role=SUPERUSER, users=1)


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
    pre_delete.connect(on_attempt_deleting, sender=AccessAttempt, dispatch_uid="audit_unlocking")
    post_delete.connect(on_attempt_deleted, sender=AccessAttempt, dispatch_uid="audit_unlock")
    pre_save.connect(on_user_saving, sender=get_user_model(), dispatch_uid="audit_superuser")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="audit_superuser")
    m2m_changed.connect(
        on_groups_changed, sender=get_user_model().groups.through, dispatch_uid="audit_roles"
    )
    post_save.connect(on_admin_change, sender=LogEntry, dispatch_uid="audit_admin")
