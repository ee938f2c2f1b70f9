"""Issue 12, item 1: check constraints back the number rule in the database, and
`manage.py repair_numbers` (and the migration adding the constraints) repairs rows already out of
range, reporting and auditing each change."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DataError, IntegrityError, connection, transaction

from budgets.models import DepartmentBudget, Project
from core.models import AuditLog
from evaluations import services
from evaluations.models import Indicator, IndicatorResult, SelfEvaluation
from tests.factories import DepartmentBudgetFactory, raw, sqlite_only, unchecked

pytestmark = pytest.mark.django_db
D = Decimal


def command(*args) -> str:
    out = io.StringIO()
    call_command("repair_numbers", *args, stdout=out)
    return out.getvalue()


def _line(evaluation, name) -> IndicatorResult:
    return evaluation.results.get(indicator__name=name)


# ----------------------------------------------------------------------------- the constraints


def _refused(queryset, **values):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        queryset.update(**values)


def test_an_update_bypassing_the_services_is_refused_by_the_database(evaluation, tree):
    """On PostgreSQL and SQLite alike (SQLite does not enforce the declared digits: the check
    constraints do)."""
    line = IndicatorResult.objects.filter(pk=_line(evaluation, "群众满意率").pk)
    _refused(line, score=D("150"))
    _refused(line, score=D("-1"))
    _refused(line, review_score=D("100.01"))
    _refused(line, suggested_score=D("999.99"))
    one = SelfEvaluation.objects.filter(pk=evaluation.pk)
    _refused(one, execution_rate=D("1000"))
    _refused(one, total_score=D("10000"))
    _refused(one, stated_total_score=D("-0.01"))
    project = Project.objects.filter(pk=evaluation.project_id)
    _refused(project, executed_current=D("1000000000000"))
    _refused(project, full_other=D("-1"))
    _refused(Indicator.objects.filter(pk=line.get().indicator_id), weight=D("100.01"))
    budget = DepartmentBudgetFactory(department=tree["centre"], year=evaluation.year)
    _refused(DepartmentBudget.objects.filter(pk=budget.pk), carryover_balance=D("-5"))
    # the bounds themselves are stored
    line.update(score=D("100"))
    one.update(execution_rate=D("999.999999"), total_score=D("9999.99"))


def test_department_budget_constraint_names_every_money_field():
    from budgets.models import DEPARTMENT_MONEY

    assert set(DEPARTMENT_MONEY) == set(DepartmentBudget.money_fields())


# ----------------------------------------------------------------------------- the command


def test_repair_a_score_above_its_weight(evaluation, clerk):
    """50 on a 10-point line, kept by a draft before the rule: 总分 133.67, shown as 优."""
    lines = [
        services.ResultInput(r.id, "96", "achieved" if r.indicator.is_qualitative else "", None, "")
        for r in services.results_of(evaluation)
    ]
    services.evaluation_save(
        evaluation=evaluation,
        user=clerk,
        data=services.EvaluationInput("完成", "", "", "原因", lines),
        version=evaluation.version,
    )
    line = _line(evaluation, "群众满意率")
    raw("UPDATE evaluations_indicatorresult SET score = 50 WHERE id = %s", [line.pk])
    services.evaluation_refresh(evaluation)
    evaluation.refresh_from_db()
    assert evaluation.total_score > 100 and evaluation.grade == "优"
    audits = AuditLog.objects.count()

    report = command("--dry-run")
    # the old value as the database holds it ("50" on SQLite, "50.00" on PostgreSQL)
    assert f"evaluations.IndicatorResult #{line.pk} 得分：50" in report
    assert "→ 空（超过本行分值（10分））" in report
    assert "发现 1 处" in report
    line.refresh_from_db()
    assert line.score == D("50") and AuditLog.objects.count() == audits

    report = command()
    assert "已修复 1 处超出范围的数值，重新计算 1 份绩效自评" in report
    line.refresh_from_db()
    evaluation.refresh_from_db()
    assert line.score is None
    assert evaluation.total_score <= 100
    log = AuditLog.objects.get(action="数值修复")
    assert log.object_id == str(line.pk) and D(log.changes["score"][0]) == 50
    assert log.changes["score"][1] is None
    assert log.reason == "超过本行分值（10分）"
    assert "发现 0 处" in command("--dry-run")


@sqlite_only
def test_repair_values_that_overflow_their_columns(evaluation, tree):
    """Read as text by raw SQL (the ORM could not read them), repaired, recomputed, audited."""
    budget = DepartmentBudgetFactory(department=tree["centre"], year=evaluation.year)
    big, line = _line(evaluation, "话务平台接听量"), _line(evaluation, "群众满意率")
    unchecked(
        ("UPDATE evaluations_indicatorresult SET score = 99999999999 WHERE id = %s", [big.pk]),
        ("UPDATE evaluations_indicatorresult SET review_score = 'abc' WHERE id = %s", [line.pk]),
        (
            "UPDATE evaluations_selfevaluation SET execution_rate = 3333.333333, "
            "total_score = 123456.78 WHERE id = %s",
            [evaluation.pk],
        ),
        (
            "UPDATE budgets_project SET executed_current = 1000000000000000 WHERE id = %s",
            [evaluation.project_id],
        ),
        ("UPDATE budgets_departmentbudget SET carryover_balance = -5 WHERE id = %s", [budget.pk]),
    )
    report = command("--dry-run")
    assert "发现 6 处" in report, report
    assert (
        "budgets.Project #" in report and "全年执行数·本年财政拨款：1000000000000000 → 0" in report
    )
    assert "结转结余：-5" in report
    report = command()
    assert "已修复 6 处" in report, report
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CAST(score AS TEXT), CAST(review_score AS TEXT) "
            "FROM evaluations_indicatorresult WHERE id IN (%s, %s) ORDER BY id",
            [big.pk, line.pk],
        )
        assert cursor.fetchall() == [(None, None), (None, None)]
    evaluation.refresh_from_db()
    assert evaluation.execution_rate == D("0")  # 0 executed of 158: recomputed, not 3333
    assert Project.objects.get(pk=evaluation.project_id).executed_current == 0
    assert DepartmentBudget.objects.get(pk=budget.pk).carryover_balance is None
    assert AuditLog.objects.filter(action="数值修复").count() == 6
    assert "发现 0 处" in command("--dry-run")


# ----------------------------------------------------------------------------- the migration

BEFORE = [("budgets", "0001_initial"), ("evaluations", "0006_selfevaluation_stated")]
AFTER = [("budgets", "0002_number_constraints"), ("evaluations", "0007_number_constraints")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_repairs_bad_rows_before_adding_the_constraints():
    """An existing database holding bad rows migrates: the rows are repaired and audited, then
    the constraints are added (on SQLite the tables are rebuilt, so one bad row would fail)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    year = old.get_model("budgets", "FiscalYear").objects.create(year=2030)
    department = old.get_model("budgets", "Department").objects.create(code="X1", name="某单位")
    project = old.get_model("budgets", "Project").objects.create(
        year=year, department=department, code="P", name="项目", full_current=100
    )
    level1 = old.get_model("evaluations", "IndicatorCategory").objects.create(
        year=year, name="产出指标", weight=50
    )
    level2 = old.get_model("evaluations", "IndicatorCategory").objects.create(
        year=year, name="数量指标", parent=level1
    )
    sheet = old.get_model("evaluations", "TargetSheet").objects.create(
        year=year, department=department, project=project, state="approved"
    )
    indicator = old.get_model("evaluations", "Indicator").objects.create(
        sheet=sheet, category=level2, name="接听量", comparator="≥", target_value="45", weight=10
    )
    evaluation = old.get_model("evaluations", "SelfEvaluation").objects.create(
        year=year, department=department, project=project, total_score=D("133.67"), grade="优"
    )
    result = old.get_model("evaluations", "IndicatorResult").objects.create(
        evaluation=evaluation, indicator=indicator, score=D("50")
    )
    budget = old.get_model("budgets", "DepartmentBudget").objects.create(
        year=year, department=department, carryover_balance=D("-5")
    )
    if connection.vendor == "sqlite":  # what only SQLite could hold
        raw(
            "UPDATE evaluations_selfevaluation SET execution_rate = 3333.333333 WHERE id = %s",
            [evaluation.pk],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("SELECT score FROM evaluations_indicatorresult WHERE id = %s", [result.pk])
        assert cursor.fetchone() == (None,)
        cursor.execute(
            "SELECT carryover_balance FROM budgets_departmentbudget WHERE id = %s", [budget.pk]
        )
        assert cursor.fetchone() == (None,)
        cursor.execute(
            "SELECT execution_rate FROM evaluations_selfevaluation WHERE id = %s",
            [evaluation.pk],
        )
        assert cursor.fetchone() == (None,)
        cursor.execute("SELECT COUNT(*) FROM budgets_auditlog WHERE action = '数值修复'")
        (count,) = cursor.fetchone()
    assert count == (3 if connection.vendor == "sqlite" else 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE evaluations_indicatorresult SET score = 150 WHERE id = %s", [result.pk])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
