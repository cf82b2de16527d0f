"""Talking to the vendor's server (CrashPlan cloud, an on-premises server, or another
instance of this product): signing in, the org list, the report's size and its export.

Signing in as an API client is what the vendor's SDK (pycpg `from_api_client`) does:
`POST /api/v3/oauth/token?grant_type=client_credentials` with Basic `id:secret`, then
`Authorization: Bearer <access_token>`; a token refused later (it expired during a long
export) is renewed once. A local account signs in with Basic on every request, as the
vendor's older scripts do.

Every request has a timeout; 429 and 5xx answers and broken connections are tried
again with exponential backoff, honouring Retry-After (capped). Anything else that is
not what the vendor's API answers stops the sync with SyncFailed, saying what was asked,
what came back and what to check.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3
from django.conf import settings

from reports.csv_record import EXTENDED_HEADER, HEADER

ORG_PAGE_SIZE = 500  # what pycpg asks for
DOWNLOAD_CHUNK = 1 << 20
# What an export may be labelled; anything else (an HTML sign-in page of a proxy, a JSON
# error) is not the export.
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/octet-stream", ""}
REPORT = "/api/DeviceBackupReport"


class SyncFailed(Exception):
    """Why the sync stopped. It stops before its transaction, so nothing changed."""


@dataclass(frozen=True)
class Vendor:
    """Where the vendor is and how to sign in; from the VENDOR_* settings."""

    url: str
    client_id: str = ""
    client_secret: str = ""
    username: str = ""
    password: str = ""
    timeout: float = 60.0
    attempts: int = 5
    retry_seconds: float = 2.0
    retry_after_max: float = 300.0
    deadline: float = 3600.0  # seconds for the whole conversation (VENDOR_DEADLINE_SECONDS)

    @classmethod
    def from_settings(cls) -> Vendor:
        """The settings as they are; check() says what is missing or wrong."""
        return cls(
            url=settings.VENDOR_URL.strip().rstrip("/"),
            client_id=settings.VENDOR_CLIENT_ID,
            client_secret=settings.VENDOR_CLIENT_SECRET,
            username=settings.VENDOR_USERNAME,
            password=settings.VENDOR_PASSWORD,
            timeout=float(settings.VENDOR_TIMEOUT_SECONDS),
            attempts=max(1, int(settings.VENDOR_ATTEMPTS)),
            retry_seconds=float(settings.VENDOR_RETRY_SECONDS),
            retry_after_max=float(settings.VENDOR_RETRY_AFTER_MAX_SECONDS),
            deadline=float(settings.VENDOR_DEADLINE_SECONDS),
        )

    def check(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise SyncFailed(
                "VENDOR_URL must be the vendor's address, e.g. https://console.us1.crashplan.com"
                + (f" (it is {self.url!r})" if self.url else " (it is not set)")
            )
        if bool(self.client_id) != bool(self.client_secret):
            raise SyncFailed("Set both VENDOR_CLIENT_ID and VENDOR_CLIENT_SECRET, or neither.")
        if bool(self.username) != bool(self.password):
            raise SyncFailed("Set both VENDOR_USERNAME and VENDOR_PASSWORD, or neither.")
        if not (self.client_id or self.username):
            raise SyncFailed(
                "No credentials: set VENDOR_CLIENT_ID and VENDOR_CLIENT_SECRET (an API "
                "client), or VENDOR_USERNAME and VENDOR_PASSWORD (a local account)."
            )

    @property
    def account(self) -> str:
        if self.client_id:
            return f"API client {self.client_id}"
        return f"user {self.username}" if self.username else "no account"

    @property
    def credentials_hint(self) -> str:
        if self.client_id:
            return "check VENDOR_CLIENT_ID and VENDOR_CLIENT_SECRET (revoked or expired?)"
        return "check VENDOR_USERNAME and VENDOR_PASSWORD"


def retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (delay-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _excerpt(response: requests.Response) -> str:
    try:
        text = response.text[:200]
    except (requests.RequestException, UnicodeDecodeError):
        return ""
    return " ".join(text.split())


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


# A connection that broke: refused, timed out, or cut in the middle of a body (requests
# says ChunkedEncodingError for a body shorter than its Content-Length, which a download
# cut midway was, and it was not tried again, 2026-12-06).
BROKEN = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _chunks(response: requests.Response):
    """The body as it arrives, each piece as soon as the socket has it (urllib3's read1):
    iter_content waits for a whole chunk, and a vendor trickling a byte a second kept the
    deadline from being looked at for days. Errors as iter_content names them."""
    try:
        while chunk := response.raw.read1(DOWNLOAD_CHUNK, decode_content=True):
            yield chunk
    except urllib3.exceptions.ProtocolError as error:
        raise requests.exceptions.ChunkedEncodingError(error) from None
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(error) from None
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.ConnectionError(error) from None
    except urllib3.exceptions.SSLError as error:
        raise requests.exceptions.SSLError(error) from None


def _connection_problem(error: requests.RequestException) -> str:
    text = str(error)
    for needle, said in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "no such host"),
        ("nodename nor servname", "no such host"),
        ("Temporary failure in name resolution", "no such host (DNS)"),
    ):
        if needle in text:
            return said
    if isinstance(error, requests.Timeout):
        return "no answer within the timeout (VENDOR_TIMEOUT_SECONDS)"
    return text[:300]


def _named(error: requests.RequestException) -> str:
    """The error's kind and words, for the errors of requests that no retry mends (they
    were tracebacks: the run's log said why, the command did not; found by an audit)."""
    return f"{type(error).__name__}: {str(error)[:300]}"


class VendorClient:
    def __init__(self, vendor: Vendor, say: Callable[[str], None] = lambda message: None):
        self.vendor = vendor
        self.say = say
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "backup-report-sync"
        self._token: str | None = None
        # VENDOR_TIMEOUT_SECONDS bounds each wait for the next bytes, not a whole answer:
        # a vendor that trickled a byte a second held the sync, and its lock, for ever
        # (found by an audit). This bounds the whole conversation.
        self._ends_at = time.monotonic() + vendor.deadline

    def close(self) -> None:
        self.session.close()

    # Signing in

    def sign_in(self) -> None:
        if self.vendor.client_id:
            self._token = self._new_token()
        else:
            self.session.auth = (self.vendor.username, self.vendor.password)

    def _new_token(self) -> str:
        what = "Signing in as the API client (/api/v3/oauth/token)"
        response = self._send(
            "POST",
            "/api/v3/oauth/token",
            what,
            params={"grant_type": "client_credentials"},
            auth=(self.vendor.client_id, self.vendor.client_secret),
        )
        body = self._json(response, what)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SyncFailed(f"{what}: the answer has no access_token; {self._not_the_api()}")
        return token

    # Requests

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict | None = None,
        auth: tuple[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One request, tried again on 429, 5xx and a broken connection; any other answer
        but 2xx stops with SyncFailed."""
        url = self.vendor.url + path
        attempts = self.vendor.attempts
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            self._in_time(what)
            headers = {}
            if auth is None and self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    auth=auth,
                    stream=True,  # read here, within the deadline (_read)
                    timeout=(min(self.vendor.timeout, 30.0), self.vendor.timeout),
                )
                if not stream:
                    self._read(response, what)
            except requests.exceptions.SSLError as error:
                raise SyncFailed(f"{what}: TLS failed for {url}: {error}") from None
            except BROKEN as error:
                problem = _connection_problem(error)
                if attempt >= attempts:
                    raise SyncFailed(
                        f"{what}: cannot reach {self.vendor.url}: {problem} "
                        f"({attempts} attempt{'s' if attempts > 1 else ''}); is VENDOR_URL right?"
                    ) from None
                self._wait(what, problem, self._backoff(attempt), attempt)
                continue
            except requests.RequestException as error:  # a redirect loop, a bad address
                raise SyncFailed(f"{what}: {url}: {_named(error)}") from None
            status = response.status_code
            if status == 401 and auth is None and self._token and not renewed:
                # The token expired during a long export, or the vendor restarted.
                response.close()
                self._token = self._new_token()
                renewed = True
                attempt -= 1
                continue
            if status == 429 or status >= 500:
                said = f"HTTP {status} {response.reason or ''}".strip()
                if attempt >= attempts:
                    response.close()
                    raise SyncFailed(
                        f"{what}: the vendor answered {said}, {attempts} times; try again later"
                    )
                wait = retry_after(response)
                reason = said if wait is None else f"{said}, Retry-After {wait:g} s"
                wait = self._backoff(attempt) if wait is None else wait
                response.close()
                self._wait(what, reason, min(wait, self.vendor.retry_after_max), attempt)
                continue
            if 200 <= status < 300:
                return response
            response.close()
            raise SyncFailed(f"{what}: {self._refusal(status, url, response)}")

    def _refusal(self, status: int, url: str, response: requests.Response) -> str:
        if status == 401:
            return (
                f"the vendor refused the credentials of {self.vendor.account} (HTTP 401); "
                f"{self.vendor.credentials_hint}"
            )
        if status == 403:
            return (
                f"{self.vendor.account} may not read this (HTTP 403); the sync needs an "
                "account that sees the whole fleet: a system administrator"
            )
        if status == 404:
            return f"{url} was not found (HTTP 404); {self._not_the_api()}"
        return f"HTTP {status} {response.reason or ''} from {url}: {_excerpt(response)}"

    def _not_the_api(self) -> str:
        return (
            f"is VENDOR_URL ({self.vendor.url}) the vendor's address, "
            "e.g. https://console.us1.crashplan.com?"
        )

    def _backoff(self, attempt: int) -> float:
        return min(self.vendor.retry_seconds * 2 ** (attempt - 1), self.vendor.retry_after_max)

    def _in_time(self, what: str, waiting: float = 0.0) -> None:
        """SyncFailed when the conversation has run (or a wait would run it) past the
        deadline: nothing was changed yet, and the lock is given back."""
        if time.monotonic() + waiting > self._ends_at:
            raise SyncFailed(
                f"{what}: the vendor's answers took longer than VENDOR_DEADLINE_SECONDS "
                f"({self.vendor.deadline:g} s) in all; is it overloaded, or the network slow?"
            )

    def _read(self, response: requests.Response, what: str) -> None:
        """The whole body, as requests would read it, but within the deadline."""
        chunks = []
        try:
            for chunk in _chunks(response):
                chunks.append(chunk)
                self._in_time(what)
        except SyncFailed:
            response.close()
            raise
        response._content = b"".join(chunks)  # what Response.content keeps once read

    def _wait(self, what: str, reason: str, seconds: float, attempt: int) -> None:
        self._in_time(what, waiting=seconds)
        self.say(
            f"{what}: {reason}; trying again in {seconds:.2f} s "
            f"(attempt {attempt + 1} of {self.vendor.attempts})"
        )
        time.sleep(seconds)

    def _json(self, response: requests.Response, what: str):
        try:
            return response.json()
        except ValueError:
            kind = _media_type(response) or "an answer without a type"
            raise SyncFailed(
                f"{what}: the answer is {kind}, not JSON ({_excerpt(response)!r}); "
                + self._not_the_api()
            ) from None
        finally:
            response.close()

    def get_json(self, path: str, what: str, params: dict | None = None):
        return self._json(self._send("GET", path, what, params=params), what)

    # The resources

    def report_total(self) -> int:
        """How many rows the export should have, from one JSON page of the report."""
        what = "Counting the report's rows (DeviceBackupReport)"
        body = self.get_json(REPORT, what, {"pgNum": 1, "pgSize": 1})
        metadata = body.get("metadata") if isinstance(body, dict) else None
        total = metadata.get("totalCount") if isinstance(metadata, dict) else None
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise SyncFailed(
                f"{what}: the answer has no metadata.totalCount; {self._not_the_api()}"
            )
        return total

    def orgs(self) -> list[dict]:
        """Every org, page by page as pycpg reads them: until a page is short."""
        orgs: dict[str, dict] = {}
        page = 0
        total = None
        while True:
            page += 1
            what = f"Reading the org list (/api/v1/Org, page {page})"
            body = self.get_json("/api/v1/Org", what, {"pgNum": page, "pgSize": ORG_PAGE_SIZE})
            data = body.get("data") if isinstance(body, dict) else None
            items = data.get("orgs") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise SyncFailed(f"{what}: the answer has no data.orgs; {self._not_the_api()}")
            total = data.get("totalCount", total)
            for org in items:
                uid = org.get("orgUid") if isinstance(org, dict) else None
                if not isinstance(uid, str) or not uid:
                    raise SyncFailed(f"{what}: an org without an orgUid: {str(org)[:200]}")
                if uid in orgs:
                    raise SyncFailed(
                        f"{what}: org {uid} again, already on an earlier page: the list "
                        "changed while it was read, or the vendor does not page it; try again"
                    )
                orgs[uid] = org
            if len(items) < ORG_PAGE_SIZE:
                break
        if isinstance(total, int) and total != len(orgs):
            raise SyncFailed(
                f"Reading the org list: {len(orgs):,} orgs read but the vendor counts "
                f"{total:,}; the list changed while it was read; try again"
            )
        return list(orgs.values())

    def download_report(self, path: Path) -> int:
        """Stream the whole export into the file, never holding it in memory; returns its
        size. A connection that breaks midway is tried again from the start."""
        what = "Downloading the export (DeviceBackupReport?export=csv)"
        # The vendor ignores a parameter it does not know; this product adds the owner's
        # names and the cold-storage expiry.
        params = {"export": "csv", "extraColumns": "true"}
        attempt = 0
        while True:
            attempt += 1
            response = self._send("GET", REPORT, what, params=params, stream=True)
            written = 0
            try:
                media_type = _media_type(response)
                if media_type not in CSV_TYPES:
                    raise SyncFailed(
                        f"{what}: the answer is {media_type}, not CSV "
                        f"({_excerpt(response)!r}); {self._not_the_api()}"
                    )
                with path.open("wb") as file:
                    for chunk in _chunks(response):
                        file.write(chunk)
                        written += len(chunk)
                        self._in_time(f"{what}, {written:,} bytes in")
                return written
            except BROKEN as error:
                problem = (
                    f"the connection broke after {written:,} bytes ({_connection_problem(error)})"
                )
                if attempt >= self.vendor.attempts:
                    raise SyncFailed(f"{what}: {problem}, {attempt} times") from None
                self._wait(what, problem, self._backoff(attempt), attempt)
            except requests.RequestException as error:  # a body it cannot decode
                raise SyncFailed(
                    f"{what}: the download could not be read after {written:,} bytes "
                    f"({_named(error)})"
                ) from None
            finally:
                response.close()


def write_tree(orgs: list[dict], path: Path) -> tuple[list[str], list[tuple[int, str]]]:
    """The org list as the org CSV the importer reads; returns notes for the log, and
    the line each org starts on with its orgUid (see org_at_line).

    A parent the list does not name (one the account may not see) makes its child a
    top-level org here, rather than stop every sync.
    """
    listed = {org["orgUid"] for org in orgs}
    orphans = 0
    starts: list[tuple[int, str]] = []
    line = 2  # after the header
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["orgUid", "orgName", "orgExtRef", "parentOrgUid", "status"])
        row = io.StringIO()
        row_writer = csv.writer(row, lineterminator="\n")
        for org in orgs:
            parent = org.get("parentOrgUid") or ""
            if parent and parent not in listed:
                parent, orphans = "", orphans + 1
            cells = (org.get(key) or "" for key in ("orgName", "orgExtRef"))
            row.seek(0)
            row.truncate()
            row_writer.writerow([org["orgUid"], *cells, parent, org.get("status") or ""])
            text = row.getvalue()
            file.write(text)
            starts.append((line, str(org["orgUid"])))
            line += text.count("\n")
    if not orphans:
        return [], starts
    note = f"Orgs whose parent the org list does not name, put at the top: {orphans:,}."
    return [note], starts


def org_at_line(starts: list[tuple[int, str]], line: int) -> str | None:
    """The orgUid of the org written at this line of write_tree's file: an error about
    the list names the org, not a line of a file that is gone once the sync ends (found
    by an audit of the import)."""
    found = None
    for start, uid in starts:
        if start > line:
            break
        found = uid
    return found


def check_export(path: Path, what: str = "The export") -> None:
    """Whole and the vendor's: the header exactly its columns (the 34, or with this
    product's three extras), the last line complete."""
    size = path.stat().st_size
    if size == 0:
        raise SyncFailed(f"{what} is empty: not even a header line")
    with path.open("rb") as file:
        first = file.readline(1 << 16)
        file.seek(size - 1)
        last = file.read(1)
    header = first.decode("utf-8", "replace").removeprefix("\ufeff").rstrip("\r\n")
    if header + "\n" not in (HEADER, EXTENDED_HEADER):
        expected = HEADER.rstrip("\n").split(",")
        got = header.split(",")
        differs = next(
            (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
            min(len(expected), len(got)),
        )
        found = repr(got[differs]) if differs < len(got) else "the end of the line"
        wanted = repr(expected[differs]) if differs < len(expected) else "the end of the line"
        raise SyncFailed(
            f"{what} does not start with the vendor's header: column {differs + 1} is "
            f"{found} where {wanted} belongs ({header[:120]!r})"
        )
    if last != b"\n":
        raise SyncFailed(f"{what} is truncated: its last line is incomplete ({size:,} bytes)")
