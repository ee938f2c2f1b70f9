"""The finance dashboard with the demo data, its drill-down to the review queue and the forms;
a 部门整体 self-evaluation with its computed common indicators and its projects' scores."""

import re

from playwright.sync_api import Page, expect

from evaluations.models import SelfEvaluation


def test_reviewer_dashboard_and_drill_down(page: Page, login, screenshot):
    login(page, "reviewer")
    page.get_by_role("link", name="绩效看板").click()
    expect(page.locator("h1")).to_have_text("2021年度绩效看板")
    started = SelfEvaluation.objects.filter(
        year__year=2021, department__code__startswith="101"
    ).count()
    expect(page.locator("#tile-expected")).not_to_have_text("0")
    # 未开始, six states (待主管部门审核 among them), 逾期
    expect(page.locator("#progress svg .bar")).to_have_count(8)
    expect(page.locator("#scatter circle.dot")).not_to_have_count(0)
    expect(page.locator("#departments tbody tr").first).to_contain_text("咸宁")
    screenshot(page, "dashboard-01-reviewer-2021")

    # a bar of the state chart opens the queue filtered to the same forms
    page.locator("#progress a").filter(has_text="草稿").click()
    expect(page).to_have_url(re.compile(r"/review/\?year=2021&kind=evaluation&state=draft"))
    rows = page.locator("section.card table.grid tbody tr")
    expect(rows).to_have_count(started)
    page.go_back()

    # a point of the scatter chart opens its form
    page.locator("#scatter circle.dot").first.click()
    expect(page).to_have_url(re.compile(r"/evaluations/\d+/$"))
    expect(page.locator("h1")).to_contain_text("项目支出绩效自评表")


def test_department_form_with_common_indicators_and_projects(page: Page, login, screenshot):
    login(page, "xn_clerk")
    row = page.locator("tr.dept-row").first
    row.get_by_role("button", name=re.compile("开始自评")).click()
    expect(page.locator("h1")).to_contain_text("部门整体支出绩效自评表")
    indicators = page.locator("#common-indicators tbody tr")
    expect(indicators).to_have_count(10)
    # 咸宁's 2021 budget document: 编制 31, 在职 22 → 70.97%; no execution yet → 无数据
    staff = indicators.filter(has_text="在职人员控制率")
    expect(staff.locator("td.num")).to_have_text("70.97%")
    expect(staff).to_have_attribute("title", re.compile("实有在职人数 22人；编制数 31人"))
    expect(indicators.filter(has_text="预算完成率").locator("td.num")).to_have_text("无数据")
    projects = page.locator("#department-projects tbody tr")
    expect(projects).to_have_count(8)  # the bureau's projects and its 所属单位's
    expect(page.locator("#department-projects h2")).to_contain_text("项目平均得分")
    screenshot(page, "dashboard-02-department-form")


def test_department_rows_page_by_page(page: Page, login, screenshot, monkeypatch):
    """各单位得分 comes a page of rows at a time (a city has 300 departments): the reviewer pages
    through them; every figure above stays the same on every page."""
    from reporting import dashboard

    monkeypatch.setattr(dashboard, "DEPARTMENT_PAGE", 2)
    login(page, "reviewer")
    page.get_by_role("link", name="绩效看板").click()
    rows = page.locator("#departments tbody tr")
    expect(rows).to_have_count(2)
    pager = page.locator("#department-pager")
    expect(pager).to_contain_text("第 1 /")
    tiles = page.locator("ul.tiles").inner_text()
    first = rows.first.locator("td").first.inner_text()
    expect(rows.first).not_to_contain_text("0000")  # figures to the cent, on SQLite too
    screenshot(page, "dashboard-03-department-pager")

    pager.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"units=2#departments$"))
    expect(pager).to_contain_text("第 2 /")
    expect(rows.first.locator("td").first).not_to_have_text(first)
    assert page.locator("ul.tiles").inner_text() == tiles
    pager.get_by_role("link", name="上一页").click()
    expect(rows.first.locator("td").first).to_have_text(first)

    # a department's name opens the queue filtered to its forms
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/review/\?.*department=\d+"))
