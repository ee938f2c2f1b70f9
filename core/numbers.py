"""The one rule for numbers a user types or uploads, and for figures the system computes.

Every decimal input (the self-evaluation form and its live preview, the target sheet, import
cells, the offline table, the admin) goes through `read`: the text is parsed by `parse` and the
value checked by `check` against the model field it will be stored in (its max_digits and
decimal_places, read from the field) and against the domain bound the caller gives (a score
0…the line's weight, money ≥ 0). A refusal is a `NumberRefused` with a Chinese message naming
the field, so no caller writes its own message and no value that cannot be stored reaches the
database (PostgreSQL would answer "numeric field overflow"; SQLite would store it and every
later read of the row would fail).

Computed figures (执行率, 得分, 总分) go through `fit`: rounded to the field's places, or None
when they do not fit it, so a figure is never stored broken (shown as 超出范围 instead).

Plain functions over plain values: no ORM, no queries.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.db.models import Q

from .errors import UserError

# Longer text is refused before any parsing: no number a person types is longer, and a
# 10⁶-character cell must cost nothing.
MAX_TEXT = 400

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－＋−，", "0123456789.-+-,")
# Thousands separators and spaces inside the number ("1,000", "1 000"); surrounding spaces go
# with strip().
_SEPARATORS = re.compile(r"[ ,\u00a0\u3000]")
# Plain decimal notation only: nobody types exponents, and this also refuses NaN/Infinity,
# "1e400" and digits of other scripts (²、٣) that str.isdigit() would accept.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PERCENT = ("%", "％")

# Integer digits of a money column (万元): shown in the message that asks whether 元 was typed.
MONEY_UNIT = "万元"


class Digits(NamedTuple):
    """The digits of a number stored as text (年度指标值, 实际完成值): no model field states them,
    so the rule states them here, as a field would."""

    max_digits: int
    decimal_places: int
    verbose_name: str


# Indicator values are counts, amounts and rates: 14 integer digits (a city's 亿元 in 元) and
# 6 places are more than any real target needs, and keep every ratio computable exactly.
INDICATOR_VALUE = Digits(20, 6, "指标值")


class NumberRefused(UserError, ValueError):
    """A number that may not be stored; str() is the Chinese message for the user."""


def plain(value: Decimal) -> str:
    """A bound as people write it: 10, 0.5, 100 (never 1E+1 or 10.00)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse(text, *, label: str = "数值", percent: bool = False) -> Decimal | None:
    """A number typed by a person: blank → None; full-width digits, thousands separators and
    surrounding spaces are accepted; with `percent`, a trailing % divides by 100 ("80%" → 0.8).
    Raises NumberRefused for anything else (words, exponents, NaN, control characters, over-long
    text). A number already typed by a spreadsheet (int, Decimal) is taken as it is."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise NumberRefused(f"{label}必须是数字")
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise NumberRefused(f"{label}必须是有效数字")
        return text
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise NumberRefused(f"{label}必须是有效数字")
        # 15 significant digits: what a spreadsheet shows, not the binary float's tail.
        return Decimal(format(text, ".15g"))
    if not isinstance(text, str):
        raise NumberRefused(f"{label}必须是数字")
    if len(text) > MAX_TEXT:
        raise NumberRefused(f"{label}内容过长，不是有效数字")
    cleaned = text.strip()
    if not cleaned:
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise NumberRefused(f"{label}含有不可见的控制字符，请重新输入")
    cleaned = _SEPARATORS.sub("", cleaned.translate(_FULL_WIDTH))
    is_percent = cleaned.endswith(_PERCENT)
    if is_percent:
        if not percent:
            raise NumberRefused(f"{label}不能带百分号，请直接填写数字")
        cleaned = cleaned[:-1]
    if not _NUMBER.fullmatch(cleaned):
        raise NumberRefused(f"{label}必须是数字")
    value = Decimal(cleaned)  # cannot fail: the pattern admits only plain decimals
    if is_percent:
        value = value.scaleb(-2)
    # "-0" is a typing accident, not a signed zero anyone means.
    return value.copy_abs() if value.is_zero() else value


@functools.lru_cache(maxsize=4096)  # pure; an import asks it of the same few texts 100,000 times
def value_problem(text: str, label: str) -> str | None:
    """Why a number typed in a text column (年度指标值, 实际完成值) cannot be used by any
    computation (too many digits or places), or None. Words are no problem here: a text target
    or a described result is shown, not scored."""
    stripped = (text or "").strip()
    if stripped.endswith(_PERCENT):
        stripped = stripped[:-1]
    try:
        value = parse(stripped, label=label)
    except NumberRefused:
        return None
    try:
        check(value, INDICATOR_VALUE, label=label, minimum=None)
    except NumberRefused as refused:
        return str(refused)
    return None


def limits(field) -> tuple[int, int]:
    """(integer digits, decimal places) a DecimalField can hold."""
    return field.max_digits - field.decimal_places, field.decimal_places


def column_max(field) -> Decimal:
    """The largest value a DecimalField can hold (999.99 for max_digits=5, decimal_places=2)."""
    return _largest(*limits(field))


@functools.cache
def _largest(digits: int, places: int) -> Decimal:
    return Decimal(10) ** digits - Decimal(1).scaleb(-places)


def _places_of(value: Decimal) -> int:
    # Counted on the digits themselves: normalize() would round under the context's precision.
    sign, digits, exponent = value.as_tuple()
    if exponent >= 0:
        return 0
    if digits[-1]:  # no trailing zero (most computed figures): the exponent says it
        return -exponent
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing)) if any(digits) else 0


def _integer_digits(value: Decimal) -> int:
    return 0 if value.is_zero() else max(value.adjusted() + 1, 0)


def is_money(field) -> bool:
    """A money column (budgets.models.money_field: 万元, 16 digits, 4 places)."""
    return (field.max_digits, field.decimal_places) == (16, 4)


def check(
    value: Decimal | None,
    field,
    *,
    label: str | None = None,
    minimum: Decimal | int | None = 0,
    maximum: Decimal | int | None = None,
) -> Decimal | None:
    """`value` if it may be stored in `field` within [minimum, maximum]; else NumberRefused.
    Returned quantized to the field's places (an exact, not a rounded, value: places beyond the
    field are refused, never rounded away)."""
    if value is None:
        return None
    label = str(field.verbose_name) if label is None else label
    if not value.is_finite():
        raise NumberRefused(f"{label}必须是有效数字")
    digits, places = limits(field)
    if minimum is not None and maximum is not None and not (minimum <= value <= maximum):
        raise NumberRefused(f"{label}须在{plain(Decimal(minimum))}至{plain(Decimal(maximum))}之间")
    if minimum is not None and value < minimum:
        if minimum == 0:
            raise NumberRefused(f"{label}不能为负数")
        raise NumberRefused(f"{label}不能小于{plain(Decimal(minimum))}")
    if maximum is not None and value > maximum:
        raise NumberRefused(f"{label}不能超过{plain(Decimal(maximum))}")
    if _integer_digits(value) > digits:
        if is_money(field):
            raise NumberRefused(
                f"{label}位数过多（{MONEY_UNIT}，最多{digits}位整数）——是否把元当成了万元？"
            )
        raise NumberRefused(f"{label}超出范围（最多{digits}位整数）")
    if _places_of(value) > places:
        raise NumberRefused(f"{label}最多保留{places}位小数")
    return value.quantize(Decimal(1).scaleb(-places))


def read(
    text,
    field,
    *,
    label: str | None = None,
    minimum: Decimal | int | None = 0,
    maximum: Decimal | int | None = None,
    percent: bool = False,
    rounding: bool = False,
) -> Decimal | None:
    """Parse and check in one step: the value to store, None for blank, or NumberRefused.
    With `rounding`, places beyond the field's are rounded, not refused: for figures a source
    table states (its 执行率 or 总分), whose extra places are display noise, not input."""
    label = str(field.verbose_name) if label is None else label
    value = parse(text, label=label, percent=percent)
    if rounding and value is not None and value.is_finite():
        digits, places = limits(field)
        if _integer_digits(value) <= digits:
            value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return check(value, field, label=label, minimum=minimum, maximum=maximum)


@functools.cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def fits(value: Decimal | None, field) -> bool:
    """Whether a value can be stored in `field` once rounded to its places."""
    return value is None or fit(value, field) is not None


def fit(value: Decimal | None, field) -> Decimal | None:
    """A computed figure rounded to the field's places, or None if it does not fit the column
    (the one place where computed figures are clamped: a None is shown as 超出范围)."""
    if value is None or not value.is_finite():
        return None
    digits, places = limits(field)
    if _integer_digits(value) > digits:
        return None
    if value.as_tuple().exponent >= -places or _places_of(value) <= places:
        return value  # already storable (within the digits and places): kept as computed
    try:
        rounded = value.quantize(_quantum(places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    if abs(rounded) > _largest(digits, places):  # 999.995 rounds up to 1000.00
        return None
    return rounded


# 全年执行数 above this many times the 全年预算数 is refused as a typing mistake (元 typed as 万元)
# rather than stored: the 执行率 would be nonsense on every table and overflow its column.
EXECUTION_RATE_LIMIT = Decimal("10")


def execution_refusal(full: Decimal | None, executed: Decimal | None) -> str | None:
    """Why a 全年执行数 is refused against its 全年预算数 (Chinese), or None."""
    if full is None or executed is None or full <= 0:
        return None
    if executed > full * EXECUTION_RATE_LIMIT:
        return (
            f"全年执行数合计{plain(executed)}{MONEY_UNIT}超过全年预算数{plain(full)}{MONEY_UNIT}"
            f"的{plain(EXECUTION_RATE_LIMIT)}倍——是否把元当成了万元？"
        )
    return None


def in_column(
    *names: str,
    max_digits: int,
    decimal_places: int,
    minimum: int = 0,
    maximum: Decimal | None = None,
):
    """The CheckConstraint condition that keeps every named column within [minimum, the
    column's largest value or the domain's `maximum`]; NULL passes. On SQLite, which does not
    enforce the declared digits, this is what keeps an overflowing value out of the table."""
    top = Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)
    if maximum is not None:
        top = min(top, maximum)
    condition = Q()
    for name in names:
        condition &= Q(**{f"{name}__isnull": True}) | (
            Q(**{f"{name}__gte": minimum}) & Q(**{f"{name}__lte": top})
        )
    return condition
