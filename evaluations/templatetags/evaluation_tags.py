from decimal import Decimal

from django import template

from core import formatting

register = template.Library()


@register.filter
def percent(ratio, places=2) -> str:
    """A ratio shown as a percentage (core.formatting): `|percent:year.percent_places`."""
    return formatting.percent(ratio, int(places))


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
