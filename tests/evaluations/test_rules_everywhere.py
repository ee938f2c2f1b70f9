"""Issue 13: one rule in one place. A target or result line the form refuses is refused with the
same message by the import, the offline table (result lines: it is a self-evaluation table) and
the admin, because all of them ask `evaluations.rules`."""

import io

import openpyxl
import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from core.models import AuditLog
from evaluations import services, workflow
from evaluations.admin import IndicatorInline, ResultInline
from evaluations.models import FormState, SelfEvaluation, TargetSheet
from imports.models import ImportJob
from imports.services import job_create, job_preview
from reporting.tables.registry import evaluation_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import (
    IndicatorFactory,
    ProjectFactory,
    TargetSheetFactory,
    category,
    grid_post,
    grid_row,
    member,
    post_data,
)
from tests.imports.conftest import run, xlsx

pytestmark = pytest.mark.django_db

# ------------------------------------------------------------------------------------ targets

GRID = [  # a complete grid of 90 points: (二级, 三级, 性质, 指标值, 单位, 分值)
    ("数量指标", "话务平台接听量", "≥", "45", "万件", "30"),
    ("时效指标", "设施维修时间", "≤", "2", "小时", "20"),
    ("社会效益指标", "保障大厅运行", "定性", "保障正常运转", "", "30"),
    ("服务对象满意度指标", "群众满意率", "≥", "95", "%", "10"),
]
LEVEL1 = {"数量指标": "产出指标", "时效指标": "产出指标", "社会效益指标": "效益指标"}
LEVEL1["服务对象满意度指标"] = "满意度指标"

TARGET_CASES = {
    # name: (the first line as typed: 性质, 指标值, 单位, 分值; the message)
    "weight over 100": (("≥", "45", "万件", "120"), "分值须在0至100之间"),
    "words as a quantitative target": (
        ("≥", "大幅提升", "万件", "30"),
        "定量指标的年度指标值必须是数字（文字目标请选择“定性”）",
    ),
    "quantitative target without unit": (("≥", "45", "", "30"), "定量指标须填写计量单位"),
    "quantitative target too long": (
        ("≥", "4" * 40, "万件", "30"),
        "年度指标值超出范围（最多14位整数）",
    ),
}


def _grid(first):
    comparator, target, unit, weight = first
    level2, name = GRID[0][:2]
    return [(level2, name, comparator, target, unit, weight), *GRID[1:]]


def _target_by_form(client, sheet, grid) -> str:
    """Submit the grid on the page; the page's text."""
    rows = [grid_row(sheet.year, *line) for line in grid]
    response = client.post(
        reverse("target_sheet", args=[sheet.pk]), grid_post(sheet, rows, "submit")
    )
    return response.content.decode()


def _target_by_import(sheet, grid, user) -> list[str]:
    headers = ["年度", "项目编码", "一级指标", "二级指标", "三级指标"]
    headers += ["指标性质", "年度指标值", "计量单位", "分值"]
    rows = [
        [sheet.year.year, sheet.project.code, LEVEL1[level2], level2, *rest]
        for level2, *rest in grid
    ]
    job = run("indicators", xlsx(headers, rows), user=user)
    return [text for _, _, text in job.errors]


def _admin_errors(inline_class, parent, instance, data, admin_user) -> list[str]:
    """The messages the admin's inline form shows for this line."""
    request = RequestFactory().get("/")
    request.user = admin_user
    inline = inline_class(type(parent), admin.site)
    form_class = inline.get_formset(request, parent).form
    fields = {name: data.get(name, getattr(instance, name, "")) for name in form_class.base_fields}
    values = {
        k: (v.pk if hasattr(v, "pk") else ("" if v is None else v)) for k, v in fields.items()
    }
    form = form_class(data=values, instance=instance)
    form.is_valid()
    return [m for ms in form.errors.values() for m in ms]


@pytest.mark.parametrize("case", list(TARGET_CASES))
def test_a_target_line_is_refused_alike_everywhere(case, client, tree, fiscal_year, admin_user):
    first, expected = TARGET_CASES[case]
    grid = _grid(first)
    user = member(tree["centre"])
    project = ProjectFactory(department=tree["centre"], year=fiscal_year)
    sheet = TargetSheetFactory(project=project)
    client.force_login(user)

    assert expected in _target_by_form(client, sheet, grid)
    assert expected in _target_by_import(sheet, grid, user)
    level2, name, comparator, target, unit, weight = grid[0]
    line = sheet.indicators.model(sheet=sheet, category=category(fiscal_year, level2), order=1)
    typed = {"name": name, "comparator": comparator, "target_value": target, "unit": unit}
    typed |= {"weight": weight, "basis": "历史标准", "category": line.category.pk}
    assert expected in _admin_errors(IndicatorInline, sheet, line, typed, admin_user)


def test_weights_that_do_not_add_up_are_refused_at_submission_whatever_wrote_them(
    client, tree, fiscal_year
):
    """A sheet-level rule: a draft may be imported in parts, so the import and the admin keep
    unbalanced drafts; submission refuses them with the form's message whatever wrote them."""
    user = member(tree["centre"])
    client.force_login(user)
    grid = _grid(("≥", "45", "万件", "25"))
    expected = "产出指标的分值合计为45.00，应为50"
    form_sheet = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=fiscal_year)
    )
    assert expected in _target_by_form(client, form_sheet, grid)
    imported = TargetSheetFactory(
        project=ProjectFactory(department=tree["centre"], year=fiscal_year)
    )
    assert _target_by_import(imported, grid, user) == []
    with pytest.raises(services.FormProblems) as refused:
        services.target_sheet_transition(sheet=imported, user=user, action="submit")
    assert expected in refused.value.general


# ------------------------------------------------------------------------------------ results

RESULT_CASES = {
    # name: (三级指标, 实际完成值, 完成等级 as the import and the table name it, level key, 得分,
    #        the message)
    "score above the weight": ("群众满意率", "96", "", "", "50", "得分须在0至10之间"),
    "qualitative score outside its band": (
        "保障大厅正常运行",
        "基本运转",
        "未达成",
        "not_achieved",
        "30",
        "“未达成年度指标且效果较差”的得分须在0.00分至18.00分（不含）之间",
    ),
    # issue 14: quantitative actual values are numbers, with at most the line's own unit
    "words as a quantitative actual value": (
        "群众满意率",
        "约九成七",
        "",
        "",
        "",
        "实际完成值须为数字，可带计量单位“%”（如：96%），文字说明请写在偏差原因分析中",
    ),
    "another unit on a quantitative actual value": (
        "群众满意率",
        "96 万元",
        "",
        "",
        "",
        "实际完成值须为数字，可带计量单位“%”（如：96%），文字说明请写在偏差原因分析中",
    ),
    "quantitative actual value too long": (
        "话务平台接听量",
        "4" * 40,
        "",
        "",
        "",
        "实际完成值超出范围（最多14位整数）",
    ),
}


def _result_by_form(client, evaluation, name, actual, level, score) -> str:
    data = post_data(evaluation, {name: (actual, level, score, "")}, action="submit")
    response = client.post(reverse("evaluation", args=[evaluation.pk]), data)
    return response.content.decode()


def _result_by_import(sheet, name, actual, level_label, score, user) -> list[str]:
    indicator = sheet.indicators.select_related("category__parent").get(name=name)
    headers = ["年度", "项目编码", "一级指标", "二级指标", "三级指标"]
    headers += ["实际完成值", "完成等级", "得分"]
    c = indicator.category
    row = [sheet.year.year, sheet.project.code, c.parent.name, c.name, name, actual]
    row += [level_label, score or None]
    job = run("results", xlsx(headers, [row]), user=user)
    return [text for _, _, text in job.errors]


def _result_by_table(evaluation, name, actual, level_label, score, user) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    for row in book.worksheets[0].iter_rows():
        if row[2].value == name:
            row[4].value = f"{actual}（{level_label}）" if level_label else actual
            row[6].value = score or None
    out = io.BytesIO()
    book.save(out)
    job = job_create(
        user=user,
        kind=ImportJob.Kind.EVALUATION_TABLE,
        name="自评表.xlsx",
        data=out.getvalue(),
        evaluation=evaluation,
        enqueue=False,
    )
    job_preview(job.pk)
    job.refresh_from_db()
    return [text for _, _, text in job.errors]


@pytest.mark.parametrize("case", list(RESULT_CASES))
def test_a_result_line_is_refused_alike_everywhere(
    case, client, sheet, clerk, evaluation, admin_user
):
    name, actual, level_label, level, score, expected = RESULT_CASES[case]
    client.force_login(clerk)

    assert expected in _result_by_form(client, evaluation, name, actual, level, score)
    assert expected in _result_by_import(sheet, name, actual, level_label, score, clerk)
    assert expected in _result_by_table(evaluation, name, actual, level_label, score, clerk)
    result = next(r for r in services.results_of(evaluation) if r.indicator.name == name)
    typed = {"actual_value": actual, "level": level, "score": score, "indicator": result.indicator}
    assert expected in _admin_errors(ResultInline, evaluation, result, typed, admin_user)


def test_the_import_starts_self_evaluations_through_the_form_rule(sheet, clerk):
    """Results.write starts through `evaluations_start`: refused by the same rule (here the
    targets were reopened meanwhile), and one 绩效自评·创建 record when it starts."""
    TargetSheet.objects.filter(pk=sheet.pk).update(state=FormState.RETURNED)
    errors = _result_by_import(sheet, "群众满意率", "96", "", "10", clerk)
    assert errors == ["绩效目标尚未批复，不能开始自评。"]
    TargetSheet.objects.filter(pk=sheet.pk).update(state=FormState.APPROVED)
    assert _result_by_import(sheet, "群众满意率", "96", "", "10", clerk) == []
    evaluation = SelfEvaluation.objects.get(project=sheet.project)
    assert evaluation.results.count() == 4
    assert (
        AuditLog.objects.filter(action="绩效自评·创建", object_id=str(evaluation.pk)).count() == 1
    )


def _approved_sheets(tree, fiscal_year, count: int) -> list[TargetSheet]:
    sheets = []
    for _ in range(count):
        sheet = TargetSheetFactory(
            project=ProjectFactory(department=tree["centre"], year=fiscal_year),
            state=FormState.APPROVED,
        )
        IndicatorFactory(sheet=sheet)
        IndicatorFactory(sheet=sheet)
        sheets.append(sheet)
    return sheets


def test_evaluations_start_takes_a_fixed_number_of_queries(tree, open_year, clerk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count: int) -> int:
        sheets = _approved_sheets(tree, open_year, count)
        with CaptureQueriesContext(connection) as captured:
            started = services.evaluations_start(user=clerk, sheet_ids=[s.pk for s in sheets])
        assert len(started.created) == count
        assert all(e.results.count() == 2 for e in started.evaluations.values())
        return len(captured)

    queries(1)  # the clerk's roles are read once per user, on first use
    assert queries(2) == queries(30)


def test_evaluations_start_refuses_them_all_by_the_single_rule(tree, open_year, clerk):
    good, returned = _approved_sheets(tree, open_year, 2)
    TargetSheet.objects.filter(pk=returned.pk).update(state=FormState.RETURNED)
    with pytest.raises(workflow.WorkflowError, match="绩效目标尚未批复，不能开始自评。"):
        services.evaluations_start(user=clerk, sheet_ids=[good.pk, returned.pk])
    assert not SelfEvaluation.objects.exists()
    reviewer = member(tree["bureau"], "reviewer")
    with pytest.raises(workflow.WorkflowError, match="只有本单位填报人可以开始绩效自评。"):
        services.evaluations_start(user=reviewer, sheet_ids=[good.pk])


WORDS = "实际完成值须为数字，可带计量单位“%”（如：96%），文字说明请写在偏差原因分析中"


def test_the_live_preview_refuses_words_with_the_same_message(client, clerk, evaluation):
    """The form's live preview (static/js/evaluation.js posts to it) shows the line's refusal
    as the save would, and writes nothing."""
    client.force_login(clerk)
    data = post_data(evaluation, {"群众满意率": ("九十六", "", "", "")}, action="save")
    response = client.post(reverse("evaluation_preview", args=[evaluation.pk]), data)
    result = next(r for r in services.results_of(evaluation) if r.indicator.name == "群众满意率")
    line = response.json()["lines"][str(result.pk)]
    assert WORDS in line["problems"]
    assert line["suggested"] is None
    result.refresh_from_db()
    assert result.actual_value == ""


@pytest.mark.parametrize("typed", ["96", "96%", "96 ％", " 96.5 % "])
def test_a_number_with_the_lines_own_unit_is_saved_and_scored(client, clerk, evaluation, typed):
    client.force_login(clerk)
    data = post_data(evaluation, {"群众满意率": (typed, "", "", "")}, action="save")
    response = client.post(reverse("evaluation", args=[evaluation.pk]), data)
    assert response.status_code == 302
    result = next(r for r in services.results_of(evaluation) if r.indicator.name == "群众满意率")
    assert result.actual_value == typed.strip()
    assert result.suggested_score == 10  # ≥ 95 with weight 10


def test_a_stored_word_value_cannot_be_submitted(client, clerk, evaluation):
    """A line written before the rule (an old database) holds words: the form refuses its
    submission with the message on the line, and the state does not change."""
    result = next(r for r in services.results_of(evaluation) if r.indicator.name == "群众满意率")
    type(result).objects.filter(pk=result.pk).update(actual_value="九十六", score=10)
    with pytest.raises(services.FormProblems) as refused:
        services.evaluation_validate(evaluation)
    assert WORDS in refused.value.lines[result.pk]
    evaluation.refresh_from_db()
    assert evaluation.state == FormState.DRAFT


def test_a_huge_actual_value_is_refused_at_once():
    """A 10⁶-character value (the fuzzer's) is refused without trying every suffix as a unit."""
    import time
    from decimal import Decimal

    from evaluations import rules

    started = time.monotonic()
    line = rules.ResultLine("≥", Decimal("10"), "9" * 10**6, unit="%")
    assert rules.actual_value_problem(line) == WORDS
    assert time.monotonic() - started < 1
