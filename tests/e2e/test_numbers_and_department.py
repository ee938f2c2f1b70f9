"""Issue 14, items 2 and 4 in the browser: a quantitative actual value is a number (words are
refused live, on save and in the offline table, with one message), and a 部门整体 form with
missing budget figures says which and who provides them; finance follows the link, enters them
with one income marked 无此项收入, and the clerk's form computes 执行率 and 预算完成率."""

import io
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
from playwright.sync_api import Page, expect

from budgets.models import Department, DepartmentBudget, FiscalYear
from evaluations import services
from evaluations.models import SelfEvaluation
from reporting.tables.registry import evaluation_table
from reporting.tables.xlsx import render_xlsx

WORDS = "实际完成值须为数字，可带计量单位“%”（如：96%），文字说明请写在偏差原因分析中"
LINE = "办事群众满意率"  # ≥ 95 %, 10 points, on 2021-101-001 (a draft in the demo)


def _line(evaluation):
    return next(r for r in services.results_of(evaluation) if r.indicator.name == LINE)


def test_words_as_a_quantitative_actual_value_are_refused_live_and_on_save(
    page: Page, login, screenshot
):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    before = _line(evaluation)
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_label(f"{LINE}实际完成值").fill("约九成七")
    message = page.locator(f'tr.row-msg[data-for="{before.pk}"]')
    expect(message).to_contain_text(WORDS)  # live, from the preview
    expect(page.locator(f'tr.res-row[data-id="{before.pk}"] .suggested')).to_have_text("—")
    screenshot(page, "c-01-words-live")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages")).to_contain_text("填写有误，未保存")
    expect(page.locator(f'tr.row-msg[data-for="{before.pk}"]')).to_contain_text(WORDS)
    expect(page.get_by_label(f"{LINE}实际完成值")).to_have_value("约九成七")  # kept on screen
    screenshot(page, "c-02-words-on-save")
    after = _line(evaluation)
    assert (after.actual_value, after.score) == (before.actual_value, before.score)
    # a number with the line's unit is taken and scored
    page.get_by_label(f"{LINE}实际完成值").fill("96%")
    expect(page.locator(f'tr.res-row[data-id="{before.pk}"] .suggested')).to_have_text("10.00")
    expect(page.locator(f'tr.row-msg[data-for="{before.pk}"]')).to_be_hidden()


def test_words_in_the_offline_table_are_refused_in_the_preview(page: Page, login, screenshot):
    login(page, "xn_clerk")
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    before = _line(evaluation).actual_value
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([evaluation_table(evaluation)])))
    for row in book.worksheets[0].iter_rows():
        if row[2].value == LINE:
            row[4].value = "九十六"
    out = io.BytesIO()
    book.save(out)
    page.goto(f"/evaluations/{evaluation.pk}/")
    page.get_by_label("离线填写的自评表").set_input_files(
        {"name": "自评表.xlsx", "mimeType": "application/octet-stream", "buffer": out.getvalue()}
    )
    page.locator("form.offline-import").get_by_role("button", name="上传并预览").click()
    expect(page.locator("body")).to_contain_text(WORDS)
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    screenshot(page, "c-03-offline-words")
    assert _line(evaluation).actual_value == before


def _percent(executed: Decimal, full: Decimal) -> str:
    return f"{(executed / full * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def test_department_budget_dead_end_is_opened_by_finance(page: Page, login, screenshot):
    year = FiscalYear.objects.get(year=2021)
    bureau = Department.objects.get(code="101")
    clerk = bureau.memberships.get(user__username="xn_clerk").user
    evaluation = services.evaluation_start(user=clerk, department_id=bureau.pk, year_id=year.pk)
    form = f"/evaluations/{evaluation.pk}/"

    login(page, "xn_clerk")
    page.goto(form)
    notice = page.locator("#budget-missing")
    expect(notice).to_contain_text("一般公共预算·全年预算数")
    expect(notice).to_contain_text("一般公共预算·全年执行数")
    expect(notice).to_contain_text("财政部门（本单位的财政审核人）或系统管理员提供")
    expect(notice.get_by_role("link")).to_have_count(0)  # a clerk does not enter them
    expect(page.locator("#execution-rate")).to_have_text("无数据")
    screenshot(page, "c-04-department-missing-clerk")

    page.context.clear_cookies()
    login(page, "reviewer")
    page.goto(form)
    page.locator("#budget-missing").get_by_role("link", name="录入部门整体预算数据").click()
    expect(page).to_have_url(re.compile(rf"/budgets/department/{bureau.pk}/\?year=2021"))
    page.get_by_label("一般公共预算·全年预算数").fill("1778.47")
    page.get_by_label("一般公共预算·全年执行数").fill("1,700")
    page.get_by_label("政府性基金·无此项收入").check()
    page.get_by_label("纳入专户管理的非税收入·无此项收入").check()
    page.get_by_label("其他资金·全年预算数").fill("14.87")
    page.get_by_label("其他资金·全年执行数").fill("九")  # a word: refused, all input kept
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("其他资金·全年执行数必须是数字")
    expect(page.get_by_label("一般公共预算·全年预算数")).to_have_value("1778.47")
    expect(page.get_by_label("政府性基金·无此项收入")).to_be_checked()
    assert DepartmentBudget.objects.get(year=year, department=bureau).income_public_full is None
    page.get_by_label("其他资金·全年执行数").fill("14.87")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存部门整体预算数据")
    screenshot(page, "c-05-department-budget-page")
    budget = DepartmentBudget.objects.get(year=year, department=bureau)
    assert budget.income_fund_absent and budget.income_fund_initial is None  # its 0 went
    assert budget.income_public_executed == Decimal("1700")

    page.context.clear_cookies()
    login(page, "xn_clerk")
    page.goto(form)
    shown = _percent(Decimal("1714.87"), Decimal("1793.34"))
    expect(page.locator("#budget-missing")).to_have_count(0)
    expect(page.locator("#execution-rate")).to_have_text(shown)
    expect(page.locator('#common-indicators tr[data-key="budget_completion"]')).to_contain_text(
        shown
    )
    expect(page.locator("table.funds")).to_contain_text("无此项收入")
    screenshot(page, "c-06-department-computed")
