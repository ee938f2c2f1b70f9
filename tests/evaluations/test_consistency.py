"""Consistency flags (evaluations.consistency): each flag on unsaved objects (pure), then stored
with the totals on save and on a year's recompute, and shown on the form and in the queue."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import Membership
from evaluations import consistency, scoring, services
from evaluations.consistency import FundPart
from evaluations.models import Indicator, IndicatorResult, SelfEvaluation
from evaluations.services import Funds
from tests.factories import GOOD, DepartmentBudgetFactory, member, save

pytestmark = pytest.mark.django_db
D = Decimal
Role = Membership.Role
POLICY = scoring.DEFAULT_POLICY
STAGES = ("initial", "full", "executed")


def line(pk=1, comparator="≥", target="45", weight="30", actual="", level="", score=None, **kw):
    indicator = Indicator(
        name=kw.get("name", "话务平台接听量"),
        comparator=comparator,
        target_value=target,
        adjusted_target_value=kw.get("adjusted", ""),
        unit=kw.get("unit", "万件"),
        weight=D(weight),
    )
    return IndicatorResult(
        id=pk,
        indicator=indicator,
        actual_value=actual,
        level=level,
        score=None if score is None else D(score),
    )


def codes(flags) -> list[str]:
    return [f.code for f in flags]


# ---------------------------------------------------------------------------------------------
# 执行数 above 全年预算数; the two splits of 全年执行数 disagree
# ---------------------------------------------------------------------------------------------


def test_total_executed_above_full_year_budget():
    (flag,) = consistency.funds_flags(D("100"), D("100.01"))
    assert flag.code == "over_budget" and flag.line is None
    assert flag.message == "全年执行数（100.01万元）超过全年预算数（100.00万元）"
    assert consistency.funds_flags(D("100"), D("100")) == []  # equal is fine
    assert consistency.funds_flags(D("100"), D("99.99")) == []


def test_missing_funds_raise_no_flag():
    assert consistency.funds_flags(None, D("5")) == []
    assert consistency.funds_flags(D("5"), None) == []
    assert consistency.funds_flags(None, None, (FundPart("其他资金", None, D("1")),)) == []


def test_a_source_over_its_budget_is_flagged_when_the_total_is_not():
    parts = (
        FundPart("其中：本年财政拨款", D("100"), D("80")),
        FundPart("上年结转资金", D("10"), D("25")),
        FundPart("其他资金", D("0"), D("0")),
    )
    (flag,) = consistency.funds_flags(D("110"), D("105"), parts)
    assert flag.message == "上年结转资金：全年执行数（25.00万元）超过全年预算数（10.00万元）"
    # when the total is over, the sources are not reported a second time
    over = consistency.funds_flags(D("110"), D("120"), parts)
    assert codes(over) == ["over_budget"] and over[0].message.startswith("全年执行数")


def test_execution_split_by_income_and_by_expense_must_agree():
    # seed 003: 1246.79 + 1 = 1247.79 = 基本支出 1043.18 + 项目支出 204.61
    assert consistency.funds_flags(D("1302.99"), D("1247.79"), (), D("1247.79")) == []
    # compared as printed (2 decimals)
    assert consistency.funds_flags(D("1302.99"), D("1247.79"), (), D("1247.794")) == []
    (flag,) = consistency.funds_flags(D("1302.99"), D("1247.79"), (), D("1250"))
    assert flag.code == "split_mismatch"
    assert flag.message == (
        "全年执行数按收入性质分合计1247.79万元，按支出性质分（基本支出 + 项目支出）合计"
        "1250.00万元，相差2.21万元"
    )
    # unknown on either side: nothing to compare
    assert consistency.funds_flags(D("1302.99"), None, (), D("1250")) == []
    assert consistency.funds_flags(D("1302.99"), D("1247.79"), (), None) == []


# ---------------------------------------------------------------------------------------------
# weights, actual above 130% of target, full marks with low execution, qualitative bands
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights,flagged",
    [(["50", "30", "10"], False), (["50", "30", "5"], True), (["50", "30", "10", "0.01"], True)],
)
def test_weights_must_add_up_to_the_indicator_weight(weights, flagged):
    results = [line(pk=n, weight=w) for n, w in enumerate(weights)]
    flags = consistency.weight_flags(results, POLICY)
    assert bool(flags) is flagged
    if flagged:
        total = sum(D(w) for w in weights)
        assert flags[0].message == f"三级指标分值合计为{total.normalize():f}分，应为90分"


def test_weights_follow_the_year_policy_and_need_lines():
    policy = scoring.Policy(execution_weight=D("20"), indicator_weight=D("80"))
    assert consistency.weight_flags([line(weight="80")], policy) == []
    assert codes(consistency.weight_flags([line(weight="90")], policy)) == ["weights"]
    assert consistency.weight_flags([], POLICY) == []


@pytest.mark.parametrize(
    "comparator,target,actual,flagged",
    [
        ("≥", "45", "58.5", False),  # exactly 130%: not above
        ("≥", "45", "58.51", True),
        (">", "45", "60", True),
        ("≥", "95%", "99%", False),
        ("≥", "10", "13.5万", False),  # not a number: nothing to compare
        ("≥", "0", "5", False),  # no ratio to a zero target
        ("=", "45", "90", False),  # only 正向 ≥ / > ("target set too low?")
        ("≤", "2", "10", False),  # 反向: a high actual is a miss, scored already
        ("定性", "好", "好", False),
    ],
)
def test_actual_above_130_percent_of_target(comparator, target, actual, flagged):
    result = line(comparator=comparator, target=target, actual=actual)
    flags = [f for f in consistency.line_flags(result, POLICY) if f.code == "over_target"]
    assert bool(flags) is flagged


def test_over_target_message_names_the_line_and_uses_the_adjusted_target():
    (flag,) = consistency.line_flags(line(pk=7, actual="60"), POLICY)
    assert flag.line == 7
    assert flag.message == (
        "“话务平台接听量”实际完成值60万件为年度指标值45万件的133.33%（超过130%），目标是否定得过低？"
    )
    # after an approved 目标调整 the adjusted value is the target
    assert consistency.line_flags(line(actual="60", adjusted="50"), POLICY) == []


@pytest.mark.parametrize(
    "level,score,flagged",
    [
        ("achieved", "24", False),  # 80% of 30
        ("achieved", "23.99", True),
        ("partial", "24", True),  # the top of 部分达成 is exclusive
        ("partial", "18", False),
        ("not_achieved", "18", True),
        ("achieved", "31", True),  # above the weight
        ("", "10", False),  # no level yet: a form problem, not a flag
        ("achieved", None, False),
    ],
)
def test_qualitative_score_outside_its_band(level, score, flagged):
    result = line(comparator="定性", target="保障正常运转", level=level, score=score)
    flags = consistency.line_flags(result, POLICY)
    assert codes(flags) == (["out_of_band"] if flagged else [])


def test_out_of_band_follows_the_year_bands():
    result = line(comparator="定性", target="好", level="achieved", score="25.5")  # 85%
    assert consistency.line_flags(result, POLICY) == []
    strict = scoring.Policy(
        bands={
            **POLICY.bands,
            scoring.ACHIEVED: scoring.Band(D("0.9"), D("1"), True, D("1")),
            scoring.PARTIAL: scoring.Band(D("0.6"), D("0.9"), False, D("0.6")),
        }
    )
    (flag,) = consistency.line_flags(result, strict)
    assert flag.message == "“话务平台接听量”：“达成年度指标”的得分须在27.00分至30.00分之间"


FULL = [line(pk=1, weight="60", score="60"), line(pk=2, weight="30", score="30")]


@pytest.mark.parametrize(
    "rate,results,flagged",
    [
        (D("0.5999"), FULL, True),
        (D("0.6"), FULL, False),
        (None, FULL, False),
        (D("0.3"), [FULL[0], line(pk=2, weight="30", score="29.99")], False),
        (D("0.3"), [FULL[0], line(pk=2, weight="30", score=None)], False),
        (D("0.3"), [], False),
        (D("0.3"), [line(weight="0", score="0")], False),
    ],
)
def test_full_marks_with_execution_below_60_percent(rate, results, flagged):
    flags = consistency.execution_flags(rate, results, POLICY)
    assert codes(flags) == (["full_marks_low_execution"] if flagged else [])
    if flagged:
        assert flags[0].message == (
            "绩效指标全部满分（90分），但预算执行率仅59.99%（低于60%）：支出与绩效不匹配"
        )


def test_all_flags_of_an_evaluation_in_order_and_as_json():
    results = [
        line(pk=1, weight="60", actual="100", score="60"),  # 222% of 45
        line(pk=2, comparator="定性", target="好", weight="20", level="partial", score="20"),
    ]
    funds = Funds(D("100"), D("50"), (), None)
    flags = consistency.evaluation_flags(
        execution_rate=D("0.5"), results=results, funds=funds, policy=POLICY
    )
    assert codes(flags) == ["weights", "full_marks_low_execution", "over_target", "out_of_band"]
    stored = [f.to_json() for f in flags]
    assert stored[2]["line"] == 1 and stored[3]["line"] == 2 and stored[0]["line"] is None
    assert consistency.by_line(stored) == {1: [stored[2]["message"]], 2: [stored[3]["message"]]}
    assert [label for label, _ in consistency.groups(stored)] == [
        "分值合计不符",
        "实际值远超目标",
        "满分但执行率低",
        "定性得分超出区间",
    ]
    assert consistency.groups(None) == []


# ---------------------------------------------------------------------------------------------
# Stored with the totals; shown on the form and in the review queue
# ---------------------------------------------------------------------------------------------


def test_flags_are_stored_on_save_and_cleared_when_fixed(evaluation, clerk):
    assert evaluation.flags == []
    save(evaluation, clerk, dict(GOOD, 话务平台接听量=("60", "", None, "")))
    stored = SelfEvaluation.objects.get(pk=evaluation.pk).flags
    line_id = next(r.id for r in evaluation.results.all() if r.indicator.name == "话务平台接听量")
    assert [(f["code"], f["line"]) for f in stored] == [("over_target", line_id)]
    evaluation.refresh_from_db()
    save(evaluation, clerk, GOOD)
    assert SelfEvaluation.objects.get(pk=evaluation.pk).flags == []


def test_project_funds_typed_on_the_form_are_checked(evaluation, clerk):
    # 全年预算数 158 (本年财政拨款); the clerk confirms an execution of 170
    executed = {"current": D("170"), "carryover": D("0"), "other": D("0")}
    save(evaluation, clerk, GOOD, executed=executed)
    (flag,) = SelfEvaluation.objects.get(pk=evaluation.pk).flags
    assert flag["message"] == "全年执行数（170.00万元）超过全年预算数（158.00万元）"


def test_preview_shows_the_flags_of_the_values_typed(client, evaluation, clerk):
    client.force_login(clerk)
    data = {f"actual-{r.id}": "100" for r in evaluation.results.all()}
    response = client.post(reverse("evaluation_preview", args=[evaluation.pk]), data)
    flags = response.json()["flags"]
    assert {f["code"] for f in flags} == {"over_target"}
    assert flags[0]["label"] == "实际值远超目标"
    assert SelfEvaluation.objects.get(pk=evaluation.pk).flags == []  # nothing written


def test_year_recompute_updates_flags_after_a_policy_change(evaluation, clerk, open_year):
    save(evaluation, clerk, GOOD)
    assert SelfEvaluation.objects.get(pk=evaluation.pk).flags == []
    open_year.indicator_weight = D("80")
    open_year.execution_weight = D("20")
    open_year.save()
    services.year_recompute(fiscal_year=open_year)
    (flag,) = SelfEvaluation.objects.get(pk=evaluation.pk).flags
    assert flag["message"] == "三级指标分值合计为90分，应为80分"


def test_department_split_mismatch_from_the_budget(tree, open_year):
    evaluation = SelfEvaluation.objects.create(year=open_year, department=tree["bureau"])
    zero = {f"income_{n}_{s}": D("0") for n in ("fund", "special", "other") for s in STAGES}
    DepartmentBudgetFactory(
        year=open_year,
        department=tree["bureau"],
        **zero,
        income_public_full=D("1000"),
        income_public_executed=D("900"),
        basic_personnel_final=D("500"),
        basic_public_final=D("300"),
        project_final=D("150"),
    )
    services.evaluation_refresh(evaluation)
    (flag,) = SelfEvaluation.objects.get(pk=evaluation.pk).flags
    assert flag["code"] == "split_mismatch" and "相差50.00万元" in flag["message"]


def test_form_and_review_queue_show_the_flags(client, tree, evaluation, clerk, reviewer):
    values = dict(GOOD, 话务平台接听量=("60", "", None, ""))
    save(evaluation, clerk, values, execution_reason="项目延期")
    client.force_login(clerk)
    body = client.get(reverse("evaluation", args=[evaluation.pk])).content.decode()
    assert 'id="flags-box"' in body and "目标是否定得过低" in body
    assert body.count('class="flag-mark"') == 1  # beside its line
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    client.force_login(reviewer)
    response = client.get(reverse("review_queue"), {"year": evaluation.year.year})
    assert "⚑ 1" in response.content.decode()


def test_review_queue_reads_flags_in_one_query_per_page(
    client, tree, evaluation, clerk, reviewer, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ProjectFactory, SelfEvaluationFactory

    client.force_login(reviewer)
    url = reverse("review_queue")
    every = {"year": 2025, "state": ""}  # the drafts too (the queue opens on 已提交)
    with CaptureQueriesContext(connection) as small:
        client.get(url, every)
    for n in range(15):
        project = ProjectFactory(department=tree["hotline"], year=evaluation.year)
        SelfEvaluationFactory(project=project, flags=[{"code": "weights", "message": f"{n}"}])
    reviewer2 = member(tree["bureau"], Role.REVIEWER)
    client.force_login(reviewer2)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url, every)
    assert response.content.decode().count("⚑ 1") == 15


# --- stated figures (a source table's 执行率 / 总分) against the computed ones


@pytest.mark.parametrize(
    "stated_rate, rate, stated_total, total, messages",
    [
        (None, D("0.4832"), None, D("88"), []),
        (D("0.4832"), D("0.4832"), D("88"), D("88.00"), []),
        (D("0.48321"), D("0.4832"), None, None, []),  # equal as printed (2 places of percent)
        (
            D("0.4325"),
            D("0.4832"),
            None,
            D("88"),
            ["原表执行率为43.25%，按全年执行数÷全年预算数计算应为48.32%"],
        ),
        (None, None, D("99"), D("99.58"), ["原表总分为99分，按各项得分合计应为99.58分"]),
        (D("0.9"), None, None, None, ["原表执行率为90.00%，但全年预算数或执行数无数据，无法核对"]),
    ],
)
def test_stated_rate_or_total_differing_from_the_computed(
    stated_rate, rate, stated_total, total, messages
):
    flags = consistency.stated_flags(
        stated_rate=stated_rate,
        execution_rate=rate,
        stated_total=stated_total,
        total=total,
        policy=scoring.DEFAULT_POLICY,
    )
    assert [f.message for f in flags] == messages
    assert all(f.code == "stated_mismatch" for f in flags)


def test_demo_flags_the_published_total_of_yiyang(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=__import__("io").StringIO())
    evaluation = SelfEvaluation.objects.get(year__year=2020, project=None)
    stated = [f["message"] for f in evaluation.flags if f["code"] == "stated_mismatch"]
    assert stated == ["原表总分为99分，按各项得分合计应为99.58分"]  # seed 003 prints 99


def test_admin_edit_of_a_stated_total_refreshes_the_flags(evaluation, admin_client):
    from django.forms.models import model_to_dict

    data = {k: ("" if v is None else v) for k, v in model_to_dict(evaluation).items()}
    data.update(
        {
            "stated_total_score": "12.34",
            "results-TOTAL_FORMS": 0,
            "results-INITIAL_FORMS": 0,
            "results-MIN_NUM_FORMS": 0,
            "results-MAX_NUM_FORMS": 1000,
        }
    )
    response = admin_client.post(
        reverse("admin:evaluations_selfevaluation_change", args=[evaluation.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    evaluation.refresh_from_db()
    assert evaluation.stated_total_score == D("12.34")
    assert [f["code"] for f in evaluation.flags] == ["stated_mismatch"]
