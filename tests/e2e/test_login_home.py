"""Login, the home page per role, the administrator's entry to the admin site, logout."""

import re

from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import Page, expect

from budgets.models import Department
from evaluations.models import FormState, MonitoringSheet, SelfEvaluation, TargetSheet

XN = "咸宁市政务服务和大数据管理局"
XN_UNITS = ["咸宁市政府大数据中心", "咸宁市12345公共服务热线中心"]
LOGIN_URL = re.compile(r"/login/(\?next=/)?$")


def expect_login_page(page: Page) -> None:
    expect(page.locator("h1")).to_have_text("用户登录")
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("#id_password")).to_be_visible()
    expect(page.locator("header .userbox")).to_have_count(0)


def department_sections(page: Page):
    """The 工作台's department cards (one per department the clerk works for)."""
    return page.locator("section.card").filter(has=page.get_by_text("部门整体支出"))


def state_counts(year: int, codes: list[str]) -> dict[str, int]:
    """Target sheets, self-evaluations and 监控表 per state label, of the departments with these
    codes."""
    departments = Department.objects.filter(code__in=codes)
    counts = {label: 0 for label in FormState.labels}
    for model in (TargetSheet, SelfEvaluation, MonitoringSheet):
        for form in model.objects.filter(year__year=year, department__in=departments):
            counts[form.get_state_display()] += 1
    return counts


def subtree_codes(*roots: str) -> list[str]:
    """The codes of these departments and of their 所属单位 (the demo's tree is two deep)."""
    return list(
        Department.objects.filter(Q(code__in=roots) | Q(parent__code__in=roots)).values_list(
            "code", flat=True
        )
    )


def test_anonymous_home_redirects_to_login(page: Page, screenshot):
    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    assert page.url.endswith("/login/?next=/")
    expect_login_page(page)
    expect(page).to_have_title(re.compile("登录"))
    screenshot(page, "01-login")


def test_wrong_password_shows_chinese_error(page: Page, demo, screenshot):
    page.goto("/login/")
    page.locator("#id_username").fill("xn_clerk")
    page.locator("#id_password").fill("not-the-password")
    page.locator("button[type=submit]").click()
    expect(page.locator(".error-box")).to_contain_text("请输入一个正确的")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect_login_page(page)
    # The username is kept, the password is not.
    expect(page.locator("#id_username")).to_have_value("xn_clerk")
    expect(page.locator("#id_password")).to_have_value("")
    screenshot(page, "02-login-wrong-password")


def test_clerk_sees_own_departments_and_switches_year(page: Page, login, screenshot):
    login(page, "xn_clerk")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text("2021年度工作台")
    expect(page.locator("header .userbox")).to_contain_text("张敏")
    expect(page.locator("header nav")).not_to_contain_text("系统管理")

    sections = department_sections(page)
    expect(sections).to_have_count(3)
    expect(sections.locator("h2")).to_contain_text([XN, *XN_UNITS])
    bureau = sections.filter(has=page.get_by_role("heading", name=XN))
    expect(bureau.get_by_role("row", name=re.compile("政务一体化平台建设"))).to_contain_text(
        "已审核"  # the demo's 2021 targets are approved, the self-evaluations still drafts
    )
    # a 所属单位's project (in the overview; the 待办 names it too)
    expect(page.get_by_role("cell", name="大数据中心平台建设")).to_be_visible()
    main = page.locator("main")
    expect(main).not_to_contain_text("随州")
    expect(main).not_to_contain_text("益阳")
    expect(main).not_to_contain_text("待审核")
    screenshot(page, "03-clerk-2021")

    # The select submits itself (static/js/app.js); 2023 holds only 随州's data in the demo.
    page.locator("#year").select_option("2023")
    expect(page).to_have_url(re.compile(r"/\?year=2023$"))
    expect(page.locator("h1")).to_have_text("2023年度工作台")
    expect(page.locator("#year")).to_have_value("2023")
    sections = department_sections(page)
    expect(sections).to_have_count(3)
    expect(sections.locator("h2")).to_contain_text([XN, *XN_UNITS])
    for section in sections.all():
        expect(section.locator("td.empty")).to_have_text("本年度暂无项目。")
        # 部门整体支出: no self-evaluation yet (the 绩效目标 cell may offer to start one).
        expect(section.locator("tr.dept-row td").nth(5)).to_have_text("未开始")
    expect(main).not_to_contain_text("政务一体化平台建设")
    expect(main).not_to_contain_text("随州")
    expect(main).not_to_contain_text("12345市长热线")  # a 随州 project of 2023
    screenshot(page, "04-clerk-2023")


def test_reviewer_sees_review_queue_with_state_counts(page: Page, login, screenshot):
    # One self-evaluation of a 所属单位 waits for review, so the queue has a row.
    project = "市政府12345公共服务热线项目建设及运维费"
    waiting = SelfEvaluation.objects.get(year__year=2021, project__name=project)
    waiting.state = FormState.SUBMITTED
    waiting.submitted_at = timezone.now()
    waiting.save()
    # the demo's submitted 绩效监控表 waits too: back to 草稿 so that one form waits
    MonitoringSheet.objects.filter(year__year=2021).update(state=FormState.DRAFT, submitted_at=None)
    expected = state_counts(2021, subtree_codes("101", "102"))
    assert expected["已提交"] == 1 and expected["已审核"] > 0  # the demo still looks as assumed

    login(page, "reviewer")
    expect(page.locator("h1")).to_have_text("2021年度工作台")
    queue = page.locator('#todo [data-todo="review"]')
    expect(queue.locator("h3")).to_have_text("待审核 表单 1 份，目标调整 0 项")
    row = queue.locator("li")
    expect(row).to_have_count(1)
    expect(row.locator(".todo-tag")).to_have_text("绩效自评")
    expect(row).to_contain_text("咸宁市12345公共服务热线中心")
    expect(row.get_by_role("link")).to_have_text(project)
    # the state counts are on 审核工作台, which opens on what waits (已提交)
    page.goto("/review/?year=2021")
    for label, number in expected.items():
        expect(page.locator("#form-counts li", has_text=label)).to_have_text(f"{label} {number}")
    expect(page.locator("section.card table.grid tbody tr")).to_have_count(1)
    page.goto("/")
    # A reviewer has no clerk's overview, and 益阳 is not assigned to this reviewer.
    expect(department_sections(page)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("益阳")
    screenshot(page, "05-reviewer-2021")


def test_admin_sees_system_links_and_opens_admin(page: Page, login, screenshot):
    login(page, "admin")
    expect(page.locator("h1")).to_have_text("2021年度工作台")
    system = page.locator("section.card").filter(has=page.get_by_role("heading", name="系统管理"))
    links = system.get_by_role("link")
    expect(links).to_have_count(8)
    expect(links).to_contain_text(["年度与评分规则", "单位", "用户", "用户角色", "操作记录"])
    # The administrator's 待办: years not set up (the demo's 2023 has no 自评截止日期).
    years = page.locator('#todo [data-todo="years"] li')
    expect(years).to_have_count(1)
    expect(years).to_contain_text("2023年度未设置完整")
    expect(years).to_contain_text("缺少：自评截止日期")
    screenshot(page, "06-admin-home")

    page.locator("header nav").get_by_role("link", name="系统管理").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_contain_text("绩效自评系统 · 系统管理")
    expect(page.locator("h1")).to_have_text("系统设置")
    expect(page.locator("#content-main")).to_contain_text("单位与预算")
    expect(page.locator("#content-main")).to_contain_text("绩效目标与自评")
    screenshot(page, "07-admin-index")

    page.goto("/")
    system.get_by_role("link", name="单位", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/budgets/department/$"))
    expect(page.locator("#result_list")).to_contain_text(XN)
    expect(page.locator("#result_list")).to_contain_text("益阳市行政审批服务局")
    screenshot(page, "08-admin-departments")


def test_logout_returns_to_login(page: Page, login, screenshot):
    login(page, "xn_clerk")
    expect(page.locator("h1")).to_have_text("2021年度工作台")
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect_login_page(page)
    screenshot(page, "09-after-logout")

    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    assert page.url.endswith("/login/?next=/")
    expect_login_page(page)
