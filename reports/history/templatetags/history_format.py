from django import template

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """0.874 -> "87.4%"; a share of no devices -> "—"."""
    return "—" if share is None else f"{100 * share:.1f}%"


@register.filter
def points(change: float | None) -> str:
    """Percentage points: +2.5 pp, −1.0 pp, a true minus sign."""
    if change is None:
        return "—"
    rounded = round(change, 1)
    if rounded == 0:
        return "±0.0 pp"
    return f"+{rounded:.1f} pp" if rounded > 0 else f"−{-rounded:.1f} pp"
