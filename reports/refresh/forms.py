"""The upload form: the vendor's report CSV, optionally the org CSV, and whether what the
files no longer list is removed. Only the headers are looked at here, so that a wrong
file is refused at once; every row is checked by the worker."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from reports.importing.csv_file import CsvFile, ImportFailed
from reports.importing.orgs import COLUMNS as ORG_COLUMNS
from reports.refresh.uploads import Upload
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
        )
        upload.keep(report, orgs)
        paths = {"report": upload.report_path, "orgs": upload.orgs_path}
        for field, path in paths.items():
            if path is None:
                continue
            problem = _header_problem(field, path, self.cleaned_data[field].name)
            if problem:
                self.add_error(field, problem)
        if self.errors:
            upload.remove_files()
            return None
        upload.save()
        return upload


def _header_problem(field: str, path, name: str) -> str | None:
    what, columns = WHAT[field]
    csv_file = CsvFile(path, name)
    try:
        csv_file.check_header(columns)
    except ImportFailed as error:
        if csv_file.columns and not set(columns) & set(csv_file.columns):
            # Not one of the columns: the wrong file, not a file with a column missing.
            expected = ", ".join(list(columns)[:3])
            return (
                f"{name} is not {what}: its first line names none of its columns ({expected}, ...)."
            )
        return str(error)
    return None
