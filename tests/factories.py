"""Factories for the environment: org -> user -> device -> archive.

Time in tests, one convention for the whole suite (CI proves it by running the suite a
second time with the system clock 400 days ahead, under faketime):

- Every date that the product ages (health, "3 hours ago", expiry, staleness) is relative
  to the real clock: `NOW` below is the moment the suite started, and fixtures use
  `NOW - timedelta(...)` or `tests.personas.ago(...)`. Never a calendar date.
- A test that needs one exact moment (an encoding, a boundary to the second) freezes the
  clock there with time-machine: `@time_machine.travel(moment, tick=False)`, and dates
  everything from that moment.
- A calendar date is fine only where nothing reads the clock: parsing and encoding a
  value, or `health_of(date, now=fixed)` with both ends given.

The product reads "now" through `reports.clock.now()` only, once per request.
"""

import datetime as dt
import functools
import inspect

import factory
from django.utils import timezone

from accounts.models import Org, User
from reports.models import Archive, Destination, Device, Server

# Whole seconds, so that an encoded date (milliseconds) equals its value.
NOW = timezone.now().replace(microsecond=0)


class OrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Org

    org_uid = factory.Sequence(lambda n: f"org-{n:04d}")
    name = factory.Sequence(lambda n: f"Org {n}")
    ext_ref = factory.Sequence(lambda n: f"ORG-REF-{n}")
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    user_uid = factory.Sequence(lambda n: f"uid-{n:05d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Lastname{n}")
    user_ext_ref = factory.Sequence(lambda n: f"E{n:05d}")
    org = factory.SubFactory(OrgFactory)
    password = factory.django.Password("correct horse battery staple")


class DestinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Destination
        django_get_or_create = ["destination_uid"]

    destination_uid = "dest-cloud-1"
    name = "Code42 Cloud US"
    type = Destination.Type.CLOUD


class ServerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Server
        django_get_or_create = ["server_uid"]

    server_uid = "server-1"
    name = "cloud-us-west-1"
    destination = factory.SubFactory(DestinationFactory)


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    device_uid = factory.Sequence(lambda n: f"{900000000000000000 + n}")
    name = factory.Sequence(lambda n: f"LAPTOP-{n:04d}")
    os_hostname = factory.LazyAttribute(lambda d: d.name.lower())
    ext_ref = factory.Sequence(lambda n: f"ASSET-{n:05d}")
    user = factory.SubFactory(UserFactory)
    os = Device.OS.MAC
    os_version = "14.6"
    version = "11.4.1.12"
    status = Device.Status.ACTIVE
    address = "192.168.1.20:4242"
    remote_address = "203.0.113.7"
    creation_date = NOW - dt.timedelta(days=400)
    last_connected_date = NOW - dt.timedelta(hours=2)
    alert_states = "OK"


class ArchiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Archive

    archive_guid = factory.Sequence(lambda n: f"{800000000000000000 + n}")
    device = factory.SubFactory(DeviceFactory)
    destination = factory.SubFactory(DestinationFactory)
    server = factory.SubFactory(ServerFactory)
    selected_bytes = 60 * 1024**3
    archive_bytes = 42 * 1024**3
    backup_complete_percentage = 100.0
    cold_storage = False
    last_completed_backup_date = NOW - dt.timedelta(hours=3)
    last_activity = NOW - dt.timedelta(hours=2)
    most_recent_user_profile_creation_result = ""
    most_recent_user_profile_backup_result = ""


def refreshing_once(make):
    """A fixture that saves rows one by one refreshes the report rows once, at its end
    (reports.read_model.refreshed_at_the_end), not once a save: the same rows, a third
    of the time on PostgreSQL. The signals' own path is tested where they are."""
    from reports import read_model

    # A fixture that yields would leave the block before its test runs.
    assert not inspect.isgeneratorfunction(make), make

    @functools.wraps(make)
    def made(*args, **kwargs):
        with read_model.refreshed_at_the_end():
            return make(*args, **kwargs)

    return made
