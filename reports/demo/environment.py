"""Drawing a realistic fleet: the same device count, seed and "now" give the same data.

Sizes are log-normal (most laptops tens of GB, a few TB); most devices back up every
day, some go stale, about 3% never backed up, some were deactivated and their archives
wait in cold storage. `alertStates` follow from the dates by the thresholds in settings.

Rows are drawn in chunks of devices and written with `reports.bulk` (COPY on
PostgreSQL), primary keys chosen here so that foreign keys need no round trip, and the
report rows made from the same memory (`read_model.device_records`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction

from accounts.models import Org, User
from reports import bulk, read_model
from reports.demo import names
from reports.demo.progress import Progress
from reports.models import Archive, Destination, Device, DeviceSearch, ReportRow, Server, UserSearch

CHUNK = 10_000  # devices drawn and written at a time
DAY = 86_400.0
HOUR = 3_600.0
GIB = 1024**3

OK = "OK"
WARNING_BACKUP = "WarningBackupAlert"
CRITICAL_BACKUP = "CriticalBackupAlert"
WARNING_CONNECTION = "WarningConnectionAlert"
CRITICAL_CONNECTION = "CriticalConnectionAlert"


def alert_states(
    now: dt.datetime,
    last_connected: dt.datetime,
    backed_up_since: dt.datetime,
    *,
    warning_days: int,
    critical_days: int,
) -> str:
    """The alertStates of an active device: OK, or its backup and connection alerts.

    `backed_up_since` is the oldest last completed backup of its archives (the device's
    creation date for an archive, or a device, that never completed one).
    """
    states = []
    for age, warning, critical in (
        (now - backed_up_since, WARNING_BACKUP, CRITICAL_BACKUP),
        (now - last_connected, WARNING_CONNECTION, CRITICAL_CONNECTION),
    ):
        if age > dt.timedelta(days=critical_days):
            states.append(critical)
        elif age > dt.timedelta(days=warning_days):
            states.append(warning)
    return " ".join(states) or OK


@dataclass(frozen=True)
class Counts:
    orgs: int
    users: int
    devices: int
    archives: int
    rows: int


class _Weighted:
    """Weighted picks by bisection: much faster than random.choices for one item."""

    def __init__(self, pairs: Sequence[tuple[object, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


class _Uids:
    """Unique, random-looking uids: an affine bijection of the index, offset by the seed."""

    # Prime to 2, 3 and 5, so i -> (i * A + b) mod 9e17 never repeats.
    _A = 614_889_782_588_491_411
    _SPAN = 9 * 10**17

    def __init__(self, seed: int, kind: str) -> None:
        salt = random.Random(f"{seed}:{kind}")
        self.offset = salt.randrange(self._SPAN)
        self.hex_offset = salt.randrange(16**16)

    def digits(self, index: int) -> str:
        """18 digits, like the vendor's GUIDs: "905318425411742321"."""
        return str(10**17 + (index * self._A + self.offset) % self._SPAN)

    def hex(self, index: int) -> str:
        """16 hex digits, like the vendor's userUid: "c1e2b5f24ad9a7d3"."""
        return format((index * self._A + self.hex_offset) % 16**16, "016x")


@dataclass(frozen=True)
class _Place:
    """A department org people are drawn into, with what its location implies."""

    org_id: int
    report: dict  # the org's fields of a report row
    region: names.Region | None
    site: names.Site | None
    locales: _Weighted
    department: str
    legacy: bool = False


_USER_FIELDS = (
    "id",
    "password",
    "is_superuser",
    "is_staff",
    "is_active",
    "date_joined",
    "username",
    "first_name",
    "last_name",
    "email",
    "user_uid",
    "user_ext_ref",
    "org_id",
    "user_status",
)
# A device's fields, and the report row's name for each.
_DEVICE_COLUMNS = {
    "id": "device_id",
    "device_uid": "device_uid",
    "name": "device_name",
    "os_hostname": "device_os_hostname",
    "ext_ref": "device_ext_ref",
    "user_id": "owner_id",
    "os": "os",
    "os_version": "os_version",
    "version": "version",
    "status": "status",
    "address": "address",
    "remote_address": "remote_address",
    "creation_date": "creation_date",
    "last_connected_date": "last_connected_date",
    "alert_states": "alert_states",
}
_DEVICE_FIELDS = tuple(_DEVICE_COLUMNS)
_DEVICE_ROW_NAMES = tuple(_DEVICE_COLUMNS.values())
# An archive's fields; from selected_bytes on, the report row has the same names.
_ARCHIVE_FIELDS = (
    "id",
    "archive_guid",
    "device_id",
    "destination_id",
    "server_id",
    "selected_bytes",
    "archive_bytes",
    "backup_complete_percentage",
    "cold_storage",
    "cold_storage_expire_date",
    "last_completed_backup_date",
    "last_activity",
    "most_recent_user_profile_creation_result",
    "most_recent_user_profile_backup_result",
)

_USER_STATUS = _USER_FIELDS.index("user_status")
_ACTIVE, _DEACTIVATED = Device.Status.ACTIVE.value, Device.Status.DEACTIVATED.value
_USER_ACTIVE = User.Status.ACTIVE.value
_USER_STATUSES = _Weighted(
    [(User.Status.ACTIVE.value, 97.0), (User.Status.DEACTIVATED.value, 2.4)]
    + [(User.Status.BLOCKED.value, 0.6)]
)
# How many devices a person has, and how many archives a device has.
_DEVICES_PER_USER = _Weighted([(1, 78.0), (2, 17.0), (3, 5.0)])
_ARCHIVES_PER_DEVICE = _Weighted([(1, 50.0), (2, 38.0), (3, 12.0)])
_NEVER_BACKED_UP = 0.03
_OS_BY_DEPARTMENT = {
    "Engineering": _Weighted([("win", 40.0), ("mac", 38.0), ("linux", 22.0)]),
    "IT": _Weighted([("win", 62.0), ("mac", 20.0), ("linux", 18.0)]),
    "Marketing": _Weighted([("win", 35.0), ("mac", 65.0)]),
}
_OS_DEFAULT = _Weighted(names.OS_SHARES)
_OS_VERSIONS = {os: _Weighted(versions) for os, versions in names.OS_VERSIONS.items()}
_CURRENT_AGENTS = _Weighted(names.CURRENT_AGENTS)
_OLD_AGENTS = _Weighted(names.OLD_AGENTS)
_PREFIXES = {
    os: _Weighted([((prefix, model), weight) for prefix, weight, model in choices])
    for os, choices in names.NAME_PREFIXES.items()
}
_PROFILE_RESULTS = _Weighted(names.PROFILE_RESULTS)
DEVICES_PER_ORG = 250
_RANDOM_NAME_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


class FleetGenerator:
    """Draws and writes one fleet. Call `run()` inside a transaction."""

    def __init__(
        self, devices: int, *, seed: int, now: dt.datetime, progress: Progress | None = None
    ) -> None:
        self.target = devices
        self.seed = seed
        self.now = now
        self.progress = progress
        self.rng = random.Random(seed)
        self.warning_days = settings.BACKUP_WARNING_DAYS
        self.critical_days = settings.BACKUP_CRITICAL_DAYS
        self.uids = {kind: _Uids(seed, kind) for kind in ("org", "user", "device", "archive")}
        self.usernames: dict[str, int] = {}
        self.taken = set(User.objects.values_list("username", flat=True))
        self.unusable_password = make_password(None)[:1]  # "!": no login for the fleet

    # -- orchestration ------------------------------------------------------------------

    def run(self) -> Counts:
        places = self._make_orgs()
        self.places = _Weighted(places)
        self._make_destinations()
        self.next_ids = {
            model: (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            for model in (User, Device, Archive)
        }
        self.first_archive_id = self.next_ids[Archive]
        users = devices = archives = rows = 0
        if self.progress:
            self.progress.start("Devices", self.target)
        for chunk in self._chunks():
            users += bulk.insert(User, _USER_FIELDS, chunk.users)
            devices += bulk.insert(Device, _DEVICE_FIELDS, chunk.devices)
            archives += bulk.insert(Archive, _ARCHIVE_FIELDS, chunk.archives)
            rows += bulk.insert(ReportRow, read_model.ROW_FIELDS, chunk.report_rows)
            bulk.insert(DeviceSearch, read_model.DEVICE_SEARCH_FIELDS, chunk.device_searches)
            bulk.insert(UserSearch, read_model.USER_SEARCH_FIELDS, chunk.user_searches)
            if self.progress:
                self.progress.advance(len(chunk.devices))
        if self.progress:
            self.progress.finish()
        read_model.write_place_searches()
        self._reset_sequences()
        return Counts(
            orgs=self.orgs_made, users=users, devices=devices, archives=archives, rows=rows
        )

    def _reset_sequences(self) -> None:
        # Primary keys were chosen here; let the database's next ones follow them.
        statements = connection.ops.sequence_reset_sql(no_style(), [User, Device, Archive])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    # -- the org tree and destinations ---------------------------------------------------

    def _make_orgs(self) -> list[tuple[_Place, float]]:
        """The company, its regions, countries, sites and departments: five levels.

        Returns the departments people work in, each with its share of the headcount.
        """
        uids = iter(self.uids["org"].digits(index) for index in range(10**6))
        self.orgs_made = 0

        def org(name: str, ext_ref: str, parent: Org | None, **extra) -> Org:
            made = Org(org_uid=next(uids), name=name, ext_ref=ext_ref, parent=parent, **extra)
            made.save()
            self.orgs_made += 1
            return made

        root = org(names.COMPANY, names.COMPANY_REF, None)
        places: list[tuple[_Place, float]] = []
        for region in names.REGIONS:
            region_org = org(region.name, f"NWG-{region.code}", root)
            for country in region.countries:
                country_org = org(country.name, f"NWG-{region.code}-{country.code}", region_org)
                locales = _Weighted(country.locales)
                for site in country.sites:
                    site_org = org(site.city, f"NWG-{country.code}-{site.code}", country_org)
                    departments = [names.DEPARTMENTS[name] for name in site.departments]
                    headcount = sum(d.weight for d in departments)
                    for department in departments:
                        ext_ref = f"CC-{department.cost_center}{site.lan_octet:03d}"
                        department_org = org(department.name, ext_ref, site_org)
                        share = site.weight * department.weight / headcount
                        # A big fleet's departments have teams, people in the teams.
                        teams = [
                            org(
                                f"{department.name} {name}",
                                f"{ext_ref}-{n + 1:02d}",
                                department_org,
                            )
                            for n, name in enumerate(names.TEAMS[: self._teams_per_department()])
                        ] or [department_org]
                        for team in teams:
                            place = _Place(
                                team.pk,
                                _org_report(team),
                                region,
                                site,
                                locales,
                                department.name,
                            )
                            places.append((place, share / len(teams)))
        legacy_name, legacy_ref, legacy_weight = names.LEGACY_ORG
        legacy = org(legacy_name, legacy_ref, root, status=Org.Status.DEACTIVATED)
        english = _Weighted([("en", 1.0)])
        place = _Place(legacy.pk, _org_report(legacy), None, None, english, "", legacy=True)
        places.append((place, legacy_weight))
        return places

    def _teams_per_department(self) -> int:
        """About one org per DEVICES_PER_ORG devices: a 1,000,000-device fleet has some
        thousands of orgs, six levels deep; a small one keeps its five levels."""
        departments = sum(
            len(site.departments) for r in names.REGIONS for c in r.countries for site in c.sites
        )
        wanted = self.target // DEVICES_PER_ORG
        if wanted <= 2 * departments:
            return 0
        return min(len(names.TEAMS), round(wanted / departments))

    def _make_destinations(self) -> None:
        uids = _Uids(self.seed, "destination")
        self.destinations: dict[str, int] = {}
        self.servers: dict[str, tuple[int, ...]] = {}  # by destination name
        self.server_named: dict[str, int] = {}
        # The destination's and server's fields of a report row, by primary key.
        self.destination_report: dict[int, dict] = {}
        self.server_report: dict[int | None, dict] = {
            None: {"server_uid": None, "server_name": None}
        }
        for index, spec in enumerate(names.DESTINATIONS):
            destination = Destination.objects.create(
                destination_uid=uids.digits(index), name=spec.name, type=spec.type
            )
            self.destinations[spec.name] = destination.pk
            self.destination_report[destination.pk] = {
                "destination_uid": destination.destination_uid,
                "destination_name": destination.name,
            }
            servers = []
            for number, server_name in enumerate(spec.servers):
                server = Server.objects.create(
                    server_uid=uids.digits(100 + 10 * index + number),
                    name=server_name,
                    destination=destination,
                )
                self.server_named[server_name] = server.pk
                self.server_report[server.pk] = {
                    "server_uid": server.server_uid,
                    "server_name": server.name,
                }
                servers.append(server.pk)
            self.servers[spec.name] = tuple(servers)

    # -- people, devices, archives -------------------------------------------------------

    def _chunks(self) -> Iterator[_Chunk]:
        """About CHUNK devices at a time, with their people, archives and report rows."""
        rng, ids = self.rng, self.next_ids
        drawn = user_index = 0
        while drawn < self.target:
            chunk = _Chunk([], [], [], [], [], [])
            while len(chunk.devices) < CHUNK and drawn < self.target:
                place = self.places.pick(rng)
                user, first, last = self._user(ids[User], user_index, place)
                chunk.users.append(user)
                person = {**place.report, **_user_report(user)}
                for number in range(min(_DEVICES_PER_USER.pick(rng), self.target - drawn)):
                    device, archives = self._device(
                        ids[Device], drawn, ids[Archive], user, first, last, place, number
                    )
                    chunk.devices.append(device)
                    chunk.archives.extend(archives)
                    chunk.report_rows.extend(self._report_rows(person, device, archives))
                    values = {**person, **dict(zip(_DEVICE_ROW_NAMES, device, strict=True))}
                    chunk.device_searches.append(read_model.device_search_record(values))
                    if number == 0:  # an owner's text once, with their first device
                        chunk.user_searches.append(read_model.user_search_record(values))
                    ids[Device] += 1
                    ids[Archive] += len(archives)
                    drawn += 1
                ids[User] += 1
                user_index += 1
            yield chunk

    def _report_rows(self, person: dict, device: tuple, archives: list[tuple]) -> list[tuple]:
        """One row per archive; one with null archive fields for a device without any."""
        values = {**person, **dict(zip(_DEVICE_ROW_NAMES, device, strict=True))}
        if not archives:
            return read_model.device_records([values])
        return read_model.device_records(
            [
                {
                    **values,
                    "archive_id": archive[0],
                    "archive_guid": archive[1],
                    **self.destination_report[archive[3]],
                    **self.server_report[archive[4]],
                    **dict(zip(_ARCHIVE_ROW_NAMES, archive[5:], strict=True)),
                }
                for archive in archives
            ]
        )

    def _username(self, first: names.Name, last: names.Name) -> str:
        """zoe.muller, then zoe.muller2, zoe.muller3... for namesakes."""
        base = f"{first.ascii}.{last.ascii}".lower()
        number = self.usernames.get(base, 0)
        while True:
            number += 1
            username = base if number == 1 else f"{base}{number}"
            if username not in self.taken:
                break
        self.usernames[base] = number
        return username

    def _user(
        self, user_id: int, index: int, place: _Place
    ) -> tuple[tuple, names.Name, names.Name]:
        rng = self.rng
        given, family = names.PEOPLE[place.locales.pick(rng)]
        first, last = rng.choice(given), rng.choice(family)
        username = self._username(first, last)
        if place.legacy:
            status = User.Status.DEACTIVATED.value if rng.random() < 0.9 else _USER_ACTIVE
        else:
            # The first person (employee 1001) is always active: the vendor's example.
            status = _USER_STATUSES.pick(rng) if index else _USER_ACTIVE
        joined = self.now - dt.timedelta(seconds=int(rng.uniform(60, 2600) * DAY))
        row = (
            user_id,
            self.unusable_password,
            False,
            False,
            status == _USER_ACTIVE,
            joined,
            username,
            first.text,
            last.text,
            f"{username}@{names.EMAIL_DOMAIN}",
            self.uids["user"].hex(index),
            str(1001 + index),  # employee IDs, so that the vendor's `user=1001` finds one
            place.org_id,
            status,
        )
        return row, first, last

    def _device(
        self,
        device_id: int,
        index: int,
        archive_id: int,
        user: tuple,
        first: names.Name,
        last: names.Name,
        place: _Place,
        number: int,
    ) -> tuple[tuple, list[tuple]]:
        rng, now = self.rng, self.now
        # Still running? Not for people who left, nor most machines replaced by a newer one.
        deactivated = (
            user[_USER_STATUS] != _USER_ACTIVE
            or (number > 0 and rng.random() < 0.2)
            or rng.random() < 0.01
        )
        # Ages, in seconds before now.
        if deactivated:
            connected_ago = rng.uniform(10, 450) * DAY
            created_ago = connected_ago + rng.uniform(90, 1400) * DAY
        else:
            new = rng.random() < 0.03
            created_ago = rng.uniform(0.1, 10) * DAY if new else rng.uniform(10, 1500) * DAY
            roll = rng.random()
            if roll < 0.80:
                connected_ago = rng.uniform(0, 20) * HOUR
            elif roll < 0.89:
                connected_ago = rng.uniform(20 * HOUR, 3 * DAY)
            elif roll < 0.94:
                connected_ago = rng.uniform(3, 7) * DAY
            else:
                connected_ago = (7 + rng.expovariate(1 / 25)) * DAY
            if connected_ago > created_ago:
                connected_ago = created_ago * rng.random()
        created = now - dt.timedelta(milliseconds=int(created_ago * 1000))
        last_connected = now - dt.timedelta(milliseconds=int(connected_ago * 1000))

        os = _OS_BY_DEPARTMENT.get(place.department, _OS_DEFAULT).pick(rng)
        prefix, model = _PREFIXES[os].pick(rng)
        tag = (first.ascii[:1] + last.ascii).upper()[:8]
        serial = number + (1 if rng.random() < 0.7 else rng.randint(2, 4))
        if prefix == "DESKTOP":  # Windows' own random names, never renamed
            name = hostname = "DESKTOP-" + "".join(rng.choices(_RANDOM_NAME_CHARS, k=7))
        elif os == "mac":
            name = f"{prefix}-{tag}-{serial:02d}"
            hostname = f"{first.ascii}s-{model}{'' if serial == 1 else f'-{serial}'}.local"
        elif os == "linux":
            name = hostname = f"{prefix}-{tag.lower()}-{serial:02d}"
        else:
            name = hostname = f"{prefix}-{tag}-{serial:02d}"
        version = (_CURRENT_AGENTS if connected_ago < 60 * DAY else _OLD_AGENTS).pick(rng)
        # Asset tags: 7919 is prime to 10**7, so tags stay unique up to ten million.
        asset = f"NW-{(index * 7_919 + self.seed * 104_729) % 10_000_000:07d}"

        site = place.site
        if site is not None and rng.random() < 0.62:  # in the office
            lan = f"10.{site.lan_octet}.{rng.randrange(64)}.{rng.randrange(2, 255)}"
            wan = site.wan_ip
        else:  # at home, on the road
            lan = f"{rng.choice(names.REMOTE_LAN_PREFIXES)}{rng.randrange(2, 255)}"
            wan = f"{rng.choice(names.REMOTE_WAN_PREFIXES)}{rng.randrange(1, 255)}"

        archives = self._archives(
            archive_id, device_id, os, version, place, created, last_connected, deactivated
        )
        if deactivated:
            states = OK
        else:
            live = [a for a in archives if not a[_COLD]]
            since = min((a[_COMPLETED] or created for a in live), default=created)
            states = alert_states(
                now,
                last_connected,
                since,
                warning_days=self.warning_days,
                critical_days=self.critical_days,
            )
        device = (
            device_id,
            self.uids["device"].digits(index),
            name,
            hostname,
            asset if rng.random() < 0.92 else "",
            user[0],
            os,
            _OS_VERSIONS[os].pick(rng),
            version,
            _DEACTIVATED if deactivated else _ACTIVE,
            f"{lan}:{names.AGENT_PORT}",
            wan,
            created,
            last_connected,
            states,
        )
        return device, archives

    def _archives(
        self,
        archive_id: int,
        device_id: int,
        os: str,
        version: str,
        place: _Place,
        created: dt.datetime,
        last_connected: dt.datetime,
        deactivated: bool,
    ) -> list[tuple]:
        rng, now = self.rng, self.now
        if rng.random() < _NEVER_BACKED_UP:
            return []
        # The region's cloud first, then the office's server or a local drive.
        region = place.region or names.REGIONS[1]
        plan = [region.cloud if rng.random() < 0.95 else names.ON_PREM_DESTINATION]
        others = [names.ON_PREM_DESTINATION, names.LOCAL_DESTINATION]
        if rng.random() < 0.45:
            others.reverse()
        count = _ARCHIVES_PER_DEVICE.pick(rng)
        plan += [d for d in others if d not in plan][: count - 1]
        if not deactivated and rng.random() < 0.015:
            plan.append(names.LEGACY_DESTINATION)

        # Log-normal selection: most laptops tens of GB, a few TB.
        selected = rng.lognormvariate(math.log(45 * GIB), 1.1) * (2.5 if os == "linux" else 1)
        selected = int(min(max(selected, 0.2 * GIB), 24 * 1024 * GIB))
        profiles = os == "win" and version.startswith("11.") and rng.random() < 0.3
        up_seconds = (last_connected - created).total_seconds()
        if deactivated:
            # Whole milliseconds, as the export writes dates: a mirror then holds the same.
            gone = last_connected + dt.timedelta(milliseconds=int(rng.uniform(0, 20) * DAY * 1000))
            retention = dt.timedelta(days=365 if rng.random() < 0.75 else 730)
            expires = min(gone, now) + retention

        archives = []
        for position, destination in enumerate(plan):
            if destination == names.LOCAL_DESTINATION:
                server = None
                # External drives sit in a drawer for days.
                stale = rng.random() < 0.15
                lag = rng.uniform(1, 14) * DAY if stale else rng.uniform(0, 8) * HOUR
            else:
                server = rng.choice(self.servers[destination])
                if destination == names.ON_PREM_DESTINATION:
                    server = self.server_named[region.on_prem_server]
                roll = rng.random()
                if roll < 0.94:
                    lag = rng.uniform(0, 8) * HOUR
                elif roll < 0.98:
                    lag = rng.uniform(8 * HOUR, 4 * DAY)
                else:
                    lag = rng.uniform(4, 40) * DAY
            cold = deactivated
            expire = expires if deactivated else None
            if destination == names.LEGACY_DESTINATION:
                cold = True
                completed = now - dt.timedelta(seconds=int(rng.uniform(400, 800) * DAY))
                activity = completed
                expire = now + dt.timedelta(seconds=int(rng.uniform(20, 330) * DAY))
                percentage = 100.0
            elif lag >= up_seconds or (up_seconds < 10 * DAY and rng.random() < 0.4):
                # The first backup is still running.
                completed = None
                percentage = round(rng.uniform(1, 99.9), 1)
                activity = last_connected - dt.timedelta(
                    seconds=int(min(HOUR, up_seconds) * rng.random())
                )
            else:
                completed = last_connected - dt.timedelta(milliseconds=int(lag * 1000))
                activity = completed + (last_connected - completed) * rng.random()
                activity = activity.replace(microsecond=activity.microsecond // 1000 * 1000)
                roll = rng.random()
                if roll < 0.90:
                    percentage = 100.0
                elif roll < 0.97:
                    percentage = round(rng.uniform(90, 99.9), 1)
                else:
                    percentage = round(rng.uniform(20, 90), 1)
            size = (
                selected
                if position == 0 or rng.random() < 0.7
                else int(selected * rng.uniform(0.5, 1))
            )
            stored = int(size * percentage / 100 * rng.uniform(0.55, 1.1))
            creation_result = backup_result = ""
            if profiles and destination != names.LEGACY_DESTINATION:
                creation_result = _PROFILE_RESULTS.pick(rng)
                backup_result = _PROFILE_RESULTS.pick(rng)
            archives.append(
                (
                    archive_id + position,
                    self.uids["archive"].digits(archive_id + position - self.first_archive_id),
                    device_id,
                    self.destinations[destination],
                    server,
                    size,
                    stored,
                    percentage,
                    cold,
                    expire,
                    completed,
                    activity,
                    creation_result,
                    backup_result,
                )
            )
        return archives


# Positions in an archive row.
_COLD = _ARCHIVE_FIELDS.index("cold_storage")
_COMPLETED = _ARCHIVE_FIELDS.index("last_completed_backup_date")
_ARCHIVE_ROW_NAMES = _ARCHIVE_FIELDS[5:]
# A person's fields of a report row, from a user row.
_USER_REPORT_NAMES = (
    "owner_id",
    "username",
    "first_name",
    "last_name",
    "email",
    "user_uid",
    "user_ext_ref",
    "user_status",
)
_user_values = itemgetter(*(_USER_FIELDS.index(f) for f in ("id", *_USER_REPORT_NAMES[1:])))


def _user_report(user: tuple) -> dict:
    return dict(zip(_USER_REPORT_NAMES, _user_values(user), strict=True))


def _org_report(org: Org) -> dict:
    return {
        "org_id": org.pk,
        "org_path": org.path,
        "org_uid": org.org_uid,
        "org_name": org.name,
        "org_ext_ref": org.ext_ref,
    }


@dataclass
class _Chunk:
    users: list[tuple]
    devices: list[tuple]
    archives: list[tuple]
    report_rows: list[tuple]
    device_searches: list[tuple]
    user_searches: list[tuple]


def generate(
    devices: int, *, seed: int, now: dt.datetime, progress: Progress | None = None
) -> Counts:
    """Write a fleet of this many devices, its orgs, people, destinations and report rows."""

    def indexing(done: int, total: int) -> None:
        if progress is None:
            return
        if done == 0:
            progress.start("Indexes", total)
        if done == total:
            progress.finish()
        elif done:
            progress.advance(1)

    tables = (User, Device, Archive, ReportRow, DeviceSearch, UserSearch)
    with transaction.atomic(), bulk.loading(*tables, progress=indexing):
        return FleetGenerator(devices, seed=seed, now=now, progress=progress).run()
