"""待办 (evaluations/todo.py): what each role is shown, in which order, at a fixed query cost."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets.models import Membership
from evaluations import todo
from evaluations.models import FormState, TargetAdjustment
from imports.models import ImportJob
from tests.factories import (
    IndicatorFactory,
    ProjectFactory,
    SelfEvaluationFactory,
    TargetSheetFactory,
    UserFactory,
    member,
    year_create,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
TODAY = datetime.date(2026, 3, 20)


def sections(user, fiscal_year, today=TODAY) -> dict[str, todo.Section]:
    return {s.key: s for s in todo.todo_for(user, fiscal_year, today).sections}


@pytest.fixture
def year(fiscal_year):
    fiscal_year.evaluation_open = True
    fiscal_year.evaluation_deadline = datetime.date(2026, 3, 31)
    fiscal_year.save()
    return fiscal_year


def approved_project(department, year, name, **evaluation):
    project = ProjectFactory(department=department, year=year, name=name)
    sheet = TargetSheetFactory(project=project, state=FormState.APPROVED)
    if evaluation:
        SelfEvaluationFactory(project=project, **evaluation)
    return project, sheet


def test_clerk_sees_returned_first_then_what_to_fill_by_deadline(tree, year):
    centre = tree["centre"]
    approved_project(
        centre, year, "被退回的", state=FormState.RETURNED, review_comment="请补充佐证材料"
    )
    approved_project(centre, year, "已延期的草稿", deadline_extension=datetime.date(2026, 4, 30))
    approved_project(centre, year, "草稿", state=FormState.DRAFT)
    approved_project(centre, year, "未开始自评的")
    ProjectFactory(department=centre, year=year, name="未填目标的")
    approved_project(centre, year, "已提交的", state=FormState.SUBMITTED)
    approved_project(tree["hotline"], year, "别的单位的")
    clerk = member(centre, Role.CLERK)

    found = sections(clerk, year, today=datetime.date(2026, 4, 5))
    assert list(found) == ["returned", "fill", "decided"]
    (returned,) = found["returned"].entries
    assert returned.text == "被退回的" and returned.late
    assert returned.note == "退回原因：请补充佐证材料 · 截止 2026-03-31，已逾期 5 天"
    assert returned.url == reverse("evaluation", args=[returned.url.split("/")[-2]])
    fill = {e.text: e for e in found["fill"].entries}
    # overdue first (a started form before one not started), then the nearest deadline (the
    # later of the year's and the department's extension: workflow.deadline_of), then targets
    assert list(fill) == [
        "草稿",
        "未开始自评的",
        "已延期的草稿",
        "市政府大数据中心（部门整体）",
        "未填目标的",
    ]
    assert fill["草稿"].late and fill["草稿"].note == "草稿 · 截止 2026-03-31，已逾期 5 天"
    assert fill["未开始自评的"].late and fill["未开始自评的"].start[0] == "evaluation_start"
    assert not fill["已延期的草稿"].late
    assert fill["已延期的草稿"].note == "草稿 · 截止 2026-04-30，还剩 25 天"
    assert fill["未填目标的"].start[0] == "target_sheet_start"
    assert fill["市政府大数据中心（部门整体）"].start == (
        "target_sheet_start",
        {"department": centre.pk, "year": year.pk},
    )


def test_self_evaluation_not_offered_before_the_year_opens_it(tree, year):
    year.evaluation_open = False
    year.save()
    approved_project(tree["centre"], year, "未开始自评的")
    fill = sections(member(tree["centre"], Role.CLERK), year)["fill"]
    assert [e.text for e in fill.entries] == ["市政府大数据中心（部门整体）"]


def test_long_lists_show_the_first_ones_and_link_to_all(client, tree, year):
    for n in range(todo.LIMIT + 3):
        ProjectFactory(department=tree["centre"], year=year, code=f"L{n:02}")
    clerk = member(tree["centre"], Role.CLERK)
    fill = sections(clerk, year)["fill"]
    assert len(fill.entries) == todo.LIMIT and fill.total == todo.LIMIT + 4  # and 部门整体
    client.force_login(clerk)
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="#overview">全部 {todo.LIMIT + 4} 项</a>' in page
    assert 'id="overview"' in page


def test_only_the_shown_entries_are_built_and_the_reminder_keeps_all(tree, year, monkeypatch):
    """A clerk of the whole city has thousands of forms to fill: the 待办 sorts them all but builds
    the entries of the first LIMIT only; unit_entries (the deadline reminder) lists every one."""
    for n in range(todo.LIMIT + 3):
        approved_project(tree["centre"], year, f"草稿{n:02}", state=FormState.DRAFT)
        approved_project(tree["centre"], year, f"退回{n:02}", state=FormState.RETURNED)
        ProjectFactory(department=tree["centre"], year=year, code=f"L{n:02}")
    built = []

    class Counted(todo.Entry):
        def __init__(self, text, **fields):
            built.append(text)
            super().__init__(text, **fields)

    monkeypatch.setattr(todo, "Entry", Counted)
    found = sections(member(tree["centre"], Role.CLERK), year)
    assert found["fill"].total == 2 * (todo.LIMIT + 3) + 1  # drafts, not started, 部门整体
    assert found["returned"].total == todo.LIMIT + 3
    assert len(built) == 2 * todo.LIMIT
    assert [e.text for e in found["fill"].entries] == [f"草稿{n:02}" for n in range(todo.LIMIT)]
    every = todo.unit_entries(year, frozenset([tree["centre"].pk]), TODAY)
    assert len(every) == 3 * (todo.LIMIT + 3) + 1


def test_decided_adjustments_with_the_comment_for_a_while(tree, year):
    project, sheet = approved_project(tree["centre"], year, "项目")
    indicator = IndicatorFactory(sheet=sheet, name="接听量", target_value="45")
    now = timezone.now()
    for state, days, comment in [
        (TargetAdjustment.State.REJECTED, 1, "依据不足"),
        (TargetAdjustment.State.APPROVED, todo.DECIDED_SHOWN_DAYS + 1, "旧的"),
        (TargetAdjustment.State.PENDING, None, ""),
    ]:
        TargetAdjustment.objects.create(
            indicator=indicator,
            old_value="45",
            new_value="40",
            reason="调整",
            state=state,
            decided_at=days and now - datetime.timedelta(days=days),
            decision_comment=comment,
        )
    (entry,) = sections(member(tree["centre"], Role.CLERK), year)["decided"].entries
    assert entry.text == "项目 · 接听量：45 → 40" and entry.late
    assert entry.note.startswith("已驳回（") and entry.note.endswith("）：依据不足")
    assert entry.url.startswith(reverse("target_sheet", args=[sheet.pk]) + "#adjustment-")


def test_head_sees_only_what_waits_for_him(tree, year):
    approved_project(tree["centre"], year, "待确认", state=FormState.PENDING_HEAD)
    approved_project(tree["centre"], year, "草稿", state=FormState.DRAFT)
    approved_project(tree["other"], year, "别处的", state=FormState.PENDING_HEAD)
    found = sections(member(tree["bureau"], Role.HEAD), year)
    assert list(found) == ["confirm"]
    assert [e.text for e in found["confirm"].entries] == ["待确认"]


def test_reviewer_sees_overdue_then_the_longest_waiting(tree, year):
    now = timezone.now()
    approved_project(tree["centre"], year, "新", state=FormState.SUBMITTED, submitted_at=now)
    approved_project(
        tree["centre"],
        year,
        "旧",
        state=FormState.SUBMITTED,
        submitted_at=now - datetime.timedelta(days=5),
    )
    _, sheet = approved_project(tree["centre"], year, "调整", state=FormState.DRAFT)
    adjustment = TargetAdjustment.objects.create(
        indicator=IndicatorFactory(sheet=sheet, name="接听量"),
        old_value="45",
        new_value="40",
        reason="调整",
    )
    TargetAdjustment.objects.filter(pk=adjustment.pk).update(
        requested_at=now - datetime.timedelta(days=1)
    )
    approved_project(tree["other"], year, "别处的", state=FormState.SUBMITTED, submitted_at=now)
    reviewer = member(tree["bureau"], Role.REVIEWER)
    found = sections(reviewer, year, today=datetime.date(2026, 4, 5))
    assert list(found) == ["overdue", "review"]
    (late,) = found["overdue"].entries
    assert late.text == "1 份表单已过截止日期仍未提交" and "overdue=1" in late.url
    review = found["review"]
    assert [e.text for e in review.entries] == ["旧", "调整 · 指标：接听量", "新"]
    assert review.entries[1].url.endswith(f"#adjustment-{adjustment.pk}")
    assert review.summary == "表单 2 份，目标调整 1 项" and review.total == 3
    # times as the users read them (the site's time zone), not as stored (UTC)
    assert review.entries[2].note.endswith(f"{timezone.localtime(now):%Y-%m-%d %H:%M} 提交")


def test_admin_sees_years_not_set_up_and_failed_jobs(tree, fiscal_year):
    admin = UserFactory(is_superuser=True)
    year_create(2024, is_current=False)  # before the current year: not checked
    later = year_create(2026, is_current=False)
    later.indicator_categories.all().delete()
    ProjectFactory(department=tree["centre"], year=fiscal_year)
    ImportJob.objects.create(
        kind=ImportJob.Kind.PROJECTS, original_name="坏.xlsx", state=ImportJob.State.FAILED
    )
    ImportJob.objects.create(
        kind=ImportJob.Kind.PROJECTS, original_name="有错误.xlsx", state=ImportJob.State.INVALID
    )
    found = sections(admin, fiscal_year)
    years = {e.text: e.note for e in found["years"].entries}
    assert years == {
        "2025年度未设置完整": "缺少：自评截止日期",
        "2026年度未设置完整": "缺少：指标分类、自评截止日期、项目",
    }
    assert [e.text for e in found["failed-imports"].entries] == ["项目及资金导入失败：坏.xlsx"]
    assert found["failed-exports"].entries == []


def test_nobody_with_nothing_to_do_reads_that(client, tree, fiscal_year):
    client.force_login(member(tree["bureau"], Role.REVIEWER))
    assert "暂无待办。" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("role", [Role.CLERK, Role.HEAD, Role.REVIEWER, "admin"])
def test_todo_costs_a_fixed_number_of_queries(tree, year, role, django_assert_num_queries):
    user = UserFactory(is_superuser=True) if role == "admin" else member(tree["bureau"], role)

    def populate(n: int) -> None:
        for _ in range(n):
            for department in (tree["bureau"], tree["centre"], tree["hotline"]):
                for state in FormState.values:
                    project, sheet = approved_project(department, year, "项目", state=state)
                    TargetAdjustment.objects.create(
                        indicator=IndicatorFactory(sheet=sheet),
                        old_value="1",
                        new_value="2",
                        reason="调整",
                        state=TargetAdjustment.State.REJECTED,
                        decided_at=timezone.now(),
                    )
                ProjectFactory(department=department, year=year)
            ImportJob.objects.create(kind="projects", original_name="x", state="failed")

    populate(1)
    with CaptureQueriesContext(connection) as small:
        todo.todo_for(user, year, TODAY)
    populate(15)
    user = type(user).objects.get(pk=user.pk)  # access read again: a fresh request
    with django_assert_num_queries(len(small)):
        found = todo.todo_for(user, year, TODAY)
    assert any(s.total > todo.LIMIT for s in found.sections)
