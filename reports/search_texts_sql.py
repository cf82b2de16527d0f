"""PostgreSQL: the search texts kept apart from the report rows (a device's, a person's,
an org's, a destination's: reports.models.DeviceSearch and its kin) written by SQL, each
only where it differs, so that a sync moving dates writes none. reports.read_model's
write_searches and write_place_searches are the Python way, for SQLite's small fleets;
tests/test_read_model_sql.py holds both to the same texts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from accounts.models import Org
from reports.models import (
    Destination,
    DestinationSearch,
    Device,
    DeviceSearch,
    OrgSearch,
    UserSearch,
)
from reports.read_model import (
    _DEVICE_FIELDS,
    _OWNER_FIELDS,
    _SEARCHES,
    DESTINATION_FIELDS,
    ORG_FIELDS,
    SEARCH_SEPARATOR,
    SPACES,
)


def each(alias: str, names: Iterable[str]) -> str:
    """The columns `names` of the table or row `alias`, quoted, comma-separated."""
    return ", ".join(f"{alias}.{connection.ops.quote_name(name)}" for name in names)


def _as_typed_name(text: str) -> str:
    """SQL of read_model.as_typed_name: the spaces str.split() knows (SPACES) run
    together into one and trimmed, then a comma followed by one space."""
    spaces = "".join(f"\\u{ord(c):04x}" for c in SPACES)
    one_space = f"btrim(regexp_replace({text}, '[{spaces}]+', ' ', 'g'), ' ')"
    return f"regexp_replace({one_space}, ' ?, ?', ', ', 'g')"


def _search(column: str) -> str:
    """SQL of one *_search column from the fields of `b`, as read_model.search_column
    makes it in Python."""
    texts = [f"b.{source}" for source in _SEARCHES[column]]
    if column == "user_search":
        both = "b.first_name IS NOT NULL AND b.last_name IS NOT NULL"
        first_last = _as_typed_name("b.first_name || ' ' || b.last_name")
        last_first = _as_typed_name("b.last_name || ', ' || b.first_name")
        texts += [
            f"CASE WHEN {both} THEN {first_last} END",
            f"CASE WHEN {both} THEN {last_first} END",
        ]
    # ICU's lower case is Unicode's full mapping, as Python's str.lower (the database's
    # own collation, C.UTF-8 here, maps one character to one: İ, final sigma). For ASCII
    # text, the C collation's lower case is the same, several times faster.
    joined = f"concat_ws(chr({ord(SEARCH_SEPARATOR)}), {', '.join(texts)})"
    return (
        f'CASE WHEN octet_length({joined}) = length({joined}) THEN lower({joined} COLLATE "C")'
        f' ELSE lower({joined} COLLATE "und-x-icu") COLLATE "C" END'
    )


# The search texts kept apart from the rows (reports.models.UserSearch), from the
# environment tables' fields as the rows take them (_DEVICE): empty text is null.
_DEVICE_TEXTS = (
    "SELECT d.id, "
    + ", ".join(f"NULLIF(d.{field}, '') AS {name}" for name, field in _DEVICE_FIELDS.items())
    + " FROM {device_table} d WHERE {which}"
)
_OWNER_TEXTS = (
    "SELECT u.id, "
    + ", ".join(f"NULLIF(u.{field}, '') AS {name}" for name, field in _OWNER_FIELDS.items())
    + " FROM accounts_user u WHERE {which}"
    " AND EXISTS (SELECT 1 FROM {device_table} x WHERE x.user_id = u.id {probe})"
)


def write_searches(devices: str | None, former_owners: Iterable[int] = ()) -> None:
    """read_model.write_searches by SQL, for the devices the table `devices` lists (None:
    all), their owners and former owners: each text written only where it differs, so
    that a sync moving dates writes none (nor any trigram index entry).

    Of a list, each device and person is looked up by key (`= ANY(ARRAY(...))`), and
    whether a person owns a device likewise (an EXISTS kept apart by OFFSET 0): joined,
    the planner scanned every device and person for the 16,000 devices of a 1% sync at
    a million (3.3 s; 0.2-0.4 s so)."""
    quote = connection.ops.quote_name
    device_table, texts = quote(Device._meta.db_table), quote(DeviceSearch._meta.db_table)
    owner_texts = quote(UserSearch._meta.db_table)
    if devices is None:
        listed = owners = "true"
        probe, params = "", None
    else:
        listed = f"d.id = ANY(ARRAY(SELECT id FROM {devices}))"
        owners = (
            f"u.id = ANY(ARRAY(SELECT user_id FROM {device_table} WHERE id = ANY(ARRAY("
            f"SELECT id FROM {devices})) UNION SELECT unnest(%(former)s::bigint[])))"
        )
        probe, params = "OFFSET 0", {"former": list(former_owners)}
    device_texts = (
        f"SELECT b.id AS key, {_search('device_search')} AS device_search,"
        f" {_search('os_search')} AS os_search"
        f" FROM ({_DEVICE_TEXTS.format(device_table=device_table, which=listed)}) b"
    )
    people = _OWNER_TEXTS.format(device_table=device_table, which=owners, probe=probe)
    people_texts = f"SELECT b.id AS key, {_search('user_search')} AS user_search FROM ({people}) b"
    with connection.cursor() as cursor:
        if devices is None:
            _write_every_text(
                cursor, texts, "device_id", ("device_search", "os_search"), device_texts
            )
            _write_every_text(cursor, owner_texts, "owner_id", ("user_search",), people_texts)
            return
        _write_texts_of(cursor, texts, "device_id", ("device_search", "os_search"), device_texts)
        cursor.execute(
            f"DELETE FROM {texts} s WHERE s.device_id = ANY(ARRAY(SELECT id FROM {devices}))"
            f" AND NOT EXISTS (SELECT 1 FROM {device_table} d WHERE d.id = s.device_id)"
        )
        _write_texts_of(cursor, owner_texts, "owner_id", ("user_search",), people_texts, params)
        cursor.execute(
            f"DELETE FROM {owner_texts} s WHERE s.owner_id = ANY(%(former)s) AND NOT EXISTS"
            f" (SELECT 1 FROM {device_table} d WHERE d.user_id = s.owner_id {probe})",
            params,
        )


def _write_texts_of(
    cursor, texts: str, key: str, columns: tuple[str, ...], fresh: str, params=None
) -> None:
    """The texts `fresh` selects of a few devices or people (a `key` and `columns`),
    written into the table `texts` where they differ or are missing: ON CONFLICT looks
    each one up by key (and locks the few it meets)."""
    cursor.execute(
        f"INSERT INTO {texts} AS s ({key}, {', '.join(columns)})"
        f" SELECT f.key, {each('f', columns)} FROM ({fresh}) f ON CONFLICT ({key}) DO UPDATE"
        f" SET {', '.join(f'{column} = EXCLUDED.{column}' for column in columns)}"
        f" WHERE ({each('s', columns)}) IS DISTINCT FROM ({each('EXCLUDED', columns)})",
        params,
    )


def _write_every_text(cursor, texts: str, key: str, columns: tuple[str, ...], fresh: str) -> None:
    """The table `texts` made to hold exactly the texts `fresh` selects (a `key` and
    `columns`, of every device, person or place): by one join of the two whole, each
    text written only where it differs, added where missing, dropped where `fresh` has
    none. ON CONFLICT DO UPDATE locks every row it meets, its WHERE false or not: at a
    million devices it wrote 100 MB of WAL and dirtied every page of both tables for no
    change, and the texts gone were found by a join again (6.3 s; 3.2 s so, 2026-12-05).
    The statements of one WITH see the table as it was before any of them, and touch
    rows apart."""
    found = f"s.{key}"
    cursor.execute(
        f"WITH j AS MATERIALIZED (SELECT f.*, {found} AS found FROM ({fresh}) f"
        f" FULL JOIN {texts} s ON {found} = f.key WHERE f.key IS NULL OR {found} IS NULL"
        f" OR ({each('s', columns)}) IS DISTINCT FROM ({each('f', columns)})),"
        f" gone AS (DELETE FROM {texts} s USING j WHERE j.key IS NULL AND {found} = j.found),"
        f" changed AS (UPDATE {texts} s SET {', '.join(f'{c} = j.{c}' for c in columns)}"
        f" FROM j WHERE j.key IS NOT NULL AND {found} = j.found)"
        f" INSERT INTO {texts} ({key}, {', '.join(columns)})"
        f" SELECT j.key, {each('j', columns)} FROM j WHERE j.found IS NULL"
    )


# Each org's and destination's text (read_model.place_search_texts): (the search
# column, its model, the place's model, its key as the rows name it, the fields read).
_PLACES = (
    ("org_search", OrgSearch, Org, "id", ORG_FIELDS),
    ("destination_search", DestinationSearch, Destination, "destination_uid", DESTINATION_FIELDS),
)


def write_place_searches() -> None:
    """read_model.write_place_searches by SQL: every org's and destination's text, where
    it differs; those of orgs and destinations gone dropped."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for column, model, place, key, fields in _PLACES:
            texts, table = quote(model._meta.db_table), quote(place._meta.db_table)
            cells = ", ".join(f"NULLIF(p.{field}, '') AS {name}" for name, field in fields.items())
            fresh = (
                f"SELECT b.key, {_search(column)} AS {column} FROM (SELECT p.{key} AS key,"
                f" {cells} FROM {table} p WHERE NULLIF(p.{key}::text, '') IS NOT NULL) b"
            )
            _write_every_text(cursor, texts, model._meta.pk.attname, (column,), fresh)
