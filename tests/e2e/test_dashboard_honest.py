"""绩效看板 does not mislead: grades only of the forms handed in (a draft's grade apart, labelled),
every department the reviewer covers listed (one with nothing started as 未开始), the pending
目标调整 requests counted with a way to 审核工作台; the 汇总表 XLSX holds numbers in its numeric
columns (an empty cell with a comment where a figure is missing)."""

import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from budgets.models import Department
from evaluations.models import Indicator, SelfEvaluation, TargetAdjustment

XIANNING = {"department__code__startswith": "101", "year__year": 2021}


def test_grades_of_handed_in_forms_every_department_and_adjustments(page: Page, login, screenshot):
    bureau = Department.objects.get(code="101")
    Department.objects.create(code="101009", name="咸宁市数据资源中心", parent=bureau)
    pending = TargetAdjustment.objects.filter(state="pending", indicator__sheet__year__year=2021)
    assert not pending.exists()
    indicator = Indicator.objects.filter(
        sheet__department=bureau, sheet__year__year=2021, sheet__state="approved"
    ).first()
    TargetAdjustment.objects.create(
        indicator=indicator, old_value=indicator.target_value, new_value="1", reason="项目调整"
    )
    forms = SelfEvaluation.objects.filter(**XIANNING)
    drafts = forms.filter(state="draft")
    # one graded form handed in (the demo's are all drafts), others left as drafts with a grade
    handed = drafts.exclude(grade="").order_by("pk").first()
    SelfEvaluation.objects.filter(pk=handed.pk).update(state="submitted")
    assert drafts.exclude(grade="").exists()  # a draft with a grade: must not be counted
    handed_in = forms.filter(state__in=("submitted", "approved"))

    login(page, "reviewer")
    page.get_by_role("link", name="绩效看板").click()
    expect(page.locator("h1")).to_have_text("2021年度绩效看板")
    table = page.locator("#grade-counts")
    for grade in ("优", "良", "中", "差"):
        expected = handed_in.filter(grade=grade).count()
        expect(table.locator("tr", has_text=grade).locator("b")).to_have_text(str(expected))
    expect(table.locator("tr", has_text=handed.grade).locator("b")).to_have_text("1")
    expect(page.locator("#grades")).to_contain_text("仅计已提交和已审核的自评表")
    expect(page.locator("#grades-apart")).to_contain_text(f"草稿 {drafts.count()} 份")
    expect(page.locator("#grades svg .grade-apart")).to_contain_text("未提交·不计入")

    row = page.locator("#departments tbody tr", has_text="咸宁市数据资源中心")
    expect(row).to_contain_text("未开始")
    expect(row).to_contain_text("尚无项目和绩效目标")
    expect(page.locator("#idle-departments")).to_contain_text("咸宁市数据资源中心")
    expect(page.locator("#tile-adjustments")).to_have_text("1")
    screenshot(page, "dashboard-honest-01")

    page.get_by_role("link", name=re.compile("目标调整待审批")).click()
    expect(page).to_have_url(re.compile(r"/review/\?year=2021&kind=adjustment&state=submitted$"))


def test_summary_xlsx_numeric_cells_are_numbers(page: Page, login, screenshot, tmp_path):
    login(page, "reviewer")
    page.goto("/exports/")
    page.locator("select[name=year]").select_option("2023")
    page.locator("select[name=kind]").select_option("summary")
    page.locator("select[name=format]").select_option("xlsx")
    page.get_by_role("button", name="导出", exact=True).click()
    row = page.locator("tr.job").first
    expect(row.locator(".job-label")).to_have_text("已完成")
    with page.expect_download() as download:
        row.get_by_role("link", name="下载").click()
    assert download.value.suggested_filename == "2023_全部单位_自评结果汇总表.xlsx"
    path = tmp_path / "summary.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[3]][3:8] == [
        "全年预算数（万元）",
        "全年执行数（万元）",
        "执行率",
        "自评得分",
        "审核得分",
    ]
    empty_with_comment = 0
    rows = 0
    for cells in sheet.iter_rows(min_row=4):
        if cells[0].value == "合计":
            break
        rows += 1
        for cell in cells[3:8]:
            assert cell.value is None or isinstance(cell.value, int | float), cell.coordinate
            if cell.value is None and cell.comment is not None:
                assert cell.comment.text.startswith("无数据")
                empty_with_comment += 1
    assert rows > 0 and empty_with_comment > 0
    texts = [c.value for line in sheet.iter_rows() for c in line if isinstance(c.value, str)]
    assert "无数据" not in texts
    assert any(t.startswith("说明：“无数据”为尚未录入的数") for t in texts)
    screenshot(page, "dashboard-honest-03-summary-export")
