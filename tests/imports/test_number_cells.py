"""Issue 12, items 1 and 3 (numbers): every decimal cell of an import and of the clerk's offline
table is read by the one number rule; a refused cell is a Chinese row error, the job ends in a
final state (never a 500, never 检查中 for ever) and nothing is changed."""

import io
from decimal import Decimal

import openpyxl
import pytest

from budgets.models import Project
from evaluations import services
from imports.models import ImportJob
from reporting.tables.registry import evaluation_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import ProjectFactory
from tests.imports.conftest import csv_bytes, run, snapshot

pytestmark = pytest.mark.django_db
D = Decimal
INVALID = ImportJob.State.INVALID
# A CSV cell of 10⁶ characters or with NUL is refused as a file before any cell is read (the
# csv module's field limit, the text check): the cell rule is shown with the longest and the
# control characters a file can carry.
HOSTILE = ["²", "4" * 40, "1e400", "NaN", "-1", "x" * 100_000, "1\x07", "abc"]

PROJECT_HEADERS = ["年度", "单位编码", "项目编码", "项目名称", "全年执行数·本年财政拨款"]


def errors(job) -> list[str]:
    return [f"第{n}行 {h}：{m}" if h else f"第{n}行：{m}" for n, h, m in job.errors]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda v: v[:12])
def test_project_money_cell(tree, fiscal_year, hostile):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1", full_current=300)
    before = snapshot()
    data = csv_bytes(PROJECT_HEADERS, [[2025, "100001", "P-1", "大厅运行", hostile]])
    job = run("projects", data, name="p.csv")
    assert job.state == INVALID
    assert any(e.startswith("第2行 全年执行数·本年财政拨款：") for e in errors(job)), errors(job)
    assert all(len(e) < 120 for e in errors(job))
    assert snapshot() == before


def test_project_money_in_yuan_is_refused(tree, fiscal_year):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1", full_current=300)
    before = snapshot()
    data = csv_bytes(PROJECT_HEADERS, [[2025, "100001", "P-1", "大厅运行", "1000000"]])
    job = run("projects", data, name="p.csv")
    assert job.state == INVALID and "是否把元当成了万元" in " ".join(errors(job))
    data = csv_bytes(PROJECT_HEADERS, [[2025, "100001", "P-1", "大厅运行", "1" * 13]])
    job = run("projects", data, name="p.csv")
    assert "位数过多（万元，最多12位整数）——是否把元当成了万元？" in " ".join(errors(job))
    assert snapshot() == before


@pytest.mark.parametrize("hostile", [*HOSTILE, "²"], ids=lambda v: v[:12])
def test_department_budget_cells(tree, fiscal_year, hostile):
    before = snapshot()
    headers = ["年度", "单位编码", "编制数", "基本支出·人员经费·预算数"]
    data = csv_bytes(headers, [[2025, "100001", hostile, hostile]])
    job = run("department-budgets", data, name="b.csv")
    assert job.state == INVALID
    text = " ".join(errors(job))
    assert "编制数：必须是非负整数" in text and "基本支出·人员经费·预算数：" in text
    assert snapshot() == before


@pytest.mark.parametrize("hostile", [*HOSTILE, "150", "٣"], ids=lambda v: v[:12])
def test_indicator_weight_cell(tree, fiscal_year, hostile):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    headers = ["年度", "项目编码", "一级指标", "二级指标", "三级指标", "指标性质"]
    headers += ["年度指标值", "计量单位", "分值"]
    row = [2025, "P-1", "产出指标", "数量指标", "接听量", "≥", "45", "万件", hostile]
    before = snapshot()
    job = run("indicators", csv_bytes(headers, [row]), name="i.csv")
    assert job.state == INVALID
    assert any(e.startswith("第2行 分值：") for e in errors(job)), errors(job)
    assert snapshot() == before


def test_indicator_target_value_of_40_digits(tree, fiscal_year):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    headers = ["年度", "项目编码", "一级指标", "二级指标", "三级指标", "指标性质"]
    headers += ["年度指标值", "计量单位", "分值"]
    row = [2025, "P-1", "产出指标", "数量指标", "接听量", "≥", "4" * 40, "万件", "10"]
    before = snapshot()
    job = run("indicators", csv_bytes(headers, [row]), name="i.csv")
    assert job.state == INVALID
    assert "第2行 年度指标值：年度指标值超出范围（最多14位整数）" in errors(job), errors(job)
    assert snapshot() == before


RESULT_HEADERS = ["年度", "项目编码", "一级指标", "二级指标", "三级指标", "实际完成值", "得分"]


def _result_row(code, actual="48", score=None):
    return [2025, code, "产出指标", "数量指标", "话务平台接听量", actual, score]


def test_results_csv_with_a_150_digit_actual_value(sheet, clerk):
    before = snapshot()
    data = csv_bytes(RESULT_HEADERS, [_result_row(sheet.project.code, "9" * 150)])
    job = run("results", data, name="r.csv", user=clerk)
    assert job.state == INVALID, errors(job)
    assert "第2行 实际完成值：实际完成值超出范围（最多14位整数）" in errors(job), errors(job)
    assert snapshot() == before


@pytest.mark.parametrize("hostile", [*HOSTILE, "99999999999", "31"], ids=lambda v: v[:12])
def test_results_score_cell(sheet, clerk, hostile):
    before = snapshot()
    data = csv_bytes(RESULT_HEADERS, [_result_row(sheet.project.code, "48", hostile)])
    job = run("results", data, name="r.csv", user=clerk)
    assert job.state == INVALID
    assert any(e.startswith("第2行 得分：") for e in errors(job)), errors(job)
    assert snapshot() == before


# ----------------------------------------------------------------------------- offline table


def _table(evaluation, *, total=None, rate=None, score=None, executed=None) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    ws = book.worksheets[0]
    for row in ws.iter_rows():
        if row[0].value == "总分" and total is not None:
            row[6].value = total
        if row[1].value == "年度资金总额" and rate is not None:
            row[6].value = rate
        if row[1].value == "其中：本年财政拨款" and executed is not None:
            row[4].value = executed
        if row[2].value == "群众满意率" and score is not None:
            row[6].value = score
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(evaluation, clerk, data: bytes) -> ImportJob:
    from imports.services import job_create, job_preview

    job = job_create(
        user=clerk,
        kind=ImportJob.Kind.EVALUATION_TABLE,
        name="自评表.xlsx",
        data=data,
        evaluation=evaluation,
        enqueue=False,
    )
    job_preview(job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    ("cell", "value", "header"),
    [
        ("total", 123456.78, "总分"),
        ("total", "123456.78", "总分"),
        ("rate", 1e300, "执行率"),
        ("rate", "9" * 60 + "%", "执行率"),
        ("rate", "NaN", "执行率"),
        ("rate", "1e400", "执行率"),
        ("score", 99999999999, "得分"),
        ("score", "²", "得分"),
        ("score", 50, "得分"),  # above the line's weight of 10
        ("score", "x" * 32767, "得分"),  # the longest cell Excel holds
        ("score", "-1", "得分"),
        ("rate", "-1", "执行率"),
        ("rate", "٣", "执行率"),
        ("executed", 1000000, "全年执行数"),
        ("executed", "4" * 40, "全年执行数"),
        ("executed", "-1", "全年执行数"),
    ],
    ids=lambda v: str(v)[:20],
)
def test_offline_table_refuses_numbers_that_do_not_fit(sheet, clerk, cell, value, header):
    evaluation = services.evaluation_start(user=clerk, project_id=sheet.project_id)
    before = snapshot()
    job = _upload(evaluation, clerk, _table(evaluation, **{cell: value}))
    assert job.state == INVALID, (job.state, job.message, job.errors)
    assert any(h.startswith(header) for _, h, _ in job.errors), job.errors
    assert snapshot() == before
    assert Project.objects.get(pk=sheet.project_id).executed_current == D("118.3")
