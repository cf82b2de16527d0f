from smtplib import SMTPException

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, bulk_roles
from accounts.admin_roles import ROLE_GROUP_NAMES, ROLES, RoleChangeForm, role_label, role_of
from accounts.api_clients import ApiClient
from accounts.invitations import send_invitations
from accounts.models import Org, User, end_sessions
from accounts.roles import (
    DESKTOP_USERS,
    ORG_MANAGERS,
    SYSTEM_ADMINISTRATORS,
    may_manage,
    unmanageable,
)
from accounts.sso.models import SsoBinding, SsoIdentity, deactivated_by_hand


@admin.register(Org)
class OrgAdmin(admin.ModelAdmin):
    list_display = ["name", "org_uid", "ext_ref", "parent", "status", "path"]
    list_filter = ["status"]
    search_fields = ["name", "org_uid", "ext_ref"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    show_full_result_count = False


class RoleFilter(admin.SimpleListFilter):
    """By role, "No role" included: the list to select before a bulk action."""

    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(group or "none", label) for group, label, _ in ROLES]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.exclude(groups__name__in=ROLE_GROUP_NAMES)
        if self.value() in ROLE_GROUP_NAMES:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    # Who and what they may see first; the vendor's references last, where a wide
    # screen shows them and a narrow one scrolls. The role before the email: at 1280 px,
    # beside the admin's menu and filters, the list has room for five columns only.
    list_display = [
        "username",
        "full_name",
        "role_groups",
        "org",
        "email",
        "user_status",
        "user_uid",
        "user_ext_ref",
    ]
    list_filter = ["user_status", RoleFilter, "is_superuser", "is_active"]
    search_fields = ["username", "user_uid", "email", "first_name", "last_name", "user_ext_ref"]
    list_select_related = ["org"]
    autocomplete_fields = ["org"]
    show_full_result_count = False
    actions = [
        "invite",
        "make_org_managers",
        "make_desktop_users",
        "make_system_administrators",
        "take_roles",
        "deactivate",
        "reactivate",
        "forget_sso_bindings",
    ]

    # The change form: the role as one choice (accounts.admin_roles) in place of Django's
    # groups, permissions and "Staff status", which decide nothing here. Where each role
    # came from on the change form only: the add form (add_fieldsets) stays Django's
    # username and password.
    form = RoleChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "org", "role_sources")}),
        (
            "Access",
            {
                "fields": ("is_active", "is_superuser", "sso_sign_in"),
                "description": "Inactive: cannot sign in by any means; the devices stay "
                "in the reports. Superuser: every right, given by superusers only.",
            },
        ),
        ("Backup environment", {"fields": ("user_uid", "user_ext_ref", "user_status")}),
        ("Report API", {"fields": ("legacy_dates",)}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if issubclass(form, RoleChangeForm):
            # Who edits: only a superuser may offer the system administrator role.
            form = type(form.__name__, (form,), {"actor": request.user})
        return form

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if isinstance(form, RoleChangeForm):
            form.save_standing(form.instance)

    def get_readonly_fields(self, request, obj=None):
        # A system administrator assigns roles; only a superuser makes superusers.
        readonly = list(super().get_readonly_fields(request, obj)) + [
            "role_sources",
            "sso_sign_in",
        ]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    # A superuser's record is read-only to anyone but a superuser (accounts.roles.
    # may_manage): the change form, the password form (Django's user_change_password
    # asks has_change_permission), the delete page and the bulk delete (which asks
    # has_delete_permission of every selected user) all refuse with 403.

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj))

    @admin.display(description="name", ordering="last_name")
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    @admin.display(description="role")
    def role_groups(self, user: User) -> str:
        return role_label(role_of(user))

    @admin.display(description="where the roles came from")
    def role_sources(self, user: User) -> str:
        """Each role with its source: the identity provider's group mapping (taken away
        when the groups no longer map to it) or given here (kept by single sign-on)."""
        if user.pk is None:
            return "-"
        from_provider = set(user.idp_roles.values_list("group__name", flat=True))
        sources = [
            f"{name}: {'identity provider' if name in from_provider else 'assigned here'}"
            for name in user.groups.order_by("name").values_list("name", flat=True)
        ]
        return "; ".join(sources) or "-"

    @admin.display(description="last single sign-on")
    def sso_sign_in(self, user: User) -> str:
        standing = SsoIdentity.objects.filter(user_id=user.pk).first()
        if standing is None:
            return "never"
        text = f"{standing.protocol} {standing.issuer}" if standing.protocol else "never"
        if standing.last_sign_in_at:
            text += f", {standing.last_sign_in_at:%Y-%m-%d %H:%M} UTC"
        # Which of the provider's ways ended them, and whether its provisioning (SCIM)
        # still lists them: a push's end was told as a refused sign-in, and a DELETE not
        # at all (found by an audit).
        if standing.ended_by_idp_at:
            how = (
                "by the identity provider's provisioning (SCIM)"
                if standing.ended_by_scim
                else "when the identity provider refused them"
            )
            text += f"; deactivated {how}, {standing.ended_by_idp_at:%Y-%m-%d %H:%M} UTC"
        if standing.removed_by_idp_at:
            text += "; deleted by the identity provider's provisioning (SCIM), which no longer "
            text += f"lists them, {standing.removed_by_idp_at:%Y-%m-%d %H:%M} UTC"
        return text

    # Bulk actions on the filtered list (filter by org, status, role, then select all).
    # Each changes how the selected sign in or what they may do, so each refuses the
    # whole selection when it holds a user the actor may not manage (a superuser, for a
    # system administrator): nothing is half done.

    def _refuse_unmanageable(self, request, queryset) -> None:
        if unmanageable(request.user, queryset).exists():
            raise PermissionDenied("Only a superuser may change a superuser: unselect them.")

    def _refuse_self(self, request, queryset, what: str) -> None:
        """An administrator who locks themselves out needs another to let them in."""
        if queryset.filter(pk=request.user.pk).exists():
            raise PermissionDenied(f"You cannot {what} here: unselect your own account.")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            # A system administrator makes no other: that role sees and manages everything.
            actions.pop("make_system_administrators", None)
        return actions

    @admin.action(
        description="Invite the selected users by email (a set-password link)",
        permissions=["change"],
    )
    def invite(self, request, queryset) -> None:
        self._refuse_unmanageable(request, queryset)
        try:
            sent = send_invitations(queryset.order_by("username").prefetch_related(None).iterator())
        except (SMTPException, OSError) as error:
            self.message_user(
                request, f"Sending stopped, the mail server refused: {error}", messages.ERROR
            )
            return
        level = messages.WARNING if sent.skipped else messages.SUCCESS
        self.message_user(request, sent.summary(), level)

    def _give_role(self, request, queryset, group_name: str) -> None:
        self._refuse_unmanageable(request, queryset)
        with audit.via("by hand, in bulk"):
            bulk_roles.give(group_name, queryset.values_list("pk", flat=True))
        count = queryset.count()
        note = ""
        if group_name == ORG_MANAGERS:
            orgless = queryset.filter(org__isnull=True).count()
            if orgless:
                note = f" {orgless} of them have no org: they see only their own devices."
        self.message_user(request, f"{count:,} user(s) are now in {group_name!r}.{note}")

    @admin.action(description="Make the selected users org managers", permissions=["change"])
    def make_org_managers(self, request, queryset) -> None:
        self._give_role(request, queryset, ORG_MANAGERS)

    @admin.action(description="Make the selected users desktop users", permissions=["change"])
    def make_desktop_users(self, request, queryset) -> None:
        self._give_role(request, queryset, DESKTOP_USERS)

    @admin.action(
        description="Take the roles of the selected users (they see only their own devices)",
        permissions=["change"],
    )
    def take_roles(self, request, queryset) -> None:
        self._refuse_unmanageable(request, queryset)
        self._refuse_self(request, queryset, "take your own role")
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            for group_name in ROLE_GROUP_NAMES:
                bulk_roles.take(group_name, ids)
        self.message_user(request, f"{len(ids):,} user(s) have no role now.")

    # Short: the list's action menu is as wide as its longest label, and this one pushed
    # the page past 1280 px (an audit found). What it is for is in the README.
    @admin.action(
        description="Forget the selected users' single sign-on bindings (next sign-in binds anew)",
        permissions=["change"],
    )
    def forget_sso_bindings(self, request, queryset) -> None:
        self._refuse_unmanageable(request, queryset)
        users = list(queryset.values_list("username", flat=True))
        target = users[0] if len(users) == 1 else f"{len(users)} users"
        # One transaction: an event that failed left the bindings forgotten unrecorded.
        with transaction.atomic():
            forgotten, _ = SsoBinding.objects.filter(user__in=queryset).delete()
            audit.record(
                "sso.bindings_forgotten", request=request, target=target, bindings=forgotten
            )
        self.message_user(request, f"{forgotten:,} binding(s) of {len(users):,} user(s) forgotten.")

    def _set_active(self, request, queryset, active: bool) -> None:
        self._refuse_unmanageable(request, queryset)
        if not active:
            self._refuse_self(request, queryset, "deactivate yourself")
        changing = queryset.exclude(is_active=active)
        users = list(changing)
        if not active:
            end_sessions(changing)  # for good: a reactivation signs them in afresh
        changed = changing.update(is_active=active)
        deactivated_by_hand(queryset.values_list("pk", flat=True))
        # In the change log, so in the audit log, as the form's change of the field is:
        # the action ended access on every surface and left no trace (found by an audit).
        field = str(capfirst(User._meta.get_field("is_active").verbose_name))
        for user in users:
            self.log_change(request, user, [{"changed": {"fields": [field]}}])
        state = "active" if active else "inactive (they cannot sign in; their devices stay)"
        self.message_user(request, f"{changed:,} user(s) are now {state}.")

    @admin.action(
        description="Deactivate the selected users (no sign-in by any means)",
        permissions=["change"],
    )
    def deactivate(self, request, queryset) -> None:
        self._set_active(request, queryset, False)

    @admin.action(description="Reactivate the selected users", permissions=["change"])
    def reactivate(self, request, queryset) -> None:
        self._set_active(request, queryset, True)

    @admin.action(
        description="Make the selected users system administrators (superusers only)",
        permissions=["change"],
    )
    def make_system_administrators(self, request, queryset) -> None:
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser makes system administrators.")
        self._give_role(request, queryset, SYSTEM_ADMINISTRATORS)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Made for a user by a system administrator; the secret is shown on the page that
    answers the save, once, and is never stored, sent in a message or a cookie."""

    list_display = ["name", "client_id", "user", "state", "expires_at", "last_used_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["name", "client_id", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]
    show_full_result_count = False

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "expires_at", "legacy_dates"]
        return [
            "client_id",
            "user",
            "name",
            "expires_at",
            "legacy_dates",
            "state",
            "created_at",
            "created_by",
            "revoked_at",
            "last_used_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A client keeps the reach it was made with: a new user means a new client.
        return [
            "client_id",
            "user",
            "state",
            "created_at",
            "created_by",
            "revoked_at",
            "last_used_at",
        ]

    # A client acts with its user's credentials: a superuser's clients are made, changed,
    # revoked and deleted by superusers only (accounts.roles.may_manage).

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj.user))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":

            def manageable(user: User) -> None:
                if not may_manage(request.user, user):
                    raise ValidationError(
                        "Only a superuser may make an API client for a superuser: "
                        "the client would act with their rights."
                    )

            field.validators = [*field.validators, manageable]
        return field

    @admin.display(description="state")
    def state(self, client: ApiClient) -> str:
        return client.state

    @admin.action(
        description="Revoke the selected API clients (at once, for good)",
        permissions=["change"],
    )
    def revoke(self, request, queryset) -> None:
        owners = User.objects.filter(api_clients__in=queryset).distinct().only("is_superuser")
        if not all(may_manage(request.user, owner) for owner in owners):
            raise PermissionDenied("Only a superuser may revoke a superuser's API client.")
        revoking = list(
            queryset.filter(revoked_at__isnull=True).values_list(
                "pk", "client_id", "user__username"
            )
        )
        # One transaction: an event that failed left clients revoked unrecorded (found
        # by an audit of the small defects).
        with transaction.atomic():
            count = queryset.filter(pk__in=[pk for pk, *_ in revoking]).update(
                revoked_at=timezone.now()
            )
            for _, client_id, username in revoking:  # with whose, as ApiClient.revoke says
                audit.record("apiclient.revoked", request=request, target=client_id, user=username)
        self.message_user(request, f"Revoked {count} API client(s); their tokens stop working.")

    def save_model(self, request, obj: ApiClient, form, change: bool) -> None:
        if not change:
            request.api_client_secret = obj.issue_secret()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            audit.record(
                "apiclient.created",
                request=request,
                target=obj.client_id,
                user=obj.user.get_username(),
                name=obj.name,
            )

    def response_add(self, request, obj: ApiClient, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "client": obj,
            "secret": request.api_client_secret,
            "title": "API client created",
        }
        response = TemplateResponse(request, "admin/accounts/apiclient/created.html", context)
        add_never_cache_headers(response)
        return response


# django-otp's own admin shows and edits a device's key; this one only lists the devices
# and deletes one (a lost phone: the next sign-in enrols again), a superuser's by
# superusers only.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = list_display
    readonly_fields = list_display
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # each person enrols their own app, on the enrolment page

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_manage(request.user, obj.user))

    def delete_queryset(self, request, queryset) -> None:
        owners = User.objects.filter(pk__in=queryset.values("user_id"))
        if unmanageable(request.user, owners).exists():
            raise PermissionDenied("Only a superuser may remove a superuser's authenticator.")
        super().delete_queryset(request, queryset)
