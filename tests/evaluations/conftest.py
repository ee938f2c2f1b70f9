"""Fixtures of the self-evaluation tests: an open year, a project with four approved
indicators (正向, 反向, 定性, 满意度), its clerk, a reviewer and the started evaluation."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets.models import Membership
from evaluations import services
from evaluations.models import FormState
from tests.factories import IndicatorFactory, ProjectFactory, TargetSheetFactory, category, member

Role = Membership.Role
D = Decimal


@pytest.fixture
def open_year(fiscal_year):
    fiscal_year.evaluation_open = True
    fiscal_year.evaluation_deadline = timezone.localdate() + datetime.timedelta(days=30)
    fiscal_year.save()
    return fiscal_year


@pytest.fixture
def sheet(tree, open_year):
    project = ProjectFactory(
        department=tree["centre"],
        year=open_year,
        full_current=D("158"),
        executed_current=D("118.3"),
    )
    sheet = TargetSheetFactory(project=project, state=FormState.APPROVED)
    IndicatorFactory(
        sheet=sheet,
        name="话务平台接听量",
        comparator="≥",
        target_value="45",
        unit="万件",
        weight=D("30"),
        order=1,
    )
    IndicatorFactory(
        sheet=sheet,
        name="设施维修时间",
        comparator="≤",
        target_value="2",
        unit="小时",
        weight=D("20"),
        order=2,
        category=category(open_year, "时效指标"),
    )
    IndicatorFactory(
        sheet=sheet,
        name="保障大厅正常运行",
        comparator="定性",
        target_value="保障正常运转",
        unit="",
        weight=D("30"),
        order=3,
        category=category(open_year, "社会效益指标"),
    )
    IndicatorFactory(
        sheet=sheet,
        name="群众满意率",
        comparator="≥",
        target_value="95",
        unit="%",
        weight=D("10"),
        order=4,
        category=category(open_year, "服务对象满意度指标"),
    )
    return sheet


@pytest.fixture
def clerk(tree):
    return member(tree["centre"])


@pytest.fixture
def reviewer(tree):
    return member(tree["bureau"], Role.REVIEWER)


@pytest.fixture
def evaluation(sheet, clerk):
    return services.evaluation_start(user=clerk, project_id=sheet.project_id)
