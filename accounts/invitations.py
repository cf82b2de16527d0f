"""Invitations (spec section 12): a set-password link by email for people the import or
sync mirrored, who have no password.

The link is Django's password-reset token with its own salt and lifetime
(INVITATION_SECONDS): signed for one user (useless for another, or as a reset link),
and spent once used, because it signs the user's password hash and last sign-in, which
setting the password changes. Nothing is stored: an invitation sent again is another
link, and every earlier one still works until the first is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from accounts import audit
from accounts.local_signin import password_allowed
from accounts.mails import templated_email
from accounts.sso.admission import no_longer_admitted


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.invitations.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        """Django's check, with the invitation's lifetime in place of the reset link's
        (PASSWORD_RESET_TIMEOUT, which Django's own check_token reads)."""
        if not (user and token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_SECONDS:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = InvitationTokenGenerator()


def invitation_url(user) -> str:
    path = reverse(
        "invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path


def why_not_invited(user) -> str | None:
    """Why this user cannot be invited, or None."""
    if not user.is_active:
        return "deactivated"
    if not user.may_sign_in:  # the vendor deactivated or blocked them (the sync)
        return f"{user.user_status.lower()} at the vendor"
    if not user.email:
        return "no email address"
    if not password_allowed(user):
        return "local sign-in is off (LOCAL_SIGNIN=0): they sign in through single sign-on"
    if no_longer_admitted(user):  # a password keeps nothing (accounts.sso.admission)
        return (
            "a sign-in made this account for a stranger, and SSO_ADMIT_UNKNOWN no longer "
            "lets them in: give them a role first"
        )
    return None


def invitation_email(user) -> EmailMultiAlternatives:
    context = {
        "user": user,
        "url": invitation_url(user),
        "days": settings.INVITATION_SECONDS // (24 * 3600),
        "site_url": settings.SITE_URL,
    }
    return templated_email("invitation", context, user.email)


@dataclass
class Sent:
    invited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # username -> why

    def summary(self) -> str:
        text = f"Invited {len(self.invited)} user(s) by email."
        if self.skipped:
            shown = list(self.skipped.items())[:10]
            reasons = "; ".join(f"{name}: {why}" for name, why in shown)
            more = len(self.skipped) - len(shown)
            text += f" Skipped {len(self.skipped)}: {reasons}"
            text += f" and {more} more." if more else "."
        return text


def send_invitations(users: Iterable) -> Sent:
    """Email each user who can be invited a set-password link, over one SMTP connection;
    say who was skipped and why (an address the server refuses is skipped; a server out
    of reach raises, for the caller to say)."""
    sent = Sent()
    with get_connection() as connection:
        for user in users:
            why = why_not_invited(user)
            if why is not None:
                sent.skipped[user.get_username()] = why
                continue
            message = invitation_email(user)
            message.connection = connection
            try:
                message.send()
            except SMTPRecipientsRefused:
                sent.skipped[user.get_username()] = f"the mail server refused {user.email}"
                continue
            sent.invited.append(user.get_username())
            audit.record("invitation.sent", target=user.get_username(), email=user.email)
    return sent
