"""Every XLSX table, cell by cell: a numeric column holds numbers or nothing. Where a number is
missing (无数据, 超出范围) the cell is empty and its comment says why; the screen and the PDF
still print the word. (“—”, not applicable, is printed by the official tables and stays.)"""

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from budgets.models import Department, FiscalYear
from reporting.models import ExportJob
from reporting.tables import plan
from reporting.tables.base import NUMERIC, Missing
from reporting.tables.html import render_html
from reporting.tables.registry import summary_table
from reporting.tables.xlsx import render_xlsx, sheet_names

pytestmark = pytest.mark.django_db
WORDS = {"无数据", "超出范围"}


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def check_workbook(tables, content: bytes) -> int:
    """Compare each sheet with its description; the number of Missing cells met."""
    book = load_workbook(io.BytesIO(content))
    missing = 0
    for table, name in zip(tables, sheet_names([t.sheet_name for t in tables]), strict=True):
        sheet = book[name]
        for cell in table.cells:
            value = sheet.cell(cell.row + 1, cell.col + 1)
            where = f"{name}!{value.coordinate}"
            assert value.value not in WORDS, where
            if isinstance(cell.value, Missing):
                missing += 1
                assert value.value is None, where
                if cell.value.note:
                    assert value.comment is not None and value.comment.text == cell.value.note
            elif cell.style in NUMERIC:
                assert value.value is None or isinstance(value.value, int | float), where
    return missing


def test_every_table_of_every_demo_year(demo):
    departments = set(Department.objects.values_list("pk", flat=True))
    met = 0
    for year in FiscalYear.objects.all():
        for item in plan.files_for(ExportJob.Kind.BUNDLE, year, departments, set()):
            met += check_workbook(item.tables, render_xlsx(item.tables))
    assert met > 0  # the demo has missing figures (部门整体 without budget data): checked


def test_summary_missing_budget_is_empty_with_a_comment_and_a_legend(demo):
    year = FiscalYear.objects.get(year=2023)  # 随州: 部门整体 targets, no 部门整体预算数据
    table = summary_table(year, None)
    content = render_xlsx([table])
    assert check_workbook([table], content) >= 2
    sheet = load_workbook(io.BytesIO(content)).active
    numeric = {}
    for row in sheet.iter_rows(min_row=4):
        if row[0].value == "合计":
            break
        for cell in row[3:8]:  # 全年预算数 … 审核得分
            numeric[cell.coordinate] = cell.value
            assert cell.value is None or isinstance(cell.value, int | float), cell.coordinate
    assert None in numeric.values()
    texts = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("说明：“无数据”为尚未录入的数") for t in texts)
    # the screen and the PDF (the same HTML) still say it
    assert "无数据" in render_html(table)


def test_missing_survives_the_json_of_a_table(demo):
    from reporting.tables.base import Table

    table = summary_table(FiscalYear.objects.get(year=2023), None)
    again = Table.from_json(table.to_json())
    assert [type(c.value) for c in again.cells] == [type(c.value) for c in table.cells]
    assert check_workbook([again], render_xlsx([again])) >= 2
