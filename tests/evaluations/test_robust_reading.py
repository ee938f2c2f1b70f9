"""Issue 12, item 1: a row already out of range (stored before the number rule, or written by raw
SQL) no longer breaks pages for everyone: the form, the clerk's home, 审核工作台, 绩效看板 and the
admin answer 200 for every department."""

import pytest
from django.urls import reverse

from budgets.models import Membership
from evaluations import services
from tests.factories import UserFactory, member, sqlite_only, unchecked

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad_rows(evaluation, clerk, tree, open_year):
    """The three rows of issue 12 in one department, and a sound evaluation next door."""
    from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory

    neighbour_clerk = member(tree["hotline"])
    project = ProjectFactory(department=tree["hotline"], year=open_year, full_current=100)
    sheet = TargetSheetFactory(project=project, state="approved")
    IndicatorFactory(sheet=sheet, weight=10)
    neighbour = services.evaluation_start(user=neighbour_clerk, project_id=project.pk)
    line = evaluation.results.get(indicator__name="群众满意率")
    return {
        "evaluation": evaluation,
        "line": line,
        "neighbour": neighbour,
        "neighbour_clerk": neighbour_clerk,
        "clerk": clerk,
        "reviewer": member(tree["bureau"], Membership.Role.REVIEWER),
    }


def _pages(client, rows):
    evaluation, neighbour = rows["evaluation"], rows["neighbour"]
    visits = [
        (rows["clerk"], reverse("home")),
        (rows["clerk"], reverse("evaluation", args=[evaluation.pk])),
        (rows["clerk"], reverse("evaluation_table", args=[evaluation.pk])),
        (rows["neighbour_clerk"], reverse("home")),
        (rows["neighbour_clerk"], reverse("evaluation", args=[neighbour.pk])),
        (rows["reviewer"], reverse("review_queue")),
        (rows["reviewer"], reverse("dashboard")),
        (rows["reviewer"], reverse("evaluation", args=[evaluation.pk])),
    ]
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    for name in ("selfevaluation", "targetsheet", "indicatorcategory"):
        visits.append((admin, reverse(f"admin:evaluations_{name}_changelist")))
    visits += [
        (admin, reverse("admin:evaluations_selfevaluation_change", args=[evaluation.pk])),
        (admin, reverse("admin:budgets_project_changelist")),
        (admin, reverse("admin:budgets_project_change", args=[evaluation.project_id])),
    ]
    answers = {}
    for user, url in visits:
        client.force_login(user)
        answers[(user.username, url)] = client.get(url).status_code
    return answers


def test_a_score_above_its_weight_breaks_no_page(client, bad_rows):
    """Possible on PostgreSQL too (the weight is on another table)."""
    unchecked(
        ("UPDATE evaluations_indicatorresult SET score = 50 WHERE id = %s", [bad_rows["line"].pk])
    )
    answers = _pages(client, bad_rows)
    assert set(answers.values()) == {200}, answers


@sqlite_only
def test_overflowing_rows_break_no_page(client, bad_rows):
    evaluation = bad_rows["evaluation"]
    unchecked(
        (
            "UPDATE evaluations_indicatorresult SET score = 99999999999, suggested_score = 1e150 "
            "WHERE id = %s",
            [bad_rows["line"].pk],
        ),
        (
            "UPDATE evaluations_selfevaluation SET execution_rate = 3333.333333, "
            "total_score = 123456.78, stated_total_score = 123456.78, "
            "stated_execution_rate = 1e300 WHERE id = %s",
            [evaluation.pk],
        ),
        (
            "UPDATE budgets_project SET executed_current = 1000000000000000 WHERE id = %s",
            [evaluation.project_id],
        ),
    )
    answers = _pages(client, bad_rows)
    assert set(answers.values()) == {200}, answers


def test_a_computed_figure_that_does_not_fit_is_stored_as_none_and_shown(client, tree, open_year):
    """A department's 执行率 from its 部门整体 figures (100000 万元 executed of a 1 万元 budget: no
    10× rule there) does not fit its column: stored NULL, shown as 超出范围 with its inputs."""
    from budgets.models import DepartmentBudget
    from tests.factories import IndicatorFactory, TargetSheetFactory

    clerk = member(tree["centre"])
    DepartmentBudget.objects.create(
        year=open_year,
        department=tree["centre"],
        income_public_full=1,
        income_public_executed=100000,
        # its only income (issue 14: the others are 无此项收入, not missing)
        income_fund_absent=True,
        income_special_absent=True,
        income_other_absent=True,
    )
    sheet = TargetSheetFactory(
        year=open_year, department=tree["centre"], project=None, state="approved"
    )
    IndicatorFactory(sheet=sheet, weight=10)
    evaluation = services.evaluation_start(
        user=clerk, department_id=tree["centre"].pk, year_id=open_year.pk
    )
    evaluation.refresh_from_db()
    assert evaluation.execution_rate is None and evaluation.execution_score is None
    assert any(f["code"] == "out_of_range" for f in evaluation.flags)
    client.force_login(clerk)
    response = client.get(reverse("evaluation", args=[evaluation.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "超出范围" in page
        and "执行率超出范围（全年执行数100000.00万元 ÷ 全年预算数1.00万元）" in page
    )
    table = client.get(reverse("evaluation_table", args=[evaluation.pk]))
    assert table.status_code == 200 and "超出范围" in table.content.decode()
    from reporting.tables.registry import summary_table

    cells = summary_table(open_year, {tree["centre"].pk}).cells
    assert any(cell.value == "超出范围" for cell in cells)
