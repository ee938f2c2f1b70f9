"""Import kind `monitoring` (flat file, one row per 三级指标) and the round trip of the offline
绩效目标执行监控表: both save through `monitoring_sheet_save`; refusals per row / cell, in
Chinese, and nothing saved while any remains."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditLog
from evaluations.models import MonitoringLine, MonitoringSheet
from imports.kinds import Context
from imports.models import ImportJob
from imports.workbooks import template
from reporting.tables.registry import monitoring_table
from reporting.tables.xlsx import render_xlsx
from tests.factories import member
from tests.imports.conftest import run, xlsx
from tests.monitoring_data import round_create, sheet_create

pytestmark = pytest.mark.django_db
HEADERS = [
    "年度",
    "项目编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "1–N月执行数",
    "全年预计执行数",
    "预算执行偏差原因",
    "1–N月实际完成值",
    "全年预计完成值",
    "完成目标可能性",
    "偏差原因类别",
    "偏差原因说明",
    "完成目标的措施",
]


@pytest.fixture(autouse=True)
def _commit_hooks(monkeypatch, django_capture_on_commit_callbacks):
    """Run the tasks enqueued on commit when each request ends, as after a real commit."""
    from django.test import Client

    real = Client.post

    def post(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real(self, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)


@pytest.fixture
def msheet(sheet):
    return sheet_create(round_create(sheet.year), sheet)


def state():
    return (
        list(MonitoringSheet.objects.values_list()),
        list(MonitoringLine.objects.order_by("pk").values_list()),
        AuditLog.objects.count(),
    )


def row(code, level2, name, executed="", predicted="", reason="", *line):
    level1 = {"数量指标": "产出指标", "时效指标": "产出指标"}.get(level2, "效益指标")
    if level2 == "服务对象满意度指标":
        level1 = "满意度指标"
    return [2025, code, level1, level2, name, executed, predicted, reason, *line]


def test_template_lists_the_columns_and_choices(clerk):
    book = openpyxl.load_workbook(io.BytesIO(template("monitoring", Context(user=clerk))))
    headers = [c.value for c in book.worksheets[0][1]]
    for header in ("项目编码", "1–N月执行数", "完成目标可能性", "偏差原因类别", "偏差原因说明"):
        assert any(header in (h or "") for h in headers), header


def test_flat_import_saves_through_the_form_with_lights_and_audit(msheet, clerk):
    code = msheet.project.code
    data = xlsx(
        HEADERS,
        [
            row(
                code,
                "数量指标",
                "话务平台接听量",
                "60",
                "150",
                "采购延期",
                "30",
                "48",
                "确定能完成",
                "",
                "",
                "按计划",
            ),
            row(
                code,
                "时效指标",
                "设施维修时间",
                "",
                "",
                "",
                "3",
                "2.5",
                "完全不可能完成",
                "人员保障",
                "缺人",
                "招聘",
            ),
        ],
    )
    job = run("monitoring", data, user=clerk)
    assert job.state == ImportJob.State.DONE, (job.message, job.errors)
    assert job.counts["update"] == 2
    msheet.refresh_from_db()
    assert msheet.executed_to_date == Decimal("60") and msheet.execution_reason == "采购延期"
    assert msheet.funds_light == "red" and msheet.light == "red"
    lines = {line.indicator.name: line for line in msheet.lines.select_related("indicator")}
    assert lines["话务平台接听量"].likelihood == "certain"
    assert lines["话务平台接听量"].light == "green"
    assert lines["设施维修时间"].deviation_category == "staff"
    assert lines["设施维修时间"].light == "red"
    assert AuditLog.objects.filter(action="绩效监控表·保存").count() == 1
    assert AuditLog.objects.filter(action__startswith="批量导入·绩效运行监控").count() == 1


def test_flat_import_refuses_per_row_and_saves_nothing(msheet, clerk, tree):
    code = msheet.project.code
    before = state()
    data = xlsx(
        HEADERS,
        [
            row(code, "数量指标", "话务平台接听量", "60", "", "", "40", "", "", "", "", ""),
            row(code, "时效指标", "设施维修时间", "70", "", "", "3", "", "", "", "", ""),
            row(code, "时效指标", "不存在的指标", "", "", "", "1", "", "", "", "", ""),
            row(code, "服务对象满意度指标", "群众满意率", "", "", "", "", "", "也许", "", "", ""),
        ],
    )
    job = run("monitoring", data, user=clerk)
    assert job.state == ImportJob.State.INVALID
    messages = {(n, h): m for n, h, m in job.errors}
    assert "不是有效选项" in messages[(5, "完成目标可能性")]
    assert "不一致" in messages[(3, "1–7月执行数")]
    assert "没有这个三级指标" in messages[(4, "三级指标")]
    assert state() == before
    # the form's own rule (a quantitative value must be a number), through the dry-run save
    data = xlsx(HEADERS, [row(code, "数量指标", "话务平台接听量", "", "", "", "很多")])
    job = run("monitoring", data, user=clerk)
    assert job.state == ImportJob.State.INVALID
    assert any("1–N月实际完成值" in m or "数字" in m for _, _, m in job.errors), job.errors
    assert state() == before
    # another department's project: refused as the other kinds refuse it
    outsider = member(tree["other"])
    job = run("monitoring", data, user=outsider)
    assert job.state == ImportJob.State.INVALID
    assert "无权" in job.errors[0][2]
    assert state() == before


def _fill_table(data: bytes, cells: dict[str, object]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.active
    for ref, value in cells.items():
        ws[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _layout(data: bytes) -> tuple[int, int]:
    """(row of the funds figures, first indicator row) of an exported table."""
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    return rows["预算执行情况（万元）"] + 1, rows["一级指标"] + 1


def test_offline_table_round_trip(client, msheet, clerk):
    downloaded = render_xlsx([monitoring_table(msheet)])  # the offline form: blank cells
    funds, first = _layout(downloaded)
    filled = _fill_table(
        downloaded,
        {
            f"D{funds}": 90,
            f"F{funds}": 150,
            f"E{first}": "30",
            f"F{first}": "46",
            f"G{first}": "确定能完成",
            f"I{first}": "按计划推进",
            f"E{first + 1}": "3",
            f"F{first + 1}": "2.5",
            f"G{first + 1}": "有可能完成",
            f"H{first + 1}": "硬件条件保障：设备老化",
            f"I{first + 1}": "更换设备",
        },
    )
    client.force_login(clerk)
    url = reverse("monitoring_import", args=[msheet.pk])
    response = client.post(url, {"file": SimpleUploadedFile("监控表.xlsx", filled)})
    job = ImportJob.objects.get()
    assert response.url == reverse("import_job", args=[job.pk])
    assert job.state == ImportJob.State.READY, (job.message, job.errors)
    page = client.get(response.url).content.decode()
    assert "设备老化" in page and "46" in page
    assert not MonitoringLine.objects.filter(predicted_value="46").exists()  # preview only
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, job.message
    msheet.refresh_from_db()
    assert msheet.executed_to_date == Decimal("90") and msheet.light == "yellow"
    line = msheet.lines.get(indicator__name="设施维修时间")
    assert (line.deviation_category, line.deviation_reason) == ("equipment", "设备老化")
    assert line.light == "yellow"
    # exported again, the filled table reads back as it was typed
    again = openpyxl.load_workbook(io.BytesIO(render_xlsx([monitoring_table(msheet)]))).active
    assert again[f"H{first + 1}"].value == "硬件条件保障：设备老化"


def test_offline_table_refusals_per_cell_save_nothing(client, msheet, clerk, tree):
    downloaded = render_xlsx([monitoring_table(msheet)])
    funds, first = _layout(downloaded)
    client.force_login(clerk)
    url = reverse("monitoring_import", args=[msheet.pk])
    before = state()
    bad = _fill_table(
        downloaded,
        {
            f"D{funds}": "十万",
            f"G{first}": "也许吧",
            f"E{first + 1}": "=1+1",
            f"C{first + 2}": "改过的指标名",
        },
    )
    client.post(url, {"file": SimpleUploadedFile("监控表.xlsx", bad)})
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID, job.errors
    errors = {(n, h) for n, h, _ in job.errors}
    assert (first, "完成目标可能性") in errors
    assert (first + 1, "1–7月实际完成值") in errors  # a formula
    assert (first + 2, "三级指标") in errors
    assert state() == before
    # the number rule on the funds cell, reported on its row and column, through the save
    bad = _fill_table(downloaded, {f"D{funds}": "十万"})
    client.post(url, {"file": SimpleUploadedFile("监控表.xlsx", bad)})
    job = ImportJob.objects.order_by("-pk").first()
    assert job.state == ImportJob.State.INVALID
    assert [(n, h) for n, h, _ in job.errors] == [(funds, "1–7月执行数")], job.errors
    assert state() == before
    # another sheet's table is refused whole
    other = _fill_table(downloaded, {"B3": "别的项目"})
    client.post(url, {"file": SimpleUploadedFile("监控表.xlsx", other)})
    job = ImportJob.objects.order_by("-pk").first()
    assert job.state == ImportJob.State.FAILED and "不一致" in job.message
    # someone outside the department cannot even upload (404)
    client.force_login(member(tree["other"]))
    response = client.post(url, {"file": SimpleUploadedFile("监控表.xlsx", downloaded)})
    assert response.status_code == 404
    assert state() == before
