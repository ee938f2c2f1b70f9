"""Admin edits are a mutation path like any other: one audit record per change."""

import pytest
from django.urls import reverse

from budgets.models import Department
from core.models import AuditLog
from evaluations.models import Indicator
from tests.factories import IndicatorFactory, TargetSheetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def test_department_change_is_audited_once(admin_client):
    department = Department.objects.create(code="901", name="旧名称")
    url = reverse("admin:budgets_department_change", args=[department.pk])
    response = admin_client.post(
        url, {"code": "901", "name": "新名称", "kind": "行政", "is_active": "on"}
    )
    assert response.status_code == 302
    logs = AuditLog.objects.filter(object_type="budgets.Department", object_id=str(department.pk))
    assert logs.count() == 1
    assert logs.get().changes["name"] == ["旧名称", "新名称"]


def test_inline_indicator_change_is_audited(admin_client, fiscal_year):
    sheet = TargetSheetFactory()
    indicator = IndicatorFactory(sheet=sheet, name="话务平台接听量", target_value="45")
    url = reverse("admin:evaluations_targetsheet_change", args=[sheet.pk])
    data = {
        "year": sheet.year_id,
        "department": sheet.department_id,
        "project": sheet.project_id,
        "state": sheet.state,
        "version": sheet.version,
        "overall_goal": sheet.overall_goal,
        "review_comment": "",
        "indicators-TOTAL_FORMS": 1,
        "indicators-INITIAL_FORMS": 1,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 1000,
        "indicators-0-id": indicator.pk,
        "indicators-0-sheet": sheet.pk,
        "indicators-0-order": 0,
        "indicators-0-category": indicator.category_id,
        "indicators-0-name": "话务平台接听量",
        "indicators-0-comparator": "≥",
        "indicators-0-target_value": "50",
        "indicators-0-unit": "件",
        "indicators-0-weight": "10",
        "indicators-0-basis": "计划标准",
        "indicators-0-adjusted_target_value": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Indicator.objects.get(pk=indicator.pk).target_value == "50"
    log = AuditLog.objects.get(object_type="evaluations.Indicator", object_id=str(indicator.pk))
    assert log.changes["target_value"] == ["45", "50"]
