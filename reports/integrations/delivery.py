"""Delivering the due webhook deliveries: on the worker (jobs.py) or from
`manage.py deliver_webhooks`, never inside an import.

Each endpoint's requests go from a thread of its own, so an endpoint that hangs until
the timeout or refuses every request delays no other; within one endpoint, deliveries
go in order, and after a failure the rest of its batch waits for the next attempt (a
dead endpoint costs one timeout a pass, not one a delivery). The database is read and
written by the calling thread only. A delivery is claimed by a conditional UPDATE
before it is sent, so two workers never send it twice; a failure is retried
after WEBHOOK_RETRY_SECONDS, doubling each time, WEBHOOK_ATTEMPTS tries in all.
A delivery left "sending" (its process killed mid-request: SIGKILL, out of memory, a
deploy) is due again once its claim lapses, a failed attempt that says so, retried with
backoff or given up as any other: it stayed "sending" for good, never retried nor given
up (found by an audit). A claim lapses after the longest its sender may still post it
(claim_lapses_at); a sender past it posts nothing more, and what it would record of a
claim taken since by another counts for nothing. The receiver may have had it, as after
a timeout: still at most once an attempt, each event retried as a timeout is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import zip_longest
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q

from reports import clock
from reports.integrations.bounded_http import exchange_within
from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint
from reports.integrations.payloads import request_for
from reports.refresh.data_age import data_age

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
MAX_THREADS = 8
ERROR_TEXT = 500  # bytes of a failed answer kept for the admin


@dataclass(frozen=True)
class Passed:
    delivered: int = 0
    failed: int = 0  # to be retried
    gave_up: int = 0

    def __add__(self, other: Passed) -> Passed:
        return Passed(
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.gave_up + other.gave_up,
        )


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the attempts-th failed try."""
    return dt.timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1))


def _heads(claimed_here: Iterable[int] = ()):
    """Each endpoint's pending deliveries that no earlier one of it waits before: pending
    (a later one overtook one waiting out its backoff, and a receiver read an event after
    the one it followed; found by an audit of the integrations), or being sent by another
    pass (the worker's job and `manage.py deliver_webhooks` at once: the second posted the
    next event while the first was still posting the one before, and after that one
    failed, it came after; found by an audit of section 14). Those this pass claimed
    (`claimed_here`) go before it in this pass's own batch."""
    earlier = (
        WebhookDelivery.objects.filter(
            endpoint_id=OuterRef("endpoint_id"), state__in=(State.PENDING, State.SENDING)
        )
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .exclude(pk__in=list(claimed_here))
    )
    pending = WebhookDelivery.objects.filter(state=State.PENDING, endpoint__active=True)
    return pending.exclude(Exists(earlier))


def due(now: dt.datetime, claimed_here: Iterable[int] = ()):
    return _heads(claimed_here).filter(next_attempt_at__lte=now)


# Beyond the whole exchange's bound (WEBHOOK_TIMEOUT_SECONDS): the time a pass takes
# from claiming to posting, and the clocks of two machines.
CLAIM_MARGIN = dt.timedelta(seconds=60)
STOPPED = "the delivering process stopped before an answer"


def claim_lapses_at(now: dt.datetime) -> dt.datetime:
    """When a delivery claimed now is due again if it is still "sending": its sender
    begins its exchange within one bound of the pass's start (may_post), and the
    exchange ends within another."""
    return now + 2 * dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + CLAIM_MARGIN


def may_post(began: float) -> bool:
    """Whether a delivery claimed by the pass that began then (time.monotonic()) may
    still be posted: its exchange then ends before its claim lapses. The first of an
    endpoint's batch too: past MAX_THREADS endpoints a batch waits in the pool for a
    thread, and posted past its lapse it could be claimed again meanwhile, sent twice
    (found by a review)."""
    return time.monotonic() - began <= settings.WEBHOOK_TIMEOUT_SECONDS


def claimed(delivery: WebhookDelivery):
    """The delivery as this claim holds it: none once the claim lapsed and another took it."""
    return WebhookDelivery.objects.filter(
        pk=delivery.pk, state=State.SENDING, attempts=delivery.attempts
    )


def lapsed_claims(now: dt.datetime) -> int:
    """Deliveries whose sender stopped mid-attempt: failed attempts, due again after
    their backoff or given up."""
    stopped = WebhookDelivery.objects.filter(state=State.SENDING, next_attempt_at__lte=now)
    recorded = [record(delivery, None, STOPPED, now) for delivery in stopped.only("attempts")]
    return sum(1 for passed in recorded if passed != Passed())


def claim(
    delivery_id: int, now: dt.datetime, claimed_here: Iterable[int] = ()
) -> WebhookDelivery | None:
    """The delivery, claimed for this pass, if it is due and no earlier one of its
    endpoint waits or is being sent, but for those this pass claimed (`claimed_here`)."""
    claimed = (
        due(now, claimed_here)
        .filter(pk=delivery_id)
        .update(
            state=State.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=claim_lapses_at(now),
        )
    )
    if not claimed:
        return None  # another worker has it, or it is no longer due
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


HIDDEN_PATH = "<the endpoint's path>"
NO_LONGER_STALE = "Not sent: the data was refreshed since, and is no longer stale."


def without_address(text: str, url: str) -> str:
    """An error without the endpoint's path and query: a Slack or Teams webhook's
    address is its secret (a token in the path, `sig=` in the query), and requests names
    it in its errors, which went to the log and the delivery log (found by an audit of
    the integrations). The host and port stay: they say where it failed."""
    try:
        sent = requests.Request("POST", url).prepare().path_url  # as requests quotes it
    except requests.RequestException:
        sent = ""
    parts = urlsplit(url)
    typed = parts.path + (f"?{parts.query}" if parts.query else "")
    for secret in sorted({url, sent, typed, parts.path} - {"", "/"}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN_PATH)
    return text


def post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(HTTP status or None, error or "").

    The whole exchange ends within the delivery's WEBHOOK_TIMEOUT_SECONDS, however slowly
    the receiver answers (bounded_http: requests' own timeout bounds each read only). A
    success is its status alone (its body is never waited for); a failure's body, kept
    for the admin, is read up to ERROR_TEXT bytes in that time."""
    body, headers = request_for(endpoint, delivery)
    limit = settings.WEBHOOK_TIMEOUT_SECONDS
    with exchange_within(limit) as (session, exchange):
        try:
            with session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=limit,
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return status, ""
                said = (_redirect(response, endpoint.url), _answer_text(response))
                text = " ".join(part for part in said if part)
        except requests.RequestException as error:
            if exchange.cut:
                return None, f"no answer within {exchange.seconds} s (its status line and headers)"
            return None, failure(error, endpoint.url)
    if exchange.cut:
        return status, f"HTTP {status}, its answer not ended within {exchange.seconds} s: {text}"
    return status, f"HTTP {status}: {text}"


def failure(error: Exception, url: str) -> str:
    """An attempt's error as the delivery log keeps it: its type and message, without
    the endpoint's secret path."""
    return without_address(f"{type(error).__name__}: {error}", url)[:1000]


def _redirect(response: requests.Response, url: str) -> str:
    """Where a redirect points, its scheme, host and port alone (a path and query may be
    a secret, as a Slack or Teams address's are): it is not followed, the signed body
    posted only where the admin set, and the delivery log said "HTTP 301: " and no more
    (found by an audit of section 14)."""
    location = response.headers.get("Location")
    if not response.is_redirect or not location:
        return ""
    try:
        target = urlsplit(urljoin(url, location))
        host = target.hostname or ""
        port = f":{target.port}" if target.port else ""
    except ValueError:  # a port that is no number
        return "a redirect, not followed: set the endpoint's URL to where it moved."
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    where = f"{target.scheme}://{host}{port}/"
    return f"a redirect to {where}, not followed: set the endpoint's URL to where it moved."


def _answer_text(response: requests.Response) -> str:
    """The answer's first ERROR_TEXT bytes as text, or those that came before the
    exchange was cut (a byte at a time: a read of more waits for all of them)."""
    read = bytearray()
    with contextlib.suppress(requests.RequestException):
        for byte in response.iter_content(chunk_size=1):
            read += byte
            if len(read) >= ERROR_TEXT:
                break
    return read.decode("utf-8", "replace")


def record(delivery: WebhookDelivery, status: int | None, error: str, now: dt.datetime) -> Passed:
    fields = {"last_status": status, "last_error": error}
    if not error:
        fields |= {"state": State.DELIVERED, "delivered_at": clock.now()}
        result = Passed(delivered=1)
    elif delivery.attempts >= settings.WEBHOOK_ATTEMPTS:
        fields |= {"state": State.GAVE_UP}
        result = Passed(gave_up=1)
    else:
        fields |= {"state": State.PENDING, "next_attempt_at": now + backoff(delivery.attempts)}
        result = Passed(failed=1)
    if not claimed(delivery).update(**fields):
        return Passed()  # its claim lapsed and was taken since: the attempt is another's
    return result


def release(delivery: WebhookDelivery) -> None:
    """Claimed but not tried (its endpoint failed just before): due again, the attempt
    not counted."""
    claimed(delivery).update(
        state=State.PENDING, attempts=F("attempts") - 1, next_attempt_at=clock.now()
    )


def post_in_order(batch: list[WebhookDelivery], began: float) -> list[tuple[int | None, str]]:
    """One endpoint's deliveries, in order, until the first failure: HTTP only, no
    database, so that a thread per endpoint needs no connection of its own."""
    results = []
    for delivery in batch:
        # Each waited for those before it, the first for a thread: posted only while its
        # claim cannot lapse mid-exchange, else released to the next pass.
        if not may_post(began):
            break
        try:
            status, error = post(delivery.endpoint, delivery)
        except Exception as unexpected:  # ours, not the receiver's: a failed attempt all the same
            # A payload request_for() cannot shape, a timeout urllib3 refuses (0): raised,
            # it ended deliver_due() at this thread's result, and every delivery claimed
            # in the pass, of every endpoint, stayed "sending" for good, saying nothing
            # (found by an audit). Recorded, it is retried with backoff and says why.
            logger.exception("webhook %s to %s not sent", delivery.key, delivery.endpoint)
            status, error = None, failure(unexpected, delivery.endpoint.url)
        results.append((status, error))
        if error:
            logger.warning("webhook %s to %s: %s", delivery.key, delivery.endpoint, error)
            break
    return results


def deliver_due(now: dt.datetime | None = None) -> Passed:
    """Claim every due delivery, post each endpoint's in a thread of its own, and record
    what each answered as soon as it has."""
    now = now or clock.now()
    began = time.monotonic()
    lapsed_claims(now)
    batches: dict[int, list[WebhookDelivery]] = defaultdict(list)
    # Claimed in order, each only while no earlier one of its endpoint is pending or
    # being sent by another pass (due): those before it in this pass are its batch.
    pending = WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
    ids = pending.order_by("created_at", "pk").values_list("pk", "endpoint_id")
    fresh = None
    for delivery_id, endpoint_id in list(ids):
        mine = [delivery.pk for delivery in batches.get(endpoint_id, ())]
        delivery = claim(delivery_id, now, mine)
        if delivery is None:
            continue
        if delivery.event == Event.STALE:
            fresh = (not data_age(now).stale) if fresh is None else fresh
            if fresh:  # refreshed since: "the data is stale" would be read as now
                WebhookDelivery.objects.filter(pk=delivery.pk).update(
                    state=State.GAVE_UP, last_error=NO_LONGER_STALE
                )
                continue
        batches[delivery.endpoint_id].append(delivery)
    if not batches:
        return Passed()
    passed = Passed()
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(batches))) as pool:
        posting = {pool.submit(post_in_order, batch, began): batch for batch in batches.values()}
        # Each endpoint's results recorded as its thread ends: the others' stay "sending"
        # no longer than their own exchanges.
        for posted in as_completed(posting):
            for delivery, result in zip_longest(posting[posted], posted.result()):
                if result is None:
                    release(delivery)
                else:
                    passed += record(delivery, *result, now)
    return passed


def next_due() -> dt.datetime | None:
    """When the worker comes back: the earliest due head, or the earliest lapse of a
    claim another pass holds (a "sending" delivery's next_attempt_at). Its endpoint's next
    events wait behind it (_heads), and the worker came back for none: they waited for the
    next cron pass, or the next refresh with the command alone (found by a review)."""
    heads = _heads().values_list("next_attempt_at", flat=True)
    held = WebhookDelivery.objects.filter(state=State.SENDING, endpoint__active=True)
    moments = [
        query.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        for query in (heads, held)
    ]
    return min((moment for moment in moments if moment is not None), default=None)
