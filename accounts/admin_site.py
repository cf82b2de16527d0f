from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from accounts import audit
from accounts.admin_autocomplete import CheckedAutocompletes
from accounts.admin_queries import with_checked_queries
from accounts.audit.admin_deletions import AuditedDeletions
from accounts.roles import is_system_administrator


class SystemAdministratorLoginForm(AdminAuthenticationForm):
    """Asks for the role, not is_staff: a system administrator need not be staff."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password of a system administrator. "
            "Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        # AuthenticationForm's own check (active users only), not the admin's is_staff one.
        super(AdminAuthenticationForm, self).confirm_login_allowed(user)
        if not is_system_administrator(user):
            # The password was right, so Django signals no failure: recorded here, as
            # every refused sign-in is (spec section 13; found by an audit).
            audit.record(
                "signin.failed",
                actor=user,
                target=user.get_username(),
                request=self.request,
                method="password",
                reason="not a system administrator (the admin's sign-in)",
            )
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class BackupReportAdminSite(admin.AdminSite):
    """Only system administrators and superusers may enter (spec section 4)."""

    site_header = "Backup Report administration"
    site_title = "Backup Report admin"
    index_title = "Environment and accounts"
    login_form = SystemAdministratorLoginForm

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, ours and the libraries', checks what it reads from the
        query string (accounts.admin_queries), records each object a bulk deletion
        removes (accounts.audit.admin_deletions), draws its autocomplete fields only with
        values that are keys (accounts.admin_autocomplete) and takes the mixins of
        settings.ADMIN_MODEL_MIXINS (the product's formats, from reports, which this
        app may not import itself)."""
        admin_class = with_checked_queries(admin_class or admin.ModelAdmin)
        wanted = (
            AuditedDeletions,
            CheckedAutocompletes,
            *(import_string(p) for p in settings.ADMIN_MODEL_MIXINS),
        )
        mixins = tuple(mixin for mixin in wanted if not issubclass(admin_class, mixin))
        if mixins:
            admin_class = type(
                admin_class.__name__,
                (*mixins, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_authenticated and user.may_sign_in and is_system_administrator(user)
