"""Issue 12, item 1: a row already out of range (stored before the number rule, or written by raw
SQL) no longer breaks pages for everyone: the form, the clerk's home, 审核工作台, 绩效看板 and the
admin answer 200 for every department."""

import pytest
from django.db import connection
from django.urls import reverse

from budgets.models import Membership
from evaluations import services
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL refuses these values itself (numeric field overflow): only SQLite keeps them",
)


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def unchecked(*statements) -> None:
    """Write as an old database holds it, before the check constraints: SQLite can be told to
    ignore CHECK clauses for this connection."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        raw("PRAGMA ignore_check_constraints = ON")
    try:
        for sql, params in statements:
            raw(sql, params)
    finally:
        if sqlite:
            raw("PRAGMA ignore_check_constraints = OFF")


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
    # the next recomputation (any save) stores no broken figure: 超出范围 with its inputs
    evaluation.refresh_from_db()
    services.evaluation_refresh(evaluation)
    evaluation.refresh_from_db()
    assert evaluation.execution_rate is None
    client.force_login(bad_rows["clerk"])
    page = client.get(reverse("evaluation", args=[evaluation.pk])).content.decode()
    assert "超出范围" in page and "执行率超出范围（全年执行数1000000000000000.00万元" in page
    assert set(_pages(client, bad_rows).values()) == {200}
