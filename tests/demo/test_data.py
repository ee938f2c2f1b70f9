"""Checks of the demo data itself (demo/data.py): no database, no Django."""

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from demo import data as d

KINDS = {"行政", "事业", "参公", "其他"}
COMPARATORS = {"≥", ">", "=", "≤", "<", "定性"}
BASES = {"计划标准", "行业标准", "历史标准", "预算支出标准", "其他标准"}
LEVELS = {"achieved", "partial", "not_achieved"}
# DOMAIN qualitative bands as ratios of the weight: (low inclusive, high, high inclusive)
BANDS = {
    "achieved": (Decimal("0.8"), Decimal("1"), True),
    "partial": (Decimal("0.6"), Decimal("0.8"), False),
    "not_achieved": (Decimal("0"), Decimal("0.6"), False),
}
INDICATOR_KEYS = {
    "level1",
    "level2",
    "name",
    "comparator",
    "target",
    "unit",
    "weight",
    "basis",
    "explanation",
}
FUND_KEYS = {
    f"{stage}_{source}"
    for stage in ("initial", "full", "executed")
    for source in ("current", "carryover", "other")
}
BUDGET_MONEY_FIELDS = [
    *(
        f"income_{kind}_{stage}"
        for kind in ("public", "fund", "special", "other")
        for stage in ("initial", "full", "executed")
    ),
    "basic_personnel_budget",
    "basic_personnel_final",
    "basic_public_budget",
    "basic_public_final",
    "project_budget",
    "project_final",
    *(
        f"{item}_{column}"
        for item in (
            "abroad",
            "car_purchase",
            "car_running",
            "reception",
            "office",
            "utilities_travel",
            "meeting_training",
        )
        for column in ("prior_final", "budget", "final")
    ),
    "operating_budget",
    "operating_final",
    "procurement_budget",
    "procurement_actual",
    "carryover_balance",
]
BUDGET_KEYS = {"year", "department", "staff_quota", "staff_actual", *BUDGET_MONEY_FIELDS}
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def money(text: str) -> Decimal:
    assert isinstance(text, str), f"money must be a string, got {text!r}"
    assert re.fullmatch(r"\d+(\.\d{1,4})?", text), f"not a plain decimal ≤ 4 places: {text!r}"
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already rules it out
        pytest.fail(f"not a decimal: {text!r}")
    assert value >= 0
    return value


def total(entry: dict, fields: list[str]) -> Decimal:
    return sum((money(entry[f]) for f in fields if entry[f] is not None), Decimal("0"))


def forms():
    """Every indicator form: (label, indicators, result or None)."""
    results = {(r["year"], r["department"]): r for r in d.DEPARTMENT_RESULTS}
    for p in d.PROJECTS:
        yield f"{p['year']} {p['code']} {p['name']}", p["indicators"], p["result"]
    for t in d.DEPARTMENT_TARGETS:
        key = (t["year"], t["department"])
        yield f"{t['year']} 部门整体 {t['department']}", t["indicators"], results.get(key)


FORMS = list(forms())
FORM_IDS = [label for label, _, _ in FORMS]
DEPARTMENT_CODES = {dep["code"] for dep in d.DEPARTMENTS}


def walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from walk(item)


# --- departments and years -------------------------------------------------------------------


def test_departments_codes_unique_and_parents_first():
    seen: set[str] = set()
    for dep in d.DEPARTMENTS:
        assert set(dep) == {"code", "name", "kind", "parent"}
        assert re.fullmatch(r"\d+", dep["code"])
        assert dep["code"] not in seen, f"duplicate code {dep['code']}"
        assert dep["kind"] in KINDS
        assert dep["name"].strip()
        if dep["parent"] is not None:
            assert dep["parent"] in seen, f"{dep['name']}: parent missing or listed later"
            assert dep["code"].startswith(dep["parent"])
        seen.add(dep["code"])
    names = [dep["name"] for dep in d.DEPARTMENTS]
    assert len(names) == len(set(names))


def test_departments_from_the_documents():
    names = {dep["name"] for dep in d.DEPARTMENTS}
    assert {
        "咸宁市政务服务和大数据管理局",
        "咸宁市政府大数据中心",
        "咸宁市12345公共服务热线中心",
        "随州市政务服务和大数据管理局",
        "益阳市行政审批服务局",
        "益阳市政务大厅服务中心",
        "益阳市智慧城市和大数据中心",
    } <= names


def test_years_cover_every_entry():
    assert sorted(set(d.YEARS)) == d.YEARS
    for entry in [*d.PROJECTS, *d.DEPARTMENT_BUDGETS, *d.DEPARTMENT_TARGETS, *d.DEPARTMENT_RESULTS]:
        assert entry["year"] in d.YEARS
        assert entry["department"] in DEPARTMENT_CODES


def test_no_floats_anywhere():
    for data in (d.PROJECTS, d.DEPARTMENT_BUDGETS, d.DEPARTMENT_TARGETS, d.DEPARTMENT_RESULTS):
        assert not any(isinstance(value, float) for value in walk(data))


def test_module_is_plain_python():
    source = Path(d.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+django", source, re.M)


# --- projects --------------------------------------------------------------------------------


def test_project_keys_unique_and_counts():
    keys = [(p["year"], p["code"]) for p in d.PROJECTS]
    assert len(keys) == len(set(keys))
    assert sum(p["year"] == 2021 for p in d.PROJECTS) == 8
    assert sum(p["year"] == 2023 for p in d.PROJECTS) == 6
    for p in d.PROJECTS:
        assert p["code"].startswith(f"{p['year']}-{p['department']}-")
        assert p["name"].strip() and p["category"].strip() and p["overall_goal"].strip()


def test_project_funds_are_exact_and_not_overrun():
    for p in d.PROJECTS:
        funds = p["funds"]
        assert set(funds) == FUND_KEYS, p["name"]
        for source in ("current", "carryover", "other"):
            full = money(funds[f"full_{source}"])
            executed = money(funds[f"executed_{source}"])
            money(funds[f"initial_{source}"])
            assert executed <= full, f"{p['name']}: {source} executed over full-year budget"


def test_project_amounts_match_the_documents():
    amounts = {p["name"]: money(p["funds"]["initial_current"]) for p in d.PROJECTS}
    xianning = [p for p in d.PROJECTS if p["year"] == 2021]
    assert sum(amounts[p["name"]] for p in xianning) == Decimal("1286")
    assert amounts["政务一体化平台建设"] == Decimal("300")
    assert amounts["大楼运维费"] == Decimal("158")
    suizhou = [p for p in d.PROJECTS if p["year"] == 2023]
    assert sum(amounts[p["name"]] for p in suizhou) == Decimal("1124.6")
    assert amounts["政务大厅前台服务外包项目"] == Decimal("448.1")


def test_projects_run_by_the_plausible_unit():
    owner = {p["name"]: p["department"] for p in d.PROJECTS}
    assert owner["大数据中心平台建设"] == d.XIANNING_DATA_CENTRE
    assert owner["市政府大数据中心运行保障经费"] == d.XIANNING_DATA_CENTRE
    assert owner["市政府12345公共服务热线项目建设及运维费"] == d.XIANNING_HOTLINE
    assert owner["政务一体化平台建设"] == d.XIANNING


def test_only_evaluated_projects_have_execution():
    for p in d.PROJECTS:
        executed = sum(money(v) for k, v in p["funds"].items() if k.startswith("executed_"))
        assert (executed > 0) == (p["result"] is not None), p["name"]
    evaluated = [p for p in d.PROJECTS if p["result"] is not None]
    assert 2 <= len(evaluated) <= 3
    assert all(p["year"] == 2021 for p in evaluated)


# --- indicator forms -------------------------------------------------------------------------


def test_indicator_tree_and_level1_weights():
    assert set(d.LEVEL1_WEIGHTS) == set(d.INDICATOR_TREE)
    assert sum(money(w) for w in d.LEVEL1_WEIGHTS.values()) == Decimal("90")


@pytest.mark.parametrize(("label", "indicators", "result"), FORMS, ids=FORM_IDS)
def test_form_weights_sum_per_level1(label, indicators, result):
    sums = {level1: Decimal("0") for level1 in d.INDICATOR_TREE}
    for ind in indicators:
        sums[ind["level1"]] += money(ind["weight"])
    for level1, expected in d.LEVEL1_WEIGHTS.items():
        assert sums[level1] == Decimal(expected), f"{label}: {level1} = {sums[level1]}"
        assert any(ind["level1"] == level1 for ind in indicators), f"{label}: no {level1}"
    assert sum(sums.values()) == Decimal("90")


@pytest.mark.parametrize(("label", "indicators", "result"), FORMS, ids=FORM_IDS)
def test_form_indicators_are_well_formed(label, indicators, result):
    names = [ind["name"] for ind in indicators]
    assert len(names) == len(set(names)), f"{label}: duplicate indicator name"
    for ind in indicators:
        assert set(ind) == INDICATOR_KEYS
        assert ind["level2"] in d.INDICATOR_TREE[ind["level1"]]
        assert ind["comparator"] in COMPARATORS
        assert ind["basis"] in BASES
        assert ind["name"].strip() and len(ind["name"]) <= 200
        assert money(ind["weight"]) > 0
        assert isinstance(ind["explanation"], str)
        if ind["comparator"] == "定性":
            assert ind["target"].strip() and ind["unit"] == ""
        else:
            Decimal(ind["target"])  # raises if not a number
            assert re.fullmatch(r"-?\d+(\.\d+)?", ind["target"])
            assert ind["unit"].strip(), f"{label} / {ind['name']}: quantitative without unit"


def expected_quantitative(comparator: str, target: Decimal, actual: Decimal, weight: Decimal):
    """DOMAIN's scoring rules, for checking the demo's hand-entered scores."""
    if comparator in {"≥", ">", "="}:
        if comparator == "=" and target == 0:
            return weight if actual <= 0 else Decimal("0")
        return weight if actual >= target else weight * actual / target
    if actual <= target:
        return weight
    if actual >= 2 * target:
        return Decimal("0")
    return weight * (1 - (actual - target) / target)


@pytest.mark.parametrize(("label", "indicators", "result"), FORMS, ids=FORM_IDS)
def test_results_reference_indicators_and_respect_weights(label, indicators, result):
    if result is None:
        return
    assert set(result) >= {"actual_text", "problems", "measures", "indicators"}
    assert result["actual_text"].strip()
    by_name = {ind["name"]: ind for ind in indicators}
    named = [row["name"] for row in result["indicators"]]
    assert len(named) == len(set(named))
    assert set(named) == set(by_name), f"{label}: results must cover exactly the indicators"
    for row in result["indicators"]:
        assert set(row) == {"name", "actual", "level", "score", "reason"}
        ind = by_name[row["name"]]
        weight = money(ind["weight"])
        score = money(row["score"])
        assert score <= weight
        assert score == score.quantize(Decimal("0.01"))
        if score < weight:
            assert row["reason"].strip(), f"{label} / {row['name']}: deviation reason missing"
        if ind["comparator"] == "定性":
            assert row["level"] in LEVELS, f"{label} / {row['name']}: 定性 without level"
            low, high, inclusive = BANDS[row["level"]]
            assert low * weight <= score
            assert score <= high * weight if inclusive else score < high * weight
        else:
            assert row["level"] is None
            actual = Decimal(row["actual"])
            expected = expected_quantitative(
                ind["comparator"], Decimal(ind["target"]), actual, weight
            )
            assert score == expected.quantize(Decimal("0.01")), f"{label} / {row['name']}"


def test_some_demo_result_misses_a_target():
    rows = [row for p in d.PROJECTS if p["result"] for row in p["result"]["indicators"]]
    missed = [row for row in rows if row["reason"]]
    assert missed and all(
        "偏差原因" in row["reason"] and "改进措施" in row["reason"] for row in missed
    )


# --- department-level figures ----------------------------------------------------------------


def test_department_budget_fields():
    keys = [(b["year"], b["department"]) for b in d.DEPARTMENT_BUDGETS]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(2021, d.XIANNING), (2023, d.SUIZHOU), (2020, d.YIYANG)}
    for b in d.DEPARTMENT_BUDGETS:
        assert set(b) == BUDGET_KEYS
        for field in BUDGET_MONEY_FIELDS:
            if b[field] is not None:
                money(b[field])
        for field in ("staff_quota", "staff_actual"):
            assert b[field] is None or (isinstance(b[field], int) and b[field] >= 0)
        for kind in ("public", "fund", "special", "other"):
            full, executed = b[f"income_{kind}_full"], b[f"income_{kind}_executed"]
            if full is not None and executed is not None:
                assert money(executed) <= money(full)


def budget(year: int, department: str) -> dict:
    return next(
        b for b in d.DEPARTMENT_BUDGETS if (b["year"], b["department"]) == (year, department)
    )


def income(entry: dict, stage: str) -> Decimal:
    return total(
        entry, [f"income_{kind}_{stage}" for kind in ("public", "fund", "special", "other")]
    )


def test_yiyang_totals_match_attachment_2():
    b = budget(2020, d.YIYANG)
    assert income(b, "initial") == Decimal("902.54")
    assert income(b, "full") == Decimal("1302.99")
    assert income(b, "executed") == Decimal("1247.79")
    basic = money(b["basic_personnel_final"]) + money(b["basic_public_final"])
    assert basic == Decimal("1043.18")
    assert money(b["project_final"]) == Decimal("204.61")
    assert basic + money(b["project_final"]) == Decimal("1247.79")
    assert (b["staff_quota"], b["staff_actual"]) == (42, 37)
    sangong = ("abroad", "car_purchase", "car_running", "reception")
    for column, expected in (("prior_final", "7.69"), ("budget", "21.09"), ("final", "10.26")):
        assert total(b, [f"{item}_{column}" for item in sangong]) == Decimal(expected)


def test_budget_documents_totals():
    xianning = budget(2021, d.XIANNING)
    assert income(xianning, "initial") == Decimal("1793.34")
    assert money(xianning["operating_budget"]) == Decimal("53.88")
    sangong = ("abroad", "car_purchase", "car_running", "reception")
    assert total(xianning, [f"{item}_budget" for item in sangong]) == Decimal("5.2")
    assert total(xianning, [f"{item}_prior_final" for item in sangong]) == Decimal("5")
    suizhou = budget(2023, d.SUIZHOU)
    assert income(suizhou, "initial") == Decimal("1549.55")
    assert total(suizhou, [f"{item}_budget" for item in sangong]) == Decimal("1.35")
    assert total(suizhou, [f"{item}_prior_final" for item in sangong]) == Decimal("2.34")


def test_department_targets_and_results():
    keys = [(t["year"], t["department"]) for t in d.DEPARTMENT_TARGETS]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(2023, d.SUIZHOU), (2020, d.YIYANG), (2021, d.XIANNING)}
    for t in d.DEPARTMENT_TARGETS:
        assert t["overall_goal"].strip()
    for r in d.DEPARTMENT_RESULTS:
        assert (r["year"], r["department"]) in set(keys)
        assert r["problems"].strip() and r["measures"].strip()
    yiyang = next(t for t in d.DEPARTMENT_TARGETS if t["department"] == d.YIYANG)
    coverage = next(ind for ind in yiyang["indicators"] if ind["level2"] == "数量指标")
    assert (coverage["comparator"], coverage["target"], coverage["unit"]) == ("≥", "10", "万件")


# --- fidelity to the source documents --------------------------------------------------------


def bare(text: str) -> str:
    """Only the characters that carry meaning: punctuation and spacing differ by design."""
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]", "", text)


def verbatim_texts():
    projects = {p["name"]: p for p in d.PROJECTS}
    yiyang_target = next(t for t in d.DEPARTMENT_TARGETS if t["department"] == d.YIYANG)
    suizhou_target = next(t for t in d.DEPARTMENT_TARGETS if t["department"] == d.SUIZHOU)
    yiyang_result = d.DEPARTMENT_RESULTS[0]
    xianning = "000_3b37a6a7e7e988f9.txt"
    suizhou = "001_f7acdd525faa5d81.txt"
    yiyang = "003_f365b3f8e96fc52a.txt"
    for p in d.PROJECTS:
        yield (xianning if p["year"] == 2021 else suizhou), p["name"]
    for name in (
        "政务一体化平台建设",
        "大楼运维费",
        "大数据中心平台建设",
        "网络及系统运维费",
        "市政府12345公共服务热线项目建设及运维费",
        "咸宁市“一库共享、一证通办”智慧政务3.0改革项目",
        "咸宁市工程建设项目审批管理系统建设项目",
        "市政府大数据中心运行保障经费",
    ):
        yield xianning, projects[name]["overall_goal"]
    for name in ("12345市长热线", "便民邮寄政府集中付费", "运行维护管理经费"):
        yield suizhou, projects[name]["overall_goal"]
    yield suizhou, suizhou_target["overall_goal"]
    for ind in yiyang_target["indicators"]:
        yield yiyang, ind["name"]
    for part in yiyang_target["overall_goal"].split("。"):
        yield yiyang, part
    for part in yiyang_result["actual_text"].split("。"):
        yield yiyang, part
    yield yiyang, yiyang_result["problems"]
    for paragraph in yiyang_result["measures"].split("\n"):
        yield yiyang, paragraph


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents (../shared/seeds) are absent")
def test_texts_said_to_be_verbatim_are_in_the_documents():
    cache: dict[str, str] = {}
    for seed, text in verbatim_texts():
        if seed not in cache:
            cache[seed] = bare((SEEDS / seed).read_text(encoding="utf-8"))
        assert bare(text) in cache[seed], f"{seed}: not found: {text}"
