"""Opening a year from the last (issue 15, item 1): the administrator opens 2022 from the demo's
2021 in 系统管理 (预览 lists what would be copied, then 确认开设); a clerk opens a carried project's
target grid in 2022, finds last year's lines as a draft and sees 上年指标值 and 上年实际完成值
beside each one, edits a target and saves."""

import re

from playwright.sync_api import Page, expect

from budgets.models import FiscalYear, Project
from evaluations.models import FormState, Indicator, TargetSheet

PROJECT = "政务一体化平台建设"
SHOTS = "year-opening"


def test_open_2022_from_2021_and_see_last_years_values(page: Page, login, screenshot):
    assert not FiscalYear.objects.filter(year=2022).exists()
    Project.objects.filter(year__year=2021, code="2021-101-003").update(ended=True)

    # ---- 1. The administrator previews, then opens 2022 from 2021 --------------------------
    login(page, "admin")
    page.locator("header nav").get_by_role("link", name="系统管理").click()
    page.locator("#content-main").get_by_role("link", name="年度", exact=True).click()
    page.get_by_role("link", name="从上一年度开设新年度").click()
    page.get_by_label("新年度").fill("2022")
    page.get_by_label("从上一年度").select_option("2021")
    page.get_by_role("button", name="预览（不保存）").click()
    preview = page.locator("#opening-preview")
    expect(preview).to_contain_text("2022年度（从2021年度）将创建")
    expect(preview).to_contain_text("项目7个")
    expect(preview).to_contain_text(PROJECT)
    expect(preview).to_contain_text("已结束、不结转的项目（1个）")
    expect(preview).to_contain_text("网络及系统运维费")
    screenshot(page, f"{SHOTS}-01-admin-preview")
    assert not FiscalYear.objects.filter(year=2022).exists()
    page.get_by_role("button", name="确认开设2022年度").click()
    expect(page.locator("ul.messagelist")).to_contain_text("2022年度（从2021年度）已创建")
    expect(page.locator("#result_list")).to_contain_text("2022")
    screenshot(page, f"{SHOTS}-02-admin-opened")
    page.goto("/")
    page.locator("header .userbox").get_by_role("button", name="退出").click()

    # ---- 2. The clerk opens the carried project's grid in 2022 ------------------------------
    login(page, "xn_clerk")
    page.goto("/")
    page.locator("#year").select_option("2022")
    expect(page).to_have_url(re.compile(r"/\?year=2022$"))
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=PROJECT, exact=True))
    row.locator("a.state-link").first.click()
    expect(page.locator("h1")).to_contain_text("绩效目标申报表")
    expect(page.locator(".form-head .state")).to_have_text("草稿")
    page.wait_for_load_state()
    line = page.locator("tr.ind-row").filter(
        has=page.locator("input[value='鄂汇办旗舰店便民服务应用入驻数']")
    )
    expect(line.locator("[data-previous-year]")).to_have_text(
        "上年指标值：50 项 · 上年实际完成值：52 项（未审核）"
    )
    expect(page.locator("[data-previous-year]")).to_have_count(7)
    line.get_by_label("年度指标值").fill("60")
    screenshot(page, f"{SHOTS}-03-grid-with-last-year")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿。")
    # saved: the line keeps its link to last year's, so the values stay beside it
    expect(line.locator("[data-previous-year]")).to_contain_text("上年实际完成值：52 项")

    carried = Indicator.objects.get(sheet__year__year=2022, name="鄂汇办旗舰店便民服务应用入驻数")
    assert carried.target_value == "60" and carried.previous.target_value == "50"
    assert carried.sheet.state == FormState.DRAFT
    assert not TargetSheet.objects.filter(year__year=2022, project__code="2021-101-003").exists()
