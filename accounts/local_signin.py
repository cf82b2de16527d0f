"""Signing in with a local password (spec section 12), and when it may not be used.

With single sign-on, LOCAL_SIGNIN=0 turns passwords off for everyone but superusers:
the break-glass accounts for the day the identity provider is down. One rule, asked by
the password backend (the login page and the admin's), and by HTTP Basic on the API
(accounts.callers).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY

from accounts.audit.signin_methods import (
    LOCAL_SIGNIN_OFF,
    NO_LONGER_ADMITTED,
    mark_right_password_refused,
)
from accounts.backends import StandingBackend
from accounts.sso.admission import no_longer_admitted

# Why HTTP Basic refuses a password while local sign-in is off (said for any password,
# right or wrong: it tells only the setting, nothing of the account).
LOCAL_OFF = (
    "Sign-in with a password is turned off here (but for break-glass superusers): sign "
    "in through single sign-on; scripts use an API client's id and secret."
)


def password_allowed(user) -> bool:
    """Whether this user may sign in with their password at all."""
    return settings.LOCAL_SIGNIN or bool(user.is_superuser)


class LocalPasswordBackend(StandingBackend):
    """Django's username-and-password check, for the users password_allowed lets in.

    Also asked for each request of a session signed in through it (get_user): turning
    local sign-in off ends the password sessions of everyone but superusers.

    A right password that local sign-in refuses is marked on the request, so that the
    failure Django then signals is recorded with its reason (accounts.audit.signin_methods):
    the audit log called it a wrong password. It is still counted by the lockout as any
    failure is: counted apart, the lock would come later after a right guess among wrong
    ones and tell a guesser the password (which may be the person's elsewhere too).
    Django makes a backend anew for each authenticate() and get_user(), so the request
    kept here is that call's."""

    request = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        self.request = request
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user) -> bool:
        # may_sign_in: active here and not deactivated or blocked at the vendor. And not
        # a stranger's account SSO_ADMIT_UNKNOWN no longer lets in: a password an
        # administrator gave it kept it signing in (found by an audit of section 12).
        # ModelBackend asks this only once the password proved right (or for a session):
        # a refusal here is recorded with its reason, not as a wrong password.
        if not getattr(user, "may_sign_in", False):
            return False
        if no_longer_admitted(user):
            mark_right_password_refused(self.request, NO_LONGER_ADMITTED)
            return False
        if password_allowed(user):
            return True
        mark_right_password_refused(self.request, LOCAL_SIGNIN_OFF)
        return False


# What a session signed in with a password records as its backend (the test client's
# force_login too: the first backend with get_user); a single sign-on backend is another.
PASSWORD_BACKEND = f"{LocalPasswordBackend.__module__}.{LocalPasswordBackend.__qualname__}"


def signed_in_with_password(request) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) == PASSWORD_BACKEND
