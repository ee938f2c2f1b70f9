"""指标库 in the target grid (issue 15, item 3): a clerk searches the library with instant
filtering, picks one entry by keyboard and one by mouse, saves; the lines are stored with their
library link and the entry's texts."""

from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import Page, expect

from evaluations.models import Indicator, LibraryIndicator, TargetSheet

PROJECT = "2023-102-001"  # 随州 12345 热线, a draft in the demo


def options(page: Page):
    return page.locator("#lib-list [role=option]")


def grid_row(page: Page, name: str):
    """The grid row whose 三级指标 input holds `name` (typed or filled by script)."""
    rows = page.locator("tr.ind-row")
    for index in range(rows.count()):
        if rows.nth(index).locator("input.w-name").input_value() == name:
            return rows.nth(index)
    raise AssertionError(f"没有“{name}”这一行")


def test_clerk_takes_two_indicators_from_the_library(page: Page, login, screenshot):
    sheet = TargetSheet.objects.get(project__code=PROJECT)
    before = sheet.indicators.count()
    login(page, "sz_clerk")
    page.goto(reverse("target_sheet", args=[sheet.pk]))
    search = page.get_by_role("combobox", name="从指标库选取")
    expect(search).to_have_attribute("aria-expanded", "false")

    # typing filters at once (no request), options in a listbox
    search.click()
    search.press_sequentially("满意率")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    names = [t.split("\n")[0] for t in options(page).all_inner_texts()]
    assert names and all("满意率" in n for n in names), names
    expect(page.locator("#lib-status")).to_contain_text(f"找到 {len(names)} 条")
    # Esc closes, an arrow key opens again
    search.press("Escape")
    expect(listbox).to_be_hidden()
    search.press("ArrowDown")
    expect(listbox).to_be_visible()
    # the 行业/领域 filter narrows the list
    page.locator("#lib-domain").select_option("运维保障")
    expect(options(page)).to_have_count(1)
    expect(options(page).first).to_contain_text("入驻单位满意率")
    page.locator("#lib-domain").select_option("")
    expect(options(page)).to_have_count(len(names))
    screenshot(page, "library-search-open")

    # keyboard: the first option is active; ↓ moves to the second, Enter chooses it
    search.focus()
    expect(options(page).first).to_have_attribute("aria-selected", "true")
    search.press("ArrowDown")
    second = options(page).nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", "lib-option-1")
    by_keyboard = second.locator(".lib-name").inner_text()
    search.press("Enter")  # chooses; never submits the grid
    expect(listbox).to_be_hidden()
    expect(page).to_have_url(reverse("target_sheet", args=[sheet.pk]))
    row = grid_row(page, by_keyboard)
    expect(row.locator("select.level2 option:checked")).to_have_text("服务对象满意度指标")
    expect(row.locator("select.level1 option:checked")).to_have_text("满意度指标")
    expect(row.locator("input.w-target")).to_have_value("95")
    expect(row.locator("input.w-unit")).to_have_value("%")
    expect(row.locator(".lib-badge")).to_be_visible()
    row.locator("input.w-weight").fill("2")

    # mouse: search by another word, click the option
    search.fill("")
    search.press_sequentially("虚拟机")
    expect(options(page)).to_have_count(1)
    options(page).first.click()
    by_mouse = "政务云平台虚拟机提供数"
    expect(listbox).to_be_hidden()
    row2 = grid_row(page, by_mouse)
    expect(row2.locator("select.level2 option:checked")).to_have_text("数量指标")
    expect(row2.locator("input.w-target")).to_have_value("300")
    # the row stays editable: the clerk changes the value the library suggested
    row2.locator("input.w-target").fill("320")
    row2.locator("input.w-weight").fill("3")
    screenshot(page, "library-two-rows-filled")

    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("body")).to_contain_text("已保存草稿")

    assert sheet.indicators.count() == before + 2
    keyboard_entry = LibraryIndicator.objects.get(name=by_keyboard)
    line = Indicator.objects.get(sheet=sheet, name=by_keyboard)
    assert line.library_id == keyboard_entry.pk
    assert line.category.name == "服务对象满意度指标"
    assert (line.comparator, line.target_value, line.unit) == ("≥", "95", "%")
    assert line.weight == Decimal("2")
    assert line.explanation == keyboard_entry.explanation
    assert line.scoring_rule == keyboard_entry.scoring_rule
    cloud = Indicator.objects.get(sheet=sheet, name=by_mouse)
    assert cloud.library.code == "XXH-SL-002"
    assert cloud.target_value == "320"
    assert cloud.scoring_rule == cloud.library.scoring_rule

    # after the reload, the badge names the entry and a second save keeps every text
    expect(page.locator(".lib-badge", has_text="XXH-SL-002")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("body")).to_contain_text("已保存草稿")
    cloud.refresh_from_db()
    assert cloud.library.code == "XXH-SL-002"
    assert cloud.explanation and cloud.scoring_rule
    screenshot(page, "library-saved")
