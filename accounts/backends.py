"""The backend that keeps every session honest about who may still sign in.

Django asks a session's backend for its user on every request (get_user), and that
answer goes through user_can_authenticate. Asking User.may_sign_in there, rather than
is_active alone, ends the sessions of a person the vendor deactivated or blocked (the
sync brings it) at their very next request, as HTTP Basic, tokens and API clients do
(accounts.callers, accounts.tokens, accounts.api_clients). Sessions started by single
sign-on are kept under this backend (accounts.sso.identity); it checks no password:
passwords are accounts.local_signin's, which also obeys LOCAL_SIGNIN.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class MirroredUserBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return None  # never a password: LocalPasswordBackend, with LOCAL_SIGNIN, is

    def user_can_authenticate(self, user) -> bool:
        return bool(getattr(user, "may_sign_in", False))


PATH = f"{__name__}.{MirroredUserBackend.__name__}"
