"""Issue 14 item 9: 系统管理 in the product's look: a Chinese header, the product's colours, a
link back to the product, no stock English or “我的动作 无可选的”."""

from playwright.sync_api import Page, expect


def test_admin_index_has_the_products_header_and_colours(page: Page, login, screenshot):
    login(page, "admin")
    page.get_by_role("link", name="系统管理").click()
    header = page.locator("#header")
    expect(header).to_contain_text("绩效自评系统 · 系统管理")
    expect(page).to_have_title("系统设置 | 绩效自评系统")
    # the product's brand gradient (app.css --brand #1f3b73 → --brand-2 #2c5aa0)
    background = header.evaluate("el => getComputedStyle(el).backgroundImage")
    assert "rgb(31, 59, 115)" in background and "rgb(44, 90, 160)" in background
    font = page.locator("body").evaluate("el => getComputedStyle(el).fontFamily")
    assert "Noto Sans CJK SC" in font
    body = page.locator("body")
    expect(body).not_to_contain_text("我的动作")
    expect(body).not_to_contain_text("无可选的")
    expect(body).not_to_contain_text("Django")
    expect(page.locator("#content-related")).to_contain_text("操作记录")
    screenshot(page, "admin-01-index")
    page.get_by_role("link", name="返回系统首页").first.click()
    expect(page.locator(".topbar")).to_contain_text("预算绩效自评系统")
