"""One demo login per role, so that a demo can show what each role sees.

For demos only: never called from a migration. Running it again updates the same three
users. The desktop user is one of the generated people (never an imported one), so
that their pages show real devices.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from accounts.models import Org, User
from accounts.roles import DESKTOP_USERS, ORG_MANAGERS, SYSTEM_ADMINISTRATORS
from reports.demo.names import EMAIL_DOMAIN

DEMO_PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    group: str
    sees: str


def ensure_demo_logins(password: str = DEMO_PASSWORD) -> list[DemoLogin]:
    """Create or update demo-admin, demo-manager and demo-user; returns what each sees."""
    with transaction.atomic():
        groups = {
            name: Group.objects.get_or_create(name=name)[0]
            for name in (SYSTEM_ADMINISTRATORS, ORG_MANAGERS, DESKTOP_USERS)
        }
        admin = _login("demo-admin", password, groups[SYSTEM_ADMINISTRATORS])
        admin.first_name, admin.last_name, admin.is_staff = "Demo", "Administrator", True
        admin.save()

        org = _managed_org()
        manager = _login("demo-manager", password, groups[ORG_MANAGERS])
        manager.first_name, manager.last_name, manager.org = "Demo", "Manager", org
        manager.save()

        person = User.objects.filter(username="demo-user").first() or _generated_person(org)
        if person is None:
            person = User(username="demo-user", first_name="Demo", last_name="User")
        person.username = "demo-user"
        person.set_password(password)
        person.is_active = True
        person.save()  # the signal renames the person's report rows
        person.groups.set([groups[DESKTOP_USERS]])

    where = " / ".join(o.name for o in org.ancestors()) if org else "no org"
    managed = (
        User.objects.filter(org__path__startswith=org.path).aggregate(n=Count("devices"))["n"]
        if org
        else 0
    )
    return [
        DemoLogin(admin.username, SYSTEM_ADMINISTRATORS, "every device"),
        DemoLogin(manager.username, ORG_MANAGERS, f"{where}: {managed:,} devices"),
        DemoLogin(
            person.username,
            DESKTOP_USERS,
            f"{person.get_full_name()}'s own {person.devices.count()} devices",
        ),
    ]


def _login(username: str, password: str, group: Group) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.email = user.email or f"{username}@{EMAIL_DOMAIN}"
    user.is_active = True
    user.set_password(password)
    if user.pk is None:
        user.save()
    user.groups.set([group])
    return user


def _managed_org() -> Org | None:
    """An Accounting department with siblings and the most devices; else the busiest org."""
    with_devices = Org.objects.annotate(devices=Count("users__devices")).order_by(
        "-devices", "path"
    )
    siblings = Org.objects.filter(parent=OuterRef("parent")).exclude(pk=OuterRef("pk"))
    accounting = with_devices.filter(Exists(siblings), name="Accounting")
    return accounting.first() or with_devices.first()


def _generated_person(org: Org | None) -> User | None:
    """An active generated person with two or three devices, in the manager's org if any."""
    people = (
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}", user_status=User.Status.ACTIVE)
        .annotate(owned=Count("devices"))
        .filter(owned__in=[2, 3])
        .order_by("-owned", "id")
    )
    if org is not None:
        return people.filter(org=org).first() or people.first()
    return people.first()
