"""抽查复核 and 结果应用表 (issue 17) in Chromium, on the demo data with 咸宁's three 2021
self-evaluations approved: finance draws a seeded sample (preview, then draw), re-scores one
sampled form (a refused score first: the message, every typed value kept), sees the department
flagged, finds the difference in the 自评结果汇总表's XLSX, reads the suggestion in the 结果应用表,
changes one suggestion with a reason and exports the table as XLSX."""

import shutil
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from evaluations.models import FormState, SelfEvaluation, SpotCheck, SpotCheckItem
from evaluations.services import evaluation_freeze

SHOTS = Path("/work/shots/p17b")
BUREAU = "咸宁市政务服务和大数据管理局"
HOTLINE = "市政府12345公共服务热线项目建设及运维费"


def shot(page: Page, screenshot, name: str) -> None:
    path = screenshot(page, f"spot-check-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def approve_2021() -> None:
    """As if finance had approved 咸宁's 2021 self-evaluations (the approval is tested
    elsewhere): approved and frozen."""
    SelfEvaluation.objects.filter(year__year=2021).update(
        state=FormState.APPROVED, approved_at=timezone.now()
    )
    for evaluation in SelfEvaluation.objects.filter(year__year=2021):
        evaluation_freeze(evaluation)


def test_finance_samples_rechecks_and_applies_results(page: Page, login, screenshot, tmp_path):
    approve_2021()
    login(page, "reviewer")
    page.locator("nav.mainnav").get_by_role("link", name="抽查复核").click()
    page.locator("select#year").select_option("2021")
    expect(page.locator("#population")).to_have_text("3")
    form = page.locator("#draw-form")
    form.locator("input[name=percent]").fill("50")
    form.locator("input[name=minimum]").fill("1")
    form.locator("input[name=seed]").fill("2026")
    page.locator("#preview-button").click()
    expect(page.locator("#preview-count")).to_have_text("2")
    expect(page.locator("#draw-form input[name=seed]")).to_have_value("2026")
    assert not SpotCheck.objects.exists()  # a preview writes nothing
    shot(page, screenshot, "01-preview")
    page.locator("#draw-button").click()
    expect(page.locator("#seed")).to_have_text("2026")
    expect(page.locator("#reproduced")).to_contain_text("核验一致")
    sample = SpotCheck.objects.get()
    assert sample.seed == 2026 and sample.items.count() == 2
    shot(page, screenshot, "02-sample")

    # re-check the bureau's sampled form
    row = page.locator("#items tbody tr", has_text=BUREAU).first
    row.get_by_role("link", name="复核").click()
    item = SpotCheckItem.objects.get(spot_check=sample, evaluation__department__name=BUREAU)
    first = page.locator("#recheck-lines tbody tr").nth(1).locator("input")
    first.fill("999")
    page.locator("#conclusion").fill("产出数量佐证不足，按实际核减")
    page.locator("#recheck-save").click()
    expect(page.locator("#recheck-errors")).to_contain_text("复核得分")
    expect(page.locator("#conclusion")).to_have_value("产出数量佐证不足，按实际核减")
    expect(first).to_have_value("999")
    item.refresh_from_db()
    assert not item.done
    shot(page, screenshot, "03-recheck-refused")
    first.fill("0")
    page.locator("#recheck-save").click()
    expect(page.locator("#recheck-total")).to_be_visible()
    item.refresh_from_db()
    own = item.evaluation.total_score
    assert item.done and item.total_score < own - 5
    difference = item.total_score - own
    shot(page, screenshot, "04-rechecked")

    page.get_by_role("link", name="返回样本").click()
    expect(page.locator("#done-count")).to_have_text("1")
    expect(page.locator("#differences")).to_contain_text("复核差异大")
    shot(page, screenshot, "05-flagged")

    # the other sampled form waits on the 待办
    page.goto("/")
    expect(page.locator('#todo [data-todo="recheck"]')).to_contain_text("待复核（抽查）")

    # the 自评结果汇总表 (export, XLSX): 复核得分 and the difference beside the self score
    page.goto("/exports/")
    page.locator("select[name=year]").select_option("2021")
    page.locator("select[name=kind]").select_option("summary")
    page.locator("select[name=format]").select_option("xlsx")
    page.get_by_role("button", name="导出", exact=True).click()
    job = page.locator("tr.job").first
    expect(job.locator(".job-label")).to_have_text("已完成")
    with page.expect_download() as download:
        job.get_by_role("link", name="下载").click()
    path = tmp_path / "summary.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[3]][8:10] == ["复核得分", "差异（复核−自评）"]
    name = item.evaluation.project.name
    found = [r for r in sheet.iter_rows(min_row=4) if r[2].value == name]
    assert len(found) == 1
    assert found[0][1].value == f"{BUREAU}（复核差异大）"
    assert Decimal(str(found[0][8].value)) == item.total_score
    assert Decimal(str(found[0][9].value)) == difference

    # the 结果应用表: the re-checked form graded by its 复核分; change the hotline's suggestion
    page.locator("nav.mainnav").get_by_role("link", name="结果应用").click()
    page.locator("select#year").select_option("2021")
    rechecked = page.locator(f"#row-{item.evaluation_id}")
    expect(rechecked).to_contain_text("复核分")
    expect(rechecked.locator(".grade")).to_have_text(item.grade)
    hotline = SelfEvaluation.objects.get(project__name=HOTLINE)
    row = page.locator(f"#row-{hotline.pk}")
    expect(row.locator(".applied")).to_have_text("优先保障")
    row.locator("summary").click()
    row.locator("select[name=suggestion]").select_option("维持")
    row.locator("textarea[name=reason]").fill("项目明年进入收尾期，维持现有规模")
    row.get_by_role("button", name="保存").click()
    expect(page.locator(f"#row-{hotline.pk} .applied")).to_contain_text("维持")
    expect(page.locator(f"#row-{hotline.pk} .applied")).to_contain_text("已调整")
    expect(page.locator(f"#row-{hotline.pk} .applied")).to_contain_text("项目明年进入收尾期")
    shot(page, screenshot, "06-results-application")
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    assert download.value.suggested_filename == "2021_全部单位_结果应用表.xlsx"
    path = tmp_path / "results.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "绩效评价结果应用表"
    rows = {r[2].value: [c.value for c in r] for r in sheet.iter_rows(min_row=4) if r[2].value}
    assert rows[HOTLINE][9:] == ["优先保障", "维持（已调整）", "项目明年进入收尾期，维持现有规模"]
    assert rows[name][7] == "复核分"
