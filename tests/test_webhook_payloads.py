"""What a chat receives is the product's words, never markup a name smuggled in, and a
long batch still ends with its count and link (found by an audit of section 14,
2026-12-06: Teams showed a device's Markdown link as a live one, Slack's notification
text carried an org name raw, and a batch of long names lost its last lines)."""

from __future__ import annotations

import datetime as dt
import json

from reports.integrations.models import Event, WebhookDelivery
from reports.integrations.payloads import (
    SLACK_SECTION,
    TEAMS_MESSAGE_BYTES,
    envelope,
    slack,
    summary,
    teams,
)

LINK = "https://backup.example.com/reports/backup-status/?health=critical"
TRAP = "[Restore your files here](https://evil.example/login) <!channel> & **now**"


def critical(devices: list[str], more: int = 0, org: str = "Americas & Caribbean <LATAM>"):
    rows = [
        {
            "deviceName": name,
            "deviceUid": f"uid-{n}",
            "username": "valentina.romero",
            "orgName": "Support",
            "lastCompletedBackupDate": "2026-10-01T00:00:00.000Z",
        }
        for n, name in enumerate(devices)
    ]
    payload = {"count": len(rows) + more, "devices": rows, "more": more, "org_name": org}
    return summary(Event.CRITICAL, payload | {"link": LINK})


def test_teams_shows_names_as_plain_text():
    card = teams(critical([TRAP]))["attachments"][0]["content"]
    blocks = card["body"]
    assert {block["type"] for block in blocks} == {"RichTextBlock"}
    runs = [run for block in blocks for run in block["inlines"]]
    assert {run["type"] for run in runs} == {"TextRun"}  # read as text, not Markdown
    assert any(TRAP in run["text"] for run in runs)


SLACK_TRAP = "DT-01 *bold* _it_ ~gone~ <!channel> https://evil.example/login"


def test_slacks_notification_text_is_escaped_too():
    message = slack(critical([TRAP]))
    assert message["text"] == "1 device entered critical in Americas &amp; Caribbean &lt;LATAM&gt;"


def test_slack_shows_names_as_plain_text_and_only_its_own_link_as_mrkdwn():
    """In mrkdwn a device's name made a URL a live link and *bold* _italic_ formatting,
    escaping only & < > (found by an audit of the integrations): names go as
    plain_text; the one mrkdwn text is the product's link, verbatim."""
    blocks = slack(critical([SLACK_TRAP, TRAP]))["blocks"]
    texts = [block["text"] for block in blocks]
    assert [t["type"] for t in texts] == ["plain_text", "plain_text", "mrkdwn"]
    assert SLACK_TRAP in texts[1]["text"] and TRAP in texts[1]["text"]
    assert texts[2] == {
        "type": "mrkdwn",
        "text": f"<{LINK}|Open in Backup Report>",
        "verbatim": True,
    }
    assert all(t.get("emoji") is False for t in texts[:2])


def test_a_long_slack_batch_keeps_its_count_and_link():
    names = [f"{'&<>' * 40}-{n:02}" for n in range(200)]  # ~130 characters each
    blocks = slack(critical(names, more=5))["blocks"]
    section = blocks[1]["text"]["text"]
    assert len(section) <= SLACK_SECTION
    lines = section.split("\n")
    named = len(lines) - 1
    assert 0 < named < 200
    assert lines[-1] == f"and {200 - named + 5:,} more"  # the names cut are counted
    assert blocks[2]["text"]["text"] == f"<{LINK}|Open in Backup Report>"


def message_bytes(message: dict) -> int:
    return len(json.dumps(message).encode("utf-8"))  # as request_for() sends it


def test_a_long_teams_batch_fits_in_a_teams_message_and_keeps_its_count_and_link():
    """Teams refuses a message over about 28 KB (HTTP 413, each of WEBHOOK_ATTEMPTS
    tries alike): twenty names at their longest, not in ASCII (each escaped as \\uXXXX,
    an emoji twice), made a card of 94 KB, and the batch was never delivered (found by
    an audit of section 14)."""
    names = [f"{'😀' * 190}-{n:02}" for n in range(20)]
    words = critical(names, more=434, org="東京本社" * 50)
    message = teams(words)
    assert message_bytes(message) <= TEAMS_MESSAGE_BYTES
    card = message["attachments"][0]["content"]
    texts = [run["text"] for block in card["body"] for run in block["inlines"]]
    named = len(texts) - 2  # the title, then the names, then the count of the rest
    assert 0 < named < 20
    assert texts[-1] == f"and {20 - named + 434:,} more"
    assert card["actions"][0]["url"] == LINK


def test_a_teams_batch_that_fits_is_sent_whole():
    message = teams(critical([f"DT-{n:02}" for n in range(20)], more=3))
    texts = [r["text"] for b in message["attachments"][0]["content"]["body"] for r in b["inlines"]]
    assert len(texts) == 22 and texts[-1] == "and 3 more"


def test_a_json_message_dates_itself_as_every_date_of_the_api():
    """UTC with milliseconds and Z, whatever the microseconds and the server's zone:
    isoformat() left out microseconds of 0 and wrote the server's offset."""
    paris = dt.timezone(dt.timedelta(hours=1))
    for at in (
        dt.datetime(2026, 3, 1, 9, 5, 7, tzinfo=paris),
        dt.datetime(2026, 3, 1, 9, 5, 7, 123456, tzinfo=paris),
    ):
        delivery = WebhookDelivery(
            endpoint_id=7, key="k", event=Event.CRITICAL, created_at=at, payload={}
        )
        created = envelope(delivery)["created_at"]
        assert created == f"2026-03-01T08:05:07.{at.microsecond // 1000:03d}Z"
