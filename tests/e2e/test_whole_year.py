"""The whole year of one 随州 2023 project, played through the pages by the real roles.

绩效目标: the clerk edits the draft grid (a target value, a new row, reorder, removal), is stopped
by the weight rule, fixes it and submits; the reviewer returns it with a line comment; the clerk
fixes the line and resubmits; the reviewer approves. The administrator then opens the year's
self-evaluation in 系统管理. 绩效自评: the clerk records the results with live scoring, is stopped
for a missing deviation reason, completes and submits; the reviewer scores one line lower and
approves. Nothing is written through the ORM: the database is only read to check the outcome.
"""

import datetime
import re
from collections import Counter
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from budgets.models import FiscalYear
from core.models import AuditLog
from evaluations.models import FormState, IndicatorResult, SelfEvaluation, TargetSheet

YEAR = "2023"
PROJECT = "12345市长热线"  # 随州 2023, target sheet in draft (demo/data.py)
BUDGET = "390"  # 全年预算数 (万元), all 本年财政拨款

# The demo's indicators of this project (weights 产出 15+20+15, 效益 15+15, 满意度 10).
COST = "服务外包、基础场地、网络运营成本"  # ≤ 390 万元, 15
CALLS = "话务平台接听量"  # ≥ 45 万件, 20: the target the clerk edits and later misses
CLOSED_LOOP = "市民请求工单闭环管理"  # 定性, 15
CHANNEL = "市民获取政务及公共服务渠道"  # 定性, 15
URGING = "督促政府职能部门和公共服务单位办理诉求"  # 定性, 15: removed by the clerk
SATISFACTION = "群众满意率"  # ≥ 95 %, 10
NEW = "市民诉求按时办结率"  # added by the clerk under 效益指标 / 社会效益指标

LINE_COMMENT = "目标值偏低，请调整"
MISSING_REASON = "得分低于分值，须填写偏差原因分析及改进措施"


# ---- navigation ------------------------------------------------------------------------------


def logout(page: Page) -> None:
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def home_2023(page: Page) -> None:
    """The home page of 2023, reached through the year select (it submits itself).

    `goto` waits for the load event: the select's handler is in a deferred script, and a change
    made before it runs would be lost (no person is that fast, a test is)."""
    page.goto("/")
    page.locator("#year").select_option(YEAR)
    expect(page).to_have_url(re.compile(rf"/\?year={YEAR}$"))
    expect(page.locator("h1")).to_have_text(f"{YEAR}年度工作台")


def project_row(page: Page) -> Locator:
    """The project's row in the clerk's overview."""
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=PROJECT, exact=True))


def open_from_queue(page: Page, kind: str) -> None:
    """The reviewer opens the project's form of this kind (绩效目标 / 绩效自评) from 待审核 in
    the home page's 待办 (it lists only what is submitted)."""
    queue = page.locator('#todo [data-todo="review"]')
    row = queue.locator("li").filter(has_text=kind).filter(has_text=PROJECT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("随州市政务服务和大数据管理局")
    row.get_by_role("link", name=PROJECT).click()


def sheet_line(page: Page, name: str) -> Locator:
    """A line of the read-only target sheet (not of its 操作记录, which names lines too)."""
    table = page.locator("section.card").filter(has=page.get_by_role("heading", name="绩效指标"))
    return table.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))


def expect_state(page: Page, label: str) -> None:
    expect(page.locator(".form-head .state")).to_have_text(label)


# ---- the target grid (绩效目标) --------------------------------------------------------------


def grid_row(page: Page, name: str) -> Locator:
    """A grid row rendered by the server, by its 三级指标 name."""
    return page.locator("tr.ind-row").filter(has=page.locator(f'input.w-name[value="{name}"]'))


def expect_grid(page: Page, names: list[str]) -> None:
    """The visible rows of the grid, in this order, numbered 1..n."""
    rows = page.locator("tr.ind-row:visible")
    expect(rows).to_have_count(len(names))
    for n, name in enumerate(names):
        expect(rows.nth(n).locator("input.w-name")).to_have_value(name)
        expect(rows.nth(n).locator(".row-no")).to_have_text(str(n + 1))


def expect_weight_sums(page: Page, output: str, benefit: str, satisfaction: str, total: str):
    expect(page.locator("#weight-sums")).to_have_text(
        f"产出指标 {output}，效益指标 {benefit}，满意度指标 {satisfaction}"
    )
    expect(page.locator("#weight-total")).to_have_text(total)


def add_indicator(page: Page) -> Locator:
    """Click ＋ 添加指标 and return the new row (found by its formset prefix)."""
    index = page.locator("input[name=rows-TOTAL_FORMS]").input_value()
    page.get_by_role("button", name="＋ 添加指标").click()
    row = page.locator("tr.ind-row").filter(has=page.locator(f"input[name='rows-{index}-name']"))
    expect(row).to_be_visible()
    return row


def level2_offered(row: Locator) -> Locator:
    return row.locator("select.level2 option:not([hidden])")


def submit_form(page: Page) -> None:
    """提交审核 asks first what will be locked (issue 14); the clerk says yes."""
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交审核").click()


# ---- the self-evaluation (绩效自评) ----------------------------------------------------------


def result_row(page: Page, name: str) -> Locator:
    return page.locator("tr.res-row").filter(has=page.get_by_role("cell", name=name, exact=True))


def result_message(page: Page, name: str) -> Locator:
    """The message row under an indicator line."""
    return result_row(page, name).locator("xpath=following-sibling::tr[1]")


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(label, exact=True)


def test_whole_year(page: Page, login, screenshot):
    sheet = TargetSheet.objects.get(project__name=PROJECT, year__year=int(YEAR))
    assert sheet.state == FormState.DRAFT  # the demo still looks as assumed
    assert not FiscalYear.objects.get(year=int(YEAR)).evaluation_open

    # ---- 1. The clerk edits the draft targets -------------------------------------------------
    login(page, "sz_clerk")
    home_2023(page)
    project_row(page).get_by_role("link", name="草稿").click()
    expect(page.locator("h1")).to_contain_text("绩效目标申报表")
    expect_state(page, "草稿")
    expect_grid(page, [COST, CALLS, CLOSED_LOOP, CHANNEL, URGING, SATISFACTION])
    expect_weight_sums(page, "50.00", "30.00", "10.00", "90.00")

    grid_row(page, CALLS).get_by_label("年度指标值").fill("40")

    grid_row(page, URGING).get_by_role("button", name="✕").click()
    expect(grid_row(page, URGING)).to_be_hidden()
    expect_weight_sums(page, "50.00", "15.00", "10.00", "75.00")

    new = add_indicator(page)
    new.get_by_label("一级指标").select_option(label="产出指标")
    expect(level2_offered(new)).to_have_text(
        ["请选择", "数量指标", "质量指标", "时效指标", "成本指标"]
    )
    new.get_by_label("一级指标").select_option(label="效益指标")
    expect(level2_offered(new)).to_have_text(
        ["请选择", "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]
    )
    new.get_by_label("二级指标").select_option(label="社会效益指标")
    new.get_by_label("三级指标").fill(NEW)
    new.locator("select[name$=-comparator]").select_option("≥")
    new.get_by_label("年度指标值").fill("95")
    new.get_by_label("计量单位").fill("%")
    new.get_by_label("分值").fill("10")  # wrong on purpose: 效益 15 + 10 ≠ 30
    new.locator("select[name$=-basis]").select_option("历史标准")
    expect_grid(page, [COST, CALLS, CLOSED_LOOP, CHANNEL, SATISFACTION, NEW])

    new.get_by_role("button", name="↑").click()  # 满意度 stays last
    expect_grid(page, [COST, CALLS, CLOSED_LOOP, CHANNEL, NEW, SATISFACTION])
    expect_weight_sums(page, "50.00", "25.00", "10.00", "85.00")
    screenshot(page, "year-01-targets-draft")

    # The weights do not add up: the draft is saved, the submission refused, in Chinese.
    submit_form(page)
    errors = page.locator(".error-box")
    expect(errors).to_contain_text(re.compile(r"效益指标的分值合计为25(\.00)?，应为30"))
    expect(errors).to_contain_text(re.compile(r"指标分值合计为85(\.00)?，应为90"))
    expect(page.locator(".messages")).to_contain_text("尚不能提交")
    expect_state(page, "草稿")
    # Everything typed is still there, in the new order.
    expect_grid(page, [COST, CALLS, CLOSED_LOOP, CHANNEL, NEW, SATISFACTION])
    expect(grid_row(page, URGING)).to_have_count(0)  # the removed row was removed for good
    expect(grid_row(page, CALLS).get_by_label("年度指标值")).to_have_value("40")
    added = grid_row(page, NEW)
    expect(added.get_by_label("一级指标").locator("option:checked")).to_have_text("效益指标")
    expect(added.get_by_label("二级指标").locator("option:checked")).to_have_text("社会效益指标")
    expect(added.locator("select[name$=-comparator]")).to_have_value("≥")
    expect(added.get_by_label("年度指标值")).to_have_value("95")
    expect(added.get_by_label("计量单位")).to_have_value("%")
    expect(added.get_by_label("分值")).to_have_value(re.compile(r"^10(\.00)?$"))
    expect(added.locator("select[name$=-basis]")).to_have_value("历史标准")
    expect_weight_sums(page, "50.00", "25.00", "10.00", "85.00")
    screenshot(page, "year-02-targets-weight-error")

    added.get_by_label("分值").fill("15")
    expect_weight_sums(page, "50.00", "30.00", "10.00", "90.00")
    submit_form(page)
    expect_state(page, "已提交")
    expect(page.locator(".messages")).to_contain_text("已提交，等待审核。")
    expect(page.locator("main input:not([type=hidden])")).to_have_count(0)
    screenshot(page, "year-03-targets-submitted")
    sheet.refresh_from_db()
    assert [i.name for i in sheet.indicators.all()] == [
        COST,
        CALLS,
        CLOSED_LOOP,
        CHANNEL,
        NEW,
        SATISFACTION,
    ]
    assert sheet.indicators.get(name=CALLS).target_value == "40"
    assert sheet.indicators.get(name=NEW).weight == Decimal("15")
    logout(page)

    # ---- 2. The reviewer returns it with a line comment ---------------------------------------
    login(page, "reviewer")
    home_2023(page)
    open_from_queue(page, "绩效目标")
    expect_state(page, "已提交")
    sheet_line(page, CALLS).get_by_role("textbox").fill(LINE_COMMENT)
    page.get_by_label("审核意见 / 原因").fill("请按审核意见调整接听量目标后重新提交。")
    page.get_by_role("button", name="退回", exact=True).click()
    expect_state(page, "已退回")
    expect(page.locator(".review-note")).to_contain_text("退回意见：请按审核意见调整接听量目标")
    expect(sheet_line(page, CALLS)).to_contain_text(LINE_COMMENT)
    screenshot(page, "year-04-targets-returned")
    logout(page)

    # ---- 3. The clerk fixes the line and resubmits; the reviewer approves ---------------------
    login(page, "sz_clerk")
    home_2023(page)
    project_row(page).get_by_role("link", name="已退回").click()
    expect_state(page, "已退回")
    expect(page.locator(".review-note")).to_contain_text("请按审核意见调整接听量目标")
    calls = grid_row(page, CALLS)
    expect(calls.locator("xpath=following-sibling::tr[1]")).to_contain_text(
        f"审核意见：{LINE_COMMENT}"
    )
    screenshot(page, "year-05-targets-returned-clerk")
    calls.get_by_label("年度指标值").fill("50")
    submit_form(page)
    expect_state(page, "已提交")
    logout(page)

    login(page, "reviewer")
    home_2023(page)
    open_from_queue(page, "绩效目标")
    expect(sheet_line(page, CALLS)).to_contain_text("50")
    page.get_by_role("button", name="审核通过").click()
    expect_state(page, "已审核")
    logout(page)

    login(page, "sz_clerk")
    home_2023(page)
    row = project_row(page)
    expect(row.get_by_role("link", name="已审核")).to_be_visible()
    # The year's self-evaluation is not open yet: nothing to start.
    expect(row.get_by_role("button", name="开始自评")).to_have_count(0)
    row.get_by_role("link", name="已审核").click()
    expect_state(page, "已审核")
    # The grid and the goal are read-only now (an approved sheet only offers 目标调整, a
    # separate request that finance decides on).
    for heading in ("年度总体目标", "绩效指标"):
        card = page.locator("section.card").filter(
            has=page.get_by_role("heading", name=heading, exact=True)
        )
        expect(card).to_be_visible()
        expect(card.locator("input:not([type=hidden]), textarea, select, button")).to_have_count(0)
    for button in ("保存草稿", "提交审核", "＋ 添加指标"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)
    expect(page.locator("#target-form")).to_have_count(0)
    expect(sheet_line(page, CALLS)).to_contain_text("50")
    screenshot(page, "year-06-targets-approved")
    logout(page)

    # ---- 4. The administrator opens the year's self-evaluation --------------------------------
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    login(page, "admin")
    page.locator("header nav").get_by_role("link", name="系统管理").click()
    page.locator("#content-main").get_by_role("link", name="年度", exact=True).click()
    page.locator("#result_list").get_by_role("link", name=YEAR, exact=True).click()
    expect(page.locator("h1")).to_contain_text("修改")
    page.get_by_label("自评已开启").check()
    page.get_by_label("自评截止日期").fill(deadline.isoformat())
    page.locator("input[name=_save]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("成功")
    screenshot(page, "year-07-admin-year-opened")
    fiscal_year = FiscalYear.objects.get(year=int(YEAR))
    assert fiscal_year.evaluation_open and fiscal_year.evaluation_deadline == deadline
    page.get_by_role("link", name="返回系统首页").first.click()  # back to the application's pages
    logout(page)

    # ---- 5. The clerk records the results ------------------------------------------------------
    login(page, "sz_clerk")
    home_2023(page)
    project_row(page).get_by_role("button", name="开始自评").click()
    expect(page.locator("h1")).to_contain_text("项目支出绩效自评表")
    page.wait_for_load_state()  # the live scoring (a deferred script) listens from now on
    expect_state(page, "草稿")
    expect(page.locator(".deadline")).to_contain_text(
        f"{deadline.year}年{deadline.month}月{deadline.day}日"
    )

    # 95% of the budget executed: realistic, and above the 90% deviation threshold.
    field(page, "其中：本年财政拨款全年执行数").fill("370.5")
    expect(page.locator("#execution-rate")).to_have_text("95.00%")
    expect(page.locator("#execution-score")).to_have_text("9.50")
    expect(page.locator("#bar-total")).to_have_text("9.50")

    met = {COST: ("370", "15.00"), NEW: ("96", "15.00"), SATISFACTION: ("97", "10.00")}
    for name, (actual, score) in met.items():
        field(page, f"{name}实际完成值").fill(actual)
        expect(result_row(page, name).locator("td.suggested")).to_have_text(score)
        expect(field(page, f"{name}得分")).to_have_value(score)
    qualitative = {CLOSED_LOOP: "全年工单实现闭环管理", CHANNEL: "市民拨打12345即可获得服务"}
    for name, actual in qualitative.items():
        field(page, f"{name}实际完成值").fill(actual)
        field(page, f"{name}完成等级").select_option(label="达成年度指标")
        expect(result_row(page, name).locator("td.suggested")).to_have_text("15.00")
    expect(page.locator("#bar-total")).to_have_text("79.50")  # 9.50 + 70, 接听量 not yet typed
    expect(page.locator("#bar-grade")).to_have_text("中")

    # Half of the 50 万件 target: the suggestion is proportional, the total follows.
    field(page, f"{CALLS}实际完成值").fill("25")
    expect(result_row(page, CALLS).locator("td.suggested")).to_have_text("10.00")
    expect(field(page, f"{CALLS}得分")).to_have_value("10.00")
    expect(page.locator("#bar-total")).to_have_text("89.50")
    expect(page.locator("#bar-grade")).to_have_text("良")

    # Submitting without a deviation reason: refused, the line says why, nothing is lost.
    submit_form(page)
    expect(result_message(page, CALLS)).to_be_visible()
    expect(result_message(page, CALLS)).to_contain_text(MISSING_REASON)
    expect(result_row(page, CALLS)).to_have_class(re.compile("has-problem"))
    expect(page.locator(".error-box")).to_contain_text("请填写年度总体目标的实际完成情况")
    expect_state(page, "草稿")
    expect(field(page, "其中：本年财政拨款全年执行数")).to_have_value("370.50")
    expect(page.locator("#execution-rate")).to_have_text("95.00%")
    for name, (actual, score) in met.items():
        expect(field(page, f"{name}实际完成值")).to_have_value(actual)
        expect(field(page, f"{name}得分")).to_have_value(score)
        expect(result_message(page, name)).to_be_hidden()
    for name, actual in qualitative.items():
        expect(field(page, f"{name}实际完成值")).to_have_value(actual)
        expect(field(page, f"{name}完成等级").locator("option:checked")).to_have_text(
            "达成年度指标"
        )
    expect(field(page, f"{CALLS}实际完成值")).to_have_value("25")
    expect(field(page, f"{CALLS}得分")).to_have_value("10.00")
    expect(page.locator("#bar-total")).to_have_text("89.50")
    screenshot(page, "year-08-evaluation-missing-reason")

    field(page, f"{CALLS}偏差原因分析及改进措施").fill(
        "部分市民诉求分流至微信、网站渠道，话务接听量未达目标；下一步加强热线宣传、优化话务排班。"
    )
    field(page, "实际完成情况").fill(
        "12345市长热线全年正常运行，市民诉求工单实现闭环管理，群众满意率97%。"
    )
    submit_form(page)
    expect_state(page, "已提交")
    expect(page.locator(".messages")).to_contain_text("已提交，等待审核。")
    expect(page.locator("#bar-total")).to_have_text("89.50")
    expect(page.locator("main input:not([type=hidden])")).to_have_count(0)
    screenshot(page, "year-09-evaluation-submitted")
    logout(page)

    # ---- 6. The reviewer scores one line lower and approves -----------------------------------
    login(page, "reviewer")
    home_2023(page)
    open_from_queue(page, "绩效自评")
    expect_state(page, "已提交")
    expect(result_row(page, CLOSED_LOOP)).to_contain_text("15.00")
    field(page, f"{CLOSED_LOOP}审核得分").fill("12")
    field(page, f"{CLOSED_LOOP}审核意见").fill("闭环管理佐证材料不足，酌情扣分")
    page.get_by_label("审核意见 / 原因").fill("自评材料基本完整，同意。")
    page.get_by_role("button", name="审核通过").click()
    expect_state(page, "已审核")
    expect(page.locator(".sticky-bar .totals")).to_contain_text("自评总分 89.50")
    expect(page.locator(".sticky-bar .totals")).to_contain_text("审核总分 86.50（良）")
    expect(result_row(page, CLOSED_LOOP)).to_contain_text("闭环管理佐证材料不足，酌情扣分")
    expect(result_row(page, CLOSED_LOOP).locator("td").nth(9)).to_have_text("12.00")
    screenshot(page, "year-10-evaluation-approved")

    # ---- What the database says ---------------------------------------------------------------
    evaluation = SelfEvaluation.objects.get(project__name=PROJECT, year__year=int(YEAR))
    assert evaluation.state == FormState.APPROVED
    assert evaluation.total_score == Decimal("89.50")
    assert evaluation.review_total_score == Decimal("86.50")
    reviewed = IndicatorResult.objects.get(evaluation=evaluation, indicator__name=CLOSED_LOOP)
    assert reviewed.review_score == Decimal("12")
    assert reviewed.score == Decimal("15")  # the clerk's own score is kept
    missed = IndicatorResult.objects.get(evaluation=evaluation, indicator__name=CALLS)
    assert missed.score == Decimal("10") and missed.deviation_reason
    assert evaluation.project.executed_total == Decimal("370.5")

    def log(obj) -> Counter:
        records = AuditLog.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
        return Counter(records.values_list("action", "actor__username"))

    sheet_log = log(sheet)
    assert sheet_log[("绩效目标·提交", "sz_clerk")] == 2
    assert sheet_log[("绩效目标·退回", "reviewer")] == 1
    assert sheet_log[("绩效目标·审核通过", "reviewer")] == 1
    assert sheet_log[("绩效目标·保存", "sz_clerk")] >= 2
    evaluation_log = log(evaluation)
    assert evaluation_log[("绩效自评·创建", "sz_clerk")] == 1
    assert evaluation_log[("绩效自评·保存", "sz_clerk")] == 2  # the refused and the real submit
    assert evaluation_log[("绩效自评·提交", "sz_clerk")] == 1
    assert evaluation_log[("绩效自评·审核通过", "reviewer")] == 1  # with its review scores
    assert log(fiscal_year)[("修改年度", "admin")] == 1  # the admin saves through the service
