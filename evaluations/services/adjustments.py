"""Target adjustment (目标调整): a clerk asks to change an approved target, finance decides.
Both the original and the adjusted value are kept and shown. Only while the targets are approved
and the self-evaluation is still with the unit (workflow.adjustment_refusal), checked with the
sheet's and the evaluation's rows locked, so that a submission cannot slip in between."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from budgets.access import Role, can_act
from core import numbers
from core.audit import audit_record

from .. import scoring, selectors, workflow
from ..models import Indicator, SelfEvaluation, TargetAdjustment, TargetSheet
from . import notices
from .results import evaluation_refresh


@dataclass(frozen=True)
class AdjustmentRights:
    """What a user may do about 目标调整 on one sheet now: the page's buttons and the services ask
    the same rules (who: `_may_request`, `_may_decide`; when: `workflow.adjustment_refusal`)."""

    refusal: str | None  # why nobody may request or decide now; None while open
    may_request: bool
    may_decide: bool


def adjustment_rights(user, sheet: TargetSheet) -> AdjustmentRights:
    evaluation = selectors.evaluation_of_sheet(sheet)
    refusal = workflow.adjustment_refusal(sheet.state, evaluation and evaluation.state)
    return AdjustmentRights(
        refusal=refusal,
        may_request=refusal is None and _may_request(user, sheet),
        may_decide=refusal is None and _may_decide(user, sheet),
    )


def _may_request(user, sheet: TargetSheet) -> bool:
    return workflow.acts_as(user, workflow.UNIT, sheet.department_id)


def _may_decide(user, sheet: TargetSheet) -> bool:
    return can_act(user, Role.REVIEWER, sheet.department_id)


def adjustment_request(
    *, indicator: Indicator, user, new_value: str, reason: str
) -> TargetAdjustment:
    sheet = indicator.sheet
    if not _may_request(user, sheet):
        raise workflow.WorkflowError("只有本单位填报人可以申请目标调整。")
    new_value, reason = new_value.strip(), reason.strip()
    # checked again under the lock below; here so that a plain mistake is named first
    _refuse_unless_open(sheet, selectors.evaluation_of_sheet(sheet))
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
    with transaction.atomic():
        sheet, evaluation = _lock_forms(sheet)
        _refuse_unless_open(sheet, evaluation)
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
        if new_value == indicator.effective_target:
            raise workflow.WorkflowError("调整后的指标值与现值相同。")
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
    sheet = adjustment.indicator.sheet
    if not _may_decide(user, sheet):
        raise workflow.WorkflowError("只有财政审核人可以审批目标调整。")
    if not approve and not comment.strip():
        raise workflow.WorkflowError("驳回须填写审批意见。")
    with transaction.atomic():
        # The sheet and its self-evaluation are locked before the request is read again, so a
        # submission (which updates the evaluation's row) either lands before — and the decision
        # is refused — or waits until the adjusted target is in place.
        sheet, evaluation = _lock_forms(sheet)
        adjustment = (
            TargetAdjustment.objects.select_for_update()
            .select_related("indicator")
            .get(pk=adjustment.pk)
        )
        if adjustment.state != TargetAdjustment.State.PENDING:
            raise workflow.WorkflowError("该调整申请已处理。")
        _refuse_unless_open(sheet, evaluation)
        indicator = adjustment.indicator
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
        notices.adjustment_decided(adjustment)  # sent when this transaction commits
    return adjustment


def _refuse_unless_open(sheet: TargetSheet, evaluation: SelfEvaluation | None) -> None:
    refusal = workflow.adjustment_refusal(sheet.state, evaluation and evaluation.state)
    if refusal:
        raise workflow.WorkflowError(refusal)


def _lock_forms(sheet: TargetSheet) -> tuple[TargetSheet, SelfEvaluation | None]:
    """The target sheet and its self-evaluation as they are now, their rows locked until the
    transaction ends (always in this order: sheet, then evaluation)."""
    sheet = TargetSheet.objects.select_for_update().get(pk=sheet.pk)
    evaluation = (
        SelfEvaluation.objects.select_for_update()
        .filter(
            year_id=sheet.year_id, department_id=sheet.department_id, project_id=sheet.project_id
        )
        .first()
    )
    return sheet, evaluation
