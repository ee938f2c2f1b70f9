"""A year created on the admin page takes targets end to end: the administrator adds 2027 in
系统管理 (the service seeds its 一级/二级 classification), a clerk fills and submits the target
grid of a project in that year, a reviewer approves it. Before the admin went through the services
such a year had no classification: the grid offered only “请选择” and 提交审核 failed with
“指标分值合计为0.00，应为90”."""

import re
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from budgets.models import FiscalYear, Membership
from evaluations.models import FormState, IndicatorCategory, TargetSheet
from tests.factories import ProjectFactory

YEAR = "2027"  # not a demo year
PROJECT = "政务服务热线运维"
SHOTS = "admin"

# (一级, 二级, 三级, 指标性质, 年度指标值, 计量单位, 分值): 产出 50, 效益 30, 满意度 10
LINES = [
    ("产出指标", "数量指标", "话务平台接听量", "≥", "45", "万件", "30"),
    ("产出指标", "时效指标", "工单按时办结率", "≥", "95", "%", "20"),
    ("效益指标", "社会效益指标", "市民诉求解决率", "≥", "90", "%", "30"),
    ("满意度指标", "服务对象满意度指标", "群众满意率", "≥", "95", "%", "10"),
]


def logout(page: Page) -> None:
    page.goto("/")
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def home(page: Page) -> None:
    page.goto("/")
    page.locator("#year").select_option(YEAR)
    expect(page).to_have_url(re.compile(rf"/\?year={YEAR}$"))


def project_row(page: Page) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=PROJECT, exact=True))


def add_line(page: Page, line: tuple) -> None:
    level1, level2, name, comparator, target, unit, weight = line
    index = page.locator("input[name=rows-TOTAL_FORMS]").input_value()
    page.get_by_role("button", name="＋ 添加指标").click()
    row = page.locator("tr.ind-row").filter(has=page.locator(f"input[name='rows-{index}-name']"))
    row.get_by_label("一级指标").select_option(label=level1)
    row.get_by_label("二级指标").select_option(label=level2)
    row.get_by_label("三级指标").fill(name)
    row.locator("select[name$=-comparator]").select_option(comparator)
    row.get_by_label("年度指标值").fill(target)
    row.get_by_label("计量单位").fill(unit)
    row.get_by_label("分值").fill(weight)
    row.locator("select[name$=-basis]").select_option("历史标准")


def test_a_year_created_in_the_admin_takes_targets(page: Page, login, screenshot):
    assert not FiscalYear.objects.filter(year=int(YEAR)).exists()

    # ---- 1. The administrator adds the year in 系统管理 ----------------------------------------
    login(page, "admin")
    page.locator("header nav").get_by_role("link", name="系统管理").click()
    page.locator("#content-main").get_by_role("link", name="年度", exact=True).click()
    page.get_by_role("link", name=re.compile("增加 年度")).click()
    page.locator("#id_year").fill(YEAR)
    page.locator("input[name=_save]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("成功")
    expect(page.locator("#result_list")).to_contain_text(YEAR)
    page.locator("#result_list").get_by_role("link", name=YEAR, exact=True).click()
    expect(page.locator(".field-recompute_status")).to_contain_text("重算状态")
    screenshot(page, f"{SHOTS}-01-admin-year-page")
    # A policy change is recomputed after commit (eager Celery here: done by the next page).
    page.locator("#id_grade_excellent").fill("91")
    page.locator("input[name=_continue]").click()
    expect(page.locator("ul.messagelist")).to_contain_text("正在后台重新计算")
    expect(page.locator(".field-recompute_status")).to_contain_text(re.compile(r"完成（\d{4}-"))
    screenshot(page, f"{SHOTS}-01b-admin-year-recomputed")
    year = FiscalYear.objects.get(year=int(YEAR))
    assert IndicatorCategory.objects.filter(year=year, parent=None, is_active=True).count() == 3
    logout(page)

    # The project the clerk fills in (the admin's 项目 page is not what this test is about).
    clerk_unit = Membership.objects.get(user__username="sz_clerk", role="clerk").department
    ProjectFactory(year=year, department=clerk_unit, code=f"{YEAR}-SZ-001", name=PROJECT)

    # ---- 2. The clerk fills the grid of a project in that year and submits --------------------
    login(page, "sz_clerk")
    home(page)
    project_row(page).get_by_role("button", name="开始填报").click()
    expect(page.locator("h1")).to_contain_text("绩效目标申报表")
    page.wait_for_load_state()  # the grid's script (deferred) listens from now on
    hint = page.get_by_role("heading", name=re.compile("^绩效指标"))
    expect(hint).to_contain_text("分值合计须为：产出指标 50 分、效益指标 30 分、满意度指标 10 分")
    page.get_by_label("年度总体目标").fill("保障热线平稳运行，群众诉求及时办结。")
    for line in LINES:
        add_line(page, line)
    first = page.locator("tr.ind-row").first
    expect(first.locator("select.level2 option:not([hidden])")).to_have_text(
        ["请选择", "数量指标", "质量指标", "时效指标", "成本指标"]
    )
    expect(page.locator("#weight-total")).to_have_text("90.00")
    screenshot(page, f"{SHOTS}-02-target-grid")
    page.once("dialog", lambda dialog: dialog.accept())  # 提交审核 asks first (issue 14)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".form-head .state")).to_have_text("已提交")
    expect(page.locator(".messages")).to_contain_text("已提交，等待审核。")
    logout(page)

    # ---- 3. A reviewer approves it ----------------------------------------------------------
    login(page, "reviewer")
    home(page)
    queue = page.locator('#todo [data-todo="review"]')
    queue.locator("li").filter(has_text=PROJECT).get_by_role("link", name=PROJECT).click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".form-head .state")).to_have_text("已审核")
    screenshot(page, f"{SHOTS}-03-targets-approved")

    sheet = TargetSheet.objects.get(project__name=PROJECT)
    assert sheet.state == FormState.APPROVED
    assert sum(i.weight for i in sheet.indicators.all()) == Decimal("90")
