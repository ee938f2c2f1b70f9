"""Issue 17, item 1, in Chromium on the demo data: the review chain 单位 → 主管部门 → 财政.

An administrator turns on the year's 须主管部门审核后报财政 on the 年度 admin page; a clerk of a
所属单位 (咸宁市12345公共服务热线中心) submits its self-evaluation → the 主管部门审核人 (xn_super)
finds it on his 待办 and returns it with a line comment → the clerk fixes and resubmits → the
主管部门 approves → finance (reviewer) returns it, and the unit sees both levels' comments →
resubmitted through both levels → finance approves.
"""

import re

from django.urls import reverse
from playwright.sync_api import Page, expect

from budgets.models import Department, FiscalYear, Membership
from demo.loader import DEMO_PASSWORD
from evaluations.models import FormState, SelfEvaluation
from tests.factories import member

PROJECT = "市政府12345公共服务热线项目建设及运维费"  # 咸宁 2021, 热线中心 (101002), draft
TIMELY = "民生重大政策及便民公告添加至知识库时限"  # scored below its weight: has a reason
SATISFACTION = "回访群众满意率"


def expect_state(page: Page, label: str) -> None:
    expect(page.locator(".form-head .state")).to_have_text(label)


def result_row(page: Page, name: str):
    return page.locator("tr.res-row").filter(has=page.get_by_role("cell", name=name, exact=True))


def comment_row(page: Page, name: str):
    return result_row(page, name).locator(
        "xpath=following-sibling::tr[contains(@class,'comment-row')][1]"
    )


def submit(page: Page) -> None:
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="提交审核").click()


def switch_user(page: Page, login, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_a_units_self_evaluation_through_both_levels(page: Page, login, screenshot):
    unit = Department.objects.get(code="101002")
    clerk = member(unit, Membership.Role.CLERK, username="rx_clerk", first_name="吴倩")
    clerk.set_password(DEMO_PASSWORD)
    clerk.save()
    evaluation = SelfEvaluation.objects.get(project__name=PROJECT)
    year = FiscalYear.objects.get(year=2021)
    url = reverse("evaluation", args=[evaluation.pk])

    # the administrator turns the 主管部门 step on for the year, where the year is edited
    login(page, "admin")
    page.goto(reverse("admin:budgets_fiscalyear_change", args=[year.pk]))
    page.get_by_label("须主管部门审核后报财政").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist, .messages")).to_contain_text("成功")
    year.refresh_from_db()
    assert year.require_supervisor_review

    # 1. the 所属单位's clerk submits: it now waits for the 主管部门
    switch_user(page, login, "rx_clerk")
    page.goto(url)
    seen: list[str] = []
    page.once("dialog", lambda d: (seen.append(d.message), d.accept()))
    page.get_by_role("button", name="提交审核").click()
    expect_state(page, "待主管部门审核")
    expect(page.locator(".messages")).to_contain_text("已提交，等待主管部门审核。")
    assert "主管部门审核人审核" in seen[0]
    expect(page.get_by_role("button", name="撤回")).to_be_visible()
    screenshot(page, "p17a-01-clerk-submitted")

    # 2. the 主管部门审核人 finds it on his 待办 and returns it with a line comment
    switch_user(page, login, "xn_super")
    page.goto("/")
    todo = page.locator('[data-todo="supervise"]')
    expect(todo).to_contain_text("待主管部门审核")
    screenshot(page, "p17a-02-supervisor-todo")
    todo.get_by_role("link", name=PROJECT).click()
    expect_state(page, "待主管部门审核")
    expect(page.get_by_label(f"{TIMELY}审核得分")).to_have_count(0)  # the score is finance's
    page.get_by_label(f"{TIMELY}审核意见").fill("请附政策报送台账")
    screenshot(page, "p17a-03-supervisor-reviewing")
    page.get_by_role("button", name="主管部门退回").click()
    expect_state(page, "已退回")

    # 3. the clerk sees the 主管部门's comment, fixes the line and resubmits
    switch_user(page, login, "rx_clerk")
    page.goto("/")
    expect(page.locator('[data-todo="returned"]')).to_contain_text(PROJECT)
    page.goto(url)
    expect_state(page, "已退回")
    expect(page.locator("#review-rounds")).to_contain_text("主管部门退回")
    expect(page.locator(".form-head")).not_to_contain_text("财政")
    reason = page.get_by_label(f"{TIMELY}偏差原因分析及改进措施")
    reason.fill(reason.input_value() + "（已附政策报送台账）")
    screenshot(page, "p17a-04-clerk-returned-by-supervisor")
    submit(page)
    expect_state(page, "待主管部门审核")

    # 4. the 主管部门 sees its earlier comment under the line, and approves: on to finance
    switch_user(page, login, "xn_super")
    page.goto(url)
    expect(comment_row(page, TIMELY)).to_contain_text(
        re.compile(r"第1轮 · 主管部门 · .*（主管部门退回）\s*请附政策报送台账")
    )
    page.get_by_label("审核意见 / 原因").fill("经主管部门审核，同意报送")
    page.get_by_role("button", name="主管部门审核通过").click()
    expect_state(page, "已提交")
    screenshot(page, "p17a-05-supervisor-approved")

    # the unit can no longer take it back: someone above has acted
    switch_user(page, login, "rx_clerk")
    page.goto(url)
    expect(page.get_by_role("button", name="撤回")).to_have_count(0)

    # 5. finance returns it with its own line comment
    switch_user(page, login, "reviewer")
    page.goto(reverse("review_queue"))
    page.get_by_role("link", name=PROJECT).click()
    expect_state(page, "已提交")
    expect(comment_row(page, TIMELY)).to_contain_text("主管部门")
    expect(page.locator("#review-rounds")).to_contain_text("经主管部门审核，同意报送")
    page.get_by_label(f"{SATISFACTION}审核意见").fill("满意率样本量请说明")
    page.get_by_label("审核意见 / 原因").fill("请补充满意度调查说明")
    page.get_by_role("button", name="退回", exact=True).click()
    expect_state(page, "已退回")

    # 6. the unit sees both levels' comments
    switch_user(page, login, "rx_clerk")
    page.goto(url)
    expect_state(page, "已退回")
    expect(page.locator(".form-head .review-note .review-by")).to_contain_text("财政")
    rounds = page.locator("#review-rounds")
    expect(rounds).to_contain_text("请补充满意度调查说明")
    expect(rounds).to_contain_text("经主管部门审核，同意报送")
    expect(rounds.locator("tbody tr")).to_have_count(3)
    expect(result_row(page, SATISFACTION)).to_contain_text("满意率样本量请说明")
    expect(comment_row(page, TIMELY)).to_contain_text("主管部门")
    screenshot(page, "p17a-06-clerk-sees-both-levels")
    submit(page)
    expect_state(page, "待主管部门审核")

    # 7. through both levels again; finance approves
    switch_user(page, login, "xn_super")
    page.goto(url)
    expect(comment_row(page, SATISFACTION)).to_contain_text(
        re.compile(r"第3轮 · 财政 · .*（退回）\s*满意率样本量请说明")
    )
    page.get_by_role("button", name="主管部门审核通过").click()
    expect_state(page, "已提交")
    switch_user(page, login, "reviewer")
    page.goto(url)
    page.get_by_role("button", name="审核通过", exact=True).click()
    expect_state(page, "已审核")
    screenshot(page, "p17a-07-finance-approved")

    evaluation.refresh_from_db()
    assert evaluation.state == FormState.APPROVED
