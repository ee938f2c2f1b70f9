"""Scoring engine for performance self-evaluation (绩效自评计分).

Pure functions over plain values: Decimal in, Decimal out. No Django, no ORM, no float, so the
rules can be tested exhaustively and reused by forms, services, tables and imports alike.
The rules follow docs/DOMAIN.md, section "Scoring"; every number comes from a ``Policy`` so a
fiscal year can change them without touching code.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core import numbers

COMPARATORS: tuple[str, ...] = ("≥", ">", "=", "≤", "<", "定性")
POSITIVE: frozenset[str] = frozenset({"≥", ">", "="})
NEGATIVE: frozenset[str] = frozenset({"≤", "<"})
QUALITATIVE = "定性"

ACHIEVED = "achieved"
PARTIAL = "partial"
NOT_ACHIEVED = "not_achieved"
LEVEL_LABELS: dict[str, str] = {
    ACHIEVED: "达成年度指标",
    PARTIAL: "部分达成年度指标并具有一定效果",
    NOT_ACHIEVED: "未达成年度指标且效果较差",
}

_ZERO = Decimal("0")
_ONE = Decimal("1")
_TWO = Decimal("2")


@dataclass(frozen=True)
class Band:
    """A qualitative level's score range, as ratios of the indicator's weight.

    ``low`` is always inclusive; ``high`` is inclusive only for the top band, so that adjacent
    bands share a boundary without overlapping.
    """

    low: Decimal
    high: Decimal
    high_inclusive: bool
    suggested: Decimal


def _default_bands() -> dict[str, Band]:
    return {
        ACHIEVED: Band(Decimal("0.80"), Decimal("1.00"), True, Decimal("1.00")),
        PARTIAL: Band(Decimal("0.60"), Decimal("0.80"), False, Decimal("0.60")),
        NOT_ACHIEVED: Band(Decimal("0.00"), Decimal("0.60"), False, Decimal("0.00")),
    }


@dataclass(frozen=True)
class Policy:
    """One fiscal year's scoring rules; the defaults are those of DOMAIN.md."""

    execution_weight: Decimal = Decimal("10")
    indicator_weight: Decimal = Decimal("90")
    bands: dict[str, Band] = field(default_factory=_default_bands)
    # Ordered from the best grade down; a total below the last threshold gets ``lowest_grade``.
    grade_thresholds: tuple[tuple[str, Decimal], ...] = (
        ("优", Decimal("90")),
        ("良", Decimal("80")),
        ("中", Decimal("60")),
    )
    lowest_grade: str = "差"
    score_places: int = 2
    percent_places: int = 2
    deviation_execution_threshold: Decimal = Decimal("0.90")

    def __post_init__(self) -> None:
        # A broken policy would silently mis-score a whole year, so refuse it when it is built.
        if self.execution_weight < 0 or self.indicator_weight < 0:
            raise ValueError("分值不能为负数")
        if self.score_places < 0 or self.percent_places < 0:
            raise ValueError("小数位数不能为负数")
        for level, band in self.bands.items():
            if not _ZERO <= band.low <= band.suggested <= band.high:
                raise ValueError(f"完成等级“{LEVEL_LABELS.get(level, level)}”的得分区间无效")


DEFAULT_POLICY = Policy()


@functools.cache
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def _quantize(value: Decimal, places: int) -> Decimal:
    rounded = value.quantize(_quantum(places), rounding=ROUND_HALF_UP)
    # -0.001 rounds to "-0.00", which must never reach a printed table.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _plain(value: Decimal) -> str:
    # Weights are shown as typed in the guides ("应为50", "0到10分"), never as "5E+1".
    return format(value.normalize(), "f")


def _fmt_score(value: Decimal, policy: Policy) -> str:
    rounded = _quantize(value, policy.score_places)
    # An unrounded sum such as 99.999 must not be shown as "100.00" next to "应为100".
    return format(rounded if rounded == value else value, "f")


def round_score(value: Decimal, policy: Policy = DEFAULT_POLICY) -> Decimal:
    return _quantize(value, policy.score_places)


def execution_rate(
    full_year_budget: Decimal | None,
    executed: Decimal | None,
    policy: Policy = DEFAULT_POLICY,
) -> Decimal | None:
    """全年执行数 / 全年预算数, rounded as it is shown (e.g. 0.9576 shown as 95.76%).

    The score is computed from this rounded rate so that the printed rate and score agree
    (seed: 96% shown, 9.6 scored). Over 100% is kept: it is shown, only the score is capped.
    """
    if full_year_budget is None or executed is None or full_year_budget <= 0:
        return None
    return _quantize(executed / full_year_budget, policy.percent_places + 2)


def execution_score(rate: Decimal | None, policy: Policy = DEFAULT_POLICY) -> Decimal | None:
    if rate is None:
        return None
    capped = min(max(rate, _ZERO), _ONE)
    return round_score(capped * policy.execution_weight, policy)


def _require_weight(weight: Decimal) -> None:
    if weight < 0:
        raise ValueError("分值不能为负数")


def quantitative_score(
    comparator: str,
    target: Decimal,
    actual: Decimal,
    weight: Decimal,
    policy: Policy = DEFAULT_POLICY,
) -> Decimal:
    _require_weight(weight)
    if comparator in POSITIVE:
        raw = _positive_score(comparator, target, actual, weight)
    elif comparator in NEGATIVE:
        raw = _negative_score(target, actual, weight)
    else:
        raise ValueError(f"非定量指标性质：{comparator}")
    return round_score(min(max(raw, _ZERO), weight), policy)


def _positive_score(comparator: str, target: Decimal, actual: Decimal, weight: Decimal) -> Decimal:
    if comparator == "=" and target == 0:
        # "= 0" (e.g. 安全事故数 = 0) means "nothing may happen": any positive actual misses it.
        return weight if actual <= 0 else _ZERO
    # DOMAIN treats every 正向 comparator alike: meeting the target (even for ">") earns the weight.
    if actual >= target:
        return weight
    if target <= 0:
        # No proportional share below a zero or negative target: it would divide by zero or
        # invert the sign, so a miss scores nothing.
        return _ZERO
    return weight * actual / target


def _negative_score(target: Decimal, actual: Decimal, weight: Decimal) -> Decimal:
    if actual <= target:
        return weight
    if target <= 0:
        # The linear decline is defined relative to the target; it has no meaning at or below 0.
        return _ZERO
    if actual >= _TWO * target:
        return _ZERO
    return weight * (_ONE - (actual - target) / target)


def _band(level: str, policy: Policy) -> Band:
    try:
        return policy.bands[level]
    except KeyError:
        raise ValueError(f"未知的完成等级：{level}") from None


def qualitative_range(
    level: str,
    weight: Decimal,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Decimal, Decimal, bool]:
    """The level's band in points, rounded to the score places.

    Rounding the bounds (rather than comparing against exact products such as 0.8 × 3.33 = 2.664)
    keeps what the message says and what the check accepts identical; adjacent bands share the
    same rounded boundary, so they still neither overlap nor leave a gap.
    """
    band = _band(level, policy)
    return (
        round_score(band.low * weight, policy),
        round_score(band.high * weight, policy),
        band.high_inclusive,
    )


def qualitative_suggested(level: str, weight: Decimal, policy: Policy = DEFAULT_POLICY) -> Decimal:
    return round_score(_band(level, policy).suggested * weight, policy)


def check_score(
    comparator: str,
    weight: Decimal,
    score: Decimal,
    level: str | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> str | None:
    """Validate an entered score; return a Chinese message for the clerk, or None when valid."""
    if comparator not in COMPARATORS:
        raise ValueError(f"未知的指标性质：{comparator}")
    if not score.is_finite():
        return "得分必须是有效数字"
    if score < 0 or score > weight:
        return f"得分必须在0到{_plain(weight)}分之间"
    if score != _quantize(score, policy.score_places):
        if policy.score_places == 0:
            return "得分必须为整数"
        return f"得分最多保留{policy.score_places}位小数"
    if comparator != QUALITATIVE:
        return None
    if level is None or level == "":
        return "定性指标须选择完成等级"
    if level not in policy.bands:
        # The level arrives from a form: bad input gets a message, not an exception.
        return "请选择有效的完成等级"
    low, high, high_inclusive = qualitative_range(level, weight, policy)
    in_band = low <= score and (score <= high if high_inclusive else score < high)
    if in_band:
        return None
    label = LEVEL_LABELS.get(level, level)
    upper = f"{_fmt_score(high, policy)}分" + ("" if high_inclusive else "（不含）")
    return f"“{label}”的得分须在{_fmt_score(low, policy)}分至{upper}之间"


def suggested_score(
    comparator: str,
    weight: Decimal,
    target: Decimal | None,
    actual: Decimal | None,
    level: str | None,
    policy: Policy = DEFAULT_POLICY,
) -> Decimal | None:
    if comparator == QUALITATIVE:
        if not level:
            return None
        return qualitative_suggested(level, weight, policy)
    if comparator not in COMPARATORS:
        raise ValueError(f"未知的指标性质：{comparator}")
    if target is None or actual is None:
        return None
    return quantitative_score(comparator, target, actual, weight, policy)


def deviation_required(score: Decimal | None, weight: Decimal) -> bool:
    return score is not None and score < weight


def execution_deviation_required(rate: Decimal | None, policy: Policy = DEFAULT_POLICY) -> bool:
    return rate is not None and rate < policy.deviation_execution_threshold


def total_score(
    execution: Decimal | None,
    indicator_scores: Iterable[Decimal | None],
    policy: Policy = DEFAULT_POLICY,
) -> Decimal:
    # A score not yet entered counts as 0 so a partial total can be shown while editing.
    total = execution if execution is not None else _ZERO
    for score in indicator_scores:
        if score is not None:
            total += score
    return round_score(total, policy)


def grade(total: Decimal | None, policy: Policy = DEFAULT_POLICY) -> str | None:
    if total is None:
        return None
    # Grade what is printed: a total shown as 90.00 must never be graded 良.
    shown = round_score(total, policy)
    for label, threshold in sorted(policy.grade_thresholds, key=lambda item: item[1], reverse=True):
        if shown >= threshold:
            return label
    return policy.lowest_grade


def parse_number(text: str | None) -> Decimal | None:
    """Leniently read a number typed by a clerk ("1,000", "９５％", " 45 "); None if it is not one.

    A trailing percent sign is dropped and the number kept as typed ("95%" → 95), because
    targets such as 群众满意率 ≥ 95% are stored in their unit, not as ratios. The reading is the
    one number rule's (core.numbers); a number too long for an indicator value (a 150-digit
    实际完成值) is not one, so no computation ever meets it.
    """
    if not isinstance(text, str):
        return None
    if len(text) > numbers.MAX_TEXT:  # read, not cached: the cache holds short texts only
        return _parse_number.__wrapped__(text)
    return _parse_number(text)


# Pure readings of texts, cached: a year's recompute reads the same few hundred target and
# actual values tens of thousands of times (Decimals are immutable, so sharing them is safe).
@functools.lru_cache(maxsize=16384)
def _parse_number(text: str) -> Decimal | None:
    stripped = text.strip()
    if stripped.endswith(("%", "％")):
        stripped = stripped[:-1]
    try:
        value = numbers.parse(stripped)
    except numbers.NumberRefused:
        return None
    if value is None or not numbers.fits(value, numbers.INDICATOR_VALUE):
        return None
    return value


def _unit_key(text: str) -> str:
    # 计量单位 compared as people see them: full-width "％" is "%", spaces do not count.
    return "".join(unicodedata.normalize("NFKC", text).split())


def actual_number(text: str | None, unit: str = "") -> Decimal | None:
    """The number of a quantitative 实际完成值, or None: a number as `parse_number` reads it,
    optionally followed by the line's own 计量单位 ("96", "96%" and "96 %" when the unit is %,
    "1200人" when it is 人). Words ("九十六", "约九成七") and another unit ("96万元" on a % line)
    are not numbers. The suffix is matched on the whole unit, so "96元" is not read as 96 on a
    万元 line, and the number part keeps the one number rule (no "%" unless % is the unit)."""
    if not isinstance(text, str) or len(text) > numbers.MAX_TEXT:
        return None  # no number a person types is longer (and a 10⁶-character cell costs nothing)
    return _actual_number(text, unit or "")


@functools.lru_cache(maxsize=16384)
def _actual_number(text: str, unit: str) -> Decimal | None:
    stripped = text.strip()
    key = _unit_key(unit or "")
    number = stripped
    if key:
        # only suffixes about as long as the unit (spaces, full-width forms) can be it
        shortest = max(len(stripped) - 2 * len(key) - 8, 0)
        for cut in range(len(stripped) - 1, shortest - 1, -1):
            if _unit_key(stripped[cut:]) == key:
                number = stripped[:cut]
                break
    try:
        value = numbers.parse(number)
    except numbers.NumberRefused:
        return None
    if value is None or not numbers.fits(value, numbers.INDICATOR_VALUE):
        return None
    return value


def weight_problems(
    rows: Iterable[tuple[str, Decimal]],
    level1_weights: dict[str, Decimal],
    policy: Policy = DEFAULT_POLICY,
) -> list[str]:
    """Check that 三级 weights add up to their 一级 weight and all to the indicator total."""
    problems: list[str] = []
    sums: dict[str, Decimal] = {}
    for level1, weight in rows:
        if weight < 0:
            problems.append(f"{level1}下的指标分值不能为负数（{_fmt_score(weight, policy)}）")
        sums[level1] = sums.get(level1, _ZERO) + weight
    for level1, expected in level1_weights.items():
        actual = sums.get(level1, _ZERO)
        if actual != expected:
            problems.append(
                f"{level1}的分值合计为{_fmt_score(actual, policy)}，应为{_plain(expected)}"
            )
    for level1 in sums:
        if level1 not in level1_weights:
            problems.append(f"一级指标“{level1}”未设置分值")
    grand_total = sum(sums.values(), _ZERO)
    if grand_total != policy.indicator_weight:
        problems.append(
            f"指标分值合计为{_fmt_score(grand_total, policy)}，"
            f"应为{_plain(policy.indicator_weight)}"
        )
    return problems
