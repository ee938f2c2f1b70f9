"""factory-boy factories for the domain (years get the standard indicator tree via the service),
and the form inputs the tests share."""

from decimal import Decimal

import factory
import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from budgets.models import Department, DepartmentBudget, FiscalYear, Membership, Project
from evaluations import services
from evaluations.models import Indicator, IndicatorCategory, SelfEvaluation, TargetSheet
from evaluations.services import fiscal_year_create

PASSWORD = "Test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def year_create(year: int = 2025, **policy) -> FiscalYear:
    existing = FiscalYear.objects.filter(year=year).first()
    return existing or fiscal_year_create(
        year=year, is_current=policy.pop("is_current", True), **policy
    )


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = Department.Kind.ADMINISTRATIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Membership.Role.CLERK


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    year = factory.LazyFunction(year_create)
    department = factory.SubFactory(DepartmentFactory)
    code = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    category = "专项业务类"
    initial_current = Decimal("100.00")
    full_current = Decimal("120.00")
    executed_current = Decimal("110.50")


class DepartmentBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentBudget

    year = factory.LazyFunction(year_create)
    department = factory.SubFactory(DepartmentFactory)


def category(fiscal_year: FiscalYear, level2: str) -> IndicatorCategory:
    return IndicatorCategory.objects.get(year=fiscal_year, name=level2, parent__isnull=False)


class TargetSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetSheet

    project = factory.SubFactory(ProjectFactory)
    year = factory.LazyAttribute(lambda o: o.project.year)
    department = factory.LazyAttribute(lambda o: o.project.department)
    overall_goal = "完成年度建设任务"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    sheet = factory.SubFactory(TargetSheetFactory)
    category = factory.LazyAttribute(lambda o: category(o.sheet.year, "数量指标"))
    name = factory.Sequence(lambda n: f"指标{n}")
    comparator = "≥"
    target_value = "100"
    unit = "件"
    weight = Decimal("10")


class SelfEvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfEvaluation

    project = factory.SubFactory(ProjectFactory)
    year = factory.LazyAttribute(lambda o: o.project.year)
    department = factory.LazyAttribute(lambda o: o.project.department)


def member(department, role=Membership.Role.CLERK, **user_kwargs):
    """A new user holding one role in one department."""
    return MembershipFactory(department=department, role=role, user=UserFactory(**user_kwargs)).user


# What a clerk enters on the forms, as the services and the pages take it: shared by the tests of
# the forms, the tables, the exports and the security matrices.


def typed(evaluation, values, **texts):
    """values: {indicator name: (actual, level, score, reason)}"""
    lines = []
    for result in services.results_of(evaluation):
        actual, level, score, reason = values.get(result.indicator.name, ("", "", None, ""))
        lines.append(
            services.ResultInput(
                result.id, actual, level, None if score is None else Decimal(score), reason
            )
        )
    return services.EvaluationInput(
        actual_text=texts.get("actual_text", "全年完成目标"),
        problems=texts.get("problems", ""),
        measures=texts.get("measures", ""),
        execution_reason=texts.get("execution_reason", ""),
        results=lines,
        executed=texts.get("executed"),
    )


GOOD = {
    "话务平台接听量": ("47", "", None, ""),
    "设施维修时间": ("1.5", "", None, ""),
    "保障大厅正常运行": ("正常运转", "achieved", "30", ""),
    "群众满意率": ("96", "", None, ""),
}


def save(evaluation, user, values, **texts):
    return services.evaluation_save(
        evaluation=evaluation,
        user=user,
        data=typed(evaluation, values, **texts),
        version=evaluation.version,
    )


def post_data(evaluation, values, action="save", **extra):
    data = {
        "action": action,
        "version": evaluation.version,
        "actual_text": "全年完成目标",
        "problems": "",
        "measures": "",
        "execution_reason": "合同款次年支付",
        "executed-current": "118.3",
        "executed-carryover": "0",
        "executed-other": "0",
    }
    for result in services.results_of(evaluation):
        actual, level, score, reason = values.get(result.indicator.name, ("", "", None, ""))
        data.update(
            {
                f"actual-{result.id}": actual,
                f"level-{result.id}": level,
                f"score-{result.id}": score or "",
                f"reason-{result.id}": reason,
            }
        )
    data.update(extra)
    return data


def grid_post(sheet, rows, action="save", goal="建设鄂汇办旗舰店"):
    data = {
        "action": action,
        "overall_goal": goal,
        "version": sheet.version,
        "rows-TOTAL_FORMS": len(rows),
        "rows-INITIAL_FORMS": 0,
        "rows-MIN_NUM_FORMS": 0,
        "rows-MAX_NUM_FORMS": 1000,
    }
    for n, r in enumerate(rows):
        for key, value in r.items():
            data[f"rows-{n}-{key}"] = value
        data.setdefault(f"rows-{n}-ORDER", n + 1)
    return data


def grid_row(
    fiscal_year,
    level2="数量指标",
    name="话务平台接听量",
    comparator="≥",
    target="45",
    unit="万件",
    weight="30",
    id="",
):
    c = category(fiscal_year, level2)
    return {
        "id": id,
        "level1": c.parent_id,
        "category": c.id,
        "name": name,
        "comparator": comparator,
        "target_value": target,
        "unit": unit,
        "weight": weight,
        "basis": "历史标准",
        "explanation": "",
        "scoring_rule": "",
        "library": "",
    }


# ------------------------------------------------------------- rows as an old database holds them

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL refuses these values itself (numeric overflow): only SQLite keeps them",
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
