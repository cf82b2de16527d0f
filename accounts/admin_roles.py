"""A user's role in the admin as one choice, each role explained (issue 27).

Roles are groups (spec section 4) and a user's reach is the union of theirs; as the roles
nest (a system administrator sees all an org manager sees, who sees their own devices
too), the largest group a user is in is their role. The form shows that one, and saving
puts the user in the chosen role's group only: their other groups (none in this product)
stay. Django's "Staff status" and per-user permissions are left off the form: here the
role decides who enters the admin (accounts.admin_site), not is_staff.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group
from django.utils.html import format_html, format_html_join

from accounts.models import User, end_sessions
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from accounts.sso.models import deactivated_by_hand, roles_by_hand

NO_ROLE = ""

# Largest first: the role a user in several groups holds.
ROLES = (
    (
        SYSTEM_ADMINISTRATORS,
        "System administrator",
        "sees every device of the fleet, enters this admin, manages users and roles",
    ),
    (
        ORG_MANAGERS,
        "Org manager",
        "sees the devices of their org (the Org field below) and every org under it, "
        "plus their own",
    ),
    (DESKTOP_USERS, "Desktop user", "sees the devices they own"),
    (NO_ROLE, "No role", "sees the devices they own, like a desktop user, until given a role"),
)
ROLE_GROUP_NAMES = tuple(group for group, _, _ in ROLES if group)


def role_of(user: User) -> str:
    """The largest role group the user is in, or NO_ROLE. Reads user.groups.all(), so a
    list that prefetches the groups (the admin's user list) asks nothing per row."""
    if user.pk is None:
        return NO_ROLE
    held = {group.name for group in user.groups.all()}
    return next((group for group in ROLE_GROUP_NAMES if group in held), NO_ROLE)


def role_label(group: str) -> str:
    return next(label for name, label, _ in ROLES if name == group)


class RoleChangeForm(UserChangeForm):
    """Django's user change form with `role` for the groups. `actor` is who edits: only
    a superuser makes a system administrator (as the bulk action, accounts.admin)."""

    role = forms.ChoiceField(
        label="Role",
        required=False,
        widget=forms.RadioSelect,
        help_text=format_html(
            "<ul class='role-help'>{}</ul>",
            format_html_join(
                "", "<li><strong>{}</strong>: {}.</li>", ((label, why) for _, label, why in ROLES)
            ),
        ),
    )
    actor: User | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = role_of(self.instance)
        self.fields["role"].initial = current
        may_make_administrators = self.actor is not None and self.actor.is_superuser
        self.fields["role"].choices = [
            (group, label)
            for group, label, _ in ROLES
            if group != SYSTEM_ADMINISTRATORS
            or may_make_administrators
            or current == SYSTEM_ADMINISTRATORS
        ]

    def clean_role(self) -> str:
        role = self.cleaned_data.get("role") or NO_ROLE
        if (
            role == SYSTEM_ADMINISTRATORS
            and role_of(self.instance) != SYSTEM_ADMINISTRATORS
            and not (self.actor and self.actor.is_superuser)
        ):
            raise forms.ValidationError("Only a superuser makes system administrators.")
        return role

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            self.save_standing(user)
        return user

    def save_standing(self, user: User) -> None:
        """The role and, when Active changed, the access: once the user is saved (the
        admin saves with commit=False, then calls this from save_related: the access
        was left out there, and a deactivation's sessions and tokens came back with the
        reactivation; found by an audit of section 7)."""
        self.save_role(user)
        if "is_active" in self.changed_data:
            deactivated_by_hand([user.pk])
            if not user.is_active:
                end_sessions(User.objects.filter(pk=user.pk))

    def save_role(self, user: User) -> None:
        role = self.cleaned_data["role"]
        if role == role_of(user):
            return  # a role from the identity provider stays recorded as such
        # Only the role groups held: a removal is recorded (accounts.audit) as a role taken.
        user.groups.remove(*user.groups.filter(name__in=ROLE_GROUP_NAMES))
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        roles_by_hand([user.pk], ROLE_GROUP_NAMES)
