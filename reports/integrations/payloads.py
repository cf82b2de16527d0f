"""What each kind of endpoint is sent for an event (a delivery's payload): Slack's
incoming-webhook message (text and blocks), a Microsoft Teams workflow's message with
an Adaptive Card, or our own JSON envelope, signed (signing.py).

The words are made once (`summary`), and each kind shapes them as its receiver
documents: Slack's names go in plain_text (mrkdwn made a URL in a device's name a live
link and *its* _words_ formatting, found by an audit of the integrations), and the
notification's `text` has &, < and > escaped, as its mrkdwn needs;
an Adaptive Card's TextBlock reads Markdown, so the words, names that people chose among
them, go in a RichTextBlock's TextRuns, which are plain text (a device named
"[Restore your files](https://evil.example)" was a live link in the product's alert,
2026-12-06).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reports.health import NEVER_COMPLETED, Thresholds
from reports.integrations.models import Event, WebhookDelivery, WebhookEndpoint
from reports.integrations.signing import signed_headers
from reports.row import encode_datetime

USER_AGENT = "BackupReport-Webhooks/1"
LISTED_DEVICES = 20  # a batch names at most this many devices, and counts the rest


SLACK_SECTION = 3000  # the characters a Slack section's text may hold
# The bytes a Teams message is kept within, as sent (JSON, non-ASCII escaped): Teams
# refuses one over about 28 KB with HTTP 413; this leaves room for what a workflow adds.
TEAMS_MESSAGE_BYTES = 24_000


@dataclass(frozen=True)
class Summary:
    title: str
    lines: list[str]
    link: str = ""
    more: int = 0  # devices counted but not named

    def more_line(self, more: int) -> str:
        return f"and {more:,} more" if more else ""


def _scope(payload: dict) -> str:
    return f" in {payload['org_name']}" if payload.get("org_name") else ""


def _last_backup(date: str | None) -> str:
    """A critical device's stalest backup in words. Critical with no date is a
    destination that never completed beside one that has (reports.health)."""
    return f"last completed backup {date}" if date else NEVER_COMPLETED


def summary(event: str, payload: dict) -> Summary:
    if event == Event.CRITICAL:
        count = payload["count"]
        title = f"{count:,} device{'s' if count != 1 else ''} entered critical{_scope(payload)}"
        lines = [
            f"{d['deviceName'] or d['deviceUid']} ({d['username'] or 'no user'}, "
            f"{d['orgName'] or 'no org'}): " + _last_backup(d["lastCompletedBackupDate"])
            for d in payload["devices"]
        ]
        return Summary(title, lines, payload.get("link", ""), payload["more"])
    if event == Event.RUN_FAILED:
        title = f"The {payload['kind']} failed"
        lines = [f"Started {payload['started_at']} ({payload['trigger']})", payload["error"]]
        return Summary(title, lines, payload.get("link", ""))
    if event == Event.STALE:
        title = "The backup data is stale"
        lines = [
            f"As of {payload['data_as_of'] or 'never imported'}; "
            f"stale after {payload['stale_hours']} hours."
        ]
        return Summary(title, lines, payload.get("link", ""))
    if event == Event.WEEKLY:
        now, week = payload["now"], payload["week_ago"]
        title = f"Weekly backup summary{_scope(payload)}, {payload['week']}"
        lines = [
            f"{now['devices']:,} active devices: {now['ok']:,} OK, {now['warning']:,} warning, "
            f"{now['critical']:,} critical, {now['never']:,} never backed up",
            f"A week ago: {week['devices']:,} active, {week['critical']:,} critical"
            f"{_judged_otherwise(week, now)}"
            if week
            else "A week ago: no snapshot",
        ]
        return Summary(title, lines, payload.get("link", ""))
    raise ValueError(f"no summary for the event {event!r}")


def _judged_otherwise(then: dict, now: dict) -> str:
    """Where a week ago was judged by other thresholds than now, said beside its counts:
    a change of BACKUP_WARNING_DAYS/BACKUP_CRITICAL_DAYS is not the devices getting
    better or worse. Nothing where either is unknown (a snapshot taken before they were
    kept, a payload written before they were sent)."""
    judged = [(day.get("warning_days"), day.get("critical_days")) for day in (then, now)]
    if None in judged[0] + judged[1] or judged[0] == judged[1]:
        return ""
    then_by, now_by = (Thresholds(*pair) for pair in judged)
    return (
        f", judged at {then_by} days (warning/critical), at {now_by} now: the difference "
        "is the thresholds' as well as the backups'"
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_body(words: Summary) -> str:
    """The lines that fit in a section with the count of the rest, which always ends it
    (the text was cut at its limit, taking it away, 2026-12-06)."""
    lines = list(words.lines)
    while True:
        more = words.more + len(words.lines) - len(lines)
        body = "\n".join(part for part in (*lines, words.more_line(more)) if part)
        if len(body) <= SLACK_SECTION or not lines:
            return body[:SLACK_SECTION]
        lines.pop()


def _slack_plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def slack(words: Summary) -> dict:
    """Slack's incoming webhook: `text` (the notification's words) and `blocks`: the
    words as plain text, then the link, the one piece of mrkdwn, ours alone."""
    blocks = [{"type": "header", "text": _slack_plain(words.title[:150])}]
    if body := _slack_body(words):
        blocks.append({"type": "section", "text": _slack_plain(body)})
    if words.link:
        link = f"<{words.link}|Open in Backup Report>"
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": link, "verbatim": True}}
        )
    return {"text": _slack_escape(words.title), "blocks": blocks}


def _plain(text: str, **style) -> dict:
    """A block of plain text: a RichTextBlock's TextRun reads no Markdown."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def teams(words: Summary) -> dict:
    """A Teams workflow ("Post to a channel when a webhook request is received"): a
    message with one Adaptive Card attachment, of the lines that fit in
    TEAMS_MESSAGE_BYTES and the count of the rest, which always ends it: twenty long
    names not in ASCII made 94 KB, refused by Teams at every try (found by an audit)."""
    lines = list(words.lines)
    while True:
        more = words.more + len(words.lines) - len(lines)
        message = _teams_message(words, [*lines, words.more_line(more)])
        if len(body_of(message)) <= TEAMS_MESSAGE_BYTES or not lines:
            return message
        lines.pop()


def _teams_message(words: Summary, lines: list[str]) -> dict:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            _plain(words.title, weight="Bolder", size="Medium"),
            *(_plain(line) for line in lines if line),
        ],
    }
    if words.link:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open in Backup Report", "url": words.link}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def body_of(shaped: dict) -> bytes:
    """A message as it is posted."""
    return json.dumps(shaped).encode("utf-8")


def envelope(delivery: WebhookDelivery) -> dict:
    return {
        "id": f"{delivery.endpoint_id}:{delivery.key}",
        "event": delivery.event,
        # As every date in `data` and the API: isoformat() left out the microseconds
        # when they were 0 and wrote the server's offset, and a receiver's fixed-format
        # parse failed on one message in a million (found by an audit of section 14).
        "created_at": encode_datetime(delivery.created_at),
        "data": delivery.payload,
    }


def request_for(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if endpoint.kind == WebhookEndpoint.Kind.JSON:
        body = body_of(envelope(delivery))
        headers |= {"X-BackupReport-Event": delivery.event} | signed_headers(endpoint.secret, body)
        return body, headers
    words = summary(delivery.event, delivery.payload)
    shaped = slack(words) if endpoint.kind == WebhookEndpoint.Kind.SLACK else teams(words)
    return body_of(shaped), headers
