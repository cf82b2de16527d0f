"""The upload form: the vendor's report CSV, optionally the org CSV, whether what the
files no longer list is removed, and when the export was taken. Only the headers (and
whether a row follows) are looked at here, so that a wrong file, or a whole fleet of no
device at all, is refused at once; every row is checked by the worker."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from reports.importing import mass_removal
from reports.importing.csv_file import CsvFile, ImportFailed, WrongSeparator
from reports.importing.orgs import COLUMNS as ORG_COLUMNS
from reports.models import Device
from reports.refresh.data_age import export_time_problem
from reports.refresh.models import Upload
from reports.row import VENDOR_CSV_HEADER

WHAT = {
    "report": ("the vendor's DeviceBackupReport CSV export", VENDOR_CSV_HEADER),
    "orgs": ("an org CSV", ORG_COLUMNS),
}


class UploadForm(forms.Form):
    report = forms.FileField(
        label="Device backup report",
        help_text="The vendor's CSV export (DeviceBackupReport?export=csv).",
    )
    orgs = forms.FileField(
        label="Org tree (optional)",
        required=False,
        help_text="A CSV of orgUid, orgName, orgExtRef, parentOrgUid.",
    )
    mirror = forms.BooleanField(
        label="The files are the whole fleet: remove what they no longer list",
        required=False,
        initial=True,
        help_text="Devices, archives, servers and destinations; people are kept.",
    )
    exported_at = forms.DateTimeField(
        label="Exported at (UTC, optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
        help_text="When the export was taken from the vendor: the overview then says the "
        "data is as of then. Left empty: the time of this upload.",
    )

    def clean_exported_at(self):
        exported_at = self.cleaned_data["exported_at"]
        if exported_at and (problem := export_time_problem(exported_at, timezone.now())):
            raise forms.ValidationError(problem)
        return exported_at

    def clean_report(self) -> UploadedFile:
        return self._checked_size(self.cleaned_data["report"])

    def clean_orgs(self) -> UploadedFile | None:
        orgs = self.cleaned_data.get("orgs")
        return self._checked_size(orgs) if orgs else None

    def _checked_size(self, uploaded: UploadedFile) -> UploadedFile:
        # An empty file the field itself refuses ("The submitted file is empty.").
        limit = settings.UPLOAD_MAX_MEGABYTES
        if uploaded.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                f"{uploaded.name} is {uploaded.size / 1024**2:,.0f} MB; at most {limit:,} MB "
                "may be uploaded (UPLOAD_MAX_MEGABYTES)."
            )
        return uploaded

    def upload(self, user) -> Upload | None:
        """Keep the files for the worker and save the upload, or, if a header is wrong,
        add the error to the form and keep nothing."""
        report, orgs = self.cleaned_data["report"], self.cleaned_data["orgs"]
        upload = Upload(
            user=user,
            report_name=report.name,
            orgs_name=orgs.name if orgs else "",
            mirror=self.cleaned_data["mirror"],
            exported_at=self.cleaned_data["exported_at"],
        )
        upload.keep(report, orgs)
        paths = {"report": upload.report_path, "orgs": upload.orgs_path}
        for field, path in paths.items():
            if path is None:
                continue
            problem = _header_problem(field, path, self.cleaned_data[field].name)
            if problem:
                self.add_error(field, problem)
        if not self.errors and upload.mirror:
            problem = _empty_fleet_problem(upload.report_path, report.name)
            if problem:
                self.add_error("report", problem)
        if self.errors:
            upload.remove_files()
            return None
        upload.save()
        return upload


def _empty_fleet_problem(path, name: str) -> str | None:
    """A whole fleet of no device, while there are devices here (the sync's rule)."""
    has_rows = CsvFile(path, name).check_header(VENDOR_CSV_HEADER)
    try:
        mass_removal.refuse_empty(name, int(has_rows), Device.objects.count(), None)
    except mass_removal.RemovalRefused as refused:
        return str(refused)
    return None


def _header_problem(field: str, path, name: str) -> str | None:
    what, columns = WHAT[field]
    csv_file = CsvFile(path, name)
    try:
        csv_file.check_header(columns)
    except WrongSeparator as error:
        return str(error)  # its one column names none of the columns: but it is the file
    except ImportFailed as error:
        if csv_file.columns and not set(columns) & set(csv_file.columns):
            # Not one of the columns: the wrong file, not a file with a column missing.
            expected = ", ".join(list(columns)[:3])
            return (
                f"{name} is not {what}: its first line names none of its columns ({expected}, ...)."
            )
        return str(error)
    return None
