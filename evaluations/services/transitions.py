"""State changes of both kinds of form, checked against `workflow` and audited once each."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from budgets.access import Role, can_act
from core.audit import audit_record
from core.errors import UserError
from core.models import AuditLog

from .. import workflow
from ..models import FormState, LineComment, MonitoringSheet, SelfEvaluation, TargetSheet
from . import notices


class FormProblems(UserError):
    """Rules a form breaks, in Chinese: general messages and messages per line (by object id)."""

    def __init__(self, general: list[str], lines: dict[int, list[str]] | None = None):
        self.general = general
        self.lines = lines or {}
        super().__init__("；".join(general + [m for ms in self.lines.values() for m in ms]))


class FormConflict(UserError):
    """Someone else changed the form since it was loaded; nothing was saved."""

    message = (
        "该表单已被他人修改或状态已变化，本次未保存。您的输入仍保留在页面上，请核对后重新保存。"
    )

    def __str__(self) -> str:
        return self.message


def bump_version(form: TargetSheet | SelfEvaluation, version: int, **changes) -> None:
    """Optimistic lock: write only if nobody saved since `version` was read."""
    updated = (
        type(form)
        .objects.filter(pk=form.pk, version=version)
        .update(version=F("version") + 1, **changes)
    )
    if not updated:
        raise FormConflict()
    form.version = version + 1
    for name, value in changes.items():
        setattr(form, name, value)


def person(user):
    """The user to store as a form's 填表人: a signed-in account, else nobody (command line)."""
    return user if getattr(user, "is_authenticated", False) else None


LABELS = {"targets": "绩效目标", "evaluation": "绩效自评", "monitoring": "绩效监控表"}


def form_transition(
    *,
    form: TargetSheet | SelfEvaluation,
    user,
    action: str,
    reason: str = "",
    line_comments: dict[int, str] | None = None,
    validate=None,
    version: int | None = None,
    audit_changes: dict | None = None,
) -> TargetSheet | SelfEvaluation:
    """Make one workflow transition. `validate(form)` raises FormProblems before a submission;
    `line_comments` ({line id: comment}) go with a return; `audit_changes` made with the
    transition (a reviewer's scores) go into its one audit record. `version`: the version the
    user saw; pages always pass it (views refuse an action without one), None means the version
    of `form` as loaded by the caller (imports, a submit right after the same request's save)."""
    transition = workflow.check(user, action, form, reason, line_comments=bool(line_comments))
    if action == "submit" and validate is not None:
        validate(form)
    old_state = form.state
    new_state = workflow.target_state(
        transition,
        require_head=form.year.require_head_confirmation,
        by_head=can_act(user, Role.HEAD, form.department_id),
        supervisor=action in ("submit", "confirm") and workflow.supervisor_step(form),
    )
    now = timezone.now()
    changes: dict = {"state": new_state}
    if action in ("submit", "confirm"):
        # the unit's submission (the tables' 填报日期); a 主管部门's 审核通过 keeps it
        changes["submitted_at"] = now
    if action == "submit":
        changes["filled_by"] = person(user)  # the tables' 填表人 (a head's confirmation is not)
        changes["supervisor_approved_at"] = None
    if new_state == FormState.APPROVED:
        changes["approved_at"] = now
    if transition.decision or action in ("reopen", "head_return"):
        changes["review_comment"] = reason.strip()
    with transaction.atomic():
        if transition.decision:
            _keep_line_comments(form, user, transition, line_comments or {})
        if action == "supervisor_approve":
            # taken after the 主管部门's comments were kept, which are then an earlier round's
            # for finance (selectors.earlier_line_comments)
            changes["supervisor_approved_at"] = timezone.now()
        bump_version(form, form.version if version is None else version, **changes)
        if transition.decision:
            # a 主管部门's 审核通过 starts finance's round clean (its comments stay in the history
            # and show as an earlier round's); a 退回 or finance's decision shows them on the lines
            _set_line_comments(
                form, {} if action == "supervisor_approve" else (line_comments or {})
            )
        elif action == "submit":
            # a new round of review starts clean; earlier line comments stay in the history
            _set_line_comments(form, {})
        audit_record(
            actor=user,
            action=f"{LABELS[kind_of(form)]}·{transition.label}",
            obj=form,
            changes={
                "state": [old_state, new_state],
                **({"line_comments": line_comments} if line_comments else {}),
                **(audit_changes or {}),
            },
            reason=reason.strip(),
        )
        notices.form_changed(form, action, reason)  # sent when this transaction commits
    return form


def kind_of(form) -> str:
    if isinstance(form, MonitoringSheet):
        return "monitoring"
    return "targets" if isinstance(form, TargetSheet) else "evaluation"


def decision_actions(form) -> list[str]:
    """The audit actions of the review decisions on this kind of form (every level's)."""
    return [
        f"{LABELS[kind_of(form)]}·{workflow.TRANSITIONS[name].label}" for name in workflow.DECISIONS
    ]


def _keep_line_comments(form, user, transition, comments: dict[int, str]) -> None:
    """Keep this round's 本行审核意见 (LineComment) with the level that gave them, so later
    rounds still show them. A round is one review decision, at any level: 1 + the decisions
    (主管部门 or finance, 退回 or 审核通过) already audited on this form (a submission the unit
    withdrew before anyone acted is no round)."""
    if not comments or isinstance(form, MonitoringSheet):
        # a 监控表's line comments stay in its 退回/审核通过 audit record (a line belongs to
        # one round: there is no earlier round of the same line to show them under)
        return
    decided = AuditLog.objects.filter(
        object_type=form._meta.label,
        object_id=str(form.pk),
        action__in=decision_actions(form),
    ).count()
    if isinstance(form, TargetSheet):
        indicators = dict(form.indicators.filter(pk__in=comments).values_list("pk", "pk"))
    else:
        indicators = dict(form.results.filter(pk__in=comments).values_list("pk", "indicator_id"))
    LineComment.objects.bulk_create(
        LineComment(
            kind=kind_of(form),
            indicator_id=indicators[pk],
            round=decided + 1,
            action=transition.label,
            level=transition.level,
            author=user if getattr(user, "is_authenticated", False) else None,
            text=text.strip(),
        )
        for pk, text in comments.items()
        if pk in indicators and text.strip()
    )


def _set_line_comments(form, comments: dict[int, str]) -> None:
    if isinstance(form, MonitoringSheet):
        lines = form.lines
    else:
        lines = form.indicators if isinstance(form, TargetSheet) else form.results
    lines.exclude(pk__in=comments).exclude(review_comment="").update(review_comment="")
    for pk, comment in comments.items():
        lines.filter(pk=pk).update(review_comment=comment.strip())
