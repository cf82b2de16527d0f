"""Every cached figure says which tables it reads (reports.cache.FIGURES), and a write to
each of them moves the report generation on: a trigger made by WatchTable
(accounts.watched_tables), on this backend, whichever it is. A figure reading a table
that no trigger watches would be answered stale after a write to it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from accounts.watched_tables import ACCESS, is_watched
from reports import cache
from reports.history import snapshots
from reports.models import ReadModelGeneration

DECLARED_TABLES = sorted({table for tables in cache.FIGURES.values() for table in tables})


@pytest.mark.parametrize("figure", sorted(cache.FIGURES))
def test_every_table_a_figure_reads_is_watched(db, figure):
    tables = cache.FIGURES[figure]
    assert tables, f"{figure}: declares no table"
    unwatched = [table for table in tables if not is_watched(connection, cache.REPORT, table)]
    assert not unwatched, (
        f"cached figure {figure!r} reads {unwatched}, which no trigger watches: add "
        f'WatchTable("<table>", REPORT) to a migration (README, Caching)'
    )


def test_every_declared_table_is_a_table_of_a_model():
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    assert set(DECLARED_TABLES) <= tables


def test_a_figure_not_declared_cannot_be_cached(db):
    with pytest.raises(LookupError, match="FIGURES"):
        cache.cached("undeclared", "key", lambda: 1, number=1)


def test_a_table_without_its_trigger_is_seen(db):
    """The check above can fail: with one trigger dropped, the table is not watched."""
    table = "reports_reportrow"
    assert is_watched(connection, cache.REPORT, table)
    name = cache.REPORT.trigger_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}_delete")
    assert not is_watched(connection, cache.REPORT, table)


@pytest.mark.parametrize("table", DECLARED_TABLES)
def test_a_write_to_each_declared_table_moves_the_generation(personas, table):
    """An UPDATE of every row's key to itself: a write that every trigger of the table
    sees (the key is among any watched columns), with no model-specific row to make."""
    snapshots.take()  # rows in every declared table: the personas' fleet, its snapshot
    before = cache.generation()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        assert cursor.fetchone()[0] > 0
        cursor.execute(f"UPDATE {connection.ops.quote_name(table)} SET id = id")
    assert cache.generation() > before
    assert ReadModelGeneration.objects.count() == 1


# What a kept caller is read from (accounts.access_generation): each table's writes must
# move the access generation. On SQLite a migration that rebuilds a table (a NOT NULL
# column added) drops its triggers; this catches one that forgets to watch it again.
ACCESS_TABLES = (
    "accounts_user",
    "accounts_user_groups",
    "auth_group",
    "accounts_org",
    "accounts_apiclient",
    "axes_accessattempt",
    "axes_accessattemptexpiration",
)


@pytest.mark.parametrize("table", ACCESS_TABLES)
def test_every_table_a_kept_caller_is_read_from_is_watched(db, table):
    assert is_watched(connection, ACCESS, table), (
        f"{table}: no trigger moves the access generation; add "
        f'WatchTable("{table}", ACCESS) to the migration that rebuilt it'
    )


def test_an_upgrade_s_migrate_answers_nothing_the_release_before_kept(personas):
    """Every upgrade runs migrate (README, Upgrading). A value kept by the release before
    was its code's answer: Redis keeps pages an hour through the restart and the stored
    figures stay in the database until the next refresh warms anew, so a release that
    mends a figure (or what a reach reads) showed the old answer until then (found by an
    audit of the caches). Nothing was written meanwhile, and nothing kept answers."""
    from django.core.cache import cache as kept
    from django.core.management import call_command
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    kept.clear()
    assert cache.cached("count", "a question", lambda: "before") == "before"
    cache.warm("summary", "the totals", lambda: "before")
    kept.clear()  # the restart: this process's cache is gone, the stored figure is not
    assert cache.warmed("summary", "the totals", lambda: "after") == "before"
    # Nothing to apply (make run's migrate at each start): the figures stay warm (each
    # start threw them away, found by a review).
    call_command("migrate", verbosity=0)
    assert cache.warmed("summary", "the totals", lambda: "after") == "before"
    # The release's migrations applied: the signal migrate sends then, with its plan.
    graph = MigrationLoader(connection).graph
    release = graph.nodes[graph.leaf_nodes("reports")[0]]
    emit_post_migrate_signal(0, False, "default", plan=[(release, False)])
    assert cache.cached("count", "a question", lambda: "after") == "after"
    assert cache.warmed("summary", "the totals", lambda: "after") == "after"
