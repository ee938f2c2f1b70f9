"""批量导入 in the browser: an administrator's file with errors, its failed rows fixed and imported;
a clerk's offline self-evaluation table uploaded, previewed and confirmed."""

import io

import openpyxl
from playwright.sync_api import Page, expect

from budgets.models import Project
from evaluations.models import SelfEvaluation
from reporting.tables.registry import evaluation_table
from reporting.tables.xlsx import render_xlsx
from tests.imports.conftest import xlsx

HEADERS = ["年度", "单位编码", "项目编码", "项目名称", "全年预算数·本年财政拨款"]


def test_admin_import_with_errors_then_fixed(page: Page, login, screenshot, tmp_path):
    login(page, "admin")
    page.goto("/imports/")
    page.get_by_label("数据类型").select_option("projects")
    bad = tmp_path / "项目.xlsx"
    bad.write_bytes(
        xlsx(
            HEADERS,
            [
                [2021, "101", "2021-101-950", "新项目", 50],
                [2021, "999", "2021-999-001", "单位不存在", "十"],
            ],
        )
    )
    page.locator("input[name=file]").set_input_files(bad)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-status")).to_contain_text("整个文件未导入")
    expect(page.locator("table.grid").last).to_contain_text("单位“999”不存在或已停用")
    # issue 14: the page says that the workbook holds the failed row only and nothing was imported
    expect(page.locator("#import-status")).to_contain_text("检查通过的 1 行也没有导入")
    expect(page.locator("#import-status")).to_contain_text("只含未通过的 1 行")
    screenshot(page, "import-01-errors")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载错误行").click()
    failed = tmp_path / "错误行.xlsx"
    download.value.save_as(failed)
    book = openpyxl.load_workbook(failed)
    ws = book["数据"]
    assert ws.max_row == 2 and ws["C2"].value == "2021-999-001"
    ws["B2"], ws["E2"] = "101", 10
    book.save(failed)
    page.goto("/imports/")
    page.get_by_label("数据类型").select_option("projects")
    page.locator("input[name=file]").set_input_files(failed)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("button", name="确认导入")).to_be_visible()
    screenshot(page, "import-02-ready")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#import-status")).to_contain_text("已导入：新增 1 行")
    assert Project.objects.filter(code="2021-999-001", department__code="101").exists()
    assert not Project.objects.filter(code="2021-101-950").exists()  # was only in the first file


def test_clerk_uploads_the_filled_table(page: Page, login, screenshot, tmp_path):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    ws = book.worksheets[0]
    first = next(r for r in ws.iter_rows() if r[0].value == "一级指标")[0].row + 1
    name = ws.cell(row=first, column=3).value
    ws.cell(row=first, column=5).value = "60"
    ws.cell(row=first, column=8).value = "离线填写的说明"
    path = tmp_path / "自评表.xlsx"
    book.save(path)
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_label("离线填写的自评表").set_input_files(path)
    page.locator("form.offline-import").get_by_role("button", name="上传并预览").click()
    expect(page.locator("table.grid").last).to_contain_text(name)
    expect(page.locator("table.grid").last).to_contain_text("离线填写的说明")
    screenshot(page, "import-03-table-preview")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#import-status")).to_contain_text("已导入")
    page.get_by_role("link", name="← 返回绩效自评").click()
    expect(page.get_by_label(f"{name}实际完成值")).to_have_value("60")
    screenshot(page, "import-04-form-after")
