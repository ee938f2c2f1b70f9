from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from budgets import access
from budgets.models import Department, DepartmentBudget, FiscalYear, Membership, Project
from core.models import AuditLog
from demo.loader import DEMO_PASSWORD
from evaluations.models import Indicator, IndicatorResult, SelfEvaluation, TargetSheet

pytestmark = pytest.mark.django_db
MODELS = [
    FiscalYear,
    Department,
    DepartmentBudget,
    Membership,
    Project,
    TargetSheet,
    Indicator,
    SelfEvaluation,
    IndicatorResult,
]


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def test_loader_is_idempotent(capsys):
    call_command("load_demo")
    first = counts()
    first_output = capsys.readouterr().out
    assert "新增" in first_output and DEMO_PASSWORD in first_output
    call_command("load_demo")
    assert counts() == first
    assert "无新增" in capsys.readouterr().out
    assert AuditLog.objects.filter(action="加载演示数据").count() == 1
    assert first["Project"] == 14 and first["Department"] == 7


def test_demo_reproduces_seed_003_totals():
    call_command("load_demo")
    evaluation = SelfEvaluation.objects.get(year__year=2020, project=None)
    # seed 003: 1247.79 / 1302.99 = 95.76 %
    assert evaluation.execution_rate == Decimal("0.957600")
    assert evaluation.execution_score == Decimal("9.58")
    assert evaluation.grade == "优"


def test_demo_accounts_log_in_with_their_roles():
    call_command("load_demo")
    clerk = authenticate(username="xn_clerk", password=DEMO_PASSWORD)
    assert clerk is not None
    codes = set(access.visible_departments(clerk).values_list("code", flat=True))
    assert codes == {"101", "101001", "101002"}
    unit_clerk = authenticate(username="dsj_clerk", password=DEMO_PASSWORD)
    assert set(access.visible_departments(unit_clerk).values_list("code", flat=True)) == {"101001"}
    admin = authenticate(username="admin", password=DEMO_PASSWORD)
    assert admin.is_superuser


def test_demo_edits_by_users_survive_reload():
    call_command("load_demo")
    evaluation = SelfEvaluation.objects.filter(project__isnull=False).first()
    evaluation.state = "submitted"
    evaluation.save()
    call_command("load_demo")
    evaluation.refresh_from_db()
    assert evaluation.state == "submitted"
