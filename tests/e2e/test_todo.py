"""待办 on every home page, by role, and 目标调整 requests reaching the reviewer (issue 14, items 1
and 6), on the demo data (2021: 咸宁's targets approved, its self-evaluations in draft)."""

import datetime
import re
import shutil
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from evaluations.models import (
    FormState,
    MonitoringRound,
    MonitoringSheet,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
)
from evaluations.services import form_transition
from imports.models import ImportJob

PROJECT = (
    "政务一体化平台建设"  # 咸宁市政务服务和大数据管理局, 2021: targets approved, evaluation draft
)
OTHER = "大楼运维费"  # the same, another project
HOTLINE = "市政府12345公共服务热线项目建设及运维费"  # its 所属单位's
SHOTS = Path("/work/shots/a")


@pytest.fixture(autouse=True)
def without_monitoring(demo) -> None:
    """These tests count the year-end forms of the 待办; the demo's July monitoring round (its
    监控表 are drafts and one is submitted) has its own tests (test_monitoring*.py)."""
    MonitoringSheet.objects.all().delete()
    MonitoringRound.objects.all().delete()


def shot(page: Page, screenshot, name: str) -> None:
    """A screenshot in test-artifacts/screens/ (and a copy for the notes where that exists)."""
    path = screenshot(page, f"todo-{name}")
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)


def logout(page: Page) -> None:
    page.locator("header .userbox").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def group(page: Page, key: str):
    return page.locator(f'#todo [data-todo="{key}"]')


def evaluation(name: str) -> SelfEvaluation:
    return SelfEvaluation.objects.select_related("year").get(year__year=2021, project__name=name)


def submitted(form, at: datetime.datetime) -> None:
    """As if the unit had submitted it at that time (the submission itself is tested elsewhere)."""
    type(form).objects.filter(pk=form.pk).update(state=FormState.SUBMITTED, submitted_at=at)


def test_adjustment_reaches_the_reviewer_and_the_decision_the_clerk(page: Page, login, screenshot):
    sheet = TargetSheet.objects.get(year__year=2021, project__name=PROJECT)
    indicator = sheet.indicators.exclude(comparator="定性").order_by("id").first()
    new_value = "1" if indicator.effective_target != "1" else "2"

    # ---- the clerk asks on the approved sheet ----------------------------------------------
    login(page, "xn_clerk")
    page.goto(f"/targets/{sheet.pk}/")
    page.locator("#adj-indicator").select_option(str(indicator.pk))
    page.locator("#adj-value").fill(new_value)
    page.locator("#adj-reason").fill("年中预算调减，目标相应调整")
    page.get_by_role("button", name="提交调整申请").click()
    expect(page.locator("#adjustments")).to_contain_text("待审批")
    adjustment = TargetAdjustment.objects.get(indicator=indicator)
    logout(page)

    # ---- the reviewer sees it on his 待办 ---------------------------------------------------
    login(page, "reviewer")
    review = group(page, "review")
    expect(review.locator("h3")).to_have_text("待审核 表单 0 份，目标调整 1 项")
    entry = review.locator("li").filter(has_text="目标调整")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(PROJECT)
    expect(entry).to_contain_text(indicator.name)
    expect(entry).to_contain_text("咸宁市政务服务和大数据管理局")
    shot(page, screenshot, "reviewer-home")

    # ---- and in 审核工作台: its own kind, counted, filtered --------------------------------
    page.locator("header nav").get_by_role("link", name="审核工作台").click()
    expect(page.locator("#adjustment-counts li").first).to_have_text("目标调整待审批 1")
    rows = page.locator("section.card table.grid tbody tr")
    expect(rows.filter(has_text="目标调整")).to_have_count(1)  # opens on what waits
    page.locator("select[name=kind]").select_option("adjustment")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"kind=adjustment"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("待审批")
    expect(rows.first).to_contain_text(indicator.name)
    shot(page, screenshot, "review-queue-adjustments")

    # ---- the link leads to the request on the sheet, where he decides ----------------------
    rows.first.get_by_role("link", name=PROJECT).click()
    expect(page).to_have_url(re.compile(rf"/targets/{sheet.pk}/#adjustment-{adjustment.pk}$"))
    row = page.locator(f"#adjustment-{adjustment.pk}")
    expect(row).to_be_in_viewport()
    row.get_by_label("审批意见").fill("同意按调减后的预算调整")
    row.get_by_role("button", name="同意").click()
    expect(page.locator(f"#adjustment-{adjustment.pk}")).to_contain_text("已同意")
    page.goto("/")
    expect(page.locator("#todo")).to_contain_text("暂无待办")  # nothing else waits in 2021
    logout(page)

    # ---- the clerk's 待办 shows the decision with its comment -----------------------------
    login(page, "xn_clerk")
    decided = group(page, "decided").locator("li")
    expect(decided).to_have_count(1)
    expect(decided).to_contain_text(f"{indicator.name}：{indicator.target_value} → {new_value}")
    expect(decided).to_contain_text("已同意")
    expect(decided).to_contain_text("同意按调减后的预算调整")
    shot(page, screenshot, "clerk-home-decided")
    decided.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"#adjustment-{adjustment.pk}$"))


def test_returned_form_shows_its_reason_on_the_clerks_todo(page: Page, login, screenshot):
    from django.contrib.auth.models import User

    form = evaluation(PROJECT)
    submitted(form, timezone.now())
    form.refresh_from_db()
    form_transition(
        form=form,
        user=User.objects.get(username="reviewer"),
        action="return",
        reason="请补充项目验收报告作为佐证材料",
    )

    login(page, "xn_clerk")
    returned = group(page, "returned").locator("li")
    expect(returned).to_have_count(1)
    expect(returned).to_contain_text(PROJECT)
    expect(returned).to_contain_text("退回原因：请补充项目验收报告作为佐证材料")
    expect(returned).to_contain_text(re.compile(r"截止 2\d{3}-\d\d-\d\d"))
    # the forms to fill: self-evaluations with their deadline, days left or overdue
    fill = group(page, "fill").locator("li")
    expect(fill.filter(has_text=OTHER)).to_contain_text(re.compile("还剩 \\d+ 天|已逾期"))
    shot(page, screenshot, "clerk-home-returned")
    returned.get_by_role("link", name=PROJECT).click()
    expect(page).to_have_url(re.compile(rf"/evaluations/{form.pk}/$"))


def test_reviewer_sees_the_longest_waiting_first(page: Page, login, screenshot):
    now = timezone.now()
    submitted(evaluation(PROJECT), now - datetime.timedelta(hours=1))
    submitted(evaluation(OTHER), now - datetime.timedelta(days=3))
    # a 目标调整 of the 所属单位, requested two days ago, waits between them
    hotline = TargetSheet.objects.get(year__year=2021, project__name=HOTLINE)
    indicator = hotline.indicators.exclude(comparator="定性").order_by("id").first()
    adjustment = TargetAdjustment.objects.create(
        indicator=indicator, old_value=indicator.target_value, new_value="1", reason="调整"
    )
    TargetAdjustment.objects.filter(pk=adjustment.pk).update(
        requested_at=now - datetime.timedelta(days=2)
    )

    login(page, "reviewer")
    entries = group(page, "review").locator("li")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text(OTHER)
    expect(entries.nth(1)).to_contain_text("目标调整")
    expect(entries.nth(1)).to_contain_text(HOTLINE)
    expect(entries.nth(2)).to_contain_text(PROJECT)
    # 审核工作台 opens on the same, in the same order
    page.goto("/review/?year=2021")
    rows = page.locator("section.card table.grid tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(OTHER)
    expect(rows.nth(1)).to_contain_text("目标调整")
    expect(rows.nth(2)).to_contain_text(PROJECT)
    shot(page, screenshot, "review-queue-default")
    page.locator("#all-states").click()
    expect(rows).not_to_have_count(3)  # every state of 咸宁 and 随州
    expect(page.locator("#form-counts li", has_text="已提交")).to_have_text("已提交 2")


def test_head_sees_forms_waiting_for_his_confirmation(page: Page, login, screenshot):
    form = evaluation(PROJECT)
    SelfEvaluation.objects.filter(pk=form.pk).update(
        state=FormState.PENDING_HEAD, submitted_at=timezone.now()
    )
    login(page, "xn_head")
    waiting = group(page, "confirm").locator("li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(PROJECT)
    expect(waiting.locator(".todo-tag")).to_have_text("绩效自评")
    shot(page, screenshot, "head-home")
    waiting.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("button", name="确认送审")).to_be_visible()


def test_nothing_waiting_is_said(page: Page, login):
    login(page, "xn_head")
    expect(page.locator("#todo")).to_contain_text("暂无待办")


def test_admin_sees_a_failed_import_job(page: Page, login, screenshot):
    from django.contrib.auth.models import User

    from budgets.models import FiscalYear
    from reporting.models import ExportJob

    job = ImportJob.objects.create(
        kind=ImportJob.Kind.PROJECTS,
        original_name="2021年项目及资金.xlsx",
        state=ImportJob.State.FAILED,
        message="导入时数据库连接中断，未导入任何数据。",
    )
    ExportJob.objects.create(
        created_by=User.objects.get(username="admin"),
        year=FiscalYear.objects.get(year=2021),
        kind=ExportJob.Kind.SUMMARY,
        format=ExportJob.Format.XLSX,
        state=ExportJob.State.FAILED,
        error="生成超时",
    )
    login(page, "admin")
    failed = group(page, "failed-imports").locator("li")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("项目及资金导入失败：2021年项目及资金.xlsx")
    expect(failed).to_contain_text("导入时数据库连接中断")
    expect(group(page, "failed-exports").locator("li")).to_contain_text("生成超时")
    expect(group(page, "years").locator("li")).to_contain_text("2023年度未设置完整")
    shot(page, screenshot, "admin-home")
    failed.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/imports/{job.pk}/$"))
