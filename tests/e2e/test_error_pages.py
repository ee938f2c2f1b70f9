"""The error pages as a browser shows them (the test server runs with DEBUG off, as in
production): Chinese, in the site's layout, a button home that works. Screenshots:
test-artifacts/screens/error-*.png."""

from unittest import mock

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import VIEWPORT

PAGES = [
    # (name, how to get there, status, heading)
    ("error-404", "/evaluations/999999/", 404, "未找到该页面"),
    ("error-400", "/review/?department=²", 400, "请求有误，本次操作未执行"),
    ("error-405", "/targets/start/", 405, "该地址不能直接打开"),
    ("error-500", "/", 500, "系统出错，本次操作未完成"),
]


def test_error_pages_in_chinese_with_a_way_home(browser: Browser, live_server, login, screenshot):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, "admin")
        for name, url, status, heading in PAGES:
            if status == 500:
                with mock.patch("evaluations.selectors.years", side_effect=RuntimeError("故障")):
                    response = page.goto(url)
            else:
                response = page.goto(url)
            assert response is not None and response.status == status, (url, response)
            expect(page.locator("h1")).to_have_text(heading)
            expect(page.locator(".topbar .brand")).to_contain_text("预算绩效自评系统")
            # the stylesheet loaded: the layout is the site's, not a bare page
            color = page.locator(".topbar").evaluate("e => getComputedStyle(e).display")
            assert color != "inline", "app.css not applied"
            screenshot(page, name)
            page.get_by_role("link", name="回到首页").click()
            expect(page).to_have_url(f"{live_server.url}/")
        # the CSRF page: a form posted after the token cookie was lost
        page.goto("/exports/")
        context.clear_cookies(name="csrftoken")
        page.locator("form[method=post] button[type=submit]").first.click()
        expect(page.locator("h1")).to_have_text("页面已过期，本次操作未执行")
        screenshot(page, "error-403-csrf")
    finally:
        context.close()
    assert not errors, errors
