"""The management PDF (spec section 15): the overview and compliance by org, opened with
a PDF reader library (pypdf), holding the same counts as the overview page, for the
viewer's reach (role matrix), with the charts drawn."""

import html
import io
import re

import pytest
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader

from accounts.roles import reach_of
from reports.history.charts import trend_chart
from reports.history.reading import trend_of
from reports.history.snapshots import day_of, take

ROLES = ["root", "alice", "carol", "dave", "sam"]
CARD = re.compile(
    r'<span class="stat-label">([^<]+)</span>\s*<span class="stat-value">([0-9,]+)</span>'
)


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("name", ROLES)
def test_the_pdf_holds_the_overview_pages_counts(login, fleet, name):
    take()
    client = login(name)
    page = client.get("/").content.decode()
    cards = CARD.findall(page)[:4]  # the four health cards; then storage's
    assert [label for label, _ in cards] == ["OK", "Warning", "Critical", "Never backed up"]
    response = client.get("/overview.pdf")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="backup-overview-and-compliance_\d{4}-\d\d-\d\dT\d{4}Z\.pdf"',
        response["Content-Disposition"],
    )
    text = pdf_text(response)
    assert "Backup overview and compliance" in text
    active = re.search(r"([0-9,]+) active device", page).group(1)
    assert f"Active devices: {active}" in text
    flat = " ".join(text.split())
    for label, count in cards:
        assert f"{label} {count}" in flat, (label, count)
    # The charts are drawn: their bars' labels are in the text.
    assert "Active devices by OS" in text
    # Compliance only for a reach with fleet figures, as on its page.
    assert ("Compliance by org" in text) == (name in ("root", "alice", "carol"))


def test_a_manager_sees_only_their_orgs_in_the_pdf(login, fleet):
    take()
    text = pdf_text(login("alice").get("/overview.pdf"))
    assert "Accounting" in text
    assert "Americas" not in text and "Engineering" not in text


def test_anonymous_is_sent_to_sign_in(client, fleet):
    response = client.get("/overview.pdf")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_pdf_counts_one_archive_in_cold_storage_in_the_singular(login, fleet):
    """Found by an audit: "1 archives in cold storage" (and "1 devices with 1
    archives"); each count says what it counts as the overview page says it."""
    flat = " ".join(pdf_text(login("sam").get("/overview.pdf")).split())
    assert "2 devices with 2 archives" in flat
    assert "; 1 archive in cold storage (" in flat


@override_settings(BACKUP_WARNING_DAYS=7, BACKUP_CRITICAL_DAYS=7)
def test_equal_thresholds_say_there_is_no_warning_band(login, fleet):
    """Found by an audit: equal thresholds (allowed: no warning band) read "warning: 7
    to 7 days without"."""
    text = " ".join(pdf_text(login("root").get("/overview.pdf")).split())
    assert "7 to 7 days" not in text
    assert "warning: none (no warning band); critical: 7+ days" in text


@override_settings(BACKUP_WARNING_DAYS=1, BACKUP_CRITICAL_DAYS=4)
def test_one_day_is_said_in_the_singular(login, fleet):
    text = " ".join(pdf_text(login("root").get("/overview.pdf")).split())
    assert "OK: backed up in the last 1 day;" in text


@pytest.mark.parametrize("page", ["/", "/history/compliance/"])
def test_the_overview_and_compliance_pages_link_their_pdf(login, fleet, page):
    """Spec section 15: the overview and compliance can be had as PDF, from their own
    pages; only the saved views list linked it (found by an audit of the pages)."""
    take()
    html = login("root").get(page).content.decode()
    assert 'href="/overview.pdf"' in html
    # Not on a desktop user's "Your devices": no figures for management there.
    assert 'href="/overview.pdf"' not in login("dave").get("/").content.decode()


@pytest.mark.parametrize("name", ["root", "alice"])
def test_the_pdf_holds_the_overviews_health_trend(login, fleet, name):
    """Spec sections 9 and 15: the overview as PDF, for management asking "are we getting
    better?", had its health cards and charts but not its 90-day trend, the one figure of
    the overview that answers it (found by an audit of section 9). Its days and latest
    share are the trend's own (the API's), for the viewer's reach."""
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    take(now - dt.timedelta(days=7))
    take(now)
    client = login(name)
    days = client.get("/api/history/trend").json()["data"]["days"]
    first, latest = days[0], days[-1]
    flat = " ".join(pdf_text(client.get("/overview.pdf")).split())
    assert "Backup health, last 90 days" in flat
    assert f"2 days with a snapshot from {first['day']} to {latest['day']}" in flat
    share = f"{latest['okPercent']:.1f}% OK of {latest['activeDevices']:,}"
    assert share in flat, share


def test_a_desktop_user_has_no_trend_in_the_pdf(login, fleet):
    take()
    assert "Backup health, last" not in pdf_text(login("dave").get("/overview.pdf"))


def _fill_colours(reader: PdfReader) -> set[str]:
    """Every fill colour the PDF paints with ("r g b rg"), its charts' drawings included."""
    colours = set()

    def read(resources) -> None:
        drawings = resources.get_object().get("/XObject") if resources is not None else None
        for drawing in drawings.get_object().values() if drawings is not None else ():
            drawing = drawing.get_object()
            colours.update(re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", drawing.get_data()))
            read(drawing.get("/Resources"))

    for page in reader.pages:
        colours.update(re.findall(rb"([\d.]+ [\d.]+ [\d.]+) rg", page.get_contents().get_data()))
        read(page.get("/Resources"))
    return {
        "#" + "".join(f"{round(float(part) * 255):02x}" for part in colour.split())
        for colour in colours
    }


def test_the_charts_are_drawn_in_their_colours(login, fleet, caplog):
    """The charts' colours were the page's CSS classes, which WeasyPrint does not apply to
    an inline SVG ("Ignored `fill: #1b7f4b`, unknown property", logged for each PDF): every
    bar was black and each label larger than the chart has room for (an audit)."""
    take()
    response = login("root").get("/overview.pdf")
    colours = _fill_colours(PdfReader(io.BytesIO(response.content)))
    # The age chart's bands: OK, warning, critical, never; the charts' text.
    assert {"#1b7f4b", "#e5a000", "#b42318", "#5b4bb7", "#1d2433"} <= colours
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]


def test_the_trend_carries_its_own_colours_and_sizes(login, fleet):
    """The health trend joined the PDF drawn by the page's CSS classes alone, which
    WeasyPrint does not apply to an inline SVG: its bars black, its grid unseen (found by
    a review). Each shape and text says its own paint, as the bar charts' do."""
    today = day_of(timezone.now())
    take()
    trend = trend_chart(trend_of(reach_of(fleet["users"]["root"]), today), today)
    shapes = re.findall(r"<(rect|text|line)\b([^>]*)>", str(trend))
    assert len(shapes) > 10
    for tag, attributes in shapes:
        painted = "stroke=" if tag == "line" else "fill="
        assert painted in attributes, (tag, attributes)
        if tag == "text":
            assert "font-size=" in attributes, attributes


SUBPATH = re.compile(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-\3z")
RECT = re.compile(
    r'<rect class="chart-bar bar-(\w+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"'
    r' height="([\d.]+)" fill="([^"]+)">'
)


def test_the_pdf_draws_the_trend_as_a_path_per_health(fleet):
    """WeasyPrint lays out each element of an inline SVG: the trend's <g>, <title> and
    <rect>s a day (364 elements at 90 days) made the PDF 2-2.8 times slower to render
    (found by a measurement). The PDF draws each health's columns as one <path>, its days
    subpaths: the very rectangles the page draws, in the same fill, with the same text."""
    import datetime as dt

    from reports.dashboards.summary_pdf import management_context
    from reports.history.charts import describe_trend
    from reports.history.figures import trend

    now = timezone.now()
    today = day_of(now)
    take(now - dt.timedelta(days=7))
    take(now)
    user = fleet["users"]["root"]
    chart = str(management_context(user, reach_of(user), now)["trend_chart"])
    page = str(trend_chart(trend(reach_of(user), today), today))
    paths = re.findall(r'<path class="chart-bar bar-(\w+)" fill="([^"]+)" d="([^"]+)">', chart)
    assert len(paths) == len({health for health, _, _ in paths}) >= 2  # one per health
    drawn = sorted((health, *box, fill) for health, fill, d in paths for box in SUBPATH.findall(d))
    # The page's columns (in their <g> a day); not the legend's swatches (rx="2").
    assert drawn == sorted((h, x, y, w, ht, fill) for h, x, y, w, ht, fill in RECT.findall(page))
    assert len(drawn) >= 4
    assert all(SUBPATH.sub("", d) == "" for _, _, d in paths)  # subpaths alone
    assert 'class="trend-day"' not in chart and 'class="trend-day"' in page
    # Its text alternative as the page's: the title and the first and latest days.
    said = describe_trend(trend(reach_of(user), today), today)
    assert said in html.unescape(chart)
    assert "<title " in chart and "Backup health of active devices" in chart
