"""The audit log's tamper evidence (spec section 13): every event chained by hash to
the one before; a changed, removed or added row breaks the chain and audit_verify names
the first broken link; retention removes the oldest whole days and records that it did;
nothing in the admin edits or deletes an event."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from accounts import audit
from accounts.audit import chain
from accounts.audit.chain import digest, first_break
from accounts.audit.models import GENESIS, PRUNE_BEFORE_SETTING, AppendOnlyError, ChainHead, Event
from accounts.audit.retention import cutoff, prune
from tests.audit_support import database_file, has_trigger, manage, tampering
from tests.port_support import free_port

pytestmark = pytest.mark.django_db


def events(count: int) -> list[Event]:
    return [
        audit.record("export.csv", actor="someone", target=f"t{n}", rows=n) for n in range(count)
    ]


def verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_each_event_is_chained_to_the_one_before():
    first, second, third = events(3)
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.hash and third.previous_hash == second.hash
    assert all(event.hash == digest(event) for event in Event.objects.all())
    assert "holds: 3 events" in verify()


def test_the_hash_survives_the_round_trip_through_the_database():
    event = audit.record(
        "export.csv", actor="ünïcode", target="t", rows=1, parameters={"z": ["2", "1"], "a": "x"}
    )
    stored = Event.objects.get(pk=event.pk)
    assert digest(stored) == stored.hash == event.hash


def test_a_changed_row_is_named():
    first, second, third = events(3)
    with tampering() as rows:
        rows.filter(pk=second.pk).update(details={"rows": 1000})
    with pytest.raises(CommandError, match=f"first broken link: event #{second.pk}: its fields"):
        verify()


def test_a_changed_row_with_its_hash_recomputed_breaks_the_next_link():
    first, second, third = events(3)
    forged = Event.objects.get(pk=second.pk)
    forged.target = "someone else"
    with tampering() as rows:
        rows.filter(pk=second.pk).update(target=forged.target, hash=digest(forged))
    with pytest.raises(CommandError, match=f"first broken link: event #{third.pk}: its previous"):
        verify()


def test_a_deleted_row_is_named_by_the_link_after_it():
    first, second, third = events(3)
    with tampering() as rows:
        rows.filter(pk=second.pk).delete()
    with pytest.raises(CommandError, match=f"event #{third.pk}: .*#{first.pk}.* removed"):
        verify()


def test_a_deleted_first_row_is_named():
    first, second = events(2)
    with tampering() as rows:
        rows.filter(pk=first.pk).delete()
    with pytest.raises(CommandError, match=f"first broken link: event #{second.pk}"):
        verify()


def test_a_deleted_last_row_is_named():
    first, second = events(2)
    with tampering() as rows:
        rows.filter(pk=second.pk).delete()
    with pytest.raises(CommandError, match=f"event #{second.pk}: .*removed"):
        verify()


def inserted(pk: int | None, after: Event) -> Event:
    """A row chained to `after` and saved as SQL would insert it: the head not moved."""
    forged = Event(pk=pk, at=timezone.now(), kind="export.csv", actor="mallory", target="forged")
    forged.previous_hash = after.hash
    forged.hash = digest(forged)
    forged.save(force_insert=True)
    return forged


def test_a_row_inserted_after_the_last_is_named_not_the_last():
    first, second, third = events(3)
    forged = inserted(None, after=third)
    checked, broken = first_break()
    assert (checked, broken.event_id) == (3, forged.pk)
    assert f"added after the chain's recorded end (#{third.pk})" in broken.reason
    assert "removed" not in broken.reason


def test_a_row_appended_while_the_check_runs_is_not_a_break():
    first, second = events(2)

    def events_then_one_more():
        yield from Event.objects.order_by("id")
        yield events(1)[0]  # appended (the head moved) after the check read the head

    assert first_break(events_then_one_more()) == (3, None)


def test_rows_appended_after_the_checks_read_of_the_log_are_not_removed_ones():
    """The events' query sees the log as it stood when it ran: one appended between the
    head's read and the query's is in it, and reading the head again for it names
    those appended since, which the query never saw. They were "events at the end
    removed" (CRITICAL from monitoring) on a busy log (found by an audit of section 13)."""
    events(2)

    def the_log_as_the_query_saw_it():
        events(1)  # between the check's read of the head and its query
        seen = list(Event.objects.order_by("id"))
        events(2)  # while the check reads
        yield from seen

    assert first_break(the_log_as_the_query_saw_it()) == (5, None)


def test_a_row_inserted_in_the_middle_is_named():
    first = events(1)[0]
    third = chain.append(Event(pk=first.pk + 2, at=timezone.now(), kind="export.csv"))
    forged = inserted(first.pk + 1, after=first)
    checked, broken = first_break()
    assert (checked, broken.event_id) == (1, forged.pk)
    assert f"inserted: the event after it (#{third.pk}) is chained to the one before it" in str(
        broken
    )


def test_two_rows_swapped_are_named_by_the_first_of_them():
    first, second, third = events(3)
    fields = ["at", "kind", "actor", "target", "details", "previous_hash", "hash"]
    rows = {e.pk: {name: getattr(e, name) for name in fields} for e in (second, third)}
    with tampering() as unguarded:
        unguarded.filter(pk=second.pk).update(hash="swapping")  # hash is unique
        unguarded.filter(pk=third.pk).update(**rows[second.pk])
        unguarded.filter(pk=second.pk).update(**rows[third.pk])
    checked, broken = first_break()
    assert (checked, broken.event_id) == (1, second.pk)
    assert f"not the hash of the event before it (#{first.pk})" in broken.reason


# Append-only: the app's guard, and the database's trigger


def test_the_app_changes_and_deletes_no_event():
    first, second = events(2)
    loaded = Event.objects.get(pk=second.pk)
    loaded.target = "rewritten"
    refusals = [
        lambda: Event.objects.filter(pk=second.pk).update(target="rewritten"),
        lambda: Event.objects.filter(pk=second.pk).delete(),
        lambda: Event.objects.bulk_update([loaded], ["target"]),
        loaded.save,
        loaded.delete,
    ]
    refusal = "audit events are append-only: .* refused"
    for refused in refusals:
        # In a block of its own: bulk_update's atomic block is spoiled by the error.
        with pytest.raises(AppendOnlyError, match=refusal), transaction.atomic():
            refused()
    assert list(Event.objects.values_list("pk", "target")) == [(first.pk, "t0"), (second.pk, "t1")]
    assert "holds: 2 events" in verify()


def test_a_row_saved_again_under_an_existing_id_is_an_insert_refused():
    first = events(1)[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Event(pk=first.pk, at=timezone.now(), kind="export.csv", hash="x").save()
    assert Event.objects.get(pk=first.pk).hash == first.hash


def raw_sql(statement: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_database_refuses_an_update_by_sql():
    first = events(1)[0]
    with pytest.raises(DatabaseError, match="audit events are append-only"):
        raw_sql("UPDATE audit_event SET target = 'rewritten' WHERE id = %s", [first.pk])
    assert Event.objects.get(pk=first.pk).target == "t0"


def test_the_trigger_is_on_the_events_table_after_every_migration():
    assert has_trigger()  # SQLite drops it with a table a later migration remakes


on_postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's triggers cannot tell retention's DELETE (README 'Tamper evidence')",
)


@on_postgres_only
def test_the_database_refuses_a_delete_by_sql_even_of_a_past_event():
    old = audit.record("export.csv", rows=0, at=timezone.now() - dt.timedelta(days=500))
    recent = events(1)[0]
    for event in (old, recent):
        with pytest.raises(DatabaseError, match=f"append-only: DELETE of event #{event.pk}"):
            raw_sql("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert Event.objects.count() == 2


@on_postgres_only
def test_retentions_cutoff_lets_only_the_events_before_it_go():
    now = timezone.now()
    old = audit.record("export.csv", rows=0, at=now - dt.timedelta(days=500))
    recent = events(1)[0]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [PRUNE_BEFORE_SETTING, cutoff(now, 400).isoformat()]
        )
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [old.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM audit_event WHERE id = %s", [recent.pk])
    assert list(Event.objects.values_list("pk", flat=True)) == [recent.pk]


@on_postgres_only
def test_retention_withdraws_its_cutoff_once_it_has_pruned():
    now = timezone.now()
    audit.record("export.csv", rows=0, at=now - dt.timedelta(days=500))
    events(1)
    with transaction.atomic():
        assert prune(now=now, days=400) == 1
        later = audit.record("export.csv", rows=0, at=now - dt.timedelta(days=450))
        with pytest.raises(DatabaseError, match="append-only"):
            raw_sql("DELETE FROM audit_event WHERE id = %s", [later.pk])
    assert "holds: 3 events" in verify()  # the kept one, the retention's, the late one


def _chain_head_is_free() -> bool:
    """Whether another connection could take the chain's head now, without waiting: the
    lock every event's append waits for (chain.head_for_update)."""
    answer = []

    def probe() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT id FROM audit_chainhead WHERE id = 1 FOR UPDATE NOWAIT")
            answer.append(True)
        except OperationalError:
            answer.append(False)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return answer[0]


@on_postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_import_that_retires_a_stranger_holds_the_chain_only_at_its_end(tmp_path, monkeypatch):
    """An account single sign-on made for a stranger gives way when the import brings
    the person (accounts.sso.strangers), recorded in the import's transaction. It was
    recorded before the writes, and the chain's head stayed locked through them and the
    report rows, minutes at a million: every sign-in and export waited, the web hung
    (found by an audit of section 13). Recorded at the end, as it still commits or
    rolls back with the import."""
    from accounts.models import User
    from accounts.sso.models import SsoIdentity
    from reports.importing import report_rows
    from tests.import_support import run, write_csv
    from tests.test_import_backup_report import vendor_row

    audit.record("export.csv", rows=0)  # the head exists, as on any site in use
    stranger = User.objects.create(username="user1@example.com", email="user1@example.com")
    SsoIdentity.admitted(stranger, "oidc", "https://idp.example", timezone.now())
    free_while_writing = []
    bring_in_step = report_rows.bring_in_step

    def writing_the_report_rows(*args, **kwargs):
        free_while_writing.append(_chain_head_is_free())
        return bring_in_step(*args, **kwargs)

    monkeypatch.setattr(report_rows, "bring_in_step", writing_the_report_rows)
    run("import_backup_report", write_csv(tmp_path / "report.csv", [vendor_row(1)]))
    assert free_while_writing == [True]
    retired = Event.objects.get(kind="sso.stranger_retired")
    assert (retired.target, retired.details["mirrored"]) == ("user1@example.com",) * 2
    assert "holds" in verify()


def test_the_prune_command_removes_past_days_and_the_chain_still_holds():
    now = timezone.now()
    for days in (700, 500, 401):
        audit.record("export.csv", rows=days, at=now - dt.timedelta(days=days))
    events(2)
    out = StringIO()
    call_command("audit_prune", stdout=out)
    assert out.getvalue() == "Removed 3 audit events older than 400 days.\n"
    assert "holds: 3 events" in verify()


def test_the_first_append_to_a_fresh_database_holds_the_heads_lock():
    """With no head row yet, the head was made (or found made by another writer) and then
    read unlocked: a third writer could chain to the same event meanwhile, on
    PostgreSQL, and fork the chain (found by an audit). The locking statement comes
    after the row exists, whoever made it."""
    from django.test.utils import CaptureQueriesContext

    ChainHead.objects.all().delete()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        chain.head_for_update()
    statements = [query["sql"].split()[0].upper() for query in queries]
    made = max(i for i, statement in enumerate(statements) if statement == "INSERT")
    assert "UPDATE" in statements[made + 1 :], statements


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown audit event kind 'export.docx'"):
        audit.record("export.docx")


def test_the_switch_records_nothing(settings):
    settings.AUDIT_LOG = False
    assert audit.record("export.csv", rows=1) is None
    assert not Event.objects.exists()


def test_retention_removes_the_oldest_whole_days_and_records_it():
    now = timezone.now()
    old = [
        audit.record("export.csv", rows=n, at=now - dt.timedelta(days=402 - n)) for n in range(2)
    ]
    kept = [
        audit.record("export.csv", rows=n, at=now - dt.timedelta(days=d))
        for n, d in enumerate((399, 1))
    ]
    removed = prune(now=now, days=400)
    assert removed == 2
    assert not Event.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert Event.objects.filter(pk__in=[e.pk for e in kept]).count() == 2
    note = Event.objects.get(kind="audit.retention")
    assert note.details["removed"] == 2 and note.details["days"] == 400
    assert note.details["before"] == cutoff(now, 400).date().isoformat()
    assert ChainHead.objects.get().anchor_hash == kept[0].previous_hash
    assert "holds: 3 events" in verify()
    assert prune(now=now, days=400) == 0  # nothing more: and no second note
    assert Event.objects.filter(kind="audit.retention").count() == 1


def test_retention_cuts_at_midnight_utc():
    now = timezone.now()
    start = cutoff(now, 400)
    just_before = audit.record("export.csv", rows=1, at=start - dt.timedelta(microseconds=1))
    at_start = audit.record("export.csv", rows=2, at=start)
    prune(now=now, days=400)
    assert not Event.objects.filter(pk=just_before.pk).exists()
    assert Event.objects.filter(pk=at_start.pk).exists()


def test_a_pruning_between_the_checks_read_of_the_head_and_of_the_log_is_no_break():
    """A pruning that commits after the check read the head (and its anchor) and before
    it read the events moved the anchor: the first event left read as "removed or
    changed" (found by an audit of section 13)."""
    now = timezone.now()
    audit.record("export.csv", rows=0, at=now - dt.timedelta(days=500))
    events(2)

    def the_log_after_a_pruning():
        assert prune(now=now, days=400) == 1
        yield from Event.objects.order_by("id")

    assert first_break(the_log_after_a_pruning()) == (3, None)


def test_after_retention_a_deleted_first_kept_row_is_still_named():
    now = timezone.now()
    audit.record("export.csv", rows=0, at=now - dt.timedelta(days=500))
    first_kept, second_kept = events(2)
    prune(now=now, days=400)
    with tampering() as rows:
        rows.filter(pk=first_kept.pk).delete()
    checked, broken = first_break()
    assert broken is not None and broken.event_id == second_kept.pk


def test_the_oldest_rows_removed_and_the_anchor_moved_to_hide_it_are_named():
    """Removing the first events and setting the head's anchor to the previous hash of
    the first one left, as retention does, read as a chain that holds: two statements
    (on SQLite the trigger lets a DELETE through) hid the oldest events (found by an
    audit). The anchor is retention's only, which names it on the log."""
    first, second, third = events(3)
    with tampering() as rows:
        rows.filter(pk__in=[first.pk, second.pk]).delete()
    ChainHead.objects.filter(pk=1).update(anchor_hash=third.previous_hash)
    with pytest.raises(CommandError, match=f"event #{third.pk}: .*anchor.*no retention"):
        verify()


def test_an_anchor_set_by_retention_still_holds_after_a_second_pruning():
    now = timezone.now()
    for days in (600, 500):
        audit.record("export.csv", rows=days, at=now - dt.timedelta(days=days))
    events(2)
    assert prune(now=now, days=550) == 1
    assert prune(now=now, days=450) == 1  # the first pruning's own note is kept: recent
    assert ChainHead.objects.get().anchor_hash != GENESIS
    assert "holds: 4 events" in verify()


def test_retention_removes_nothing_while_the_log_is_off(settings):
    """Its removal could not be recorded, and an unrecorded one is what the check above
    names as tampering."""
    audit.record("export.csv", rows=1, at=timezone.now() - dt.timedelta(days=500))
    settings.AUDIT_LOG = False
    assert prune(days=400) == 0
    assert Event.objects.count() == 1


def test_the_prune_command_refuses_a_retention_under_a_day():
    with pytest.raises(CommandError, match="--days must be at least 1"):
        call_command("audit_prune", days=0)


def test_the_admin_neither_adds_nor_changes_nor_deletes(client, personas):
    event = events(1)[0]
    client.force_login(personas["super"])
    listed = client.get("/admin/audit/event/")
    assert listed.status_code == 200
    assert '<td class="field-what">CSV export</td>' in listed.content.decode()  # not its code
    assert client.get(f"/admin/audit/event/{event.pk}/change/").status_code == 200
    assert client.get("/admin/audit/event/add/").status_code == 403
    assert client.post(f"/admin/audit/event/{event.pk}/delete/").status_code == 403
    client.post(f"/admin/audit/event/{event.pk}/change/", {"target": "forged"})
    assert Event.objects.get(pk=event.pk).target == "t0"
    assert "holds" in verify()


# audit_verify as a monitoring plugin: one line on stdout, exit 0 OK, 2 CRITICAL, 3 UNKNOWN


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory) -> dict:
    """A database file of its own with three events."""
    env = database_file(tmp_path_factory.mktemp("verify") / "audit.sqlite3")
    manage(
        env,
        "shell",
        "-c",
        "from accounts import audit\nfor n in range(3): audit.record('sync.now')",
    )
    return env


def run_verify(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return manage(env, "audit_verify", *arguments, check=False)


def test_verify_answers_ok_with_the_events_checked(sqlite_file):
    result = run_verify(sqlite_file)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "OK: the audit chain holds: 3 events checked | events=3\n"


def test_verify_answers_critical_naming_the_first_broken_link(sqlite_file, tmp_path):
    broken = dict(sqlite_file, SQLITE_PATH=str(tmp_path / "broken.sqlite3"))
    with (
        sqlite3.connect(sqlite_file["SQLITE_PATH"]) as source,
        sqlite3.connect(broken["SQLITE_PATH"]) as copy,
    ):
        source.backup(copy)
        copy.execute("DELETE FROM audit_event WHERE id = 2")  # by hand, beside the app
    result = run_verify(broken)
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("CRITICAL: first broken link: event #3: its previous hash")
    assert len(result.stdout.splitlines()) == 1 and "Traceback" not in result.stderr


def test_verify_answers_unknown_when_the_database_is_out_of_reach():
    closed = free_port()  # nothing listens there
    env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/nowhere")
    result = run_verify(env)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("UNKNOWN: the audit chain could not be checked:")
    assert "127.0.0.1" in result.stdout and "Traceback" not in result.stderr


def test_verify_answers_unknown_to_an_option_it_does_not_know(sqlite_file):
    result = run_verify(sqlite_file, "--warning=1")
    assert result.returncode == 3
    assert result.stdout.startswith("UNKNOWN: ") and "--warning=1" in result.stdout


def test_verify_answers_unknown_on_stdout_when_a_setting_cannot_work(sqlite_file):
    """Monitoring reads stdout: a setting that stops every command was said on stderr
    alone, and Nagios showed "(No output on stdout)" for the check (found by an audit
    of section 14). The exit status was UNKNOWN's already."""
    result = run_verify(dict(sqlite_file, SQLITE_BUSY_SECONDS="twenty"))
    assert result.returncode == 3
    assert result.stdout.startswith("UNKNOWN: Backup Report cannot start: SQLITE_BUSY_SECONDS")
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr.startswith("Backup Report cannot start: SQLITE_BUSY_SECONDS")
