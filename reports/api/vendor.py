"""What the vendor's read resources share (spec section 7): the envelope, paging, the
parameter grammar, lookups by id, and the error answers.

The vendor's SDK (pycpg) and CLI (crashplancli) read `{"data": ...}` and page with
`pgNum` (from 1) and `pgSize`, stopping at the first page shorter than `pgSize`. So a
page is never silently cut short: a `pgSize` above what a resource serves answers 400
rather than a smaller page that would end the client's paging early.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django import forms
from django.http import JsonResponse, QueryDict, StreamingHttpResponse

from reports import clock
from reports.api import errors
from reports.query import (
    MAX_OFFSET,
    BooleanParameter,
    ChoiceParameter,
    InvalidParameters,
    PositiveParameter,
    given_once,
)
from reports.row import encode_datetime


def text(**kwargs) -> forms.CharField:
    return forms.CharField(required=False, strip=False, **kwargs)


def boolean() -> BooleanParameter:
    return BooleanParameter(required=False)


def choice(*words: str) -> ChoiceParameter:
    return ChoiceParameter(choices=words, required=False)


class NotKept(BooleanParameter):
    """A vendor's `inc...` switch for what this mirror does not keep. False or absent is
    fine; true is refused, naming what is missing: ignored, it gave the client an answer
    without what it asked for, and pycpg's `devices.get_settings` then failed on it with
    KeyError 'availableDestinations' (so did every row of `crashplan devices
    list-backup-sets`), where a 400 reaches the admin as this sentence."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(required=False)

    def clean(self, value):
        if super().clean(value):
            raise forms.ValidationError(self.message)
        return False


def device_settings_not_kept() -> NotKept:
    return NotKept(
        "true is not served: this mirror keeps no device settings (backup sets, file "
        "selection, offered destinations); a device's archives and their destinations "
        "are its backupUsage (incBackupUsage=true)."
    )


def org_settings_not_kept() -> NotKept:
    return NotKept(
        "true is not served: this mirror keeps no org settings (device defaults, "
        "backup sets); an org's place in the tree is in its answer."
    )


class Parameters(forms.Form):
    """A resource's known parameters. Unknown ones and empty values are ignored, as on
    DeviceBackupReport; booleans take any letter case (`True`, as requests sends it)."""

    def __init__(self, query: QueryDict):
        values, self.repeated = given_once(query, self.base_fields)
        super().__init__(values)

    def cleaned(self) -> dict:
        """The values as understood; raises InvalidParameters naming each bad one."""
        if not self.is_valid() or self.repeated:
            errors = {name: " ".join(messages) for name, messages in self.errors.items()}
            raise InvalidParameters(errors | self.repeated)
        return self.cleaned_data


class PageParameters(Parameters):
    """pgNum from 1 (default 1); pgSize from 1 to `max_page_size`."""

    default_page_size = 100
    max_page_size = 1000

    pgNum = PositiveParameter(required=False)
    pgSize = PositiveParameter(required=False)

    def clean_pgNum(self) -> int:
        return self.cleaned_data.get("pgNum") or 1

    def clean_pgSize(self) -> int:
        size = self.cleaned_data.get("pgSize") or self.default_page_size
        if size > self.max_page_size:
            raise forms.ValidationError(
                f"{size} is more than this resource serves a page; use 1 to "
                f"{self.max_page_size} and page with pgNum."
            )
        return size


class LookupParameters(Parameters):
    """`idType`, what a path's key is: subclasses declare the field with the kinds they
    take; without it the key is the numeric id, as the vendor's default."""

    def clean_idType(self) -> str:
        return self.cleaned_data.get("idType") or "id"


def page_slice(params: dict) -> slice | None:
    """The page's rows as a slice, or None for a page past any fleet's last one."""
    start = (params["pgNum"] - 1) * params["pgSize"]
    if start > MAX_OFFSET:
        return None
    return slice(start, start + params["pgSize"])


def understood(params: dict) -> dict:
    """The parameters as understood, for the envelope's metadata."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else value
        for name, value in params.items()
        if value not in (None, "")
    }


def _envelope(data, params: dict | None) -> dict:
    metadata = {"timestamp": encode_datetime(clock.now()), "params": understood(params or {})}
    return {"metadata": metadata, "data": data}


def answer(data, params: dict | None = None) -> JsonResponse:
    """The vendor's envelope. JSON is ASCII: JsonResponse escapes the rest as \\uXXXX."""
    return JsonResponse(_envelope(data, params))


def streamed_answer(
    data: dict, key: str, items: Iterable[dict], params: dict
) -> StreamingHttpResponse:
    """As answer(data | {key: [*items]}), byte for byte, with the list written while it
    is read: the vendor's Go sample asks for every user in one page (pgSize=99999), which
    built whole would hold a worker at 350 MB for a hundred thousand users."""
    text = json.dumps(_envelope({**data, key: []}, params))
    empty = f"{json.dumps(key)}: []"
    before, after = text[: text.rindex(empty)], text[text.rindex(empty) + len(empty) :]

    def chunks() -> Iterator[bytes]:
        yield f"{before}{json.dumps(key)}: [".encode()
        separator, rest = "", iter(items)
        while batch := list(islice(rest, 1000)):
            yield (separator + ", ".join(json.dumps(item) for item in batch)).encode()
            separator = ", "
        yield f"]{after}".encode()

    return StreamingHttpResponse(chunks(), content_type="application/json")


def not_found(kind: str) -> JsonResponse:
    """The same answer whether the thing does not exist or the caller may not see it."""
    return errors.not_found(f"No such {kind}, or not one you may see.")


def numeric_id(key: str) -> int | None:
    """A path key read as a numeric id (the vendor's default idType), or None; under 19
    digits, a bigint's (reports.query.whole_number reads a parameter's number)."""
    if key.isascii() and key.isdigit() and len(key) < 19:
        return int(key)
    return None


def text_or_null(value):
    """The vendor writes a missing text as null, never as ""."""
    return None if value == "" else value


def date_or_null(value):
    return None if value is None else encode_datetime(value)
