"""The Data page, for system administrators only: upload the vendor's files (checked by
the worker, previewed, applied on confirmation with a progress bar) and Sync now.

Everyone else is answered 404, as for anything they may not see; the jobs run on the
worker, and these views only queue them and read their state.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_system_administrator
from reports.dashboards.views.common import page_context
from reports.refresh import jobs
from reports.refresh.forms import UploadForm
from reports.refresh.models import Run
from reports.refresh.progress import LABELS, Progress
from reports.refresh.uploads import Upload

RECENT = 10
# What a job that has not started shows: the worker has not taken it yet.
QUEUED = {"stage": "queued", "label": LABELS["queued"], "percent": 0}


def system_administrators_only(view):
    """Signed-out callers are sent to sign in (a JSON view answers 401); anyone who is
    not a system administrator finds nothing here (404)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        wants_json = getattr(view, "answers_json", False)
        if not request.user.is_authenticated:
            if wants_json:
                return JsonResponse({"error": "sign in as a system administrator"}, status=401)
            return redirect_to_login(request.get_full_path())
        if not is_system_administrator(request.user):
            if wants_json:
                return JsonResponse({"error": "not found"}, status=404)
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return checked


def answers_json(view):
    view.answers_json = True
    return view


def _get_upload(upload_id) -> Upload:
    upload = Upload.objects.select_related("run", "user").filter(pk=upload_id).first()
    if upload is None:
        raise Http404("No such upload")
    return upload


@system_administrators_only
@require_GET
def data_page(request: HttpRequest) -> HttpResponse:
    return _render_data_page(request, UploadForm())


def _render_data_page(request: HttpRequest, form: UploadForm, status: int = 200) -> HttpResponse:
    context = page_context(request, "data") | {
        "form": form,
        "uploads": Upload.objects.select_related("user")[:RECENT],
        "runs": Run.objects.select_related("user")[:RECENT],
    }
    return render(request, "refresh/data.html", context, status=status)


@system_administrators_only
@require_POST
def upload_files(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    upload = form.upload(request.user) if form.is_valid() else None
    if upload is None:
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
    upload = _get_upload(upload_id)
    context = page_context(request, "data") | {
        "upload": upload,
        "State": Upload.State,
        "working": upload.state in (Upload.State.CHECKING, Upload.State.APPLYING),
        "more_errors": upload.error_count - len(upload.errors),
    }
    return render(request, "refresh/upload.html", context)


@system_administrators_only
@require_POST
def confirm_upload(request: HttpRequest, upload_id) -> HttpResponse:
    upload = _get_upload(upload_id)
    # Claimed with a conditional UPDATE: a second click, or a second administrator,
    # finds it no longer READY and queues nothing.
    claimed = Upload.objects.filter(pk=upload.pk, state=Upload.State.READY).update(
        state=Upload.State.APPLYING
    )
    if claimed:
        result = jobs.apply_upload.enqueue(str(upload.pk))
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
