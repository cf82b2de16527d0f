"""The jobs the worker runs (`manage.py db_worker`, Django's tasks framework with its
database backend): checking an upload, applying it, and the sync that the Sync now
button queues (the very sync of `manage.py sync_vendor`). The web process only queues
them: reading a million rows, comparing and writing them happens here, in the worker's
process.

Each job moves its Upload from one state to the next with a conditional UPDATE, so a
job queued twice, or an upload discarded while its check waited, is left alone.
"""

from __future__ import annotations

from pathlib import Path

from django.db import connection
from django_tasks import TaskContext, task

from accounts import audit
from accounts.models import User
from reports.importing import in_database
from reports.importing.changes import Outcome
from reports.importing.csv_file import FileErrors, ImportFailed, RowErrors
from reports.importing.environment import Files, apply_files, parse_both
from reports.importing.orgs import parse as parse_tree
from reports.postgres_only import on_postgres
from reports.refresh.liveness import current
from reports.refresh.log import count, describe, recorded
from reports.refresh.models import Run, Upload
from reports.refresh.progress import (
    CHECK,
    CountedCsvFile,
    Progress,
    StagedTimings,
    apply_plan,
    count_lines,
    sync_progress_key,
)
from reports.refresh.sync import AnotherSyncIsRunning, sync
from reports.refresh.vendor import SyncFailed, Vendor

State = Upload.State


@task()
def check_upload(upload_id: str) -> None:
    check(Upload.objects.get(pk=upload_id))


@task()
def apply_upload(upload_id: str, confirmed_by: int | None = None) -> None:
    """`confirmed_by`: the administrator who confirmed it (a keyword: the upload's id
    stays the job's one argument, as reaping reads it)."""
    confirmer = User.objects.filter(pk=confirmed_by).first() if confirmed_by else None
    apply(Upload.objects.get(pk=upload_id), confirmer)


@task(takes_context=True)
def sync_from_vendor(context: TaskContext, user_id: int | None) -> dict:
    """Sync now: what `manage.py sync_vendor` does, recorded as started by this user in
    the browser. Says how it went: succeeded (with the import's lines), failed (why; a
    failed sync changes nothing) or refused (another sync was running)."""
    progress = Progress(sync_progress_key(context.task_result.id))
    user = User.objects.filter(pk=user_id).first()
    try:
        vendor = Vendor.from_settings()  # a setting gone wrong since: a failed run, logged
        progress.say(f"Signing in to {vendor.url} as {vendor.account}")
        outcome = sync(vendor, trigger=Run.Trigger.WEB, user=user, say=progress.say)
    except AnotherSyncIsRunning as refused:
        return {"outcome": "refused", "message": str(refused)}
    except (SyncFailed, ImportFailed) as error:
        return {"outcome": "failed", "message": f"{describe(error)} (nothing was changed)"}
    finally:
        progress.remove()
    return {"outcome": "succeeded", "lines": outcome.lines()}


def check(upload: Upload) -> None:
    """Read both files whole and make a dry run: the preview, or every error, or that
    they would change nothing (then there is nothing to confirm)."""
    if not _claim(upload, State.CHECKING):
        return  # discarded while it waited for the worker
    progress = Progress(upload.progress_key, CHECK)
    try:
        files = read(upload, progress)
        outcome = apply_files(files, mirror_mode=upload.mirror, dry_run=True)
    except ImportFailed as error:
        _move(upload, State.CHECKING, State.INVALID, **_errors(error))
        upload.remove_files()
        audit.record(
            "upload.refused", actor=upload.user, target=upload.names, error=str(error)[:500]
        )
    except BaseException as error:
        _move(upload, State.CHECKING, State.FAILED, failure=describe(error))
        upload.remove_files()
        raise
    else:
        ready = _move(
            upload,
            State.CHECKING,
            State.READY if outcome.changed else State.UNCHANGED,
            records=files.report.records,
            preview=preview_of(outcome),
        )
        if not ready or not outcome.changed:
            upload.remove_files()
        if ready:
            audit.record(
                "upload.previewed",
                actor=upload.user,
                target=upload.names,
                rows=files.report.records,
                changes=outcome.changed and outcome.totals(),
            )
    finally:
        progress.remove()


def apply(upload: Upload, confirmer: User | None = None) -> None:
    """Import both files as one run of the run log, started by the administrator who
    confirmed them (any may confirm another's upload; the uploader when not known).
    They are read and checked again: the data here may have changed since the preview,
    and the import removes no more than the preview said and was confirmed."""
    if not _claim(upload, State.APPLYING):
        return
    progress = Progress(upload.progress_key, apply_plan(upload.preview, upload.records))
    source = f"upload of {upload.names}"
    by = confirmer or upload.user
    try:
        with recorded(Run.Kind.IMPORT, source, trigger=Run.Trigger.UPLOAD, user=by) as run:
            Upload.objects.filter(pk=upload.pk).update(run=run)
            files = read(upload, progress, by_database=True)
            allowed = upload.removal if upload.removal_confirmed else None
            outcome = apply_files(files, mirror_mode=upload.mirror, allowed_removal=allowed)
            outcome.exported_at = upload.data_as_of
            count(run, outcome)
    except ImportFailed as error:
        _move(upload, State.APPLYING, State.FAILED, **_errors(error))
        _record_applied(upload, by, "failed", error=str(error))
    except BaseException as error:
        _move(upload, State.APPLYING, State.FAILED, failure=describe(error))
        if isinstance(error, Exception):  # not a worker told to stop
            _record_applied(upload, by, "failed", error=describe(error))
        raise
    else:
        _move(upload, State.APPLYING, State.APPLIED, records=files.report.records)
        _record_applied(upload, by, "succeeded", rows=files.report.records, **outcome.audited())
    finally:
        upload.remove_files()
        progress.remove()


def _record_applied(upload: Upload, by: User | None, outcome: str, **details) -> None:
    """How a confirmed upload ended, on the audit log as a sync's end is (sync.finished):
    the log said "confirmed, N rows" of an upload whose import then failed (found by an
    audit)."""
    if "error" in details:
        details["error"] = details["error"][:500]
    audit.record("upload.applied", actor=by, target=upload.names, outcome=outcome, **details)


def read(upload: Upload, progress: Progress, *, by_database: bool = False) -> Files:
    """Both files parsed and checked, every error noted (reports.importing.environment.
    read_files, with progress), their phases timed into the progress file. `by_database`:
    on PostgreSQL the report is read by the database (reports.importing.in_database), as
    the apply does; the preview reads it in Python, noting every error."""
    progress.stage("count")
    report_lines = count_lines(upload.report_path)
    orgs_path: Path | None = upload.orgs_path
    total = report_lines + (count_lines(orgs_path) if orgs_path else 0)
    timings = StagedTimings(progress)
    report_file = CountedCsvFile(upload.report_path, upload.report_name, progress, total)
    orgs_file = None
    if orgs_path is not None:
        orgs_file = CountedCsvFile(orgs_path, upload.orgs_name, progress, total, report_lines)
    with timings("read"):
        report = None
        if by_database and on_postgres(connection):
            report = in_database.stage(report_file)
        if report is None:
            report_file = CountedCsvFile(upload.report_path, upload.report_name, progress, total)
            report, tree = parse_both(report_file, orgs_file)
        else:
            tree = None if orgs_file is None else parse_tree(orgs_file)
    return Files(report_file, report, orgs_file, tree, timings)


def preview_of(outcome: Outcome) -> dict:
    """What the page shows of a dry run: counts per table, their totals, the notes."""
    tables = [
        {
            "label": changes.table.label,
            "created": len(changes.created),
            "updated": len(changes.updated),
            "removed": changes.removed,
            "unchanged": changes.unchanged,
        }
        for changes in outcome.changes
    ]
    removal = outcome.removal.as_dict() if outcome.removal else None
    return {
        "tables": tables,
        "totals": outcome.totals(),
        "notes": outcome.notes,
        "removal": removal,
    }


def _errors(error: ImportFailed) -> dict:
    """Every error said: a file's (a preview), or one row's bad cells (an import stops
    at its first bad row, each of its cells named: found by a review)."""
    errors = error.errors if isinstance(error, (FileErrors, RowErrors)) else [error]
    return {
        "errors": [
            {"file": e.file, "line": e.line, "column": e.column, "message": e.message}
            for e in errors
        ],
        "error_count": error.count if isinstance(error, FileErrors) else len(errors),
    }


def _claim(upload: Upload, state: str) -> bool:
    """Say which worker does the job (so that its death is noticed), if the upload is
    still waiting for it."""
    return bool(Upload.objects.filter(pk=upload.pk, state=state).update(worker=current()))


def _move(upload: Upload, before: str, after: str, **fields) -> bool:
    """From one state to the next, unless something else moved it meanwhile."""
    # The job's worker is done with it: a stale token would make the next job's wait
    # for the worker (after a confirmation) look like a dead worker (reports.refresh.reaping).
    fields.setdefault("worker", "")
    moved = Upload.objects.filter(pk=upload.pk, state=before).update(state=after, **fields)
    return bool(moved)
