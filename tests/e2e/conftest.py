"""Browser tests: the real pages in headless Chromium (Playwright, sync API) against `live_server`.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH); Playwright's own browser downloads are
not used. Without Chromium these tests skip with a visible reason, unless REQUIRE_BROWSER=1 (CI),
where a missing browser is an error. Screenshots go to test-artifacts/screens/ (git-ignored).
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from demo.loader import DEMO_PASSWORD, load_demo

E2E_DIR = Path(__file__).resolve().parent
SCREENS_DIR = E2E_DIR.parents[1] / "test-artifacts" / "screens"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(config, items):
    # This hook sees the items of the whole session: mark only those under tests/e2e.
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so that `page` can screenshot a failed test.
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all browser tests.

    Package scope (this package: tests/e2e and below) rather than session scope on purpose: while
    Playwright's sync API is started it keeps an asyncio loop marked as running in the main
    thread, and Django's ORM refuses to run there (SynchronousOnlyOperation). This affects the
    test code and pytest-django's own database flushes, not the live server's thread. So
    DJANGO_ALLOW_ASYNC_UNSAFE is set exactly while Playwright runs, and Playwright is stopped after
    the last browser test, so that the rest of the suite keeps Django's async-safety check.
    Nothing here is really concurrent: the sync API blocks the main thread on every call.
    """
    if not os.access(CHROMIUM_PATH, os.X_OK):
        reason = (
            f"Chromium 未安装（{CHROMIUM_PATH}），跳过浏览器测试；"
            "安装：sudo apt-get install -y chromium（或以 root 运行 make test）"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 但 Chromium 未安装（{CHROMIUM_PATH}）", pytrace=False)
        pytest.skip(reason)

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(transactional_db) -> None:
    """The demo data of `manage.py load_demo`, in the test database (flushed after each test)."""
    load_demo()


@pytest.fixture
def page(request, browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A fresh context (no cookies) per test, pointed at the live server.

    Fails the test if the page raised a JavaScript error or a request to our server failed
    (a missing stylesheet or script), and screenshots a failed test as FAILED-<test>.png.
    """
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []

    def on_response(response) -> None:
        url = response.url
        if response.status >= 400 and url.startswith(live_server.url) and "favicon" not in url:
            problems.append(f"HTTP {response.status}: {url}")

    def on_failed(request_) -> None:
        # A navigation that replaces one still loading aborts it; that is not a fault.
        if "ERR_ABORTED" not in (request_.failure or ""):
            problems.append(f"请求失败: {request_.url} {request_.failure}")

    page.on("pageerror", lambda error: problems.append(f"JavaScript: {error}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    yield page
    call = getattr(request.node, "_report_call", None)
    if call is not None and call.failed:
        save_screenshot(page, f"FAILED-{request.node.name}")
    context.close()
    assert not problems, "页面出错：\n" + "\n".join(problems)


def save_screenshot(page: Page, name: str) -> Path:
    SCREENS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENS_DIR / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=path, full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """`screenshot(page, name)`: a full-page PNG in test-artifacts/screens/<name>.png."""
    return save_screenshot


@pytest.fixture
def login(demo) -> Callable[[Page, str], None]:
    """`login(page, username)`: signs a demo user in through the real login form."""

    def sign_in(page: Page, username: str) -> None:
        page.goto("/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login/"))

    return sign_in
