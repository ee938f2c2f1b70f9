"""Department-wide common indicators (部门整体 共性指标), computed from budget figures, never typed.

Pure functions over plain values, in the style of ``scoring``: Decimal in, Decimal out, no ORM,
no float. ``common_indicators(budget)`` reads the attributes of a ``DepartmentBudget`` (any
object with those attribute names works, as does a mapping such as the ``figures`` dict of
``tables.basic_data.budget_figures`` or ``None`` for "no budget row") and returns one
``CommonIndicator`` per indicator, in a fixed order.

The formulas (documented with examples in docs/common-indicators.md):

* 在职人员控制率 ``staff_control`` = 实有在职人数 ÷ 编制数
  (staff_actual / staff_quota).
* 三公经费变动率 ``three_public_change`` = (本年三公经费决算数 − 上年三公经费决算数)
  ÷ 上年三公经费决算数; 三公经费 = 因公出国(境)费 + 公务用车购置费 + 公务用车运行维护费
  + 公务接待费 (abroad_*, car_purchase_*, car_running_*, reception_*; *_final vs *_prior_final).
  Negative when spending fell.
* 三公经费控制率 ``three_public_control`` = 本年三公经费决算数 ÷ 本年三公经费预算数
  (the same four parts, *_final vs *_budget).
* 预算完成率 ``budget_completion`` = 全年执行数 ÷ 全年预算数, each the total over the four
  income natures (income_{public,fund,special,other}_executed / _full); a nature marked
  无此项收入 (income_*_absent) counts as 0, not as missing.
* 预算调整率 ``budget_adjustment`` = (全年预算数 − 年初预算数) ÷ 年初预算数
  (income_*_full vs income_*_initial, totals over the four natures).
* 支付进度率 ``payment_progress`` = 支出决算数 ÷ 支出预算数, where 支出 = 基本支出·人员经费
  + 基本支出·公用经费 + 项目支出 (basic_personnel_*, basic_public_*, project_*; *_final over
  *_budget). The real reports' 实际支付进度 is 实际支出 ÷ 预算; the 决算数 is our 实际支出.
* 结转结余率 ``carryover_rate`` = 结转结余 ÷ 全年预算数 (carryover_balance over the income
  full-year total).
* 公用经费控制率 ``public_funds_control`` = 公用经费决算数 ÷ 公用经费预算数, 公用经费 as the
  基础数据表 defines it (基本支出中的一般商品和服务支出): the sum of its three items 办公经费,
  水费电费差旅费, 会议费培训费 (office_*, utilities_travel_*, meeting_training_*), the figure
  the table prints in its 公用经费 row (``public_funds``). Not 基本支出·公用经费, which is wider
  (seed 003: 444.27 against 74.17).
* 政府采购执行率 ``procurement_execution`` = 实际采购数 ÷ 政府采购预算数
  (procurement_actual / procurement_budget).
* 机关运行经费控制率 ``operating_control`` = 机关运行经费决算数 ÷ 机关运行经费预算数
  (operating_final / operating_budget).

Rules shared by all of them:

* A ratio is rounded to ``places`` decimals (default 4, i.e. 2 decimals as a percentage) with
  ROUND_HALF_UP, from the exact quotient.
* None means 无数据. A missing input makes the indicator 无数据 (value None) and is listed in
  ``missing`` under its DepartmentBudget verbose name (the label of the form field to fill in);
  it is never taken as 0.
* A sum (三公经费, the income totals, 支出) is computed only when every part is known. If any
  part is None the sum is None, and ``missing`` names each missing part (e.g.
  "因公出国(境)费·本年决算数"). A part that is truly zero must be entered as 0.
* A denominator of 0 makes the indicator 无数据 with ``missing`` saying e.g. "编制数为0"; a
  negative denominator likewise ("…为负数"): such a ratio has no meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MISSING = "无数据"

Number = Decimal | int

_ZERO = Decimal("0")


@dataclass(frozen=True)
class CommonIndicator:
    """One computed common indicator, with what it was computed from."""

    key: str
    name: str
    formula: str
    value: Decimal | None  # a ratio (0.8810 is 88.10%); None is 无数据
    inputs: tuple[tuple[str, Number | None], ...]  # (label, value) shown beside it
    missing: tuple[str, ...] = ()  # why it is 无数据: missing inputs or "…为0"; () when computed

    @property
    def display(self) -> str:
        """The ratio as a percentage with ``places - 2`` decimals ("88.10%"), or "无数据"."""
        if self.value is None:
            return MISSING
        return f"{self.value.scaleb(2):f}%"

    @property
    def inputs_display(self) -> str:
        """The inputs as shown beside the value: "实有在职人数 37人；编制数 42人" (money in 万元
        with 2 decimals); a missing input shows 无数据."""
        return "；".join(f"{label} {_show(value)}" for label, value in self.inputs)

    @property
    def basis(self) -> str:
        """What the value was computed from, or why it is 无数据 (the details row)."""
        if self.value is not None:
            return self.inputs_display
        invalid = [m for m in self.missing if m.endswith(("为0", "为负数"))]
        blank = [m for m in self.missing if m not in invalid]
        reasons = ([f"未填{'、'.join(blank)}"] if blank else []) + invalid
        return f"{MISSING}：{'；'.join(reasons)}"

    @property
    def explanation(self) -> str:
        """Formula and basis on two lines (a hover text, a table cell)."""
        return f"{self.formula}\n{self.basis}"


def _show(value: Number | None) -> str:
    if value is None:
        return MISSING
    if isinstance(value, int):
        return f"{value}人"
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}万元"


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------

# 三公经费 parts: field prefix → label (the DepartmentBudget verbose names)
THREE_PUBLIC_PARTS: tuple[tuple[str, str], ...] = (
    ("abroad", "因公出国(境)费"),
    ("car_purchase", "公务用车购置费"),
    ("car_running", "公务用车运行维护费"),
    ("reception", "公务接待费"),
)
THREE_PUBLIC_STAGES: dict[str, str] = {
    "prior_final": "上年决算数",
    "budget": "本年预算数",
    "final": "本年决算数",
}
THREE_PUBLIC_TOTALS: dict[str, str] = {
    "prior_final": "上年三公经费决算数",
    "budget": "本年三公经费预算数",
    "final": "本年三公经费决算数",
}
INCOME_NATURES: tuple[tuple[str, str], ...] = (
    ("public", "一般公共预算"),
    ("fund", "政府性基金"),
    ("special", "纳入专户管理的非税收入"),
    ("other", "其他资金"),
)
INCOME_STAGES: dict[str, str] = {
    "initial": "年初预算数",
    "full": "全年预算数",
    "executed": "全年执行数",
}
# 支出 by nature: field prefix → label; each has *_budget and *_final
EXPENDITURE_PARTS: tuple[tuple[str, str], ...] = (
    ("basic_personnel", "基本支出·人员经费"),
    ("basic_public", "基本支出·公用经费"),
    ("project", "项目支出"),
)
EXPENDITURE_STAGES: dict[str, str] = {"budget": "预算数", "final": "决算数"}


@dataclass(frozen=True)
class _Term:
    """An input: a field or a sum of fields, with the labels of its missing parts."""

    label: str
    value: Number | None
    missing: tuple[str, ...]


def _reader(budget) -> Callable[[str], object]:
    if budget is None:
        return lambda name: None
    if isinstance(budget, Mapping):
        return budget.get
    return lambda name: getattr(budget, name, None)


def _number(raw) -> Number | None:
    """A figure as Decimal (int stays int: head counts); strings are read exactly."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise TypeError(f"不是数值：{raw!r}")
    if isinstance(raw, int | Decimal):
        return raw
    if isinstance(raw, float):
        raise TypeError("金额不能是浮点数，请使用 Decimal")
    return Decimal(str(raw).strip())


def _field(read, name: str, label: str) -> _Term:
    value = _number(read(name))
    return _Term(label, value, () if value is not None else (label,))


def _sum(read, label: str, parts: Sequence[tuple[str, str]]) -> _Term:
    """The sum of (field name, part label) parts; None unless every part is known."""
    values = [(_number(read(name)), part_label) for name, part_label in parts]
    missing = tuple(part_label for value, part_label in values if value is None)
    if missing:
        return _Term(label, None, missing)
    return _Term(label, sum((Decimal(value) for value, _ in values), _ZERO), ())


def _three_public(read, stage: str) -> _Term:
    stage_label = THREE_PUBLIC_STAGES[stage]
    label = THREE_PUBLIC_TOTALS[stage]
    parts = [(f"{prefix}_{stage}", f"{name}·{stage_label}") for prefix, name in THREE_PUBLIC_PARTS]
    return _sum(read, label, parts)


def _income(read, stage: str) -> _Term:
    """The income total of a stage; a nature marked 无此项收入 (``income_*_absent``) counts as
    0, not as missing (budgets.models.DepartmentBudget.income_total: the same rule)."""
    stage_label = INCOME_STAGES[stage]
    parts = [
        (f"income_{nature}_{stage}", f"{name}·{stage_label}")
        for nature, name in INCOME_NATURES
        if not read(f"income_{nature}_absent")
    ]
    return _sum(read, stage_label, parts)


def _expenditure(read, stage: str) -> _Term:
    stage_label = EXPENDITURE_STAGES[stage]
    parts = [(f"{prefix}_{stage}", f"{name}·{stage_label}") for prefix, name in EXPENDITURE_PARTS]
    return _sum(read, f"支出{stage_label}", parts)


# 公用经费 of the 基础数据表: its three listed items, field prefix → label
PUBLIC_FUNDS_PARTS: tuple[tuple[str, str], ...] = (
    ("office", "办公经费"),
    ("utilities_travel", "水费、电费、差旅费"),
    ("meeting_training", "会议费、培训费"),
)
PUBLIC_FUNDS_STAGES: dict[str, str] = {
    "prior_final": "上年决算数",
    "budget": "本年预算数",
    "final": "本年决算数",
}


def _public_funds(read, stage: str) -> _Term:
    """公用经费 of a stage as the 基础数据表 defines it (基本支出中的一般商品和服务支出): the sum of
    its three items, all of them known. Not 基本支出·公用经费, a wider figure (seed 003: 444.27
    against 74.17)."""
    label = f"公用经费{PUBLIC_FUNDS_STAGES[stage]}"
    parts = [
        (f"{prefix}_{stage}", f"{name}·{PUBLIC_FUNDS_STAGES[stage]}")
        for prefix, name in PUBLIC_FUNDS_PARTS
    ]
    return _sum(read, label, parts)


def public_funds(budget, stage: str) -> Decimal | None:
    """公用经费 of a stage as the 基础数据表 prints it and 公用经费控制率 uses it (one rule)."""
    value = _public_funds(_reader(budget), stage).value
    return None if value is None else Decimal(value)


# ---------------------------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------------------------


def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _indicator(
    key: str,
    name: str,
    formula: str,
    numerator: _Term,
    denominator: _Term,
    places: int,
    *,
    change: bool = False,
) -> CommonIndicator:
    """numerator ÷ denominator, or with ``change`` (numerator − denominator) ÷ denominator."""
    inputs = ((numerator.label, numerator.value), (denominator.label, denominator.value))
    missing = numerator.missing + denominator.missing
    if not missing:
        if denominator.value == 0:
            missing = (f"{denominator.label}为0",)
        elif denominator.value < 0:
            missing = (f"{denominator.label}为负数",)
    if missing:
        return CommonIndicator(key, name, formula, None, inputs, missing)
    top = Decimal(numerator.value)
    bottom = Decimal(denominator.value)
    if change:
        top -= bottom
    return CommonIndicator(key, name, formula, _quantize(top / bottom, places), inputs, ())


def common_indicators(budget, *, places: int = 4) -> list[CommonIndicator]:
    """The department-wide common indicators of one budget, in a fixed order (see the module
    docstring for the formulas). ``places``: decimals of the ratio (4 → "88.10%")."""
    if places < 0:
        raise ValueError("小数位数不能为负数")
    read = _reader(budget)
    three_prior = _three_public(read, "prior_final")
    three_budget = _three_public(read, "budget")
    three_final = _three_public(read, "final")
    income_initial = _income(read, "initial")
    income_full = _income(read, "full")
    income_executed = _income(read, "executed")
    return [
        _indicator(
            "staff_control",
            "在职人员控制率",
            "实有在职人数 ÷ 编制数",
            _field(read, "staff_actual", "实有在职人数"),
            _field(read, "staff_quota", "编制数"),
            places,
        ),
        _indicator(
            "three_public_change",
            "三公经费变动率",
            "（本年决算数 − 上年决算数）÷ 上年决算数",
            three_final,
            three_prior,
            places,
            change=True,
        ),
        _indicator(
            "three_public_control",
            "三公经费控制率",
            "本年三公经费决算数 ÷ 本年三公经费预算数",
            three_final,
            three_budget,
            places,
        ),
        _indicator(
            "budget_completion",
            "预算完成率",
            "全年执行数 ÷ 全年预算数",
            income_executed,
            income_full,
            places,
        ),
        _indicator(
            "budget_adjustment",
            "预算调整率",
            "（全年预算数 − 年初预算数）÷ 年初预算数",
            income_full,
            income_initial,
            places,
            change=True,
        ),
        _indicator(
            "payment_progress",
            "支付进度率",
            "支出决算数 ÷ 支出预算数（基本支出 + 项目支出）",
            _expenditure(read, "final"),
            _expenditure(read, "budget"),
            places,
        ),
        _indicator(
            "carryover_rate",
            "结转结余率",
            "结转结余 ÷ 全年预算数",
            _field(read, "carryover_balance", "结转结余"),
            income_full,
            places,
        ),
        _indicator(
            "public_funds_control",
            "公用经费控制率",
            "公用经费决算数 ÷ 公用经费预算数",
            _public_funds(read, "final"),
            _public_funds(read, "budget"),
            places,
        ),
        _indicator(
            "procurement_execution",
            "政府采购执行率",
            "政府采购实际采购数 ÷ 政府采购预算数",
            _field(read, "procurement_actual", "政府采购·实际采购数"),
            _field(read, "procurement_budget", "政府采购·预算数"),
            places,
        ),
        _indicator(
            "operating_control",
            "机关运行经费控制率",
            "机关运行经费决算数 ÷ 机关运行经费预算数",
            _field(read, "operating_final", "机关运行经费·决算数"),
            _field(read, "operating_budget", "机关运行经费·预算数"),
            places,
        ),
    ]


# DepartmentBudget fields the indicators read (for gathering with .values()/.only())
FIELDS: tuple[str, ...] = (
    ("staff_quota", "staff_actual")
    + tuple(f"{p}_{s}" for p, _ in THREE_PUBLIC_PARTS for s in THREE_PUBLIC_STAGES)
    + tuple(f"income_{n}_{s}" for n, _ in INCOME_NATURES for s in INCOME_STAGES)
    + tuple(f"income_{n}_absent" for n, _ in INCOME_NATURES)
    + tuple(f"{p}_{s}" for p, _ in EXPENDITURE_PARTS for s in EXPENDITURE_STAGES)
    + ("carryover_balance", "procurement_budget", "procurement_actual")
    + ("operating_budget", "operating_final")
    + tuple(f"{p}_{s}" for p, _ in PUBLIC_FUNDS_PARTS for s in PUBLIC_FUNDS_STAGES)
)
