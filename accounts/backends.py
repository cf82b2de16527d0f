"""The backend that keeps every session honest about who may still sign in.

Django asks a session's backend for its user on every request (get_user), and that
answer goes through user_can_authenticate. Asking User.may_sign_in there, rather than
is_active alone, ends the sessions of a person the vendor deactivated or blocked (the
sync brings it) at their very next request, as HTTP Basic, tokens and API clients do
(accounts.callers, accounts.tokens, accounts.api_clients), and those of a stranger's
account once SSO_ADMIT_UNKNOWN no longer lets strangers in (accounts.sso.admission).
Sessions started by single sign-on are kept under this backend (accounts.sso.identity);
it checks no password: passwords are accounts.local_signin's, which also obeys
LOCAL_SIGNIN.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from accounts.sso.admission import no_longer_admitted


class StandingBackend(ModelBackend):
    """A session's user read with their standing with the provider, in the one query each
    request makes (a join on a one-to-one), for no_longer_admitted: this backend's
    sessions and the password backend's (accounts.local_signin)."""

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("sso_identity").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class MirroredUserBackend(StandingBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return None  # never a password: LocalPasswordBackend, with LOCAL_SIGNIN, is

    def user_can_authenticate(self, user) -> bool:
        # And not a stranger's account SSO_ADMIT_UNKNOWN no longer lets in: its session
        # lived on until SSO_SESSION_HOURS ran out (found by an audit of section 12).
        return bool(getattr(user, "may_sign_in", False)) and not no_longer_admitted(user)


PATH = f"{__name__}.{MirroredUserBackend.__name__}"
