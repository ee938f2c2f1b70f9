"""Target adjustment (目标调整): a clerk asks to change an approved target, finance decides.
Both the original and the adjusted value are kept and shown."""

from django.db import transaction
from django.utils import timezone

from budgets import numbers
from budgets.access import Role, can_act
from budgets.services import audit_record

from .. import scoring, workflow
from ..models import FormState, Indicator, SelfEvaluation, TargetAdjustment
from .results import evaluation_refresh


def adjustment_request(
    *, indicator: Indicator, user, new_value: str, reason: str
) -> TargetAdjustment:
    sheet = indicator.sheet
    if not workflow.acts_as(user, workflow.UNIT, sheet.department_id):
        raise workflow.WorkflowError("只有本单位填报人可以申请目标调整。")
    if sheet.state != FormState.APPROVED:
        raise workflow.WorkflowError("只有已批复的绩效目标才能申请调整；未批复的目标请直接修改。")
    new_value, reason = new_value.strip(), reason.strip()
    if not new_value:
        raise workflow.WorkflowError("请填写调整后的指标值。")
    if not indicator.is_qualitative and (
        problem := numbers.value_problem(new_value, "调整后指标值")
    ):
        raise workflow.WorkflowError(problem)
    if not indicator.is_qualitative and scoring.parse_number(new_value) is None:
        raise workflow.WorkflowError("定量指标的调整后指标值必须是数字。")
    if not reason:
        raise workflow.WorkflowError("请填写调整原因。")
    if new_value == indicator.effective_target:
        raise workflow.WorkflowError("调整后的指标值与现值相同。")
    evaluation = _evaluation_of(sheet)
    if evaluation is not None and evaluation.state not in workflow.EDITABLE:
        raise workflow.WorkflowError("绩效自评已提交，不能再调整目标。")
    with transaction.atomic():
        if indicator.adjustments.filter(state=TargetAdjustment.State.PENDING).exists():
            raise workflow.WorkflowError("该指标已有待审批的调整申请。")
        adjustment = TargetAdjustment.objects.create(
            indicator=indicator,
            old_value=indicator.effective_target,
            new_value=new_value,
            reason=reason,
            requested_by=user,
        )
        audit_record(
            actor=user,
            action="目标调整·申请",
            obj=adjustment,
            department=sheet.department_id,
            changes={"target_value": [adjustment.old_value, new_value]},
            reason=reason,
        )
    return adjustment


def adjustment_decide(
    *, adjustment: TargetAdjustment, user, approve: bool, comment: str = ""
) -> TargetAdjustment:
    indicator = adjustment.indicator
    sheet = indicator.sheet
    if not can_act(user, Role.REVIEWER, sheet.department_id):
        raise workflow.WorkflowError("只有财政审核人可以审批目标调整。")
    if adjustment.state != TargetAdjustment.State.PENDING:
        raise workflow.WorkflowError("该调整申请已处理。")
    if not approve and not comment.strip():
        raise workflow.WorkflowError("驳回须填写审批意见。")
    with transaction.atomic():
        adjustment.state = (
            TargetAdjustment.State.APPROVED if approve else TargetAdjustment.State.REJECTED
        )
        adjustment.decided_by, adjustment.decided_at = user, timezone.now()
        adjustment.decision_comment = comment.strip()
        adjustment.save()
        if approve:
            indicator.adjusted_target_value = adjustment.new_value
            indicator.adjustment_reason = adjustment.reason
            indicator.save(update_fields=["adjusted_target_value", "adjustment_reason"])
            evaluation = _evaluation_of(sheet)
            if evaluation is not None:
                evaluation_refresh(evaluation)
        audit_record(
            actor=user,
            action="目标调整·" + ("同意" if approve else "驳回"),
            obj=adjustment,
            department=sheet.department_id,
            changes={"adjusted_target_value": [adjustment.old_value, adjustment.new_value]}
            if approve
            else {},
            reason=comment.strip(),
        )
    return adjustment


def _evaluation_of(sheet) -> SelfEvaluation | None:
    return SelfEvaluation.objects.filter(
        year_id=sheet.year_id, department_id=sheet.department_id, project_id=sheet.project_id
    ).first()
