"""Opening a year from the last (evaluations.services.year_open, `open_year --from`, 系统管理 ›
年度 › 从上一年度开设新年度): what is copied, what is not, idempotency, the dry run, the refusals,
the audit, a fixed number of queries, and last year's values beside the carried lines."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from budgets.models import FiscalYear, Project
from core.models import AuditLog
from evaluations import services
from evaluations.models import FormState, Indicator, IndicatorCategory, TargetSheet
from tests.factories import (
    GOOD,
    IndicatorFactory,
    ProjectFactory,
    TargetSheetFactory,
    category,
    save,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def last_year(evaluation, clerk, tree):
    """2025: the fixture project's approved sheet (4 lines) with recorded results, an ended
    project with a sheet, a 部门整体 sheet of the centre, and a changed policy and category."""
    save(evaluation, clerk, GOOD)
    year = evaluation.year
    ended = ProjectFactory(year=year, department=tree["hotline"], code="END-1", ended=True)
    IndicatorFactory(sheet=TargetSheetFactory(project=ended))
    department_sheet = TargetSheet.objects.create(
        year=year, department=tree["centre"], project=None, overall_goal="部门整体目标"
    )
    IndicatorFactory(sheet=department_sheet, name="部门整体指标", weight=D("50"))
    services.fiscal_year_update(fiscal_year=year, actor=None, grade_excellent=D("92"))
    IndicatorCategory.objects.filter(year=year, name="数量指标").update(order=99)
    return year


def open_2026(**kwargs):
    return services.year_open(year=2026, previous=2025, actor=None, **kwargs)


def test_opening_copies_classification_policy_projects_and_targets_as_drafts(last_year, sheet):
    opening = open_2026()
    new = FiscalYear.objects.get(year=2026)
    assert opening.year_created and new.grade_excellent == D("92")
    assert not new.is_current and not new.evaluation_open
    old_tree = sorted(
        IndicatorCategory.objects.filter(year=last_year).values_list(
            "parent__name", "name", "weight", "order", "is_active"
        ),
        key=str,
    )
    new_tree = sorted(
        IndicatorCategory.objects.filter(year=new).values_list(
            "parent__name", "name", "weight", "order", "is_active"
        ),
        key=str,
    )
    assert new_tree == old_tree and opening.categories == len(old_tree)

    # the continuing project under its code, linked to last year's, its funds not copied
    (project,) = Project.objects.filter(year=new)
    assert project.code == sheet.project.code and project.previous_id == sheet.project_id
    assert project.full_total == D("0") and project.executed_total == D("0")
    assert [p.code for p in opening.ended] == ["END-1"]

    carried = TargetSheet.objects.get(project=project)
    assert carried.state == FormState.DRAFT and carried.overall_goal == sheet.overall_goal
    assert carried.department_id == sheet.department_id and carried.year == new
    lines = list(carried.indicators.select_related("category__parent", "previous"))
    assert [(i.name, i.target_value, i.weight) for i in lines] == [
        (i.name, i.target_value, i.weight) for i in sheet.indicators.all()
    ]
    for line in lines:
        assert line.category.year_id == new.id
        assert line.category.name == line.previous.category.name
        assert line.previous.sheet_id == sheet.id
    department_sheet = TargetSheet.objects.get(year=new, project=None)
    assert department_sheet.state == FormState.DRAFT
    assert [i.name for i in department_sheet.indicators.all()] == ["部门整体指标"]
    assert opening.counts() == {
        "指标分类": len(old_tree),
        "项目": 1,
        "已存在跳过的项目": 0,
        "已结束未结转的项目": 1,
        "项目绩效目标": 1,
        "部门整体绩效目标": 1,
        "已存在跳过的部门整体绩效目标": 0,
        "三级指标": 5,
    }


def test_an_approved_adjustment_is_the_carried_target(last_year, sheet):
    line = sheet.indicators.get(name="话务平台接听量")
    Indicator.objects.filter(pk=line.pk).update(adjusted_target_value="50")
    open_2026()
    assert Indicator.objects.get(previous=line).target_value == "50"


def test_opening_twice_copies_nothing_twice_and_audits_each_opening_once(last_year, sheet):
    open_2026()
    counts = (Project.objects.count(), TargetSheet.objects.count(), Indicator.objects.count())
    again = open_2026()
    assert (Project.objects.count(), TargetSheet.objects.count(), Indicator.objects.count()) == (
        counts
    )
    assert not again.year_created and again.indicators == 0 and again.categories == 0
    assert [p.code for p in again.skipped] == [sheet.project.code]
    assert again.skipped_department_sheets == 1
    new = FiscalYear.objects.get(year=2026)
    logs = AuditLog.objects.filter(object_type="budgets.FiscalYear", object_id=str(new.pk))
    assert sorted(log.action for log in logs) == ["从上一年度开设年度"] * 2 + ["创建年度"]
    first = logs.filter(action="从上一年度开设年度").order_by("id").first()
    assert first.changes["三级指标"] == [None, 5] and first.changes["上一年度"] == [None, 2025]


def test_a_year_that_exists_gets_only_what_it_lacks(last_year, sheet, tree):
    existing = services.fiscal_year_create(year=2026, actor=None)
    ProjectFactory(year=existing, department=tree["centre"], code=sheet.project.code)
    extra = IndicatorCategory.objects.create(year=last_year, name="新增一级", weight=D("0"))
    opening = open_2026()
    assert not opening.year_created and opening.categories == 1  # only 新增一级
    assert IndicatorCategory.objects.filter(year=existing, name=extra.name).exists()
    assert opening.projects == [] and [p.code for p in opening.skipped] == [sheet.project.code]
    assert opening.sheets == 0 and opening.department_sheets == 1


def test_a_dry_run_reports_exactly_and_saves_nothing(last_year, sheet):
    counts = (FiscalYear.objects.count(), Project.objects.count(), AuditLog.objects.count())
    preview = open_2026(dry_run=True)
    assert (FiscalYear.objects.count(), Project.objects.count(), AuditLog.objects.count()) == (
        counts
    )
    assert preview.dry_run and preview.summary().startswith("2026年度（从2025年度）将创建")
    real = open_2026()
    assert preview.counts() == real.counts()
    assert [p.code for p in preview.projects] == [p.code for p in real.projects]


@pytest.mark.parametrize(
    ("year", "previous", "message"),
    [
        (2025, 2025, "新年度须晚于上一年度：2025年度不晚于2025年度"),
        (2024, 2025, "新年度须晚于上一年度"),
        (2027, 2019, "上一年度2019年度不存在"),
    ],
)
def test_refusals_are_chinese_and_save_nothing(last_year, year, previous, message):
    with pytest.raises(services.YearOpeningRefused, match=message):
        services.year_open(year=year, previous=previous, actor=None)
    assert list(FiscalYear.objects.values_list("year", flat=True)) == [2025]


def _projects_with_targets(year, department, n):
    for _ in range(n):
        sheet = TargetSheetFactory(project=ProjectFactory(year=year, department=department))
        IndicatorFactory(sheet=sheet)
        IndicatorFactory(sheet=sheet, category=category(year, "时效指标"))


def test_the_query_count_does_not_grow_with_the_year(last_year, tree):
    _projects_with_targets(last_year, tree["centre"], 2)
    with CaptureQueriesContext(connection) as small:
        services.year_open(year=2026, previous=2025, actor=None, dry_run=True)
    _projects_with_targets(last_year, tree["centre"], 20)
    with CaptureQueriesContext(connection) as large:
        opening = services.year_open(year=2026, previous=2025, actor=None, dry_run=True)
    assert opening.sheets == 23
    assert len(large) == len(small)


# ---- the target grid -------------------------------------------------------------------------


def test_the_grid_shows_last_years_target_and_actual_beside_carried_lines(
    last_year, sheet, client, clerk, django_assert_num_queries
):
    open_2026()
    carried = TargetSheet.objects.get(year__year=2026, project__isnull=False)
    client.force_login(clerk)
    url = reverse("target_sheet", args=[carried.pk])
    page = client.get(url).content.decode()
    lines = re.findall(r'<div class="prev-year[^>]*>(.*?)</div>', page, re.S)
    text = [re.sub(r"<[^>]+>", "", line) for line in lines]
    assert text == [
        "上年指标值：45 万件 · 上年实际完成值：47 万件（未审核）",
        "上年指标值：2 小时 · 上年实际完成值：1.5 小时（未审核）",
        "上年指标值：保障正常运转 · 上年实际完成值：正常运转（未审核）",
        "上年指标值：95 % · 上年实际完成值：96 %（未审核）",
    ]
    # the links cost no query: the same count as a sheet of as many lines that were not carried
    plain = TargetSheet.objects.get(pk=sheet.pk)
    TargetSheet.objects.filter(pk=plain.pk).update(state=FormState.DRAFT)
    with CaptureQueriesContext(connection) as own:
        client.get(reverse("target_sheet", args=[plain.pk]))
    with CaptureQueriesContext(connection) as new:
        client.get(url)
    assert len(new) == len(own)


def test_a_line_added_this_year_shows_no_previous_values(last_year, sheet, client, clerk):
    open_2026()
    carried = TargetSheet.objects.get(year__year=2026, project__isnull=False)
    IndicatorFactory(sheet=carried, name="新指标")
    client.force_login(clerk)
    page = client.get(reverse("target_sheet", args=[carried.pk])).content.decode()
    assert page.count('class="prev-year') == 4


# ---- the command and the admin page ----------------------------------------------------------


def test_command_dry_run_lists_then_opens(last_year, sheet):
    out = io.StringIO()
    call_command("open_year", "2026", "--from", "2025", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"{sheet.project.code}  {sheet.project.name}" in text
    assert "已结束、不结转的项目（1个）" in text and "END-1" in text
    assert not FiscalYear.objects.filter(year=2026).exists()
    out = io.StringIO()
    call_command("open_year", "2026", "--from", "2025", stdout=out)
    assert "已创建" in out.getvalue() and "三级指标5个" in out.getvalue()
    assert Indicator.objects.filter(sheet__year__year=2026).count() == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2026", "--from", "2019"], "上一年度2019年度不存在"),
        (["2025", "--from", "2025"], "新年度须晚于上一年度"),
        (["2026", "--dry-run"], "--dry-run 须与 --from 一起使用"),
        (["2026", "--from", "19"], "年度须在2000至2099之间"),
    ],
)
def test_command_refusals(last_year, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("open_year", *args, stdout=io.StringIO())
    assert not FiscalYear.objects.filter(year=2026).exists()


def test_admin_page_previews_then_opens(last_year, sheet, client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:budgets_fiscalyear_open")
    page = client.get(reverse("admin:budgets_fiscalyear_changelist")).content.decode()
    assert url in page and "从上一年度开设新年度" in page
    form = client.get(url)
    assert form.status_code == 200 and 'value="2026"' in form.content.decode()
    preview = client.post(url, {"year": "2026", "previous": "2025", "action": "preview"})
    text = preview.content.decode()
    assert "将创建" in text and sheet.project.name in text and "END-1" in text
    assert "确认开设2026年度" in text
    assert not FiscalYear.objects.filter(year=2026).exists()
    done = client.post(url, {"year": "2026", "previous": "2025", "action": "confirm"}, follow=True)
    assert "已创建" in done.content.decode()
    (log,) = AuditLog.objects.filter(action="从上一年度开设年度")
    assert log.actor == admin_user


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"year": "二〇二六", "previous": "2025"}, "新年度须为四位数字年份"),
        ({"year": "2025", "previous": "2025"}, "新年度须晚于上一年度"),
        ({"year": "2026", "previous": "1999"}, "选择一个有效的选项"),
        ({"year": "20260", "previous": "2025"}, "年度须在2000至2099之间"),
    ],
)
def test_admin_page_refusals_show_on_the_form(last_year, client, admin_user, data, message):
    client.force_login(admin_user)
    response = client.post(reverse("admin:budgets_fiscalyear_open"), {**data, "action": "confirm"})
    assert response.status_code == 200 and message in response.content.decode()
    assert not FiscalYear.objects.filter(year=2026).exists()


def test_admin_page_is_for_administrators(last_year, client, clerk):
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(
        reverse("admin:budgets_fiscalyear_open"), {"year": "2026", "previous": "2025"}
    )
    assert response.status_code == 403
    assert not FiscalYear.objects.filter(year=2026).exists()
