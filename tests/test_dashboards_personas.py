"""The personas of tests/personas.py see exactly what the spec grants."""

from reports.models import Device
from tests.personas import all_device_names, device_names_seen_by


def test_the_personas_see_what_the_spec_grants(fleet):
    alice, dave, erin, sam, carol = (
        fleet["users"][n] for n in ("alice", "dave", "erin", "sam", "carol")
    )
    assert device_names_seen_by("root") == all_device_names()
    assert device_names_seen_by("alice") == set(
        Device.objects.filter(user__in=[alice, dave]).values_list("name", flat=True)
    )
    assert device_names_seen_by("carol") == set(
        Device.objects.filter(user__in=[carol, erin]).values_list("name", flat=True)
    )
    assert device_names_seen_by("sam") == set(
        Device.objects.filter(user=sam).values_list("name", flat=True)
    )
