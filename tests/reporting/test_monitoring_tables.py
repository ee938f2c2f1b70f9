"""绩效目标执行监控表 and the 监控情况汇总表: the description, the XLSX cell by cell, the PDF, the
export command and the query budgets."""

import io
import os
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from evaluations.models import FormState
from reporting.tables import registry
from reporting.tables.html import render_html
from reporting.tables.pdf import render_pdf
from reporting.tables.xlsx import render_xlsx
from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory
from tests.monitoring_data import fill, round_create, sheet_create

pytestmark = pytest.mark.django_db
D = Decimal
FILLED = [
    ("30万件", "48万件", "certain", "", "", "按计划推进"),
    ("1.5小时", "2小时", "possible", "staff", "维修人员不足", "增聘两人"),
    ("正常运转", "保障正常运转", "impossible", "other", '=HYPERLINK("x")', "@整改"),
]


@pytest.fixture
def monitoring(sheet):
    round_ = round_create(sheet.year)
    return sheet_create(round_, sheet)


def cells(ws):
    return {
        (c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None
    }


def row_of(ws, text, col=1):
    for row in ws.iter_rows():
        if row[col - 1].value == text:
            return row[0].row
    raise AssertionError(f"{text} not found")


def test_offline_form_is_blank_where_not_filled(monitoring):
    table = registry.monitoring_table(monitoring)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx([table])))
    ws = wb.active
    assert ws["A1"].value == "绩效目标执行监控表"
    assert ws["A2"].value == "（2025年1–7月）"
    assert ws["A3"].value == "项目名称"
    assert ws["B3"].value == monitoring.project.name
    assert ws["A4"].value == "主管部门" and ws["F4"].value == "实施单位"
    assert ws["B4"].value == "市政务服务和大数据管理局"
    assert ws["G4"].value == "市政府大数据中心"
    funds = row_of(ws, "预算执行情况（万元）")
    headings = [ws.cell(funds, c).value for c in range(2, 11)]
    assert headings == [
        "全年预算数",
        None,
        "1–7月执行数",
        "执行率",
        "全年预计执行数",
        "预计执行率",
        "时间进度",
        "监控结果",
        None,
    ]
    assert ws.cell(funds + 1, 2).value == 158  # 全年预算数 copied at opening
    assert ws.cell(funds + 1, 2).number_format == "0.00"
    for col in (4, 5, 6, 7, 9):  # nothing reported yet: blank, not 0
        assert ws.cell(funds + 1, col).value is None
    assert ws.cell(funds + 1, 8).value == pytest.approx(212 / 365, abs=1e-4)  # 时间进度
    assert ws.cell(funds + 1, 8).number_format == "0.00%"
    header = row_of(ws, "一级指标")
    assert [ws.cell(header, c).value for c in range(1, 11)] == [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "1–7月实际完成值",
        "全年预计完成值",
        "完成目标可能性",
        "偏差原因（类别：说明）",
        "完成目标的措施",
        "监控结果",
    ]
    assert ws.cell(header + 1, 3).value == "话务平台接听量"
    assert ws.cell(header + 1, 4).value == "≥45万件"
    for r in range(header + 1, header + 5):
        assert [ws.cell(r, c).value for c in range(5, 11)] == [None] * 6
    # 一级 merged over its rows (产出: 2 rows), 二级 each its own
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert f"A{header + 1}:A{header + 2}" in merges
    assert ws.cell(header + 1, 1).value == "产出指标\n（50分）"
    assert ws.cell(row_of(ws, "年度总体目标"), 2).value == "完成年度建设任务"
    footer = [ws.cell(ws.max_row, c).value for c in (1, 3, 6, 8)]
    assert footer == ["填表人：", "填报日期：", "联系电话：", "单位负责人签字："]


def test_filled_table_cell_by_cell_with_lights_escaping_and_rectification(monitoring):
    fill(monitoring, executed="60", predicted="150", reason="采购延期", lines=FILLED)
    line = monitoring.lines.get(indicator__name="设施维修时间")
    line.rectification_request = "请说明人员缺口"
    line.rectification_result = "已增聘"
    line.save()
    table = registry.monitoring_table(monitoring)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx([table])))
    ws = wb.active
    funds = row_of(ws, "预算执行情况（万元）")
    values = [ws.cell(funds + 1, c).value for c in (2, 4, 5, 6, 7)]
    assert values[:2] == [158, 60]
    assert values[2] == pytest.approx(60 / 158, abs=1e-9)
    assert values[3] == 150 and values[4] == pytest.approx(150 / 158, abs=1e-9)
    # 60/158 = 38% against 58% elapsed: more than the red gap (policy default) behind → red
    assert ws.cell(funds + 1, 9).value == "红灯"
    assert ws.cell(funds + 1, 9).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.cell(funds + 2, 2).value == "执行偏差原因"
    assert ws.cell(funds + 2, 4).value == "采购延期"
    header = row_of(ws, "一级指标")
    first = [ws.cell(header + 1, c).value for c in range(5, 11)]
    assert first == ["30万件", "48万件", "确定能完成", None, "按计划推进", "绿灯"]
    assert ws.cell(header + 1, 10).fill.fgColor.rgb.endswith("C6EFCE")
    second = [ws.cell(header + 2, c).value for c in range(5, 11)]
    assert second == [
        "1.5小时",
        "2小时",
        "有可能完成",
        "人员保障：维修人员不足",
        "增聘两人",
        "黄灯",
    ]
    assert ws.cell(header + 2, 10).fill.fgColor.rgb.endswith("FFEB9C")
    third = [ws.cell(header + 3, c).value for c in range(5, 11)]
    assert third[3] == '其他：=HYPERLINK("x")'
    # text that would be a formula: written as text with Excel's quote prefix
    assert third[4] == "@整改" and ws.cell(header + 3, 9).quotePrefix
    assert ws.cell(header + 3, 9).data_type == "s"
    assert third[5] == "红灯"
    assert ws.cell(header + 4, 10).value is None  # 满意度: not stated, no light
    request = row_of(ws, "整改要求和建议")
    assert ws.cell(request, 2).value == "【设施维修时间】请说明人员缺口"
    assert ws.cell(request + 1, 1).value == "整改结果"
    html = render_html(table)
    assert 'class="s-red"' in html and 'class="s-green"' in html


def test_department_wide_sheet_and_pdf(monitoring, tmp_path):
    wide = TargetSheetFactory(
        project=None,
        year=monitoring.year,
        department=monitoring.department,
        state=FormState.APPROVED,
        overall_goal="保障中心正常运转",
    )
    IndicatorFactory(sheet=wide, name="政务云服务单位", target_value="30", unit="家")
    other = sheet_create(monitoring.round, wide)
    fill(monitoring, lines=FILLED)
    tables = registry.monitoring_tables([other, monitoring])
    assert tables[0].cells[2].value == "预算部门"
    assert tables[0].cells[3].value == "市政府大数据中心"
    pdf = render_pdf(tables)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "m.pdf").write_bytes(pdf)
    shots = os.environ.get("P16B_SHOTS")
    if shots:  # look at it: pdftoppm -png
        (Path(shots) / "monitoring.pdf").write_bytes(pdf)


def test_query_budget_does_not_grow(monitoring, django_assert_max_num_queries):
    for _ in range(6):
        project = ProjectFactory(department=monitoring.department, year=monitoring.year)
        target = TargetSheetFactory(project=project, state=FormState.APPROVED)
        for _ in range(4):
            IndicatorFactory(sheet=target)
        fill(sheet_create(monitoring.round, target), lines=FILLED)
    with django_assert_max_num_queries(4):
        tables = registry.monitoring_by_department(monitoring.round, None)
    assert sum(len(v) for v in tables.values()) == 7
    with django_assert_max_num_queries(2):
        registry.monitoring_summary_table(monitoring.round)


def test_summary_counts_by_department(monitoring, tree):
    fill(monitoring, executed="60", lines=FILLED, state=FormState.SUBMITTED)
    project = ProjectFactory(department=tree["hotline"], year=monitoring.year, full_current=D("40"))
    target = TargetSheetFactory(project=project, state=FormState.APPROVED)
    IndicatorFactory(sheet=target)
    fill(
        sheet_create(monitoring.round, target),
        executed="30",
        predicted="40",
        lines=[("50", "100", "certain", "", "", "")],
        state=FormState.APPROVED,
    )
    table = registry.monitoring_summary_table(monitoring.round)
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx([table]))).active
    assert ws["A1"].value == "绩效运行监控情况汇总表"
    assert ws.cell(3, 14).value == "1–7月执行数（万元）"
    centre = [ws.cell(4, c).value for c in range(1, 17)]
    assert centre[:12] == [1, "市政府大数据中心", 1, 0, 1, 0, 1, 0, 0, 1, 1, 1]
    assert centre[12:14] == [158, 60]
    assert centre[14] == pytest.approx(60 / 158, abs=1e-4)
    assert ws.cell(4, 15).font.b  # behind the time elapsed: bold
    hotline = [ws.cell(5, c).value for c in range(1, 13)]
    assert hotline == [2, "市12345公共服务热线中心", 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    total = [ws.cell(6, c).value for c in range(1, 15)]
    assert total[0] == "合计" and total[2:5] == [2, 0, 1] and total[12:14] == [198, 90]
    pdf = render_pdf([table])
    assert pdf.startswith(b"%PDF")
    if shots := os.environ.get("P16B_SHOTS"):  # look at it: pdftoppm -png
        (Path(shots) / "monitoring-summary.pdf").write_bytes(pdf)
    scoped = registry.monitoring_summary_table(monitoring.round, {tree["hotline"].pk})
    assert [c.value for c in scoped.cells if c.row == 3 and c.col == 1] == [
        "市12345公共服务热线中心"
    ]


def test_export_command_writes_each_project_monitoring_table(monitoring, tmp_path):
    project = ProjectFactory(department=monitoring.department, year=monitoring.year)
    target = TargetSheetFactory(project=project, state=FormState.APPROVED)
    IndicatorFactory(sheet=target)
    sheet_create(monitoring.round, target)
    out = tmp_path / "m.zip"
    call_command("export_tables", year=2025, table="monitoring", format="xlsx", output=str(out))
    names = zipfile.ZipFile(out).namelist()
    assert len(names) == 2 and all("绩效目标执行监控表" in n for n in names)
    out = tmp_path / "s.xlsx"
    call_command(
        "export_tables", year=2025, table="monitoring-summary", format="xlsx", output=str(out)
    )
    assert openpyxl.load_workbook(out).active["A1"].value == "绩效运行监控情况汇总表"
