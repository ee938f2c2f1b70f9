"""How numbers are shown to people, in one place: percentages, money (万元) and scores.

Rounding is half up (as the finance bureau rounds by hand), never float. The places are an argument:
a fiscal year's `percent_places` and `score_places` (the scoring policy) say how many a figure of
that year shows; a fixed number (2) is the standard tables' and messages' default. `core` does not
know the year: callers that have one pass its places.
"""

from decimal import ROUND_HALF_UP, Decimal

MISSING = "无数据"


def fixed(value, places: int = 2) -> str:
    """A number with exactly `places` decimals: 291.6 → "291.60"."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP))


def percent(ratio, places: int = 2, *, missing: str = MISSING) -> str:
    """A ratio as a percentage: 0.9576 → "95.76%"; None or "" → 无数据."""
    if ratio is None or ratio == "":
        return missing
    return f"{fixed(Decimal(ratio) * 100, places)}%"


def money(value, places: int = 2, *, unit: str = "万元", missing: str = MISSING) -> str:
    """An amount in 万元 (every amount the product stores): 1793.344 → "1793.34万元"."""
    if value is None or value == "":
        return missing
    return f"{fixed(value, places)}{unit}"


def score(value, places: int = 2, *, missing: str = MISSING) -> str:
    """A score in the year's `score_places`: 87.5 → "87.50"."""
    if value is None or value == "":
        return missing
    return fixed(value, places)


def as_number(value) -> Decimal | None:
    """`value` as a finite Decimal when it is one (a Decimal, an int, or text such as "60.00"
    as the audit log stores numbers), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() else None


def plain(value) -> str:
    """A number without its storage's trailing zeros or an exponent: "0.0000" → "0",
    "60.50" → "60.5", Decimal("1E+2") → "100"."""
    number = Decimal(value)
    text = format(number.normalize(), "f")
    return "0" if number.is_zero() else text


def duration(seconds: int) -> str:
    """A time limit as a message states it: 600 → "10分钟", 90 → "1.5分钟", 1 → "1秒"."""
    return f"{seconds / 60:g}分钟" if seconds >= 60 else f"{seconds}秒"


# The first characters that make a spreadsheet read text as a formula: an exported text cell
# starting with one is written as text with a quote prefix (reporting), and such a quote is taken
# off again on import (imports). One list for both directions.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
