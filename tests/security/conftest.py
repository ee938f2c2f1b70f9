"""The world of the security tests (one unit, its people, a complete target sheet and a complete
self-evaluation) and the ways they act on it, shared by the role × state matrix, the audit-trail
checks and the export escaping."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.models import Membership
from evaluations import services
from evaluations.models import FormState, MonitoringSheet, SelfEvaluation, TargetSheet
from evaluations.services import monitoring as monitoring_services
from tests.factories import GOOD, ProjectFactory, UserFactory, category, member, typed, year_create
from tests.security.walk import attackers, victim  # noqa: F401  (fixtures)

Role = Membership.Role
S = FormState
D = Decimal


def world_rows(fiscal_year):
    spec = [
        ("数量指标", "话务平台接听量", "≥", "45", "万件", "30"),
        ("时效指标", "设施维修时间", "≤", "2", "小时", "20"),
        ("社会效益指标", "保障大厅正常运行", "定性", "保障正常运转", "", "30"),
        ("服务对象满意度指标", "群众满意率", "≥", "95", "%", "10"),
    ]
    return [
        services.IndicatorInput(
            id=None,
            category=category(fiscal_year, level2),
            name=name,
            comparator=comparator,
            target_value=target,
            unit=unit,
            weight=D(weight),
            basis="历史标准",
        )
        for level2, name, comparator, target, unit, weight in spec
    ]


@dataclass
class World:
    users: dict[str, object]
    sheet: TargetSheet
    evaluation: SelfEvaluation
    monitoring: MonitoringSheet | None = None  # the approved targets' 监控表, complete, in draft


@pytest.fixture
def world(tree) -> World:
    fiscal_year = year_create(2025)
    fiscal_year.evaluation_open = True
    fiscal_year.evaluation_deadline = timezone.localdate() + datetime.timedelta(days=30)
    fiscal_year.save()
    unit = tree["centre"]
    users = {
        "clerk": member(unit, Role.CLERK, username="clerk"),
        "head": member(unit, Role.HEAD, username="head"),
        "reviewer": member(tree["bureau"], Role.REVIEWER, username="reviewer"),
        "admin": UserFactory(username="root", is_superuser=True, is_staff=True),
    }
    clerk = users["clerk"]
    sheets = []
    for code, funds in (
        ("T-1", {}),
        ("E-1", {"full_current": D("158"), "executed_current": D("118.3")}),
    ):
        project = ProjectFactory(department=unit, year=fiscal_year, code=code, **funds)
        sheet = services.target_sheet_start(user=clerk, project_id=project.pk)
        services.target_sheet_save(
            sheet=sheet,
            user=clerk,
            overall_goal="年度目标",
            rows=world_rows(fiscal_year),
            version=1,
        )
        sheets.append(sheet)
    sheet, approved = sheets
    TargetSheet.objects.filter(pk=approved.pk).update(state=S.APPROVED)
    evaluation = services.evaluation_start(user=clerk, project_id=approved.project_id)
    services.evaluation_save(
        evaluation=evaluation,
        user=clerk,
        data=typed(evaluation, GOOD, execution_reason="部分合同款次年支付"),
        version=evaluation.version,
    )
    round_ = monitoring_services.monitoring_round_open(
        user=users["reviewer"],
        year=fiscal_year,
        name="2025年1–7月绩效运行监控",
        as_of=datetime.date(2025, 7, 31),
        deadline=timezone.localdate() + datetime.timedelta(days=30),
    )
    monitoring = round_.sheets.get()
    monitoring_services.monitoring_sheet_save(
        user=clerk,
        sheet=monitoring,
        version=monitoring.version,
        funds=MONITORING_FUNDS,
        lines=monitoring_lines(monitoring),
    )
    return World(users, sheet, evaluation, monitoring)


MONITORING_FUNDS = {"executed_to_date": "90", "predicted_execution": "158"}


def monitoring_lines(sheet) -> dict[int, dict]:
    """Every line complete and green (可确定完成): a 监控表 that may be submitted."""
    return {
        line.pk: {
            "actual_to_date": "按计划推进" if line.indicator.is_qualitative else "30",
            "predicted_value": "保障正常运转" if line.indicator.is_qualitative else "96",
            "likelihood": "certain",
        }
        for line in sheet.lines.select_related("indicator")
    }


def put(form, state: str):
    type(form).objects.filter(pk=form.pk).update(state=state)
    return type(form).objects.get(pk=form.pk)


def reload(form):
    return type(form).objects.get(pk=form.pk)


def service_action(form, user, action: str, text: str):
    if action == "save" and isinstance(form, TargetSheet):
        rows = [
            services.IndicatorInput(
                id=i.id,
                category=i.category,
                name=i.name,
                comparator=i.comparator,
                target_value=i.target_value,
                unit=i.unit,
                weight=i.weight,
                basis=i.basis,
            )
            for i in form.indicators.select_related("category")
        ]
        return services.target_sheet_save(
            sheet=form, user=user, overall_goal=text, rows=rows, version=form.version
        )
    if isinstance(form, MonitoringSheet):
        if action == "save":
            return monitoring_services.monitoring_sheet_save(
                user=user,
                sheet=form,
                version=form.version,
                funds={"execution_reason": text},
                lines={},
            )
        return monitoring_services.monitoring_sheet_transition(
            sheet=form, user=user, action=action, reason="审核意见", version=form.version
        )
    if action == "save":
        data = typed(form, GOOD, actual_text=text, execution_reason="部分合同款次年支付")
        return services.evaluation_save(evaluation=form, user=user, data=data, version=form.version)
    if isinstance(form, TargetSheet):
        return services.target_sheet_transition(
            sheet=form, user=user, action=action, reason="审核意见", version=form.version
        )
    return services.evaluation_transition(
        evaluation=form, user=user, action=action, reason="审核意见", version=form.version
    )


def grid_rows(sheet):
    return [
        {
            "id": i.id,
            "level1": i.category.parent_id,
            "category": i.category_id,
            "name": i.name,
            "comparator": i.comparator,
            "target_value": i.target_value,
            "unit": i.unit,
            "weight": i.weight,
            "basis": i.basis,
            "explanation": "",
        }
        for i in sheet.indicators.select_related("category").order_by("order")
    ]
