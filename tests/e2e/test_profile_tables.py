"""Issue 14 item 9: 填表人 and 联系电话 come from the profile of whoever filled the form. A clerk
sets them on 个人信息; the screen table and the XLSX a clerk exports print them."""

import io

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation
from reporting.tables.registry import evaluation_table, targets_table
from reporting.tables.xlsx import render_xlsx


def _footer(sheet) -> list[str]:
    return [
        str(cell.value)
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith(("填表人", "联系电话"))
    ]


def test_profile_name_and_phone_print_on_the_tables(page: Page, login, screenshot):
    login(page, "xn_clerk")
    page.get_by_role("link", name="个人信息").click()
    page.get_by_label("姓名").fill("张晓明")
    page.get_by_label("联系电话").fill("电话号码")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".err")).to_contain_text("联系电话只能由数字")  # refused, beside it
    expect(page.get_by_label("姓名")).to_have_value("张晓明")  # nothing typed lost
    page.get_by_label("联系电话").fill("0715-8256789 转 801")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存个人信息")
    expect(page.locator(".userbox")).to_contain_text("张晓明")
    screenshot(page, "profile-01-saved")

    # the clerk saves the form: they are its 填表人
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    page.get_by_role("link", name="查看标准表 / 打印").click()
    table = page.locator("table.std-table")
    expect(table).to_contain_text("填表人：张晓明")
    expect(table).to_contain_text("联系电话：0715-8256789 转 801")
    screenshot(page, "profile-02-table-footer")

    evaluation.refresh_from_db()
    workbook = load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    assert _footer(workbook.active) == ["填表人：张晓明", "联系电话：0715-8256789 转 801"]

    # the target sheet was not saved by anyone in the browser: its footer stays blank
    sheet_table = targets_table(evaluation.project.target_sheet)
    texts = [c.value for c in sheet_table.cells if isinstance(c.value, str)]
    assert "填表人：" in texts
