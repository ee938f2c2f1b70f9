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


# ------------------------------------------------------------- what the pages post


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
    }


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
