"""The workflow of both kinds of form (绩效目标, 绩效自评): the allowed transitions and who may make
them, in one place. Services call `check` before changing a state; pages call `allowed` to decide
which buttons to show. The server never trusts the page.

草稿 → (待负责人确认 →) (待主管部门审核 →) 已提交 → 已审核, with 已退回 back to editing; only
finance reopens an approved form, with a reason. The unit may 撤回 (withdraw) a form back to 草稿
while nobody above it has acted (待负责人确认, 待主管部门审核, or 已提交 not yet passed on by the
主管部门).

The 主管部门 step (the review chain unit → 主管部门 → 财政) applies to a form when its year has
`require_supervisor_review` on and a 主管部门审核人 is assigned to a department ABOVE the form's
department (`supervisor_step`): a 主管部门's own forms, and those of a unit whose 主管部门 has no
such reviewer, go straight to finance. The transitions name no kind of form: any WorkflowForm
(绩效目标, 绩效自评, a later kind) goes through the same table.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from budgets.access import Role, can_act
from budgets.models import Department, Membership
from core.errors import UserError

from .models import FormState, MonitoringSheet, NoticeState, RectificationState, TargetSheet

S = FormState


class WorkflowError(UserError):
    """A refused transition; the message is shown to the user as is (Chinese)."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    roles: frozenset[str]
    needs_reason: bool = False
    # 退回: a 本行审核意见 is itself a reason (the overall reason OR at least one line comment)
    line_comment_is_reason: bool = False
    # the level of the review chain that makes it: "unit", "supervisor" or "finance" (what the
    # history and the 本行审核意见 say about who decided)
    level: str = "unit"
    # a review decision: it may carry 本行审核意见 and counts as a review round
    decision: bool = False


EDITABLE = frozenset({S.DRAFT, S.RETURNED})
UNIT = frozenset({Role.CLERK, Role.HEAD})
HEAD = frozenset({Role.HEAD})
FINANCE = frozenset({Role.REVIEWER})
SUPERVISOR = frozenset({Role.SUPERVISOR})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", "提交", EDITABLE, UNIT),
        Transition("confirm", "确认送审", frozenset({S.PENDING_HEAD}), HEAD),
        Transition(
            "head_return", "退回填报人", frozenset({S.PENDING_HEAD}), HEAD, needs_reason=True
        ),
        Transition(
            "supervisor_return",
            "主管部门退回",
            frozenset({S.PENDING_SUPERVISOR}),
            SUPERVISOR,
            needs_reason=True,
            line_comment_is_reason=True,
            level="supervisor",
            decision=True,
        ),
        Transition(
            "supervisor_approve",
            "主管部门审核通过",
            frozenset({S.PENDING_SUPERVISOR}),
            SUPERVISOR,
            level="supervisor",
            decision=True,
        ),
        Transition(
            "return",
            "退回",
            frozenset({S.SUBMITTED}),
            FINANCE,
            needs_reason=True,
            line_comment_is_reason=True,
            level="finance",
            decision=True,
        ),
        Transition(
            "approve", "审核通过", frozenset({S.SUBMITTED}), FINANCE, level="finance", decision=True
        ),
        Transition(
            "reopen",
            "重新打开",
            frozenset({S.APPROVED}),
            FINANCE,
            needs_reason=True,
            level="finance",
        ),
        # until someone above acts (退回 or 审核通过 change the state; a 主管部门's 审核通过 is
        # recorded in supervisor_approved_at), any unit user may take it back
        Transition(
            "withdraw", "撤回", frozenset({S.PENDING_HEAD, S.PENDING_SUPERVISOR, S.SUBMITTED}), UNIT
        ),
    )
}
# the decisions that end a review round (本行审核意见 go with them), by level
DECISIONS = frozenset(name for name, t in TRANSITIONS.items() if t.decision)
LEVEL_LABELS = {"unit": "本单位", "supervisor": "主管部门", "finance": "财政"}


def acts_as(user, roles: frozenset[str], department_id: int) -> bool:
    return any(can_act(user, role, department_id) for role in roles)


def target_state(
    transition: Transition, *, require_head: bool, by_head: bool, supervisor: bool = False
) -> str:
    """`supervisor`: the form goes through the 主管部门 step (`supervisor_step`)."""
    sent = S.PENDING_SUPERVISOR if supervisor else S.SUBMITTED
    if transition.name == "submit":
        # A head's own submission is its confirmation.
        return S.PENDING_HEAD if require_head and not by_head else sent
    if transition.name == "confirm":
        return sent
    return {
        "supervisor_return": S.RETURNED,
        "supervisor_approve": S.SUBMITTED,
        "head_return": S.RETURNED,
        "return": S.RETURNED,
        "approve": S.APPROVED,
        "reopen": S.RETURNED,
        "withdraw": S.DRAFT,
    }[transition.name]


def supervisor_step(form) -> bool:
    """Whether this form goes through the 主管部门 before finance: the year asks for it and an
    active 主管部门审核人 is assigned to a department above the form's (by the subtree rule he
    covers it). Two queries (the tree, the memberships); none when the year does not ask."""
    if not form.year.require_supervisor_review:
        return False
    parents = dict(Department.objects.filter(is_active=True).values_list("id", "parent_id"))
    above, node = [], parents.get(form.department_id)
    while node is not None and node not in above:
        above.append(node)
        node = parents.get(node)
    return (
        bool(above)
        and Membership.objects.filter(
            role=Role.SUPERVISOR, department_id__in=above, user__is_active=True
        ).exists()
    )


def may(user, name: str, form) -> bool:
    transition = TRANSITIONS[name]
    return (
        form.state in transition.sources
        and acts_as(user, transition.roles, form.department_id)
        and (name != "withdraw" or withdraw_refusal(form) is None)
    )


def allowed(user, form) -> list[Transition]:
    """The transitions this user may make on this form now (for the buttons)."""
    return [t for t in TRANSITIONS.values() if may(user, t.name, form)]


def check(user, name: str, form, reason: str = "", *, line_comments: bool = False) -> Transition:
    """Raise WorkflowError with a Chinese message unless the transition is allowed.
    `line_comments`: the action carries at least one 本行审核意见 (a reason for 退回)."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise WorkflowError("未知的操作。")
    if not acts_as(user, transition.roles, form.department_id):
        raise WorkflowError(f"您没有权限执行“{transition.label}”。")
    if form.state not in transition.sources:
        raise WorkflowError(
            f"表单当前状态为“{form.get_state_display()}”，不能执行“{transition.label}”。"
        )
    if name == "withdraw" and (refusal := withdraw_refusal(form)):
        raise WorkflowError(refusal)
    if transition.needs_reason and not reason.strip():
        if not transition.line_comment_is_reason:
            raise WorkflowError(f"“{transition.label}”须填写原因或意见。")
        if not line_comments:
            raise WorkflowError(f"“{transition.label}”须填写退回原因，或至少填写一条本行审核意见。")
    return transition


def withdraw_refusal(form, today: datetime.date | None = None) -> str | None:
    """Why the unit may not 撤回 this form although finance has not acted (Chinese), or None: a
    self-evaluation past its deadline would land in 草稿 where it can be neither edited nor
    submitted again, so it stays with finance (who may return it)."""
    if form.state == S.SUBMITTED and form.supervisor_approved_at is not None:
        return "主管部门已审核通过并报送财政部门，不能再撤回；如需修改，请联系财政部门退回。"
    if isinstance(form, TargetSheet):
        return None
    deadline = deadline_of(form)
    if deadline is not None and (today or timezone.localdate()) > deadline:
        return (
            f"已过填报截止日期（{deadline:%Y年%m月%d日}），撤回后将不能再修改和提交，"
            "因此不能撤回；如需修改请联系财政部门退回或延期。"
        )
    return None


KIND_LABELS = {
    "TargetSheet": "绩效目标",
    "SelfEvaluation": "绩效自评",
    "MonitoringSheet": "绩效监控表",
}


def submit_confirmation(user, form) -> str:
    """What 提交审核 asks before it sends the form (Chinese): what is locked, who acts next,
    and that the unit may still 撤回 it until finance acts."""
    kind = KIND_LABELS[type(form).__name__]
    steps = []
    if form.year.require_head_confirmation and not can_act(user, Role.HEAD, form.department_id):
        steps.append("单位负责人确认送审")
    if supervisor_step(form):
        steps.append("主管部门审核人审核")
    if steps:
        after = "先由" + "，再由".join(steps) + "，再由财政部门审核人审核"
    else:
        after = "由财政部门审核人审核"
    locked = {
        "绩效目标": "年度总体目标和全部绩效指标",
        "绩效自评": "全年执行数、各指标的实际完成值、得分、偏差原因和说明文字",
        "绩效监控表": "执行数、预计执行数、各指标的完成值、可能性和偏差原因",
    }[kind]
    return (
        f"提交后，本{kind}的{locked}将被锁定，不能再修改；下一步{after}。\n"
        "在上级（主管部门或财政部门）退回或审核通过之前，您可以“撤回”本表，改回草稿后修改。"
        "\n确定提交审核吗？"
    )


def submitted_message(form) -> str:
    """What a page says after 提交审核: who has the form now."""
    waiting = {
        S.PENDING_HEAD: "单位负责人确认送审",
        S.PENDING_SUPERVISOR: "主管部门审核",
    }.get(form.state, "审核")
    return f"已提交，等待{waiting}。"


def can_edit(user, form) -> bool:
    """Clerks (and heads) edit their own department's forms while in draft or returned."""
    return form.state in EDITABLE and acts_as(user, UNIT, form.department_id)


# Once a self-evaluation has left the unit, its targets are what it is judged against: a 目标调整
# can no longer be requested or decided (the frozen table and the live form would disagree).
EVALUATION_LOCKS_TARGETS = frozenset(
    {S.PENDING_HEAD, S.PENDING_SUPERVISOR, S.SUBMITTED, S.APPROVED}
)


def adjustment_refusal(sheet_state: str, evaluation_state: str | None) -> str | None:
    """Why a 目标调整 of this sheet may not be requested or decided now (Chinese), or None.
    Callers pass the states read under a row lock (see services.adjustments)."""
    if sheet_state != S.APPROVED:
        return "只有已批复的绩效目标才能调整；未批复的目标请直接修改。"
    if evaluation_state in EVALUATION_LOCKS_TARGETS:
        return (
            f"绩效自评已提交（当前状态：{S(evaluation_state).label}），不能再申请或审批目标调整；"
            "如需调整，须先退回绩效自评。"
        )
    return None


def extend_refusal(user, evaluation) -> str | None:
    """Why this user may not extend this self-evaluation's deadline now (Chinese), or None: the
    one rule behind the 延期 button and the service. An extension only means something while the
    unit can still edit; a submitted or approved form is past its deadline by definition."""
    if not can_act(user, Role.REVIEWER, evaluation.department_id):
        return "只有财政审核人可以延长填报期限。"
    if evaluation.state not in EDITABLE:
        return (
            f"绩效自评当前状态为“{evaluation.get_state_display()}”，"
            "只有草稿或已退回的绩效自评可以延期。"
        )
    return None


def deadline_of(form) -> datetime.date | None:
    """A form's deadline. A target sheet: the year's 绩效目标申报截止日期 (no per-department
    extension). A 监控表: its round's 报送截止日期. A self-evaluation: the year's 自评截止日期, or
    the department's later extension."""
    if isinstance(form, TargetSheet):
        return form.year.target_deadline
    if isinstance(form, MonitoringSheet):
        return form.round.deadline  # the round's 报送截止日期 (no per-unit extension)
    return evaluation_deadline(form.year, form.deadline_extension)


def evaluation_deadline(fiscal_year, extension: datetime.date | None) -> datetime.date | None:
    """A self-evaluation's deadline from its year and its department's extension (for lists that
    read the two columns rather than the form)."""
    deadline = fiscal_year.evaluation_deadline
    if deadline and extension:
        return max(deadline, extension)
    return extension or deadline


def year_deadline(fiscal_year, kind: str) -> datetime.date | None:
    """The year's deadline of a kind of form ("targets" or "evaluation"), for forms not started
    yet (no extension can exist before the form does)."""
    return fiscal_year.target_deadline if kind == "targets" else fiscal_year.evaluation_deadline


def is_overdue(form, today: datetime.date | None = None) -> bool:
    """Past its deadline and still with the unit (draft or returned)."""
    return overdue(form.state, deadline_of(form), today)


def overdue(state: str, deadline: datetime.date | None, today: datetime.date | None = None) -> bool:
    """`is_overdue` of a form's state and deadline (for lists that read them as columns)."""
    return state in EDITABLE and deadline is not None and (today or timezone.localdate()) > deadline


def overdue_q(fiscal_year, today: datetime.date | None = None, model=None) -> Q | None:
    """`is_overdue` as a filter on the forms of one year (self-evaluations unless `model` is
    TargetSheet), for lists paged in the database; None when none of them can be overdue. Past
    max(year's, extension) is past both."""
    today = today or timezone.localdate()
    if model is MonitoringSheet:  # each round its own 报送截止日期
        return Q(state__in=EDITABLE, round__deadline__lt=today)
    if model is TargetSheet:
        deadline = fiscal_year.target_deadline
        if deadline is None or today <= deadline:
            return None
        return Q(state__in=EDITABLE)
    deadline = fiscal_year.evaluation_deadline
    if deadline is None:
        late = Q(deadline_extension__lt=today)
    elif today > deadline:
        late = Q(deadline_extension__isnull=True) | Q(deadline_extension__lt=today)
    else:
        return None
    return Q(state__in=EDITABLE) & late


# ---------------------------------------------------------------------------------- 需整改
# 绩效运行监控: finance marks a 监控表 or one of its lines 需整改 with 整改要求和建议 (while it is
# under review or once approved); the unit answers with 整改结果; finance closes the 整改 or
# sends the answer back. The states are the object's own `rectification_state` (sheet or line),
# beside the form's workflow state, which they do not change.

R = RectificationState


@dataclass(frozen=True)
class RectificationStep:
    name: str
    label: str
    sources: frozenset[str]  # the sheet's or line's rectification_state
    result: str
    roles: frozenset[str]
    needs_text: str = ""  # the refusal when the text is blank ("" = text optional)
    # the form's workflow states in which the step may be made (None: any)
    form_states: frozenset[str] | None = None


RECTIFICATIONS: dict[str, RectificationStep] = {
    s.name: s
    for s in (
        RectificationStep(
            "require",
            "需整改",
            frozenset({R.NONE, R.CLOSED}),
            R.REQUIRED,
            FINANCE,
            needs_text="请填写整改要求和建议",
            form_states=frozenset({S.SUBMITTED, S.APPROVED}),
        ),
        RectificationStep(
            "answer", "答复整改", frozenset({R.REQUIRED}), R.ANSWERED, UNIT, "请填写整改结果"
        ),
        RectificationStep("close", "关闭整改", frozenset({R.ANSWERED}), R.CLOSED, FINANCE),
        RectificationStep(
            "reject",
            "退回整改",
            frozenset({R.ANSWERED}),
            R.REQUIRED,
            FINANCE,
            needs_text="请填写退回整改的原因",
        ),
    )
}


def may_rectify(user, name: str, sheet, obj) -> bool:
    step = RECTIFICATIONS[name]
    return (
        obj.rectification_state in step.sources
        and (step.form_states is None or sheet.state in step.form_states)
        and acts_as(user, step.roles, sheet.department_id)
    )


def check_rectification(user, name: str, sheet, obj, text: str = "") -> RectificationStep:
    """Raise WorkflowError (Chinese) unless this 整改 step is allowed on `obj` (the sheet or one
    of its lines) of `sheet`."""
    step = RECTIFICATIONS.get(name)
    if step is None:
        raise WorkflowError("未知的操作。")
    if not acts_as(user, step.roles, sheet.department_id):
        raise WorkflowError(f"您没有权限执行“{step.label}”。")
    if step.form_states is not None and sheet.state not in step.form_states:
        raise WorkflowError(
            f"监控表当前状态为“{sheet.get_state_display()}”，不能执行“{step.label}”"
            "（须在提交后审核时或审核通过后）。"
        )
    if obj.rectification_state not in step.sources:
        current = R(obj.rectification_state).label
        raise WorkflowError(f"整改状态为“{current}”，不能执行“{step.label}”。")
    if step.needs_text and not text.strip():
        raise WorkflowError(step.needs_text)
    return step


# --- 整改通知 (rectification notices): their own small table. Finance issues a notice (creating
# it: services.rectifications.notice_issue checks `may_issue`), the unit answers, finance closes
# it or sends it back; 已关闭 is final.

N = NoticeState
NOTICE_OPEN = frozenset({N.ISSUED, N.RETURNED})  # with the unit: its 待办, the overdue count

NOTICE_TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("answer", "提交整改情况", NOTICE_OPEN, UNIT),
        Transition(
            "send_back", "退回重新整改", frozenset({N.ANSWERED}), FINANCE, needs_reason=True
        ),
        Transition("close", "关闭", frozenset({N.ANSWERED}), FINANCE, needs_reason=True),
    )
}
NOTICE_TARGETS = {"answer": N.ANSWERED, "send_back": N.RETURNED, "close": N.CLOSED}


def may_issue(user, department_id: int) -> bool:
    return acts_as(user, FINANCE, department_id)


def notice_may(user, name: str, notice) -> bool:
    transition = NOTICE_TRANSITIONS[name]
    return notice.state in transition.sources and acts_as(
        user, transition.roles, notice.department_id
    )


def notice_allowed(user, notice) -> list[Transition]:
    return [t for t in NOTICE_TRANSITIONS.values() if notice_may(user, t.name, notice)]


def notice_check(user, name: str, notice, reason: str = "") -> Transition:
    """Raise WorkflowError (Chinese) unless this user may make this transition of the notice."""
    transition = NOTICE_TRANSITIONS.get(name)
    if transition is None:
        raise WorkflowError("未知的操作。")
    if not acts_as(user, transition.roles, notice.department_id):
        raise WorkflowError(f"您没有权限执行“{transition.label}”。")
    if notice.state not in transition.sources:
        raise WorkflowError(
            f"整改通知当前状态为“{notice.get_state_display()}”，不能执行“{transition.label}”。"
        )
    if transition.needs_reason and not reason.strip():
        what = "退回原因" if name == "send_back" else "关闭意见"
        raise WorkflowError(f"“{transition.label}”须填写{what}。")
    return transition


def notice_overdue_days(notice, today: datetime.date | None = None) -> int:
    """Days past the 整改期限 of a notice still with the unit (0: not overdue)."""
    if notice.state not in NOTICE_OPEN:
        return 0
    return max(0, ((today or timezone.localdate()) - notice.due_date).days)
