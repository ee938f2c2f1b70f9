"""Two years in one browser test (issue 15, proof): the demo's 2021 with an approved 绩效目标 →
the administrator opens 2022 from it in 系统管理 → a clerk finds the carried sheet as a draft with
last year's values beside a carried line, takes two indicators from the 指标库 (one by keyboard,
one by mouse), balances the weights, saves and submits → the reviewer bulk-approves the filtered
forms in 审核工作台 → the clerk's header counts the 消息, 消息 lists the approval, and the mail
is in the outbox."""

import re
import shutil
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from budgets.models import Notification
from core.models import AuditLog
from evaluations.models import FormState, TargetSheet

PROJECT = "政务一体化平台建设"  # 咸宁 2021-101-001, its 2021 target sheet approved in the demo
CARRIED = "鄂汇办旗舰店便民服务应用入驻数"  # 2021: ≥50 项, actual 52 项, weight 15
SATISFACTION = "办事群众满意率"  # 2021: weight 10, the only 满意度 line
SHOTS = Path("/work/shots/l")


def shot(page: Page, screenshot, name: str) -> None:
    path = screenshot(page, f"two-years-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def grid_row(page: Page, name: str):
    """The grid row whose 三级指标 input holds `name` (typed or filled by script)."""
    rows = page.locator("tr.ind-row")
    for index in range(rows.count()):
        if rows.nth(index).locator("input.w-name").input_value() == name:
            return rows.nth(index)
    raise AssertionError(f"没有“{name}”这一行")


def sign_out(page: Page) -> None:
    page.goto("/")
    page.locator("header .userbox").get_by_role("button", name="退出").click()


def test_a_year_opened_from_the_last_reviewed_in_bulk(page: Page, login, screenshot):
    clerk = get_user_model().objects.get(username="xn_clerk")
    clerk.email = "xn_clerk@example.cn"
    clerk.save()
    year1 = TargetSheet.objects.get(project__name=PROJECT, year__year=2021)
    assert year1.state == FormState.APPROVED
    # the demo's own 消息 (its July monitoring round was opened) read: this test counts its own
    Notification.objects.filter(user=clerk).update(read_at=timezone.now())

    # ---- 1. The administrator opens 2022 from 2021 in 系统管理: preview, then confirm -------
    login(page, "admin")
    page.locator("header nav").get_by_role("link", name="系统管理").click()
    page.locator("#content-main").get_by_role("link", name="年度", exact=True).click()
    page.get_by_role("link", name="从上一年度开设新年度").click()
    page.get_by_label("新年度").fill("2022")
    page.get_by_label("从上一年度").select_option("2021")
    page.get_by_role("button", name="预览（不保存）").click()
    expect(page.locator("#opening-preview")).to_contain_text(PROJECT)
    shot(page, screenshot, "01-admin-preview")
    page.get_by_role("button", name="确认开设2022年度").click()
    expect(page.locator("ul.messagelist")).to_contain_text("2022年度（从2021年度）已创建")
    sign_out(page)

    # ---- 2. The clerk opens the carried sheet of 2022 and sees last year beside it ---------
    login(page, "xn_clerk")
    page.goto("/")
    page.locator("#year").select_option("2022")
    expect(page).to_have_url(re.compile(r"/\?year=2022$"))
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=PROJECT, exact=True))
    row.locator("a.state-link").first.click()
    expect(page.locator("h1")).to_contain_text("绩效目标申报表")
    expect(page.locator(".form-head .state")).to_have_text("草稿")
    page.wait_for_load_state()
    carried = grid_row(page, CARRIED)
    expect(carried.locator("[data-previous-year]")).to_have_text(
        "上年指标值：50 项 · 上年实际完成值：52 项（未审核）"
    )

    # ---- 3. Two indicators from the 指标库: one by keyboard, one by mouse ------------------
    search = page.get_by_role("combobox", name="从指标库选取")
    search.click()
    search.press_sequentially("回访群众")
    expect(page.get_by_role("listbox")).to_be_visible()
    expect(page.locator("#lib-list [role=option]").first).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    expect(page.get_by_role("listbox")).to_be_hidden()
    by_keyboard = grid_row(page, "回访群众满意率")
    expect(by_keyboard.locator("select.level2 option:checked")).to_have_text("服务对象满意度指标")

    search.fill("")
    search.press_sequentially("虚拟机")
    expect(page.locator("#lib-list [role=option]")).to_have_count(1)
    page.locator("#lib-list [role=option]").first.click()
    by_mouse = grid_row(page, "政务云平台虚拟机提供数")
    expect(by_mouse.locator("select.level2 option:checked")).to_have_text("数量指标")

    # Weighted on top of the carried lines, the sheet sums to 100, not 90: 提交审核 is refused
    # and nothing typed is lost.
    by_mouse.locator("input.w-weight").fill("5")
    by_keyboard.locator("input.w-weight").fill("5")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("body")).to_contain_text("指标分值合计为100")
    expect(page.locator(".form-head .state")).to_have_text("草稿")
    shot(page, screenshot, "02-clerk-weights-refused")
    carried = grid_row(page, CARRIED)
    by_keyboard = grid_row(page, "回访群众满意率")
    by_mouse = grid_row(page, "政务云平台虚拟机提供数")
    expect(by_mouse.locator("input.w-weight")).to_have_value(re.compile(r"^5(\.0+)?$"))

    # Each 一级 keeps its weight (产出 50, 满意度 10; 90 in all, evaluations.rules /
    # scoring.weight_problems), so the new lines take theirs from carried lines of the same 一级.
    carried.locator("input.w-weight").fill("10")
    grid_row(page, SATISFACTION).locator("input.w-weight").fill("5")
    expect(page.locator("#weight-total")).to_have_text(re.compile(r"^90(\.0+)?$"))
    shot(page, screenshot, "03-clerk-grid-last-year-and-library")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿。")
    expect(grid_row(page, CARRIED).locator("[data-previous-year]")).to_contain_text(
        "上年实际完成值：52 项"
    )
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".form-head .state")).to_have_text("已提交")
    shot(page, screenshot, "04-clerk-submitted")

    year2 = TargetSheet.objects.get(project__name=PROJECT, year__year=2022)
    assert year2.state == FormState.SUBMITTED
    lines = {line.name: line for line in year2.indicators.select_related("library", "previous")}
    assert lines["回访群众满意率"].library.code == "ZW-MY-002"
    assert lines["政务云平台虚拟机提供数"].library.code == "XXH-SL-002"
    assert lines[CARRIED].previous.sheet_id == year1.pk
    assert sum(line.weight for line in lines.values()) == Decimal("90")
    sign_out(page)

    # ---- 4. The reviewer approves every filtered form of 2022 at once ---------------------
    login(page, "reviewer")
    page.goto("/review/?year=2022&kind=targets&state=submitted")
    expect(page.locator("#bulk-total")).to_have_text("1")
    page.locator("#bulk-all").check()
    page.locator("#bulk-reason").fill("目标明确，同意")
    page.once("dialog", lambda d: d.accept())
    page.locator("#bulk-approve").click()
    expect(page.locator("#bulk-summary")).to_have_attribute("data-state", "done")
    expect(page.locator("#bulk-passed")).to_have_text("1")
    expect(page.locator("#bulk-refused")).to_have_text("0")
    expect(page.locator("#bulk-passed-list tbody tr")).to_have_count(1)
    expect(page.locator("#bulk-passed-list")).to_contain_text(year2.title)
    shot(page, screenshot, "05-reviewer-bulk-summary")
    year2.refresh_from_db()
    assert year2.state == FormState.APPROVED
    assert AuditLog.objects.filter(action="绩效目标·审核通过", object_id=str(year2.pk)).exists()
    sign_out(page)

    # ---- 5. The clerk is told: unread 消息 in the header, the message, and the mail --------
    login(page, "xn_clerk")
    page.goto("/")
    expect(page.locator(".userbox .unread-count")).to_have_text("1")
    page.locator(".userbox a[data-unread]").click()
    expect(page).to_have_url(re.compile(r"/messages/$"))
    note = page.locator(".notes li.unread")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(f"绩效目标已审核通过：{year2.title}")
    expect(note).to_contain_text("目标明确，同意")
    shot(page, screenshot, "06-clerk-messages")
    approved_mail = [m for m in mail.outbox if m.to == ["xn_clerk@example.cn"]]
    assert len(approved_mail) == 1, [m.subject for m in mail.outbox]
    assert year2.title in approved_mail[0].subject + approved_mail[0].body
    assert "2022年度" in approved_mail[0].body
