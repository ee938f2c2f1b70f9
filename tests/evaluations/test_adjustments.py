"""目标调整: request by the unit, decision by finance; both values kept; the score follows."""

from decimal import Decimal

import pytest
from django.urls import reverse

from budgets.models import Membership
from core.models import AuditLog
from evaluations import services, workflow
from evaluations.models import FormState, TargetAdjustment
from tests.factories import GOOD, member, save

pytestmark = pytest.mark.django_db
Role = Membership.Role


def indicator(sheet, name="话务平台接听量"):
    return sheet.indicators.get(name=name)


def test_request_and_approve_keeps_both_values_and_rescores(sheet, clerk, reviewer, evaluation):
    save(evaluation, clerk, dict(GOOD, 话务平台接听量=("36", "", None, "")))
    line = evaluation.results.get(indicator__name="话务平台接听量")
    assert line.suggested_score == Decimal("24.00")  # 36 of 45
    request = services.adjustment_request(
        indicator=indicator(sheet), user=clerk, new_value="40", reason="话务席位缩减"
    )
    assert request.old_value == "45"
    services.adjustment_decide(adjustment=request, user=reviewer, approve=True)
    target = indicator(sheet)
    assert (target.target_value, target.adjusted_target_value) == ("45", "40")
    line.refresh_from_db()
    assert line.suggested_score == Decimal("27.00")  # 36 of 40
    assert list(
        AuditLog.objects.filter(object_type="evaluations.TargetAdjustment")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["目标调整·申请", "目标调整·同意"]


@pytest.mark.parametrize(
    "value,reason,message",
    [
        ("", "原因", "请填写调整后的指标值"),
        ("很多", "原因", "必须是数字"),
        ("40", "", "请填写调整原因"),
        ("45", "原因", "与现值相同"),
    ],
)
def test_bad_requests_are_refused(sheet, clerk, value, reason, message):
    with pytest.raises(workflow.WorkflowError, match=message):
        services.adjustment_request(
            indicator=indicator(sheet), user=clerk, new_value=value, reason=reason
        )
    assert not TargetAdjustment.objects.exists()


def test_only_one_pending_request(sheet, clerk):
    services.adjustment_request(
        indicator=indicator(sheet), user=clerk, new_value="40", reason="原因"
    )
    with pytest.raises(workflow.WorkflowError, match="已有待审批"):
        services.adjustment_request(
            indicator=indicator(sheet), user=clerk, new_value="41", reason="原因"
        )


def test_roles(sheet, clerk, reviewer, tree):
    with pytest.raises(workflow.WorkflowError):
        services.adjustment_request(
            indicator=indicator(sheet), user=reviewer, new_value="40", reason="原因"
        )
    request = services.adjustment_request(
        indicator=indicator(sheet), user=clerk, new_value="40", reason="原因"
    )
    with pytest.raises(workflow.WorkflowError):
        services.adjustment_decide(adjustment=request, user=clerk, approve=True)
    with pytest.raises(workflow.WorkflowError):
        services.adjustment_decide(
            adjustment=request, user=member(tree["other"], Role.REVIEWER), approve=True
        )
    with pytest.raises(workflow.WorkflowError, match="驳回须填写"):
        services.adjustment_decide(adjustment=request, user=reviewer, approve=False)
    services.adjustment_decide(adjustment=request, user=reviewer, approve=False, comment="依据不足")
    assert indicator(sheet).adjusted_target_value == ""


def test_not_before_approval_nor_after_evaluation_submitted(sheet, clerk, evaluation):
    sheet.state = FormState.DRAFT
    sheet.save()
    with pytest.raises(workflow.WorkflowError, match="已批复"):
        services.adjustment_request(
            indicator=indicator(sheet), user=clerk, new_value="40", reason="原因"
        )
    sheet.state = FormState.APPROVED
    sheet.save()
    evaluation.state = FormState.SUBMITTED
    evaluation.save()
    with pytest.raises(workflow.WorkflowError, match="自评已提交"):
        services.adjustment_request(
            indicator=indicator(sheet), user=clerk, new_value="40", reason="原因"
        )


def test_through_the_page(client, sheet, clerk, reviewer):
    client.force_login(clerk)
    url = reverse("target_sheet", args=[sheet.pk])
    target = indicator(sheet)
    assert 'value="adjust_request"' in client.get(url).content.decode()
    page = client.post(
        url,
        {
            "action": "adjust_request",
            "indicator": target.pk,
            "new_value": "40",
            "adjust_reason": "席位缩减",
        },
        follow=True,
    )
    assert "已提交目标调整申请" in page.content.decode()
    client.force_login(reviewer)
    adjustment = TargetAdjustment.objects.get()
    assert 'value="adjust_approve"' in client.get(url).content.decode()
    page = client.post(
        url, {"action": "adjust_approve", "adjustment": adjustment.pk}, follow=True
    ).content.decode()
    assert "已同意调整" in page and "调整后：40" in page
