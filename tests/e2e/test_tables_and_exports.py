"""The standard table on screen, and an export from the form to the downloaded file."""

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation


def test_table_page_and_export_download(page: Page, login, screenshot, tmp_path):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__name="政务一体化平台建设")
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_role("link", name="查看标准表 / 打印").click()
    table = page.locator("table.std-table")
    expect(table).to_contain_text("项目支出绩效自评表")
    expect(table).to_contain_text("产出指标（50分）")
    expect(table.locator("td.s-percent").first).to_have_text("97.20%")
    screenshot(page, "table-01-project-self-evaluation")

    page.get_by_role("link", name="← 返回表单").click()
    page.get_by_role("button", name="导出 Excel").click()  # stays on the form (exports.js)
    line = page.locator(".export-inline").first
    expect(line.locator(".job-label")).to_have_text("已完成")
    screenshot(page, "table-02-exports")
    with page.expect_download() as download:
        line.get_by_role("link", name="下载 Excel").click()
    path = tmp_path / "download.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "项目支出绩效自评表"
    assert sheet["B3"].value == "政务一体化平台建设"
