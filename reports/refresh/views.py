"""The Data page, for system administrators only: upload the vendor's files (checked by
the worker, previewed, applied on confirmation with a progress bar) and Sync now (the
sync of `manage.py sync_vendor`, on the worker, followed the same way).

Everyone else is answered 404, as for anything they may not see; the jobs run on the
worker, and these views only queue them and read their state.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
from django_tasks_db.models import DBTaskResult

from accounts import audit
from accounts.models import User
from accounts.page_access import answers_json, system_administrators_only
from reports.refresh import jobs
from reports.refresh.forms import UploadForm
from reports.refresh.models import Run, Upload
from reports.refresh.progress import LABELS, Progress, sync_progress_key
from reports.refresh.reaping import reap
from reports.refresh.vendor import SyncFailed, Vendor

RECENT = 10
# What a job that has not started shows: the worker has not taken it yet.
QUEUED = {"stage": "queued", "label": LABELS["queued"], "percent": 0}
SYNCING = {"stage": "sync", "label": "Syncing from the vendor", "percent": None}
UNDER_WAY = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def _get_upload(upload_id) -> Upload:
    reap()  # an upload whose worker died says so, rather than waiting for ever
    upload = Upload.objects.select_related("run", "user").filter(pk=upload_id).first()
    if upload is None:
        raise Http404("No such upload")
    return upload


@system_administrators_only
@require_GET
def data_page(request: HttpRequest) -> HttpResponse:
    return _render_data_page(request, UploadForm())


def _render_data_page(
    request: HttpRequest, form: UploadForm, status: int = 200, **extra
) -> HttpResponse:
    vendor, vendor_problem = _vendor()
    reap()  # the lists below say which runs and jobs died, not "running"
    context = {
        "form": form,
        "uploads": Upload.objects.select_related("user")[:RECENT],
        "runs": Run.objects.select_related("user")[:RECENT],
        "vendor": vendor,
        "vendor_problem": vendor_problem,
        "sync_under_way": _sync_under_way(),
        **extra,
    }
    return render(request, "refresh/data.html", context, status=status)


@system_administrators_only
@require_POST
def upload_files(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    upload = form.upload(request.user) if form.is_valid() else None
    if upload is None:
        refused = [f"{name}: {error}" for name, errors in form.errors.items() for error in errors]
        audit.record("upload.refused", request=request, errors=refused[:20])
        return _render_data_page(request, form, status=400)
    _discard_older_uploads(upload)
    result = jobs.check_upload.enqueue(str(upload.pk))
    Upload.objects.filter(pk=upload.pk).update(task_id=str(result.id))
    return redirect("upload", upload_id=upload.pk)


def _discard_older_uploads(upload: Upload) -> None:
    """A new upload makes the same person's earlier unconfirmed ones moot: their files go."""
    older = Upload.objects.filter(
        user=upload.user, state=Upload.State.READY, created_at__lte=upload.created_at
    ).exclude(pk=upload.pk)
    for moot in older:
        if Upload.objects.filter(pk=moot.pk, state=Upload.State.READY).update(
            state=Upload.State.DISCARDED
        ):
            moot.remove_files()


@system_administrators_only
@require_GET
def upload_page(request: HttpRequest, upload_id) -> HttpResponse:
    return _render_upload_page(request, _get_upload(upload_id))


def _render_upload_page(
    request: HttpRequest, upload: Upload, status: int = 200, **extra
) -> HttpResponse:
    removal = upload.removal
    context = {
        "upload": upload,
        "State": Upload.State,
        "working": upload.state in (Upload.State.CHECKING, Upload.State.APPLYING),
        "more_errors": upload.error_count - len(upload.errors),
        # Over the limit (reports.importing.mass_removal): a second confirmation.
        "mass_removal": removal if removal and removal.needs_confirmation else None,
        "limit_percent": settings.MIRROR_REMOVAL_LIMIT_PERCENT,
        **extra,
    }
    return render(request, "refresh/upload.html", context, status=status)


@system_administrators_only
@require_POST
def confirm_upload(request: HttpRequest, upload_id) -> HttpResponse:
    upload = _get_upload(upload_id)
    removal = upload.removal
    confirmed = False
    if upload.state == Upload.State.READY and removal and removal.needs_confirmation:
        # The page's second box, naming these very numbers; the import will remove no
        # more than them (reports.refresh.jobs.apply).
        if request.POST.get("remove") != removal.token:
            problem = f"Tick “{removal.confirmation}” to import this: it removes that much."
            return _render_upload_page(request, upload, status=400, removal_problem=problem)
        confirmed = True
    # Claimed with a conditional UPDATE: a second click, or a second administrator,
    # finds it no longer READY and queues nothing.
    claimed = Upload.objects.filter(pk=upload.pk, state=Upload.State.READY).update(
        state=Upload.State.APPLYING, worker="", removal_confirmed=confirmed
    )
    if claimed:
        audit.record(
            "upload.confirmed",
            request=request,
            target=upload.names,
            rows=upload.records,
            removal_confirmed=confirmed,
        )
        result = jobs.apply_upload.enqueue(str(upload.pk), confirmed_by=request.user.pk)
        Upload.objects.filter(pk=upload.pk).update(task_id=str(result.id))
    return redirect("upload", upload_id=upload.pk)


@system_administrators_only
@require_POST
def discard_upload(request: HttpRequest, upload_id) -> HttpResponse:
    upload = _get_upload(upload_id)
    waiting = (Upload.State.CHECKING, Upload.State.READY)
    if Upload.objects.filter(pk=upload.pk, state__in=waiting).update(state=Upload.State.DISCARDED):
        upload.remove_files()
    return redirect("data")


@system_administrators_only
@require_GET
@answers_json
def upload_status(request: HttpRequest, upload_id) -> JsonResponse:
    reap()
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        return JsonResponse({"error": "no such upload"}, status=404)
    working = upload.state in (Upload.State.CHECKING, Upload.State.APPLYING)
    progress = Progress(upload.progress_key).read() if working else None
    return JsonResponse(
        {
            "state": upload.state,
            "label": upload.get_state_display(),
            "finished": not working,
            "progress": progress or (QUEUED if working else None),
        }
    )


# Sync now: the job engine's own record of the job is all there is to follow.


def _vendor() -> tuple[Vendor | None, str]:
    """The vendor the sync would pull from, or why there is none (VENDOR_* settings)."""
    vendor = Vendor.from_settings()
    try:
        vendor.check()
    except SyncFailed as problem:
        return None, str(problem)
    return vendor, ""


def _sync_under_way() -> str | None:
    """A Sync now queued or running: a second click follows it rather than queue another.
    (Two at once would be safe, one waiting for the other, just pointless.)"""
    job = (
        DBTaskResult.objects.filter(
            task_path=jobs.sync_from_vendor.module_path, status__in=UNDER_WAY
        )
        .order_by("enqueued_at")
        .first()
    )
    return None if job is None else str(job.id)


def _get_sync(task_id) -> TaskResult:
    reap()
    try:
        return jobs.sync_from_vendor.get_result(str(task_id))
    except (TaskResultDoesNotExist, TaskResultMismatch):
        raise Http404("No such sync") from None


@system_administrators_only
@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    vendor, problem = _vendor()
    if vendor is None:
        return _render_data_page(request, UploadForm(), status=400, sync_refused=problem)
    task_id = _sync_under_way()
    if task_id is None:
        task_id = jobs.sync_from_vendor.enqueue(request.user.pk).id
        audit.record("sync.now", request=request, target=vendor.url, task=str(task_id))
    return redirect("sync", task_id=task_id)


@system_administrators_only
@require_GET
def sync_page(request: HttpRequest, task_id) -> HttpResponse:
    job = _get_sync(task_id)
    (user_id,) = job.args
    finished = job.status not in UNDER_WAY
    said = job.return_value if job.status == TaskResultStatus.SUCCESSFUL else None
    run = None
    if finished and job.started_at:
        run = Run.objects.of_sync_now(user_id, job.started_at)
    context = {
        "job": job,
        "by": User.objects.filter(pk=user_id).first(),
        "finished": finished,
        "said": said,
        # The exception's last line: the reason, for a job whose worker died.
        "crashed": job.errors[0].traceback.strip().rpartition("\n")[2] if job.errors else "",
        "run": run,
    }
    return render(request, "refresh/sync.html", context)


@system_administrators_only
@require_GET
@answers_json
def sync_status(request: HttpRequest, task_id) -> JsonResponse:
    reap()
    try:
        job = jobs.sync_from_vendor.get_result(str(task_id))
    except (TaskResultDoesNotExist, TaskResultMismatch):
        return JsonResponse({"error": "no such sync"}, status=404)
    working = job.status in UNDER_WAY
    progress = Progress(sync_progress_key(job.id)).read() if working else None
    if working and progress is None:
        progress = QUEUED if job.status == TaskResultStatus.READY else SYNCING
    return JsonResponse(
        {"state": job.status.lower(), "finished": not working, "progress": progress}
    )
