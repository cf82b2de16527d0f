"""The local sign-in pages: the login form, password reset by email and the
invitation's set-password page, all Django's auth views with this product's templates
and rules (accounts.local_signin: with LOCAL_SIGNIN off, only superusers)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy

from accounts import audit, password_reset
from accounts.addresses import client_address
from accounts.audit.recording import USER_AGENT_LENGTH
from accounts.invitations import invitation_tokens
from accounts.local_signin import password_allowed


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        # Read per request, not at import: the setting may differ between deployments'
        # processes and tests.
        return {**super().get_context_data(**kwargs), "local_signin": settings.LOCAL_SIGNIN}


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"

    def form_valid(self, form):
        """Queue the reset for the worker, whatever the address (accounts.password_reset):
        the page does the same work for every address, so neither what it says nor how
        long it takes tells which addresses exist. Django's own looks the address up and
        sends the mail here (form.save), which took longer for a known address."""
        request = self.request
        requester = request.user
        email, client = form.cleaned_data["email"], client_address(request)
        if password_reset.may_queue(client, email):
            password_reset.send_reset_link.enqueue(
                email,
                address=client,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
                requested_by=requester.pk if requester.is_authenticated else None,
            )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-password step of a reset link; a password set is recorded."""

    audit_kind = "password_reset.completed"

    def get_user(self, uidb64):
        """Django's, while they may still sign in with a password: a link sent before
        the vendor or an administrator deactivated them (or before local sign-in was
        turned off) set a password all the same, ready for a reactivation (found by an
        audit). The link then says it is no longer valid."""
        user = super().get_user(uidb64)
        if user is None or not user.may_sign_in or not password_allowed(user):
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.audit_kind, actor=form.user, target=form.user.get_username())
        return response


class InvitationAcceptView(PasswordResetConfirmView):
    """The invitation's link: Django's set-password step, with the invitation's token."""

    audit_kind = "invitation.accepted"
    token_generator = invitation_tokens
    template_name = "registration/invitation_accept.html"
    success_url = reverse_lazy("password_reset_complete")
