from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def percent(ratio, places=2) -> str:
    """A ratio shown as a percentage: 0.9576 → 95.76%. None → 无数据."""
    if ratio is None or ratio == "":
        return "无数据"
    places = int(places)
    value = (Decimal(ratio) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{value}%"


@register.filter
def amount_input(value) -> str:
    """An amount as an input shows it: 291.6000 → 291.60; text typed by the user is kept."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        normal = value.normalize()
        places = max(2, -normal.as_tuple().exponent)
        return f"{value:.{places}f}"
    return str(value)
