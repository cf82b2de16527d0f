"""The local sign-in pages: the login form, password reset by email and the
invitation's set-password page, all Django's auth views with this product's templates
and rules (accounts.local_signin: with LOCAL_SIGNIN off, only superusers)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from accounts import audit
from accounts.invitations import invitation_tokens
from accounts.local_signin import password_allowed


class LoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        # Read per request, not at import: the setting may differ between deployments'
        # processes and tests.
        return {**super().get_context_data(**kwargs), "local_signin": settings.LOCAL_SIGNIN}


class PasswordResetForm(auth_forms.PasswordResetForm):
    def get_users(self, email):
        """Django's (active users with a usable password and this address) who may sign
        in, only superusers while local sign-in is off. Someone the mirror made has no usable
        password: they are invited by an administrator (accounts.invitations)."""
        # Not to someone the vendor deactivated or blocked: the link would set a password
        # they cannot use (Django's own looks at is_active only, 2026-12-06).
        users = (user for user in super().get_users(email) if user.may_sign_in)
        if settings.LOCAL_SIGNIN:
            return users
        return (user for user in users if user.is_superuser)

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
        user = context["user"]
        audit.record("password_reset.requested", target=user.get_username(), email=user.email)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    @property
    def extra_email_context(self):  # Django reads this attribute when it sends
        # Links built from SITE_URL, not from the request's Host header, which the
        # sender of the form chooses.
        return {"site_url": settings.SITE_URL, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


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
