"""Real exports of the demo data, opened and checked cell by cell."""

import io
import subprocess
import zipfile

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def export(tmp_path, *args) -> tuple[str, object]:
    out = io.StringIO()
    path = tmp_path / "out"
    call_command("export_tables", *args, "--output", str(path), stdout=out)
    return out.getvalue(), path


def test_project_table_xlsx_cell_by_cell(demo, tmp_path):
    printed, path = export(
        tmp_path,
        "--year",
        "2021",
        "--table",
        "project-self-evaluation",
        "--project",
        "2021-101-001",
        "--format",
        "xlsx",
    )
    assert "已写入" in printed and "1 张表" in printed
    sheet = load_workbook(path.with_suffix(".xlsx")).active
    assert sheet["A1"].value == "项目支出绩效自评表" and sheet["A2"].value == "（2021年度）"
    assert (sheet["A3"].value, sheet["B3"].value) == ("项目名称", "政务一体化平台建设")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:H1", "A2:H2", "B3:H3", "A5:A9"} <= merged
    headers = [sheet.cell(5, c).value for c in range(3, 9)]
    assert headers == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert (sheet["C6"].value, sheet["E6"].value) == (300, 291.6)
    assert sheet["C6"].number_format == "0.00" and sheet["G6"].number_format == "0.00%"
    assert sheet["G6"].value == pytest.approx(0.972)
    output = next(c for row in sheet.iter_rows() for c in row if c.value == "产出指标\n（50分）")
    assert any(str(r).startswith(output.coordinate + ":") for r in sheet.merged_cells.ranges)
    total = next(c for row in sheet.iter_rows() for c in row if c.value == "总分")
    assert sheet.cell(total.row, 6).value == 100 and sheet.cell(total.row, 7).value == 98.67
    assert sheet.cell(total.row, 8).value == "评价等级：优"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.print_title_rows == "$1:$2"  # title and year repeat on every printed page


def test_formula_like_text_never_becomes_a_formula(demo, tmp_path):
    from evaluations.models import SelfEvaluation

    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    evaluation.actual_text = '=HYPERLINK("http://evil","点我")'
    evaluation.save()
    _, path = export(
        tmp_path,
        "--year",
        "2021",
        "--table",
        "project-self-evaluation",
        "--project",
        "2021-101-001",
        "--format",
        "xlsx",
    )
    sheet = load_workbook(path.with_suffix(".xlsx")).active
    cell = next(
        c
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value
    )
    assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.system_packages("poppler-utils", "fonts-noto-cjk")
def test_department_table_pdf_has_chinese_text_and_embedded_font(demo, tmp_path):
    _, path = export(
        tmp_path,
        "--year",
        "2020",
        "--table",
        "department-self-evaluation",
        "--department",
        "103",
        "--format",
        "pdf",
    )
    pdf = str(path.with_suffix(".pdf"))
    text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True).stdout
    for expected in (
        "部门整体支出绩效自评表",
        "益阳市行政审批服务局",
        "1247.79",
        "95.76%",
        "99.58",
        "评价等级：优",
        "校验码",
    ):
        assert expected in text.replace(" ", "")
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and " yes yes " in fonts  # embedded, subset


def test_bad_arguments_are_chinese_errors(demo, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="年度 1999 不存在"):
        export(tmp_path, "--year", "1999", "--table", "summary", "--format", "xlsx")
    with pytest.raises(CommandError, match="单位编码 X 不存在"):
        export(
            tmp_path,
            "--year",
            "2021",
            "--table",
            "summary",
            "--department",
            "X",
            "--format",
            "xlsx",
        )
    with pytest.raises(CommandError, match="没有可导出的表格"):
        export(tmp_path, "--year", "2023", "--table", "project-self-evaluation", "--format", "pdf")


def test_html_and_bundle(demo, tmp_path):
    printed, path = export(tmp_path, "--year", "2021", "--table", "summary", "--format", "html")
    html = path.with_suffix(".html").read_text()
    assert "绩效自评结果汇总表" in html and "<style>" in html
    printed, path = export(tmp_path, "--year", "2021", "--table", "bundle", "--format", "xlsx")
    # 8 files of the year-end tables, and the demo's 2021 monitoring round: a 绩效目标执行监控表
    # file for each of its 3 departments with sheets, and the 监控情况汇总表 at the top
    # and the 结果应用表 (issue 17) at the top: 13
    assert "13 个文件" in printed
    names = zipfile.ZipFile(path.with_suffix(".zip")).namelist()
    assert sum("绩效目标执行监控表" in n for n in names) == 3
    assert [n for n in names if "/" not in n and "监控" in n] == [
        "2021_全部单位_绩效运行监控情况汇总表.xlsx"
    ]
