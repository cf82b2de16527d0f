"""Identity: the org tree and the people who own devices and log in.

The org tree is a materialized path ("/1/7/42/": the primary keys from the root down,
accounts.org_paths), so "this org and everything below it" is one indexed prefix match,
at any depth.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr, Upper
from django.dispatch import Signal
from django.utils.crypto import salted_hmac

from accounts import org_paths
from accounts.access_generation import AccessGeneration  # noqa: F401  (a model of this app)
from accounts.api_clients import ApiClient, legacy_dates_field  # noqa: F401  (a model of this app)
from accounts.password_checks import PasswordCheck  # noqa: F401  (a model of this app)
from accounts.sso.models import IdpRole, SsoBinding, SsoIdentity  # noqa: F401  (this app's)

SESSION_EPOCH_SALT = "accounts.User.session_epoch"

# Sent after an org is saved and the paths of its subtree are true again (post_save
# comes too early for that). reports listens to keep its read model in step.
org_saved = Signal()


class OrgQuerySet(models.QuerySet):
    def subtree_of(self, org: Org | str) -> OrgQuerySet:
        """The org (given, or the org at this path) and every org below it, at any
        depth: one indexed prefix match."""
        return self.filter(path__startswith=org if isinstance(org, str) else org.path)


class Org(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "Active"
        DEACTIVATED = "Deactivated"

    org_uid = models.CharField("orgUid", max_length=64, unique=True)
    name = models.CharField("orgName", max_length=200, db_index=True)
    ext_ref = models.CharField("orgExtRef", max_length=200, blank=True, default="")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # Filled by save(); "/<root pk>/.../<own pk>/".
    path = models.CharField(max_length=1000, editable=False, default="", db_index=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = "org"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Save, then keep the materialized path of this org and its subtree true."""
        with transaction.atomic():
            parent_path = org_paths.ROOT
            if self.parent_id:
                parent_path = Org.objects.values_list("path", flat=True).get(pk=self.parent_id)
                if self.pk and org_paths.passes_through(parent_path, self.pk):
                    raise ValueError(
                        f"Org {self.org_uid}: its parent would be inside its own subtree"
                    )
            super().save(*args, **kwargs)
            old_path, new_path = self.path, org_paths.child_path(parent_path, self.pk)
            if old_path != new_path:
                Org.objects.filter(pk=self.pk).update(path=new_path)
                if old_path:
                    # Django's startswith escapes LIKE wildcards; paths hold only digits and "/".
                    Org.objects.subtree_of(old_path).exclude(pk=self.pk).update(
                        path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
                    )
                self.path = new_path
            org_saved.send(sender=Org, instance=self, raw=kwargs.get("raw", False))

    @property
    def depth(self) -> int:
        return org_paths.depth(self.path)

    def clean(self) -> None:
        if self.pk and self.parent_id:
            parent_path = Org.objects.values_list("path", flat=True).get(pk=self.parent_id)
            if org_paths.passes_through(parent_path, self.pk):
                raise ValidationError({"parent": "An org cannot move below itself."})

    def ancestors(self) -> models.QuerySet[Org]:
        """Root first."""
        return Org.objects.filter(pk__in=org_paths.pks(self.path)).order_by("path")


class User(AbstractUser):
    """A person of the backup environment; the same people log in here."""

    class Status(models.TextChoices):
        ACTIVE = "Active"
        DEACTIVATED = "Deactivated"
        BLOCKED = "Blocked"

    user_uid = models.CharField("userUid", max_length=64, unique=True, null=True, blank=True)
    user_ext_ref = models.CharField("userExtRef", max_length=200, blank=True, default="")
    org = models.ForeignKey(
        Org, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    user_status = models.CharField(
        "userStatus", max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    legacy_dates = legacy_dates_field()
    # Moved on when the person's access ends (an administrator's deactivation, the
    # identity provider's refusal): every session signed in before is ended for good,
    # not only refused while the access is off; restored, they came back (2026-12-06).
    # Both defaults: the import writes users by COPY (PostgreSQL), its values from new
    # instances (a database default alone is no value there), and may name no column.
    session_epoch = models.PositiveIntegerField(db_default=0, default=0, editable=False)

    # What the vendor says ends a person's access here (spec section 12): the sync brings
    # it as userStatus. A blocked user may not sign in to the vendor's console either.
    VENDOR_ENDED = (Status.DEACTIVATED, Status.BLOCKED)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        indexes = [
            models.Index(fields=["user_ext_ref"], name="user_ext_ref_idx"),
            # A person as single sign-on and SCIM find them, by address or username, and
            # the vendor's users resource by address (its `username=` is exact, as the
            # vendor's): case-insensitively (`__iexact`, UPPER() on PostgreSQL). Without
            # these, each lookup read the whole table: 185 ms at 600,000 users, and an
            # Entra ID provisioning cycle asks once per person.
            models.Index(Upper("email"), name="user_email_folded_idx"),
            models.Index(Upper("username"), name="user_username_folded_idx"),
        ]

    def get_session_auth_hash(self) -> str:
        """Django's (from the password), and the session epoch: a session keeps the hash
        it signed in with, and Django ends one whose hash no longer matches."""
        base = super().get_session_auth_hash()
        epoch = self.session_epoch
        if not epoch:  # as Django's: the sessions of everyone who never lost access live on
            return base
        return salted_hmac(SESSION_EPOCH_SALT, f"{base}:{epoch}", algorithm="sha256").hexdigest()

    @property
    def may_sign_in(self) -> bool:
        """Whether this person may use the product at all, by any means: a session, HTTP
        Basic, a token or an API client. Not when an administrator deactivated them here
        (is_active) nor when the vendor deactivated or blocked them (the sync). Their
        data stays either way."""
        return self.is_active and self.user_status not in self.VENDOR_ENDED


def end_sessions(users: models.QuerySet) -> int:
    """End every session these people signed in with before now (User.session_epoch)."""
    return users.update(session_epoch=models.F("session_epoch") + 1)


# User.may_sign_in as a query condition, for a caller read in the same query.
MAY_SIGN_IN = models.Q(is_active=True) & ~models.Q(user_status__in=User.VENDOR_ENDED)
