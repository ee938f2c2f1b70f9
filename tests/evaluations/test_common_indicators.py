"""Department-wide common indicators (部门整体 共性指标): formulas, 无数据, rounding, display.

No database: budgets are SimpleNamespace objects (or unsaved DepartmentBudget instances) with the
DepartmentBudget attribute names. The 三公经费 and staff figures are those of seed 003's 附件1; the
income totals are its 附件2 年度资金总额 (902.54 / 1302.99 / 1247.79).
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from budgets.models import DepartmentBudget
from evaluations.common_indicators import FIELDS, MISSING, CommonIndicator, common_indicators

D = Decimal

KEYS = [
    "staff_control",
    "three_public_change",
    "three_public_control",
    "budget_completion",
    "budget_adjustment",
    "payment_progress",
    "carryover_rate",
    "public_funds_control",
    "procurement_execution",
    "operating_control",
]

# Every input known. 三公经费 as in seed 003: 2019决算 7.69, 2020预算 21.09, 2020决算 10.26
# (公车购置 and 出国经费 are blank there and their columns add up without them, so they are 0).
FIGURES = {
    "staff_quota": 42,
    "staff_actual": 37,
    "abroad_prior_final": D("0"),
    "abroad_budget": D("0"),
    "abroad_final": D("0"),
    "car_purchase_prior_final": D("0"),
    "car_purchase_budget": D("0"),
    "car_purchase_final": D("0"),
    "car_running_prior_final": D("7.58"),
    "car_running_budget": D("14"),
    "car_running_final": D("9.96"),
    "reception_prior_final": D("0.11"),
    "reception_budget": D("7.09"),
    "reception_final": D("0.3"),
    # income totals: 年初 902.54, 全年 1302.99, 执行 1247.79
    "income_public_initial": D("900.54"),
    "income_fund_initial": D("2"),
    "income_special_initial": D("0"),
    "income_other_initial": D("0"),
    "income_public_full": D("1300.99"),
    "income_fund_full": D("1"),
    "income_special_full": D("0.5"),
    "income_other_full": D("0.5"),
    "income_public_executed": D("1246.29"),
    "income_fund_executed": D("1"),
    "income_special_executed": D("0.5"),
    "income_other_executed": D("0"),
    # 支出: budget 800 + 95.2 + 204.8 = 1100, final 760 + 74.17 + 165.83 = 1000
    "basic_personnel_budget": D("800"),
    "basic_personnel_final": D("760"),
    "basic_public_budget": D("95.2"),
    "basic_public_final": D("74.17"),
    "project_budget": D("204.8"),
    "project_final": D("165.83"),
    # 公用经费 of the 基础数据表 (seed 003): 2019决算 23.77 + 72.27 + 39.85; 2020预算
    # 12 + 70.2 + 13 = 95.2; 2020决算 15.41 + 58.26 + 0.5 = 74.17
    "office_prior_final": D("23.77"),
    "office_budget": D("12"),
    "office_final": D("15.41"),
    "utilities_travel_prior_final": D("72.27"),
    "utilities_travel_budget": D("70.2"),
    "utilities_travel_final": D("58.26"),
    "meeting_training_prior_final": D("39.85"),
    "meeting_training_budget": D("13"),
    "meeting_training_final": D("0.5"),
    "carryover_balance": D("55.2"),
    "procurement_budget": D("50"),
    "procurement_actual": D("45.6"),
    "operating_budget": D("100"),
    "operating_final": D("88.888"),
}

EXPECTED = {
    "staff_control": D("0.8810"),  # 37 / 42 = 0.88095…
    "three_public_change": D("0.3342"),  # (10.26 − 7.69) / 7.69 = 2.57 / 7.69 = 0.33420…
    "three_public_control": D("0.4865"),  # 10.26 / 21.09 = 0.48648…
    "budget_completion": D("0.9576"),  # 1247.79 / 1302.99 = 0.95763…
    "budget_adjustment": D("0.4437"),  # (1302.99 − 902.54) / 902.54 = 0.44369…
    "payment_progress": D("0.9091"),  # 1000 / 1100 = 0.90909…
    "carryover_rate": D("0.0424"),  # 55.2 / 1302.99 = 0.04236…
    "public_funds_control": D("0.7791"),  # 74.17 / 95.2 = 0.77909…
    "procurement_execution": D("0.9120"),  # 45.6 / 50
    "operating_control": D("0.8889"),  # 88.888 / 100 = 0.88888 → half up
}

DISPLAY = {
    "staff_control": "88.10%",
    "three_public_change": "33.42%",
    "three_public_control": "48.65%",
    "budget_completion": "95.76%",
    "budget_adjustment": "44.37%",
    "payment_progress": "90.91%",
    "carryover_rate": "4.24%",
    "public_funds_control": "77.91%",
    "procurement_execution": "91.20%",
    "operating_control": "88.89%",
}


def budget(**overrides) -> SimpleNamespace:
    return SimpleNamespace(**{**FIGURES, **overrides})


def by_key(obj, **kwargs) -> dict[str, CommonIndicator]:
    return {i.key: i for i in common_indicators(obj, **kwargs)}


# ---------------------------------------------------------------------------------------------
# Order, keys, fields
# ---------------------------------------------------------------------------------------------


def test_order_is_stable_and_keys_unique():
    first = [i.key for i in common_indicators(budget())]
    assert first == KEYS
    assert len(set(first)) == len(first)
    assert [i.key for i in common_indicators(None)] == KEYS
    assert [i.key for i in common_indicators(SimpleNamespace())] == KEYS
    names = [i.name for i in common_indicators(budget())]
    assert len(set(names)) == len(names)
    assert names[0] == "在职人员控制率"


def test_fields_exist_on_department_budget():
    for name in FIELDS:
        DepartmentBudget._meta.get_field(name)
    # and the 无此项收入 marks (issue 14), which FIGURES leaves unset: every nature has income
    marks = {f"income_{n}_absent" for n in ("public", "fund", "special", "other")}
    assert set(FIELDS) == set(FIGURES) | marks


def test_every_indicator_has_a_formula():
    for indicator in common_indicators(budget()):
        assert indicator.formula
        assert "÷" in indicator.formula
        assert len(indicator.inputs) == 2


# ---------------------------------------------------------------------------------------------
# Formulas with every input known
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_formula(key):
    indicator = by_key(budget())[key]
    assert indicator.value == EXPECTED[key]
    assert str(indicator.value) == str(EXPECTED[key])  # exactly 4 places
    assert indicator.missing == ()
    assert indicator.display == DISPLAY[key]


@pytest.mark.parametrize(
    ("key", "inputs"),
    [
        ("staff_control", (("实有在职人数", 37), ("编制数", 42))),
        (
            "three_public_change",
            (("本年三公经费决算数", D("10.26")), ("上年三公经费决算数", D("7.69"))),
        ),
        (
            "three_public_control",
            (("本年三公经费决算数", D("10.26")), ("本年三公经费预算数", D("21.09"))),
        ),
        ("budget_completion", (("全年执行数", D("1247.79")), ("全年预算数", D("1302.99")))),
        ("budget_adjustment", (("全年预算数", D("1302.99")), ("年初预算数", D("902.54")))),
        ("payment_progress", (("支出决算数", D("1000")), ("支出预算数", D("1100")))),
        ("carryover_rate", (("结转结余", D("55.2")), ("全年预算数", D("1302.99")))),
        (
            "public_funds_control",
            (("公用经费本年决算数", D("74.17")), ("公用经费本年预算数", D("95.2"))),
        ),
        (
            "procurement_execution",
            (("政府采购·实际采购数", D("45.6")), ("政府采购·预算数", D("50"))),
        ),
        (
            "operating_control",
            (("机关运行经费·决算数", D("88.888")), ("机关运行经费·预算数", D("100"))),
        ),
    ],
)
def test_inputs_are_shown(key, inputs):
    assert by_key(budget())[key].inputs == inputs


def test_seed_003_staff_and_three_public():
    seed = by_key(budget())
    assert seed["staff_control"].value == D("0.8810")
    assert seed["staff_control"].display == "88.10%"
    assert seed["three_public_change"].value == D("0.3342")
    assert seed["three_public_control"].value == D("0.4865")


def test_unsaved_department_budget_instance():
    indicators = by_key(DepartmentBudget(**FIGURES))
    assert {key: i.value for key, i in indicators.items()} == EXPECTED
    empty = common_indicators(DepartmentBudget())
    assert all(i.value is None and i.display == MISSING for i in empty)


def test_mapping_with_string_money_as_in_basic_data_figures():
    figures = {k: v if isinstance(v, int) else str(v) for k, v in FIGURES.items()}
    indicators = by_key(figures)
    assert {key: i.value for key, i in indicators.items()} == EXPECTED


def test_negative_change_is_kept():
    cheaper = by_key(budget(car_running_final=D("7.38"), reception_final=D("0")))
    # (7.38 − 7.69) / 7.69 = −0.04031…
    assert cheaper["three_public_change"].value == D("-0.0403")
    assert cheaper["three_public_change"].display == "-4.03%"
    shrunk = by_key(budget(income_public_full=D("800.54"), income_fund_full=D("0")))
    # full 801.54, initial 902.54: −101 / 902.54 = −0.11190…
    assert shrunk["budget_adjustment"].value == D("-0.1119")


def test_over_one_hundred_percent_is_kept():
    over = by_key(budget(staff_actual=45, procurement_actual=D("60")))
    assert over["staff_control"].value == D("1.0714")  # 45 / 42 = 1.07142…
    assert over["procurement_execution"].display == "120.00%"


# ---------------------------------------------------------------------------------------------
# Rounding and display
# ---------------------------------------------------------------------------------------------


def test_round_half_up():
    # 1.00005 exactly: HALF_UP gives 1.0001 (banker's rounding would give 1.0000)
    tie = by_key(budget(procurement_actual=D("50.0025"), procurement_budget=D("50")))
    assert tie["procurement_execution"].value == D("1.0001")
    # 1 / 8 = 0.125 at 2 places → 0.13
    eighth = by_key(budget(staff_actual=1, staff_quota=8), places=2)
    assert eighth["staff_control"].value == D("0.13")
    assert eighth["staff_control"].display == "13%"


@pytest.mark.parametrize(
    ("places", "value", "display"),
    [
        (0, D("1"), "100%"),
        (2, D("0.88"), "88%"),
        (3, D("0.881"), "88.1%"),
        (4, D("0.8810"), "88.10%"),
        (6, D("0.880952"), "88.0952%"),
    ],
)
def test_places(places, value, display):
    staff = by_key(budget(), places=places)["staff_control"]
    assert staff.value == value
    assert str(staff.value) == str(value)
    assert staff.display == display


def test_negative_places_refused():
    with pytest.raises(ValueError):
        common_indicators(budget(), places=-1)


@pytest.mark.parametrize(
    ("value", "display"),
    [
        (D("0.8810"), "88.10%"),
        (D("0.0000"), "0.00%"),
        (D("1.0000"), "100.00%"),
        (D("-0.0403"), "-4.03%"),
        (D("12.3456"), "1234.56%"),
        (None, "无数据"),
    ],
)
def test_display(value, display):
    indicator = CommonIndicator(
        "k", "名称", "a ÷ b", value, (), () if value is not None else ("a",)
    )
    assert indicator.display == display


# ---------------------------------------------------------------------------------------------
# 无数据: missing inputs, partial sums, zero denominators
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "key", "missing"),
    [
        ("staff_quota", "staff_control", ("编制数",)),
        ("staff_actual", "staff_control", ("实有在职人数",)),
        ("carryover_balance", "carryover_rate", ("结转结余",)),
        ("office_final", "public_funds_control", ("办公经费·本年决算数",)),
        ("meeting_training_budget", "public_funds_control", ("会议费、培训费·本年预算数",)),
        ("procurement_actual", "procurement_execution", ("政府采购·实际采购数",)),
        ("procurement_budget", "procurement_execution", ("政府采购·预算数",)),
        ("operating_final", "operating_control", ("机关运行经费·决算数",)),
        ("operating_budget", "operating_control", ("机关运行经费·预算数",)),
        ("abroad_prior_final", "three_public_change", ("因公出国(境)费·上年决算数",)),
        ("reception_final", "three_public_control", ("公务接待费·本年决算数",)),
        ("car_purchase_budget", "three_public_control", ("公务用车购置费·本年预算数",)),
        ("income_fund_executed", "budget_completion", ("政府性基金·全年执行数",)),
        ("income_other_initial", "budget_adjustment", ("其他资金·年初预算数",)),
        ("project_final", "payment_progress", ("项目支出·决算数",)),
        ("basic_personnel_budget", "payment_progress", ("基本支出·人员经费·预算数",)),
    ],
)
def test_missing_input(field, key, missing):
    indicators = by_key(budget(**{field: None}))
    indicator = indicators[key]
    assert indicator.value is None
    assert indicator.display == "无数据"
    assert indicator.missing == missing
    # only the indicators reading that field are affected
    for other in indicators.values():
        assert (other.value is None) == (missing[0] in other.missing)


def test_missing_input_is_shown_as_none_among_inputs():
    staff = by_key(budget(staff_quota=None))["staff_control"]
    assert staff.inputs == (("实有在职人数", 37), ("编制数", None))


def test_partial_none_in_a_sum_is_not_taken_as_zero():
    # seed 003 leaves 出国经费 and 公车购置 blank: as None, the 三公 sums are 无数据, not 10.26
    blank = {f"{p}_{s}": None for p in ("abroad", "car_purchase") for s in ("prior_final", "final")}
    indicators = by_key(budget(**blank))
    change = indicators["three_public_change"]
    assert change.value is None
    assert change.display == MISSING
    assert change.inputs == (("本年三公经费决算数", None), ("上年三公经费决算数", None))
    assert change.missing == (
        "因公出国(境)费·本年决算数",
        "公务用车购置费·本年决算数",
        "因公出国(境)费·上年决算数",
        "公务用车购置费·上年决算数",
    )
    control = indicators["three_public_control"]
    assert control.value is None
    assert control.inputs == (("本年三公经费决算数", None), ("本年三公经费预算数", D("21.09")))
    assert control.missing == ("因公出国(境)费·本年决算数", "公务用车购置费·本年决算数")
    # the other indicators are untouched
    assert indicators["staff_control"].value == D("0.8810")


def test_income_sum_partial_none_affects_every_reader():
    indicators = by_key(budget(income_special_full=None))
    for key in ("budget_completion", "budget_adjustment", "carryover_rate"):
        assert indicators[key].value is None
        assert indicators[key].missing == ("纳入专户管理的非税收入·全年预算数",)
    assert indicators["payment_progress"].value == D("0.9091")


def test_zero_parts_are_known():
    zero = {f"{p}_{s}": D("0") for p in ("abroad", "car_purchase") for s in ("budget", "final")}
    assert by_key(budget(**zero))["three_public_control"].value == D("0.4865")


def test_nothing_known():
    for indicator in common_indicators(SimpleNamespace()):
        assert indicator.value is None
        assert indicator.display == "无数据"
        assert indicator.missing
        assert all(value is None for _, value in indicator.inputs)
    assert [i.missing for i in common_indicators(None)] == [
        i.missing for i in common_indicators({})
    ]


@pytest.mark.parametrize(
    ("overrides", "key", "missing"),
    [
        ({"staff_quota": 0}, "staff_control", ("编制数为0",)),
        (
            {f"{p}_prior_final": D("0") for p in ("car_running", "reception")},
            "three_public_change",
            ("上年三公经费决算数为0",),
        ),
        (
            {f"{p}_budget": D("0") for p in ("car_running", "reception")},
            "three_public_control",
            ("本年三公经费预算数为0",),
        ),
        (
            {f"income_{n}_full": D("0") for n in ("public", "fund", "special", "other")},
            "budget_completion",
            ("全年预算数为0",),
        ),
        (
            {f"income_{n}_full": D("0") for n in ("public", "fund", "special", "other")},
            "carryover_rate",
            ("全年预算数为0",),
        ),
        (
            {f"income_{n}_initial": D("0") for n in ("public", "fund", "special", "other")},
            "budget_adjustment",
            ("年初预算数为0",),
        ),
        (
            {f"{p}_budget": D("0") for p in ("basic_personnel", "basic_public", "project")},
            "payment_progress",
            ("支出预算数为0",),
        ),
        (
            {
                f"{p}_budget": D("0.0000")
                for p in ("office", "utilities_travel", "meeting_training")
            },
            "public_funds_control",
            ("公用经费本年预算数为0",),
        ),
        ({"procurement_budget": D("0")}, "procurement_execution", ("政府采购·预算数为0",)),
        ({"operating_budget": D("0")}, "operating_control", ("机关运行经费·预算数为0",)),
        ({"operating_budget": D("-1")}, "operating_control", ("机关运行经费·预算数为负数",)),
    ],
)
def test_zero_denominator(overrides, key, missing):
    indicator = by_key(budget(**overrides))[key]
    assert indicator.value is None
    assert indicator.display == "无数据"
    assert indicator.missing == missing


def test_missing_input_wins_over_zero_denominator():
    indicator = by_key(budget(staff_quota=0, staff_actual=None))["staff_control"]
    assert indicator.missing == ("实有在职人数",)


def test_zero_numerator_is_a_value():
    indicator = by_key(budget(procurement_actual=D("0")))["procurement_execution"]
    assert indicator.value == D("0.0000")
    assert indicator.display == "0.00%"


def test_float_refused():
    with pytest.raises(TypeError):
        common_indicators(budget(procurement_actual=45.6))


# How the form and the 基础数据表 explain a value: inputs, or why it is 无数据


def test_basis_and_explanation_name_inputs_or_what_is_missing():
    empty = {name: None for name in FIELDS}
    computed = by_key(
        budget(
            **{**empty, "staff_actual": 37, "staff_quota": 42, "procurement_budget": D("864.259")}
        )
    )
    staff = computed["staff_control"]
    assert staff.inputs_display == "实有在职人数 37人；编制数 42人"
    assert staff.basis == staff.inputs_display
    assert staff.explanation == "实有在职人数 ÷ 编制数\n实有在职人数 37人；编制数 42人"
    procurement = computed["procurement_execution"]
    assert procurement.inputs_display == "政府采购·实际采购数 无数据；政府采购·预算数 864.26万元"
    assert procurement.basis == "无数据：未填政府采购·实际采购数"
    zero = by_key(budget(**{**empty, "staff_actual": 5, "staff_quota": 0}))["staff_control"]
    assert zero.basis == "无数据：编制数为0"
    both = by_key(budget(**empty))["carryover_rate"]
    assert both.basis.startswith("无数据：未填结转结余、一般公共预算·全年预算数、")
