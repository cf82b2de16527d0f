"""API clients (spec section 7): credentials a script uses instead of a person's password.

A system administrator creates one in the admin for a user; the client then acts with
exactly that user's reach. Its id and secret are shown once, when it is created. The
secret is a long random string, so it is stored as a keyed HMAC-SHA256 digest (the key
derived from SECRET_KEY): a slow password hash protects guessable passwords, and a
secret of 256 random bits needs none, so checking it costs microseconds and needs no
cache. Changing SECRET_KEY therefore invalidates every client's secret.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts import audit
from accounts.client_ids import new_client_id

SECRET_BYTES = 32

# last_used_at is written at most this often per client: a script paging through the
# report must not turn every read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def secret_digest(client_id: str, secret: str) -> str:
    """The keyed digest stored for a secret; bound to its client id."""
    message = f"{client_id}\x00{secret}"
    return salted_hmac("accounts.api_clients.secret", message, algorithm="sha256").hexdigest()


def legacy_dates_field() -> models.BooleanField:
    """An account's choice (a user's, an API client's) of the dates older vendor servers
    wrote, for old scripts (reports.api.legacy_dates)."""
    return models.BooleanField(
        "legacy date format",
        default=False,
        # In the table too: the demo fleet and the bulk writers COPY users without it.
        db_default=False,
        help_text="The report API writes dates as older vendor servers did "
        "(Nov 19, 2026 3:09:38 AM) for scripts that parse them so.",
    )


class ApiClientQuerySet(models.QuerySet):
    def create_for(self, user, name: str, **fields) -> tuple[ApiClient, str]:
        """A new client for the user, and its secret: the only time the secret is known."""
        client = self.model(user=user, name=name, **fields)
        secret = client.issue_secret()
        client.save(force_insert=True)
        audit.record(
            "apiclient.created",
            actor=fields.get("created_by"),
            target=client.client_id,
            user=user.get_username(),
            name=name,
        )
        return client, secret


class ApiClient(models.Model):
    client_id = models.CharField("client id", max_length=64, unique=True, editable=False)
    secret_digest = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_clients",
        help_text="The client sees exactly what this user may see.",
    )
    name = models.CharField(max_length=200, help_text="What it is for, e.g. “nightly export”.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the client does not expire."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    legacy_dates = legacy_dates_field()

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = "API client"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    def issue_secret(self) -> str:
        """Give the client a new id and secret; the secret is returned, never stored."""
        self.client_id = new_client_id()
        secret = secrets.token_urlsafe(SECRET_BYTES)
        self.secret_digest = secret_digest(self.client_id, secret)
        return secret

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_digest, secret_digest(self.client_id, secret))

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.user.may_sign_in
        )

    @property
    def state(self) -> str:
        """What is_usable() finds, in words: the admin lists it."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        if not self.user.may_sign_in:
            return "user may not sign in"
        return "active"

    def note_use(self, now: dt.datetime | None = None) -> None:
        """Record the use, at most one write a minute (LAST_USED_RESOLUTION)."""
        now = now or timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        if self.last_used_at is None:
            # The first use, exactly once: the update that finds it unused records it.
            if ApiClient.objects.filter(pk=self.pk, last_used_at__isnull=True).update(
                last_used_at=now
            ):
                audit.record("apiclient.first_use", actor=self.user, target=self.client_id)
        else:
            ApiClient.objects.filter(pk=self.pk).update(last_used_at=now)
        self.last_used_at = now

    def revoke(self, now: dt.datetime | None = None) -> None:
        self.revoked_at = now or timezone.now()
        if ApiClient.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=self.revoked_at
        ):
            audit.record("apiclient.revoked", target=self.client_id, user=self.user.get_username())
