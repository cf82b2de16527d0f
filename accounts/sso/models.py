"""What single sign-on records: where a role came from, each person's last sign-in, and
the SAML assertions already taken."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, models, transaction


class IdpRole(models.Model):
    """A role (group membership) the identity provider gave: its group mapping
    (settings.SSO_ROLE_GROUPS) put the person in it at a sign-in. A membership with no
    such row was given here (the admin, assign_role) and single sign-on never takes it
    away; one with a row goes at the first sign-in whose groups no longer map to it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idp_roles"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        verbose_name = "role from the identity provider"
        verbose_name_plural = "roles from the identity provider"
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="idp_role_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.group.name} (identity provider)"


def roles_by_hand(user_ids, group_names) -> None:
    """These users' memberships of these role groups were given or taken by hand (the
    admin, assign_role): no longer the provider's, so single sign-on never takes them
    away. A mark left behind made a role given back by hand look like the provider's,
    and the next sign-in took it (2026-12-06)."""
    IdpRole.objects.filter(user_id__in=user_ids, group__name__in=group_names).delete()


def deactivated_by_hand(user_ids) -> None:
    """An administrator set these users' access (deactivated or reactivated): what the
    provider's refusal once took is theirs now, and a later allowed sign-in no longer
    gives it back (2026-12-06: an administrator's deactivation after a refusal was
    undone by the next allowed sign-in). A person the provider deleted through SCIM is
    listed there again: active by an administrator's hand and found by no lookup, the
    provider could never end their access (found by a review)."""
    SsoIdentity.no_longer_ended_by_provider(user_ids)
    SsoIdentity.objects.filter(user_id__in=user_ids).update(removed_by_idp_at=None)


class SsoIdentity(models.Model):
    """A person's standing with the identity provider: their last single sign-on, and
    whether it was the provider's refusal that deactivated them here (then an allowed
    sign-in later gives their access back; a deactivation by an administrator stays)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    protocol = models.CharField(max_length=8)  # "oidc" or "saml"
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=500)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    ended_by_idp_at = models.DateTimeField(null=True, blank=True)
    # Ended by the provider's SCIM push (accounts.sso.scim), not a refused sign-in: only
    # its push gives the access back. A sign-in did, and a provider that still signs in
    # people it no longer provisions (Entra ID, "Assignment required" off) undid every
    # deactivation and DELETE at the person's next sign-in (found by an audit).
    ended_by_scim = models.BooleanField(default=False)
    # When a sign-in made this account for a person the mirror did not know
    # (SSO_ADMIT_UNKNOWN): the one mark that tells it from an account an administrator
    # made, so that it alone gives way once the mirror brings the person (identity).
    admitted_at = models.DateTimeField(null=True, blank=True)
    # When the provider deleted the person through SCIM (accounts.sso.scim): deactivated
    # as ended_by_idp_at says, and gone from SCIM's answers, as RFC 7644 asks of a
    # deleted resource, until the provider creates them again.
    removed_by_idp_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"

    def __str__(self) -> str:
        return f"{self.protocol} {self.issuer} {self.subject}"

    # The standing's writers, so that each change to it is made one way.

    @classmethod
    def signed_in(cls, user, protocol: str, issuer: str, subject: str, now) -> None:
        cls.objects.update_or_create(
            user=user,
            defaults={
                "protocol": protocol,
                "issuer": issuer,
                "subject": subject,
                "last_sign_in_at": now,
            },
        )

    @classmethod
    def admitted(cls, user, protocol: str, issuer: str, now) -> None:
        """A sign-in made this account for a stranger (accounts.sso.identity)."""
        cls.objects.create(user=user, protocol=protocol, issuer=issuer, subject="", admitted_at=now)

    @classmethod
    def ended_by_provider(cls, user, now) -> None:
        """The provider's refusal deactivated this person here (accounts.sso.identity)."""
        cls._marked(user, ended_by_idp_at=now)

    @classmethod
    def removed_by_provider(cls, user, now) -> None:
        """The provider deleted this person through SCIM (accounts.sso.scim)."""
        cls._marked(user, removed_by_idp_at=now)

    @classmethod
    def _marked(cls, user, **marks) -> None:
        """These marks on the person's standing; one made for them if they never signed
        in (the provider can end someone who has not)."""
        blank = {"protocol": "", "issuer": "", "subject": ""}
        cls.objects.update_or_create(user=user, defaults=marks, create_defaults=blank | marks)

    @classmethod
    def no_longer_removed_by_provider(cls, user) -> None:
        """The provider created this person again through SCIM."""
        cls.objects.filter(user=user).update(removed_by_idp_at=None)

    @classmethod
    def ended_by_scim_push(cls, user) -> None:
        """What the provider ended (now, or at a refused sign-in before) its SCIM push
        ends too: only a push gives it back (accounts.sso.scim)."""
        cls.objects.filter(user=user, ended_by_idp_at__isnull=False).update(ended_by_scim=True)

    @classmethod
    def no_longer_ended_by_provider(cls, user_ids) -> int:
        """Given back by the provider, or the access is an administrator's now."""
        ended = cls.objects.filter(user_id__in=user_ids)
        return ended.update(ended_by_idp_at=None, ended_by_scim=False)


class SsoBinding(models.Model):
    """Who a provider said an account is: one subject an issuer, bound at the account's
    first sign-in through that issuer. A different subject from the same issuer (an
    address given to someone new) is refused. One a person and issuer: with OpenID
    Connect and SAML both configured, the account's one binding was overwritten by a
    sign-in through the other, and the newcomer refused by the first got in through it
    afterwards (2026-12-06)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_bindings"
    )
    protocol = models.CharField(max_length=8)  # "oidc" or "saml"
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=500)
    bound_at = models.DateTimeField()

    class Meta:
        verbose_name = "single sign-on binding"
        constraints = [
            models.UniqueConstraint(fields=["user", "issuer"], name="sso_binding_per_issuer")
        ]

    def __str__(self) -> str:
        return f"{self.protocol} {self.issuer} {self.subject}"


class UsedAssertion(models.Model):
    """A SAML assertion a sign-in took (accounts.sso.saml), by a digest of its id, kept
    until it can no longer be replayed. In the database, which every process and app
    server shares: the cache it was kept in is each process's own without REDIS_URL
    (LocMemCache), and an assertion taken on one gunicorn worker was taken again on
    another (found by an audit of section 12)."""

    # sha256 of the assertion's id: its length and characters are the provider's.
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used SAML assertion"

    def __str__(self) -> str:
        return self.digest

    @classmethod
    def first_use(cls, assertion_id: str, now, kept: dt.timedelta) -> bool:
        """Whether this is the assertion's first use, recorded under the unique
        constraint: of two processes taking it at once, one alone does. Those past
        their time are forgotten first, at each sign-in (a few a day)."""
        cls.objects.filter(expires_at__lt=now).delete()
        digest = hashlib.sha256(assertion_id.encode()).hexdigest()
        try:
            with transaction.atomic():
                cls.objects.create(digest=digest, expires_at=now + kept)
        except IntegrityError:
            return False
        return True
