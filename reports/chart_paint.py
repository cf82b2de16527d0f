"""The charts' colours and text sizes as SVG presentation attributes, for the management
PDF: WeasyPrint applies no stylesheet to an inline SVG, and drew every bar black and
each label too large for its room (found by an audit). On a page the stylesheet's
classes still decide (CSS outranks a presentation attribute). One list for the bar
charts (reports.dashboards.charts) and the health trend (reports.history.charts)."""

FILLS = {
    "default": "#1f5fbf",
    "ok": "#1b7f4b",
    "warning": "#e5a000",
    "critical": "#b42318",
    "never": "#5b4bb7",
}
LABEL_TEXT = {"font-size": 13, "fill": "#1d2433"}
VALUE_TEXT = {"font-size": 12, "fill": "#5d6779"}
GRID_STROKE = "#dde3ea"


def fill_of(kind: str) -> str:
    return FILLS.get(kind, FILLS["default"])
