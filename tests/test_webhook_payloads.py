"""What a chat receives is the product's words, never markup a name smuggled in, and a
long batch still ends with its count and link (found by an audit of section 14,
2026-12-06: Teams showed a device's Markdown link as a live one, Slack's notification
text carried an org name raw, and a batch of long names lost its last lines)."""

from __future__ import annotations

from reports.integrations.models import Event
from reports.integrations.payloads import SLACK_SECTION, slack, summary, teams

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


def test_slacks_notification_text_is_escaped_too():
    message = slack(critical([TRAP]))
    assert message["text"] == "1 device entered critical in Americas &amp; Caribbean &lt;LATAM&gt;"
    section = message["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; **now**" in section and "<!channel>" not in section


def test_a_long_slack_batch_keeps_its_count_and_link():
    names = [f"{'&<>' * 40}-{n:02}" for n in range(20)]  # ~500 characters each, escaped
    section = slack(critical(names, more=5))["blocks"][1]["text"]["text"]
    assert len(section) <= SLACK_SECTION
    lines = section.split("\n")
    assert lines[-1] == f"<{LINK}|Open in Backup Report>"
    named = len(lines) - 2
    assert 0 < named < 20
    assert lines[-2] == f"and {20 - named + 5:,} more"  # the names cut are counted
