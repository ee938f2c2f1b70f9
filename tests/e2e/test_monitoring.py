"""Issue 16's proof in Chromium on the demo data (the XLSX/PDF part is p16b's): finance opens a
monitoring round; a clerk fills a 监控表 and submits it with one red line (refused until the red
line has its 偏差原因, then accepted); the reviewer marks that line 需整改 and returns the sheet
with a 本行审核意见; the clerk answers the 整改 and resubmits; the reviewer approves and closes
the 整改. A screenshot at each step."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from evaluations.models import FormState, MonitoringSheet, RectificationState

PROJECT = "大楼运维费"  # 咸宁 2021, approved targets
RED = "窗口工作人员和办事群众满意率"
COMMENTED = "设施维修时间"
ROUND = "2021年1–9月绩效运行监控"


def line_row(page: Page, name: str):
    return page.locator("tr.res-row").filter(has=page.get_by_role("cell", name=name, exact=True))


def rect_row(page: Page, name: str):
    return page.locator("#rectification tr").filter(
        has=page.get_by_role("cell", name=name, exact=True)
    )


def submit(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交审核").click()


def test_monitoring_round_fill_review_and_rectification(page: Page, login, screenshot):
    # 1. finance opens a round (as of 30 September) on the 绩效监控 page
    login(page, "reviewer")
    page.get_by_role("link", name="绩效监控").click()
    expect(page.locator("h1")).to_have_text("2021年度绩效运行监控")
    opener = page.locator("#open-round")
    opener.get_by_label("批次名称").fill(ROUND)
    opener.get_by_label("截至日期").fill("2021-09-30")
    opener.get_by_label("报送截止日期").fill("2021-09-01")
    opener.get_by_role("button", name="开启").click()
    expect(page.locator("#open-round")).to_contain_text("报送截止日期不能早于截至日期")
    expect(page.locator("#open-round").get_by_label("批次名称")).to_have_value(ROUND)
    deadline = f"{timezone.localdate().year + 1}-03-31"
    page.locator("#open-round").get_by_label("报送截止日期").fill(deadline)
    page.locator("#open-round").get_by_role("button", name="开启").click()
    expect(page.locator(".messages")).to_contain_text(f"已开启“{ROUND}”")
    expect(page.locator("#round h2")).to_contain_text(ROUND)
    screenshot(page, "monitoring-1-round-opened")

    # 2. the clerk fills the sheet: one line 完全不可能完成 (red) without a reason is refused
    page.context.clear_cookies()
    login(page, "xn_clerk")
    page.goto("/monitoring/?year=2021")
    page.get_by_label("监控批次").select_option(label=ROUND)
    page.get_by_role("button", name="查看").click()
    page.get_by_role("link", name=PROJECT, exact=True).click()
    expect(page.locator("h1")).to_contain_text("绩效目标执行监控表")
    page.get_by_label("1–9月执行数").fill("110")
    page.get_by_label("全年预计执行数").fill("158")
    for row in page.locator("tr.res-row").all():
        row.locator("input[name^=actual-]").fill("按计划推进")
        row.locator("input[name^=predicted-]").fill("按计划推进")
        row.locator("select[name^=likelihood-]").select_option(label="确定能完成")
    for name, actual, predicted in (
        ("设施维修时间", "1.5", "2"),
        ("大楼运维费支出", "110", "158"),
        ("安全责任事故发生数", "0", "0"),
        ("大厅设施设备完好率", "96", "96"),
        (RED, "85", "88"),
    ):
        row = line_row(page, name)
        row.locator("input[name^=actual-]").fill(actual)
        row.locator("input[name^=predicted-]").fill(predicted)
    line_row(page, RED).locator("select[name^=likelihood-]").select_option(label="完全不可能完成")
    expect(line_row(page, RED).locator(".line-light")).to_contain_text("红灯")  # live light
    submit(page)
    expect(page.locator(".messages")).to_contain_text("已保存草稿，但尚不能提交")
    problems = page.locator("tr.row-msg").filter(has_text="红灯指标须填写偏差原因说明")
    expect(problems).to_have_count(1)
    expect(page.locator(".form-head .state")).to_have_text("草稿")
    screenshot(page, "monitoring-2-red-line-refused")
    red = line_row(page, RED)
    red.locator("select[name^=category-]").select_option(label="人员保障")
    red.locator("textarea[name^=reason-]").fill("窗口人员上半年流动较大，新进人员业务不熟。")
    red.locator("textarea[name^=measures-]").fill("集中培训，推行帮带。")
    submit(page)
    expect(page.locator(".messages")).to_contain_text("已提交")
    expect(page.locator(".form-head .state")).to_have_text("已提交")
    expect(page.locator("#bar-light")).to_contain_text("红灯")
    screenshot(page, "monitoring-3-submitted")
    sheet = MonitoringSheet.objects.get(round__name=ROUND, project__name=PROJECT)
    assert sheet.state == FormState.SUBMITTED and sheet.light == "red"

    # 3. the reviewer marks the red line 需整改, then returns with a 本行审核意见
    page.context.clear_cookies()
    login(page, "reviewer")
    page.goto("/review/?year=2021&kind=monitoring")
    page.get_by_role("link", name=PROJECT).first.click()
    expect(page.locator(".form-head .state")).to_have_text("已提交")
    row = rect_row(page, RED)
    row.get_by_placeholder("整改要求和建议").fill("制定窗口人员培训计划并报送。")
    row.get_by_role("button", name="需整改").click()
    expect(page.locator(".messages")).to_contain_text("已标记需整改")
    expect(rect_row(page, RED)).to_contain_text("待整改")
    line_row(page, COMMENTED).get_by_label(f"{COMMENTED}审核意见").fill("请说明维修时间的统计口径")
    page.get_by_role("button", name="退回").click()
    expect(page.locator(".form-head .state")).to_have_text("已退回")
    screenshot(page, "monitoring-4-returned-and-rectification")

    # 4. the clerk sees the comment, answers the 整改 and resubmits
    page.context.clear_cookies()
    login(page, "xn_clerk")
    expect(page.locator('#todo [data-todo="rectify"]')).to_contain_text(PROJECT)
    page.locator('#todo [data-todo="returned"]').get_by_role("link", name=PROJECT).click()
    expect(line_row(page, COMMENTED)).to_contain_text("请说明维修时间的统计口径")
    answer = rect_row(page, RED)
    answer.get_by_placeholder("整改结果").fill("已制定培训计划，9月完成两期培训。")
    answer.get_by_role("button", name="答复整改").click()
    expect(rect_row(page, RED)).to_contain_text("已答复整改结果")
    line_row(page, COMMENTED).locator("textarea[name^=reason-]").fill("按报修到修复完成计时。")
    submit(page)
    expect(page.locator(".form-head .state")).to_have_text("已提交")
    screenshot(page, "monitoring-5-answered-and-resubmitted")

    # 5. the reviewer approves and closes the 整改
    page.context.clear_cookies()
    login(page, "reviewer")
    expect(page.locator('#todo [data-todo="rectified"]')).to_contain_text(PROJECT)
    page.goto(f"/monitoring/{sheet.pk}/")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".form-head .state")).to_have_text("已审核")
    rect_row(page, RED).get_by_role("button", name="关闭整改").click()
    expect(rect_row(page, RED)).to_contain_text("整改已关闭")
    expect(page.locator("#history")).to_contain_text(re.compile("关闭整改"))
    screenshot(page, "monitoring-6-approved-and-closed")
    sheet.refresh_from_db()
    line = sheet.lines.get(indicator__name=RED)
    assert sheet.state == FormState.APPROVED
    assert line.rectification_state == RectificationState.CLOSED
    assert line.rectification_result == "已制定培训计划，9月完成两期培训。"
