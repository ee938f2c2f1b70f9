"""Issue 12, item 1: every decimal input refuses what cannot be stored, with a Chinese message on
the line, and changes nothing (the self-evaluation form, its live preview, drafts through the
service, the target sheet, the admin's model forms)."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from budgets.models import Project
from core.models import AuditLog
from evaluations import services
from evaluations.models import Indicator, IndicatorResult, SelfEvaluation, TargetSheet
from tests.factories import UserFactory, category

pytestmark = pytest.mark.django_db
D = Decimal

# The hostile values of issue 12 (each refused wherever a decimal is typed).
HOSTILE = ["²", "4" * 40, "1e400", "NaN", "-1", "x" * 10**6, "1\x00", "99999999999"]


def state() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "results": list(IndicatorResult.objects.order_by("pk").values_list()),
        "evaluations": list(SelfEvaluation.objects.order_by("pk").values_list()),
        "projects": list(Project.objects.order_by("pk").values_list()),
        "indicators": list(Indicator.objects.order_by("pk").values_list()),
        "sheets": list(TargetSheet.objects.order_by("pk").values_list()),
        "audit": AuditLog.objects.count(),
    }


def form_post(evaluation, scores=None, **extra):
    data = {
        "action": "save",
        "version": evaluation.version,
        "actual_text": "全年完成目标",
        "executed-current": "118.3",
        "executed-carryover": "0",
        "executed-other": "0",
    }
    for result in services.results_of(evaluation):
        data[f"actual-{result.id}"] = "1"
        data[f"score-{result.id}"] = (scores or {}).get(result.indicator.name, "")
    data.update(extra)
    return data


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def _line(evaluation, name) -> IndicatorResult:
    return evaluation.results.get(indicator__name=name)


# ------------------------------------------------------------------------ the form and its preview


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_form_refuses_a_hostile_score(clerk_client, evaluation, hostile):
    before = state()
    url = reverse("evaluation", args=[evaluation.pk])
    response = clerk_client.post(url, form_post(evaluation, {"群众满意率": hostile}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "填写有误，未保存" in page
    assert any(
        m in page for m in ("得分须在0至10之间", "得分必须是数字", "得分内容过长", "控制字符")
    )
    assert state() == before


def test_score_of_99999999999_names_the_lines_bounds(clerk_client, evaluation):
    url = reverse("evaluation", args=[evaluation.pk])
    page = clerk_client.post(url, form_post(evaluation, {"群众满意率": "99999999999"}))
    assert "得分须在0至10之间" in page.content.decode()


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_form_refuses_a_hostile_execution_figure(clerk_client, evaluation, hostile):
    before = state()
    url = reverse("evaluation", args=[evaluation.pk])
    response = clerk_client.post(url, form_post(evaluation, **{"executed-current": hostile}))
    assert response.status_code == 200
    assert "填写有误，未保存" in response.content.decode()
    assert state() == before


def test_execution_typed_in_yuan_is_refused(clerk_client, evaluation):
    """1,000,000 against a 158 万元 budget: 执行率 6329 would overflow its column."""
    before = state()
    url = reverse("evaluation", args=[evaluation.pk])
    page = clerk_client.post(
        url, form_post(evaluation, **{"executed-current": "1000000"})
    ).content.decode()
    assert "是否把元当成了万元" in page
    assert state() == before
    assert clerk_client.get(url).status_code == 200


def test_execution_of_13_digits_is_refused_by_the_columns_digits(clerk_client, evaluation):
    url = reverse("evaluation", args=[evaluation.pk])
    page = clerk_client.post(
        url, form_post(evaluation, **{"executed-current": "1" * 13})
    ).content.decode()
    assert "全年执行数位数过多（万元，最多12位整数）——是否把元当成了万元？" in page


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_preview_answers_hostile_values_with_line_problems(clerk_client, evaluation, hostile):
    before = state()
    url = reverse("evaluation_preview", args=[evaluation.pk])
    data = form_post(evaluation, {"群众满意率": hostile}, **{"executed-current": hostile})
    response = clerk_client.post(url, data)
    assert response.status_code == 200
    body = response.json()
    line = _line(evaluation, "群众满意率")
    assert body["lines"][str(line.id)]["problems"]
    # refused by the form's reading, or by the service's bound (11 digits: 元 typed as 万元)
    assert body["errors"].get("executed-current") or body["general"]
    assert body["flags"][0]["code"] == "refused"  # shown live in the flags box
    assert state() == before


def test_a_150_digit_actual_value_is_refused_on_save(clerk_client, evaluation):
    before = state()
    url = reverse("evaluation", args=[evaluation.pk])
    data = form_post(evaluation)
    data[f"actual-{_line(evaluation, '群众满意率').pk}"] = "9" * 150
    page = clerk_client.post(url, data).content.decode()
    assert "实际完成值超出范围（最多14位整数）" in page and "未保存" in page
    assert state() == before


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_review_score_is_read_by_the_rule(client, evaluation, clerk, tree, hostile):
    from budgets.models import Membership
    from tests.factories import member

    lines = [
        services.ResultInput(
            r.id, "96", "achieved" if r.indicator.is_qualitative else "", None, "原因"
        )
        for r in services.results_of(evaluation)
    ]
    services.evaluation_save(
        evaluation=evaluation,
        user=clerk,
        data=services.EvaluationInput("完成", "", "", "原因", lines),
        version=evaluation.version,
    )
    services.evaluation_transition(evaluation=evaluation, user=clerk, action="submit")
    client.force_login(member(tree["bureau"], Membership.Role.REVIEWER))
    evaluation.refresh_from_db()
    before = state()
    line = _line(evaluation, "群众满意率")
    response = client.post(
        reverse("evaluation", args=[evaluation.pk]),
        {"action": "approve", "version": evaluation.version, f"review-{line.pk}": hostile},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "审核得分填写有误，未保存" in page
    assert any(
        m in page
        for m in ("审核得分须在0至10之间", "审核得分必须是数字", "审核得分内容过长", "控制字符")
    )
    assert state() == before


# ------------------------------------------------------------------- drafts through the service


def test_draft_keeps_no_score_above_the_lines_weight(evaluation, clerk):
    """50 on a 10-point line made 总分 133.67 and 优 on finance's pages."""
    before = state()
    lines = [
        services.ResultInput(r.id, "96", "", D("50") if r.indicator.weight == 10 else None, "")
        for r in services.results_of(evaluation)
    ]
    data = services.EvaluationInput("完成", "", "", "", lines)
    with pytest.raises(services.FormProblems) as problems:
        services.evaluation_save(
            evaluation=evaluation, user=clerk, data=data, version=evaluation.version
        )
    assert "得分须在0至10之间" in str(problems.value.lines)
    assert state() == before


def test_draft_refuses_an_execution_figure_out_of_range(evaluation, clerk):
    before = state()
    data = services.EvaluationInput(
        "完成", "", "", "", [], executed={"current": D("1000000"), "carryover": D("0")}
    )
    with pytest.raises(services.FormProblems) as problems:
        services.evaluation_save(
            evaluation=evaluation, user=clerk, data=data, version=evaluation.version
        )
    assert "是否把元当成了万元" in " ".join(problems.value.general)
    assert state() == before


# ------------------------------------------------------------------------ the target sheet


def _grid(sheet, weight):
    c = category(sheet.year, "数量指标")
    return {
        "action": "save",
        "overall_goal": "目标",
        "version": sheet.version,
        "rows-TOTAL_FORMS": 1,
        "rows-INITIAL_FORMS": 0,
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
        "rows-0-id": "",
        "rows-0-level1": c.parent_id,
        "rows-0-category": c.id,
        "rows-0-name": "话务平台接听量",
        "rows-0-comparator": "≥",
        "rows-0-target_value": "45",
        "rows-0-unit": "万件",
        "rows-0-weight": weight,
        "rows-0-basis": "历史标准",
        "rows-0-ORDER": 1,
    }


@pytest.mark.parametrize("hostile", [*HOSTILE, "٣", "150"], ids=lambda v: v[:12])
def test_target_sheet_refuses_a_hostile_weight(client, tree, fiscal_year, hostile):
    from tests.factories import ProjectFactory, TargetSheetFactory, member

    clerk = member(tree["centre"])
    sheet = TargetSheetFactory(project=ProjectFactory(department=tree["centre"], year=fiscal_year))
    client.force_login(clerk)
    before = state()
    response = client.post(reverse("target_sheet", args=[sheet.pk]), _grid(sheet, hostile))
    assert response.status_code == 200
    page = response.content.decode()
    assert "填写有误，未保存" in page
    assert any(
        m in page for m in ("分值须在0至100之间", "分值必须是数字", "分值内容过长", "控制字符")
    ), page
    assert state() == before


def test_a_numeric_target_value_must_fit_an_indicator_value(tree, fiscal_year):
    from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory, member

    clerk = member(tree["centre"])
    sheet = TargetSheetFactory(project=ProjectFactory(department=tree["centre"], year=fiscal_year))
    IndicatorFactory(sheet=sheet, target_value="4" * 40, weight=D("90"))
    with pytest.raises(services.FormProblems) as problems:
        services.target_sheet_transition(sheet=sheet, user=clerk, action="submit")
    assert "年度指标值超出范围（最多14位整数）" in str(problems.value)


def test_an_adjusted_target_value_must_fit_an_indicator_value(sheet, clerk):
    from evaluations import workflow

    indicator = sheet.indicators.get(name="话务平台接听量")
    with pytest.raises(workflow.WorkflowError, match="调整后指标值超出范围"):
        services.adjustment_request(
            indicator=indicator, user=clerk, new_value="9" * 150, reason="口径调整"
        )


# ------------------------------------------------------------------------ the admin's model forms


def _admin_form(model, obj, data):
    request = RequestFactory().post("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    form_class = admin.site._registry[model].get_form(request, obj, change=True)
    initial = form_class(instance=obj).initial
    bound = {
        k: ("" if v is None else (v.pk if hasattr(v, "pk") else v)) for k, v in initial.items()
    }
    return form_class({**bound, **data}, instance=obj)


@pytest.mark.parametrize("hostile", [*HOSTILE, "1" * 13], ids=lambda v: v[:12])
def test_admin_project_form_refuses_hostile_money(evaluation, hostile):
    project = evaluation.project
    form = _admin_form(Project, project, {"executed_current": hostile})
    assert not form.is_valid()
    message = " ".join(form.errors["executed_current"])
    assert any(
        m in message for m in ("全年执行数·本年财政拨款", "不能为负数", "是否把元当成了万元")
    ), message


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_admin_evaluation_form_refuses_hostile_stated_total(evaluation, hostile):
    form = _admin_form(SelfEvaluation, evaluation, {"stated_total_score": hostile})
    assert not form.is_valid()
    assert form.errors["stated_total_score"]


def test_admin_stated_total_of_123456_78_is_refused(evaluation):
    form = _admin_form(SelfEvaluation, evaluation, {"stated_total_score": "123456.78"})
    assert not form.is_valid()
    assert "原表总分" in " ".join(form.errors["stated_total_score"])


def test_admin_result_line_refuses_a_score_above_its_weight(evaluation):
    request = RequestFactory().post("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    model_admin = admin.site._registry[SelfEvaluation]
    inline = model_admin.get_inline_instances(request, evaluation)[0]
    formset_class = inline.get_formset(request, evaluation)
    results = list(evaluation.results.order_by("pk"))
    data = {
        "results-TOTAL_FORMS": len(results),
        "results-INITIAL_FORMS": len(results),
        "results-MIN_NUM_FORMS": 0,
        "results-MAX_NUM_FORMS": 1000,
    }
    for n, r in enumerate(results):
        data.update(
            {
                f"results-{n}-id": r.pk,
                f"results-{n}-evaluation": evaluation.pk,
                f"results-{n}-indicator": r.indicator_id,
                f"results-{n}-actual_value": "",
                f"results-{n}-level": "",
                f"results-{n}-suggested_score": "",
                f"results-{n}-score": "50" if r.indicator.weight == 10 else "",
                f"results-{n}-deviation_reason": "",
                f"results-{n}-review_score": "",
            }
        )
    formset = formset_class(data, instance=evaluation, prefix="results")
    assert not formset.is_valid()
    assert "得分须在0至10之间" in str(formset.errors)


def test_admin_project_page_refuses_and_keeps_the_row(client, evaluation):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    project = evaluation.project
    before = state()
    url = reverse("admin:budgets_project_change", args=[project.pk])
    form = _admin_form(Project, project, {})
    data = {k: v for k, v in form.data.items()}
    data["executed_current"] = "99999999999999"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "是否把元当成了万元" in response.content.decode()
    assert state() == before
