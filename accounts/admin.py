from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Org, User


@admin.register(Org)
class OrgAdmin(admin.ModelAdmin):
    list_display = ["name", "org_uid", "ext_ref", "parent", "status", "path"]
    list_filter = ["status"]
    search_fields = ["name", "org_uid", "ext_ref"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    show_full_result_count = False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "user_uid",
        "first_name",
        "last_name",
        "email",
        "user_ext_ref",
        "org",
        "user_status",
        "role_groups",
    ]
    list_filter = ["user_status", "groups", "is_superuser", "is_active"]
    search_fields = ["username", "user_uid", "email", "first_name", "last_name", "user_ext_ref"]
    list_select_related = ["org"]
    autocomplete_fields = ["org"]
    show_full_result_count = False
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("Backup environment", {"fields": ("user_uid", "user_ext_ref", "org", "user_status")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_readonly_fields(self, request, obj=None):
        # A system administrator assigns roles; only a superuser makes superusers.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    @admin.display(description="roles")
    def role_groups(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all()) or "-"
