"""Password reset by email: the worker's job (`manage.py db_worker`) that looks the
address up, sends the link and records the request. The reset page queues it for every
address it is given and does nothing else (accounts.signin_views.PasswordResetView).

The page answers as fast whether or not the address is someone's. When it looked the
address up and sent the mail itself, a known address took 8 ms more (rendering, SMTP,
the audit event; hundreds of ms through a real relay): the page said the same for both,
but its time told which addresses exist (found by an audit). The job tells nobody
either: it returns nothing, matched or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from accounts import audit
from accounts.local_signin import password_allowed
from accounts.mails import templated_email
from accounts.models import User
from accounts.sso.admission import no_longer_admitted

logger = logging.getLogger(__name__)


def recipients(email: str) -> Iterator[User]:
    """Django's (active users with a usable password and this address) who may sign in
    with a password: only superusers while local sign-in is off. Someone the mirror made
    has no usable password: they are invited by an administrator (accounts.invitations)."""
    # Not to someone the vendor deactivated or blocked: the link would set a password
    # they cannot use (Django's own looks at is_active only, 2026-12-06).
    # Nor to a stranger's account single sign-on no longer lets in: its password keeps
    # nothing (accounts.sso.admission; found by an audit of section 12).
    users = PasswordResetForm().get_users(email)
    return (
        user
        for user in users
        if user.may_sign_in and password_allowed(user) and not no_longer_admitted(user)
    )


def reset_email(user: User) -> EmailMultiAlternatives:
    context = {
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        # Links built from SITE_URL, never from the request's Host header, which the
        # sender of the form chooses.
        "site_url": settings.SITE_URL,
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    return templated_email("password_reset", context, user.email)


# Queued resets an hour, from one client address and for one address typed. An
# anonymous visitor filled the jobs table, hundreds of rows a second, and queued the sync
# and the uploads behind them; and could mail one person a link a request (a review).
RESETS_AN_HOUR_PER_CLIENT = 20
RESETS_AN_HOUR_PER_EMAIL = 5


def may_queue(client: str, email: str) -> bool:
    """Whether one more reset may be queued for this client and address this hour.
    Counted in the cache whatever the address, looking no one up (the page takes the same
    time for every address); past either limit nothing is queued, the page says the same.

    While the cache cannot count (Redis down or restarting), the resets queued in the
    last hour are counted in the job table instead: refusing every reset for the
    outage would lock out whoever needs one, and letting every one through would let
    one address be mailed a link a request (found by an audit)."""
    try:
        counts = counted_in_cache(client, email)
    except Exception as error:  # the cache's own errors; accounts knows no Redis
        logger.warning("password reset: the cache cannot count (%s); counted in the jobs", error)
        counts = counted_in_jobs(client, email)
    within = all(count <= limit for count, limit in zip(counts, LIMITS, strict=True))
    if not within:
        logger.warning("password reset: over the hourly limit, from %s; not queued", client)
    return within


LIMITS = (RESETS_AN_HOUR_PER_CLIENT, RESETS_AN_HOUR_PER_EMAIL)


def counted_in_cache(client: str, email: str) -> tuple[int, int]:
    """(resets asked this clock hour from this client, for this address), this one in."""
    hour = int(time.time() // 3600)
    typed = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    counts = []
    for key in (f"password-reset:client:{client}:{hour}", f"password-reset:email:{typed}:{hour}"):
        cache.add(key, 0, timeout=3600)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # gone between add and incr: the hour turned
            counts.append(1)
    return counts[0], counts[1]


def counted_in_jobs(client: str, email: str) -> tuple[int, int]:
    """counted_in_cache's counts from the resets queued in the last hour, this one in:
    run or not (the worker leaves its rows); two queries, only while the cache is away."""
    since = timezone.now() - dt.timedelta(hours=1)
    resets = DBTaskResult.objects.filter(
        task_path=send_reset_link.module_path, enqueued_at__gte=since
    )
    from_client = resets.filter(args_kwargs__kwargs__address=client).count()
    for_email = resets.filter(args_kwargs__args__0__iexact=email.strip()).count()
    return from_client + 1, for_email + 1


# Below the other jobs: however many are queued, a sync, an upload or a webhook waits
# for none of them.
@task(priority=-10)
def send_reset_link(email: str, *, address: str, user_agent: str, requested_by: int | None) -> None:
    """A reset link to each user who may have one at this address, each recorded with
    the address and user agent of the request that asked (the audit's, read by the page:
    the worker answers no request).

    A mail server out of reach or refusing fails the job with its error, in the admin's
    Background jobs, as the admin's invitations say it on the spot; Django's own reset
    logged it and went on. The request is recorded first, sent or not."""
    # The request as the audit reads it. The address is already the one PROXY_COUNT
    # picks: with no X-Forwarded-For here, it is read back as it is.
    asked = HttpRequest()
    asked.META = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": user_agent}
    actor = User.objects.filter(pk=requested_by).first() if requested_by is not None else None
    for user in recipients(email):
        audit.record(
            "password_reset.requested",
            actor=actor,
            request=asked,
            target=user.get_username(),
            email=user.email,
        )
        reset_email(user).send()
