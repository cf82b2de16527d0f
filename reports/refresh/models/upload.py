"""An upload in the browser (spec section 8): a vendor report CSV and, optionally, an org
CSV, kept in a folder of their own under UPLOAD_DIR from the moment they arrive until
they are applied or discarded.

Its life: CHECKING (the worker reads both files whole and makes a dry run) -> READY, with
the preview, or INVALID, with every error, or UNCHANGED, when the files would change
nothing -> on confirmation APPLYING (the worker imports them as one run of the run log)
-> APPLIED or FAILED. Nothing changes before APPLYING, and a failed import changes
nothing either. A preview that removes too much (reports.importing.mass_removal) is
confirmed a second time, naming the numbers; the import then removes no more than that.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone

from reports.importing.mass_removal import Removal
from reports.refresh.models.run import Run
from reports.refresh.progress import upload_progress_key

REPORT_FILE, ORGS_FILE = "report.csv", "orgs.csv"


class Upload(models.Model):
    class State(models.TextChoices):
        CHECKING = "checking", "being checked"
        INVALID = "invalid", "refused: the files have errors"
        READY = "ready", "checked, waiting for confirmation"
        UNCHANGED = "unchanged", "nothing to change: the data here already equals the files"
        APPLYING = "applying", "being imported"
        APPLIED = "applied", "imported"
        FAILED = "failed", "failed; nothing was changed"
        DISCARDED = "discarded", "discarded"

    # Finished: nothing more will happen to it, and its files are gone.
    FINAL = (State.INVALID, State.UNCHANGED, State.APPLIED, State.FAILED, State.DISCARDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    report_name = models.CharField(max_length=255, help_text="The report file's own name.")
    orgs_name = models.CharField(max_length=255, blank=True, help_text="The org file's, if any.")
    mirror = models.BooleanField(
        default=True, help_text="Remove what the files no longer list, as a sync does."
    )
    exported_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the export was taken, as the uploader gave it: the data's age. "
        "Without it, the upload's time.",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.CHECKING)
    records = models.PositiveBigIntegerField(default=0, help_text="Rows of the report file.")
    # What the import would change: {"tables": [{label, created, updated, removed,
    # unchanged}], "totals": {...}, "notes": [...]}, from the check's dry run.
    preview = models.JSONField(null=True, blank=True)
    # Every error found, [{file, line, column, message}] (at most MAX_ERRORS of them) and
    # how many there were.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # The removal the preview showed was confirmed a second time (it was over the limit):
    # the import may remove that much, no more.
    removal_confirmed = models.BooleanField(default=False)
    failure = models.TextField(blank=True, help_text="Why the job failed, if it did.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The job on the worker.")
    # The worker doing its check or import now (reports.refresh.liveness), so that a job
    # whose worker died is ended (reports.refresh.reaping) instead of waited for.
    worker = models.CharField(max_length=200, blank=True, editable=False)
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.names} ({self.get_state_display()})"

    @property
    def names(self) -> str:
        return " and ".join(name for name in (self.report_name, self.orgs_name) if name)

    @property
    def folder(self) -> Path:
        return Path(settings.UPLOAD_DIR) / str(self.id)

    @property
    def report_path(self) -> Path:
        return self.folder / REPORT_FILE

    @property
    def orgs_path(self) -> Path | None:
        return self.folder / ORGS_FILE if self.orgs_name else None

    @property
    def removal(self) -> Removal | None:
        """What the preview said a whole-fleet import would remove."""
        said = (self.preview or {}).get("removal")
        return Removal.from_dict(said) if said else None

    @property
    def data_as_of(self) -> dt.datetime:
        """What the overview will say the data is as of, once imported."""
        return self.exported_at or self.created_at

    @property
    def finished(self) -> bool:
        return self.state in self.FINAL

    @property
    def progress_key(self) -> str:
        return upload_progress_key(self.id)

    def keep(self, report: UploadedFile, orgs: UploadedFile | None) -> None:
        """Put the uploaded files in the upload's folder, where the worker reads them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _save(report, self.report_path)
        if orgs is not None:
            _save(orgs, self.folder / ORGS_FILE)

    def remove_files(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _save(uploaded: UploadedFile, path: Path) -> None:
    # A large upload is already in a temporary file: move it rather than copy it.
    if hasattr(uploaded, "temporary_file_path"):
        shutil.move(uploaded.temporary_file_path(), path)
        return
    with path.open("wb") as file:
        for chunk in uploaded.chunks():
            file.write(chunk)
