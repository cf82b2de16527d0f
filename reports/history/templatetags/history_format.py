from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A share as Figures.ok_percent rounds it: 87.4 -> "87.4%"; of no devices -> "—"."""
    return "—" if value is None else f"{value:.1f}%"


@register.filter
def snapshot_time(moment) -> str:
    """When a snapshot was taken, as the trend says of its today: "00:20 UTC"."""
    return f"{timezone.localtime(moment):%H:%M %Z}"


@register.filter
def points(change: float | None) -> str:
    """Percentage points: +2.5 pp, −1.0 pp, a true minus sign."""
    if change is None:
        return "—"
    rounded = round(change, 1)  # already so (ComplianceRow.change); kept for any other
    if rounded == 0:
        return "±0.0 pp"
    return f"+{rounded:.1f} pp" if rounded > 0 else f"−{-rounded:.1f} pp"
