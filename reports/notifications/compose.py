"""Messages as Django's email framework sends them: a plain-text body and an HTML
alternative from templates, and the one-click unsubscribe headers (RFC 2369, RFC 8058)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from reports.dashboards import summary_pdf
from reports.dashboards.spreadsheet import CONTENT_TYPES
from reports.notifications.links import absolute, unsubscribe_url
from reports.notifications.models import Message
from reports.notifications.subscriptions import unsubscribe_kind
from reports.templatetags.backup_format import counted


def _message(user, kind: str, subject: str, template: str, context: dict):
    # One line, whatever a name in it holds: a header may not hold a line break, and a
    # saved view's name held one (every copy failed, 2026-12-06).
    subject = " ".join(subject.split())
    unsubscribe = unsubscribe_url(user.pk, kind)
    context = context | {
        "recipient": user,
        "subject": subject,
        "unsubscribe_url": unsubscribe,
        "preferences_url": absolute(reverse("notifications")),
        "site_url": settings.SITE_URL,
    }
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"notifications/{template}.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",  # RFC 3834: no out-of-office replies
        },
    )
    email.attach_alternative(
        render_to_string(f"notifications/{template}.html", context), "text/html"
    )
    return email


def digest_subject(digest) -> str:
    overdue = digest.stale_total
    # Not backing up: warning, critical or never backed up (reports.notifications.digests).
    state = f"{counted(overdue, 'device')} not backing up" if overdue else "all devices backing up"
    return f"Backup Report {digest.frequency} digest: {state} ({digest.scope})"


def digest_email(user, digest) -> EmailMultiAlternatives:
    return _message(user, Message.Kind.DIGEST, digest_subject(digest), "digest", {"digest": digest})


def subscription_email(user, delivery, kind: str) -> EmailMultiAlternatives:
    """A saved view's copy for one recipient; `kind` names the subscription for the
    unsubscribe link (reports.notifications.subscriptions.unsubscribe_kind)."""
    context = {"delivery": delivery, "link_days": settings.SUBSCRIPTION_LINK_DAYS}
    email = _message(user, kind, delivery.subject, "subscription", context)
    if delivery.attachment is not None:
        # The bare type: Django picks the charset of a text attachment itself.
        content_type = CONTENT_TYPES[delivery.subscription.format].split(";")[0]
        email.attach(delivery.file_name, delivery.attachment, content_type)
    if delivery.pdf is not None:
        email.attach(summary_pdf.file_name(), delivery.pdf.data, summary_pdf.CONTENT_TYPE)
    return email


def subscription_held_email(user, subscription, problem: str) -> EmailMultiAlternatives:
    """To whoever subscribed: their subscription sends nothing, and why."""
    subject = f"Subscription held: {subscription.view.name}"
    context = {
        "subscription": subscription,
        "problem": problem,
        "subscriptions_url": absolute(reverse("subscriptions")),
    }
    return _message(user, unsubscribe_kind(subscription.pk), subject, "subscription_held", context)


def owner_alert_subject(device_name: str, health) -> str:
    return f"Backup {health.label.lower()}: {device_name} has not backed up recently"


def owner_alert_email(user, device: dict, health, what_to_check) -> EmailMultiAlternatives:
    subject = owner_alert_subject(device["name"], health)
    context = {"device": device, "health": health, "what_to_check": what_to_check}
    return _message(user, Message.Kind.OWNER_ALERT, subject, "owner_alert", context)
