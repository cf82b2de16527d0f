"""The run log: one row for every import, upload, sync and rebuild (spec section 8)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class RunQuerySet(models.QuerySet):
    def last_refresh(self) -> Run | None:
        """The latest successful run that brought data in (an import or a sync): the
        figures are as old as its data_as_of. A rebuild only recomputes the report from
        the same data."""
        refreshes = self.filter(
            outcome=Run.Outcome.SUCCEEDED, kind__in=[Run.Kind.IMPORT, Run.Kind.SYNC]
        )
        return refreshes.order_by("-started_at", "-pk").first()

    def of_sync_now(self, user_id: int | None, job_started_at: dt.datetime) -> Run | None:
        """The run of a Sync now job: the first sync from the browser by its user since
        the job started."""
        runs = self.filter(
            kind=Run.Kind.SYNC,
            trigger=Run.Trigger.WEB,
            user_id=user_id,
            started_at__gte=job_started_at,
        )
        return runs.order_by("started_at").first()


class Run(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", "import"  # a file (or an uploaded report and org CSV)
        SYNC = "sync", "sync from the vendor"
        REBUILD = "rebuild", "rebuild of the report table"

    class Trigger(models.TextChoices):
        COMMAND = "command", "command at a shell"
        SCHEDULE = "schedule", "schedule"  # a systemd timer, cron, a Kubernetes CronJob
        UPLOAD = "upload", "upload in the browser"
        WEB = "web", "button in the browser"

    class Outcome(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who started it in the browser; empty for a command or the schedule.",
    )
    source = models.CharField(
        max_length=1000, blank=True, help_text="The file(s), or the vendor's address."
    )
    started_at = models.DateTimeField(default=timezone.now)
    # When the source's data was taken, where that is known and not the start: the
    # moment of a sync's download, an upload's export time (or the upload's), a file's
    # modification time. What "data as of" says (data_as_of).
    exported_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    # Rows of the environment tables (orgs, users, devices, destinations, servers,
    # archives) summed; `summary` has them per table.
    created = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    removed = models.PositiveBigIntegerField(default=0)
    unchanged = models.PositiveBigIntegerField(default=0)
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # What ran once the data was in (reports.pipeline), in order: each step's
    # {step, note, error}. A failed step leaves the run succeeded: the data is in.
    after_refresh = models.JSONField(
        default=list, blank=True, help_text="The steps after the run: what each did, or its error."
    )
    # Who does the run (reports.refresh.liveness): if it dies, reports.refresh.reaping
    # ends the run as failed instead of leaving it running for ever.
    worker = models.CharField(max_length=200, blank=True, editable=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = "run"
        verbose_name_plural = "run log"
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["outcome", "kind", "started_at"], name="run_refresh_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.outcome})"

    @property
    def data_as_of(self) -> dt.datetime:
        """How old the data this run brought in is."""
        return self.exported_at or self.started_at

    @property
    def failed_steps(self) -> list[dict]:
        """The steps after the run that failed, each {step, note, error}."""
        return [step for step in self.after_refresh if step.get("error")]

    def ends_at(self, now: dt.datetime) -> dt.datetime:
        """When this run ends, at `now` by the clock: never before it started. A clock
        stepped back (NTP, a VM restored) made a negative duration, and /metrics' run
        duration counter went down, which Prometheus reads as a reset (found by an audit)."""
        return max(now, self.started_at)

    @property
    def duration(self) -> dt.timedelta | None:
        return None if self.finished_at is None else self.finished_at - self.started_at
