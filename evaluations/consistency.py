"""Consistency checks of a self-evaluation: what reviewers otherwise catch by hand.

Pure functions over objects already in memory (an evaluation's computed figures, its result lines
with their indicators, its funds and the year's policy): no queries, Decimal only. The flags are
advisory: they never block a save or a submission. `services.common.evaluation_compute` stores
them on `SelfEvaluation.flags` together with the totals, so the form, the review queue and the
dashboard show them without recomputing.

Flags (code: when):

* ``over_budget``: 全年执行数 above 全年预算数, for the total; for a source (项目) or an income
  nature (部门整体) only when the total itself is not over, so one overspend is not reported twice.
* ``split_mismatch`` (部门整体): the 全年执行数 split by income nature and by expense nature
  (基本支出·人员经费 + 基本支出·公用经费 + 项目支出, each 决算数) must add up to the same total;
  both are typed, so a difference is a typing error (compared at 2 decimals, as printed).
* ``weights``: the 三级 weights do not add up to the year's indicator weight (90 of 100);
  target setting refuses this, but imported targets or a changed policy can bring it about.
* ``over_target``: a quantitative 正向 (≥, >) actual value above 130% of its target: was the
  target set too low?
* ``full_marks_low_execution``: every indicator scored its full weight while the 执行率 is below
  60%: spending and achievement do not match.
* ``out_of_band``: a 定性 score outside the band of its level (or outside 0 … weight), e.g.
  after the year's bands were changed or from imported data.

* ``stated_mismatch``: the 执行率 or 总分 a source table states (``stated_execution_rate``,
  ``stated_total_score``: typed over the computed figure in an uploaded offline table, or taken from
  a published report) differs from the one computed from the funds and scores, compared as
  printed (percent and score places of the year), e.g. a stated 43.25% that should be 48.32%.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from core import formatting

from . import scoring

OVER_TARGET_RATIO = Decimal("1.3")
LOW_EXECUTION = Decimal("0.6")
MONEY_PLACES = Decimal("0.01")

LABELS: dict[str, str] = {
    "over_budget": "执行数超过预算数",
    "split_mismatch": "资金合计不一致",
    "weights": "分值合计不符",
    "over_target": "实际值远超目标",
    "full_marks_low_execution": "满分但执行率低",
    "out_of_band": "定性得分超出区间",
    "stated_mismatch": "原表数字与计算不符",
    "out_of_range": "超出范围",
}


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    line: int | None = None  # the IndicatorResult the flag is about, if any

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FundPart:
    """One row of the 资金 block: a project fund source or a department income nature."""

    label: str
    full: Decimal | None
    executed: Decimal | None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def funds_flags(
    full: Decimal | None,
    executed: Decimal | None,
    parts: Sequence[FundPart] = (),
    expense_executed: Decimal | None = None,
) -> list[Flag]:
    """``over_budget`` and ``split_mismatch``. ``expense_executed``: the execution by expense
    nature (部门整体 only; None when unknown or for a project)."""
    flags: list[Flag] = []
    total_over = full is not None and executed is not None and executed > full
    if total_over:
        flags.append(
            Flag(
                "over_budget",
                f"全年执行数（{formatting.money(executed)}）超过全年预算数（{formatting.money(full)}）",
            )
        )
    else:
        for part in parts:
            if part.full is not None and part.executed is not None and part.executed > part.full:
                flags.append(
                    Flag(
                        "over_budget",
                        f"{part.label.removeprefix('其中：')}：全年执行数（{formatting.money(part.executed)}）"
                        f"超过全年预算数（{formatting.money(part.full)}）",
                    )
                )
    if executed is not None and expense_executed is not None:
        by_income = executed.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
        by_expense = expense_executed.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
        if by_income != by_expense:
            flags.append(
                Flag(
                    "split_mismatch",
                    f"全年执行数按收入性质分合计{formatting.money(executed)}，"
                    "按支出性质分（基本支出 + 项目支出）合计"
                    f"{formatting.money(expense_executed)}，相差"
                    f"{formatting.money(abs(by_income - by_expense))}",
                )
            )
    return flags


def weight_flags(results: Sequence, policy: scoring.Policy) -> list[Flag]:
    """``weights``: the 三级 weights of the lines must add up to the year's indicator weight (90),
    so that the total can reach 100. (Target setting also checks each 一级's sum; a unit may set
    other 一级 weights, so only the grand total is a certain error here.)"""
    if not results:
        return []
    total = sum((r.indicator.weight for r in results), Decimal("0"))
    if total == policy.indicator_weight:
        return []
    return [
        Flag(
            "weights",
            f"三级指标分值合计为{_plain(total)}分，应为{_plain(policy.indicator_weight)}分",
        )
    ]


def line_flags(result, policy: scoring.Policy) -> list[Flag]:
    """``over_target`` and ``out_of_band`` of one result line (with its indicator)."""
    indicator = result.indicator
    flags: list[Flag] = []
    target = indicator.target_number if indicator.comparator in ("≥", ">") else None
    actual = scoring.actual_number(result.actual_value, indicator.unit)
    known = target is not None and actual is not None and target > 0
    if known and actual > target * OVER_TARGET_RATIO:
        unit = indicator.unit
        flags.append(
            Flag(
                "over_target",
                f"“{indicator.name}”实际完成值{_plain(actual)}{unit}为年度指标值"
                f"{_plain(target)}{unit}的{formatting.percent(actual / target)}（超过"
                f"{_plain(OVER_TARGET_RATIO * 100)}%），目标是否定得过低？",
                result.id,
            )
        )
    if indicator.comparator == scoring.QUALITATIVE and result.score is not None and result.level:
        problem = scoring.check_score(
            indicator.comparator, indicator.weight, result.score, result.level, policy
        )
        if problem:
            flags.append(Flag("out_of_band", f"“{indicator.name}”：{problem}", result.id))
    return flags


def execution_flags(
    execution_rate: Decimal | None, results: Sequence, policy: scoring.Policy
) -> list[Flag]:
    """``full_marks_low_execution``: every line at its full weight, 执行率 below 60%."""
    if execution_rate is None or execution_rate >= LOW_EXECUTION or not results:
        return []
    weights = sum((r.indicator.weight for r in results), Decimal("0"))
    if weights <= 0 or any(r.score is None or r.score < r.indicator.weight for r in results):
        return []
    return [
        Flag(
            "full_marks_low_execution",
            f"绩效指标全部满分（{_plain(weights)}分），但预算执行率仅"
            f"{formatting.percent(execution_rate)}（低于{_plain(LOW_EXECUTION * 100)}%）："
            "支出与绩效不匹配",
        )
    ]


def stated_flags(
    *,
    stated_rate: Decimal | None,
    execution_rate: Decimal | None,
    stated_total: Decimal | None,
    total: Decimal | None,
    policy: scoring.Policy,
) -> list[Flag]:
    """``stated_mismatch``: a stated 执行率 or 总分 that is not the computed one, as printed."""
    flags = []
    rate_places = Decimal(1).scaleb(-(policy.percent_places + 2))
    if stated_rate is not None:
        stated = stated_rate.quantize(rate_places, rounding=ROUND_HALF_UP)
        if execution_rate is None:
            flags.append(
                Flag(
                    "stated_mismatch",
                    f"原表执行率为{formatting.percent(stated)}，但全年预算数或执行数无数据，无法核对",
                )
            )
        elif stated != execution_rate.quantize(rate_places, rounding=ROUND_HALF_UP):
            flags.append(
                Flag(
                    "stated_mismatch",
                    f"原表执行率为{formatting.percent(stated)}，按全年执行数"
                    f"÷全年预算数计算应为{formatting.percent(execution_rate)}",
                )
            )
    score_places = Decimal(1).scaleb(-policy.score_places)
    if stated_total is not None and total is not None:
        stated = stated_total.quantize(score_places, rounding=ROUND_HALF_UP)
        if stated != total.quantize(score_places, rounding=ROUND_HALF_UP):
            flags.append(
                Flag(
                    "stated_mismatch",
                    f"原表总分为{_plain(stated)}分，按各项得分合计应为{_plain(total)}分",
                )
            )
    return flags


def evaluation_flags(
    *,
    execution_rate: Decimal | None,
    results: Sequence,
    funds,
    policy: scoring.Policy,
    stated_rate: Decimal | None = None,
    stated_total: Decimal | None = None,
    total: Decimal | None = None,
) -> list[Flag]:
    """Every flag of one evaluation, in a fixed order. ``funds`` is a ``services.Funds``
    (full, executed, parts, expense_executed)."""
    flags = funds_flags(funds.full, funds.executed, funds.parts, funds.expense_executed)
    flags += weight_flags(results, policy)
    flags += execution_flags(execution_rate, results, policy)
    for result in results:
        flags += line_flags(result, policy)
    flags += stated_flags(
        stated_rate=stated_rate,
        execution_rate=execution_rate,
        stated_total=stated_total,
        total=total,
        policy=policy,
    )
    return flags


def by_line(flags: Iterable[dict]) -> dict[int, list[str]]:
    """Stored flags (dicts) grouped by result line: {result id: [message]}."""
    grouped: dict[int, list[str]] = {}
    for flag in flags:
        if flag.get("line") is not None:
            grouped.setdefault(flag["line"], []).append(flag["message"])
    return grouped


def groups(flags: Iterable[dict] | None) -> list[tuple[str, list[str]]]:
    """Stored flags as (label, messages) per code, in the order of ``LABELS``."""
    grouped: dict[str, list[str]] = {}
    for flag in flags or ():
        grouped.setdefault(flag["code"], []).append(flag["message"])
    return [(label, grouped[code]) for code, label in LABELS.items() if code in grouped]
