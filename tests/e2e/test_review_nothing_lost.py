"""Issue 14, item 3 and part of 9, in Chromium on the demo data: nothing a reviewer types is lost
(a refused 退回 or 审核通过 keeps every 本行审核意见, 审核得分 and the reason, without the
login-timeout banner); a 本行审核意见 is a reason for 退回; after a resubmission both sides see the
earlier round's line comments; 撤回 while finance has not acted; the confirmation before 提交审核;
the live 审核总分 in an opaque sticky bar; the reviewer's breadcrumbs. The database is only read.
"""

import re
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from evaluations.models import FormState, SelfEvaluation, TargetSheet

TARGET_PROJECT = "12345市长热线"  # 随州 2023, target sheet in draft
CALLS = "话务平台接听量"
SATISFACTION = "群众满意率"
EVAL_PROJECT = "大楼运维费"  # 咸宁 2021, self-evaluation in draft and complete
REPAIR = "设施维修时间"  # weight 20, self score 20
SPENDING = "大楼运维费支出"  # weight 10, self score 10


def answer_next_dialog(page: Page, accept: bool, seen: list[str]) -> None:
    def handle(dialog) -> None:
        seen.append(dialog.message)
        if accept:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", handle)


def expect_state(page: Page, label: str) -> None:
    expect(page.locator(".form-head .state")).to_have_text(label)


def sheet_line(page: Page, name: str) -> Locator:
    table = page.locator("section.card").filter(has=page.get_by_role("heading", name="绩效指标"))
    return table.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))


def grid_row(page: Page, name: str) -> Locator:
    return page.locator("tr.ind-row").filter(has=page.locator(f'input.w-name[value="{name}"]'))


def comment_row(page: Page, name: str) -> Locator:
    row = page.locator("tr.res-row").filter(has=page.get_by_role("cell", name=name, exact=True))
    return row.locator("xpath=following-sibling::tr[contains(@class,'comment-row')][1]")


def expect_nothing_blamed_on_login(page: Page) -> None:
    expect(page.locator(".restore-bar")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("登录超时")


def test_target_review_keeps_comments_rounds_and_withdraw(
    page: Page, browser, live_server, login, screenshot
):
    sheet = TargetSheet.objects.get(project__name=TARGET_PROJECT, year__year=2023)
    url = reverse("target_sheet", args=[sheet.pk])
    login(page, "sz_clerk")
    page.goto(url)

    # 提交审核 asks first; "no" keeps the page and what was typed
    grid_row(page, CALLS).get_by_label("年度指标值").fill("46")
    seen: list[str] = []
    answer_next_dialog(page, False, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "草稿")
    expect(grid_row(page, CALLS).get_by_label("年度指标值")).to_have_value("46")
    assert seen and "年度总体目标和全部绩效指标将被锁定" in seen[0]
    assert "下一步由财政部门审核人审核" in seen[0] and "撤回" in seen[0]
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "已提交")
    assert len(seen) == 2

    # the reviewer, in a second browser, types line comments and a reason …
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    review = other.new_page()
    login(review, "reviewer")
    review.goto(url)
    sheet_line(review, CALLS).get_by_role("textbox").fill("接听量目标偏低")
    sheet_line(review, SATISFACTION).get_by_role("textbox").fill("满意率的统计口径请说明")
    review.get_by_label("审核意见 / 原因").fill("请按本行意见修改")

    # … while the clerk withdraws the sheet and submits it again
    page.reload()
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="撤回").click()
    expect_state(page, "草稿")
    assert "回到草稿" in seen[-1]
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "已提交")

    # 退回 on the version the reviewer saw is refused, and nothing typed is lost
    review.get_by_role("button", name="退回", exact=True).click()
    expect(review.locator(".messages")).to_contain_text("已被他人修改")
    expect_state(review, "已提交")
    expect(sheet_line(review, CALLS).get_by_role("textbox")).to_have_value("接听量目标偏低")
    expect(sheet_line(review, SATISFACTION).get_by_role("textbox")).to_have_value(
        "满意率的统计口径请说明"
    )
    expect(review.get_by_label("审核意见 / 原因")).to_have_value("请按本行意见修改")
    expect_nothing_blamed_on_login(review)
    screenshot(review, "p14b-01-targets-stale-return-kept")

    # a 本行审核意见 is a reason: 退回 with the overall reason empty is accepted
    review.get_by_label("审核意见 / 原因").fill("")
    review.get_by_role("button", name="退回", exact=True).click()
    expect_state(review, "已退回")
    expect(sheet_line(review, CALLS)).to_contain_text("接听量目标偏低")

    # the clerk fixes the line and resubmits; both sides then see round 1 under the line
    page.reload()
    expect_state(page, "已退回")
    calls = grid_row(page, CALLS)
    expect(calls.locator("xpath=following-sibling::tr[1]")).to_contain_text(
        "审核意见：接听量目标偏低"
    )
    calls.get_by_label("年度指标值").fill("50")
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "已提交")
    for who in (page, review):
        who.reload()
        line = sheet_line(who, CALLS)
        expect(line).to_contain_text("往轮审核意见")
        expect(line).to_contain_text(
            re.compile(r"第1轮 · 财政 · \d{4}-\d\d-\d\d · \S+（退回）\s*接听量目标偏低")
        )
        expect(sheet_line(who, SATISFACTION)).to_contain_text("满意率的统计口径请说明")
    screenshot(page, "p14b-02-targets-round1-clerk")
    screenshot(review, "p14b-03-targets-round1-reviewer")

    other.close()
    sheet.refresh_from_db()
    assert sheet.state == FormState.SUBMITTED


def test_evaluation_review_keeps_scores_and_sums_live(page: Page, login, screenshot):
    evaluation = SelfEvaluation.objects.get(project__name=EVAL_PROJECT)
    total = evaluation.total_score
    url = reverse("evaluation", args=[evaluation.pk])
    login(page, "xn_clerk")
    page.goto(url)
    seen: list[str] = []
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "已提交")
    page.locator("header .userbox").get_by_role("button", name="退出").click()

    login(page, "reviewer")
    page.goto(url)
    page.wait_for_load_state()  # the live 审核总分 (a deferred script) listens from now on
    page.get_by_label(f"{REPAIR}审核得分", exact=True).fill("15")
    page.get_by_label(f"{SPENDING}审核得分", exact=True).fill("8")

    # 退回 with no reason and no line comment: refused, the scores stay
    page.get_by_role("button", name="退回", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("须填写退回原因，或至少填写一条本行审核意见")
    expect_state(page, "已提交")
    expect(page.get_by_label(f"{REPAIR}审核得分", exact=True)).to_have_value("15")
    expect(page.get_by_label(f"{SPENDING}审核得分", exact=True)).to_have_value("8")
    expect_nothing_blamed_on_login(page)

    # 审核通过 with a score above the weight: refused, every typed value stays
    page.get_by_label(f"{REPAIR}审核得分", exact=True).fill("999")
    page.get_by_label(f"{REPAIR}审核意见", exact=True).fill("维修记录不全")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".messages")).to_contain_text("审核得分填写有误")
    expect(page.locator("main")).to_contain_text("审核得分须在0至20之间")
    expect(page.get_by_label(f"{REPAIR}审核得分", exact=True)).to_have_value("999")
    expect(page.get_by_label(f"{REPAIR}审核意见", exact=True)).to_have_value("维修记录不全")
    expect(page.get_by_label(f"{SPENDING}审核得分", exact=True)).to_have_value("8")
    expect_nothing_blamed_on_login(page)
    # the live total counts the refused line at its self score (20) and the other at 8
    expect(page.locator("#bar-review")).to_have_text(f"{total - 2:.2f}")
    screenshot(page, "p14b-05-evaluation-refused-approval-kept")

    # 审核总分 live while scoring (before approval)
    page.get_by_label(f"{REPAIR}审核得分", exact=True).fill("15")
    expect(page.locator("#bar-review")).to_have_text(f"{total - 7:.2f}")
    page.get_by_label(f"{SPENDING}审核得分", exact=True).fill("")
    expect(page.locator("#bar-review")).to_have_text(f"{total - 5:.2f}")
    page.get_by_label(f"{SPENDING}审核得分", exact=True).fill("8")
    expect(page.locator("#bar-review")).to_have_text(f"{total - 7:.2f}")
    expect(page.locator("#bar-review-grade")).to_have_text("（优）")
    screenshot(page, "p14b-04-evaluation-live-review-total")

    # the line comment is the reason of the 退回
    page.get_by_role("button", name="退回", exact=True).click()
    expect_state(page, "已退回")
    evaluation.refresh_from_db()
    assert evaluation.review_total_score == total - Decimal(7)
    page.locator("header .userbox").get_by_role("button", name="退出").click()

    login(page, "xn_clerk")
    page.goto(url)
    expect(page.locator("main")).to_contain_text("维修记录不全")
    answer_next_dialog(page, True, seen)
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "已提交")
    expect(comment_row(page, REPAIR)).to_contain_text(
        re.compile(r"第1轮 · .*（退回）\s*维修记录不全")
    )
    screenshot(page, "p14b-06-evaluation-round1-clerk")
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    login(page, "reviewer")
    page.goto(url)
    expect(comment_row(page, REPAIR)).to_contain_text("维修记录不全")
    expect(page.get_by_label(f"{REPAIR}审核意见", exact=True)).to_have_value("")  # a new round
    # the clerk was asked before each 提交审核 what it locks
    assert len(seen) == 2 and all(
        "全年执行数、各指标的实际完成值、得分、偏差原因和说明文字将被锁定" in m for m in seen
    )


def test_breadcrumbs_by_role_and_an_opaque_totals_bar(page: Page, login):
    """Finance came from 审核工作台 and goes back to it; the unit came from its home page."""
    sheet = TargetSheet.objects.get(project__name=TARGET_PROJECT, year__year=2023)
    evaluation = SelfEvaluation.objects.get(project__name=EVAL_PROJECT)
    target_url = reverse("target_sheet", args=[sheet.pk])
    evaluation_url = reverse("evaluation", args=[evaluation.pk])
    login(page, "sz_clerk")
    page.goto(target_url)
    expect(page.locator("nav.crumbs")).to_have_text(f"首页 › 绩效目标申报 › {TARGET_PROJECT}")
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    login(page, "xn_clerk")
    page.goto(evaluation_url)
    expect(page.locator("nav.crumbs")).to_have_text(f"首页 › 绩效自评 › {EVAL_PROJECT}")
    # opaque: the grid scrolling under the sticky bar does not show through its totals
    bar = page.locator(".sticky-bar")
    assert bar.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(243, 245, 248)"
    page.locator("header .userbox").get_by_role("button", name="退出").click()

    login(page, "reviewer")
    for url, kind, label, title, year in (
        (target_url, "targets", "绩效目标", TARGET_PROJECT, 2023),
        (evaluation_url, "evaluation", "绩效自评", EVAL_PROJECT, 2021),
    ):
        page.goto(url)
        crumbs = page.locator("nav.crumbs")
        expect(crumbs).to_have_text(f"首页 › 审核工作台 › {label} › {title}")
        crumbs.get_by_role("link", name="审核工作台").click()
        expect(page).to_have_url(re.compile(rf"/review/\?year={year}&kind={kind}$"))
