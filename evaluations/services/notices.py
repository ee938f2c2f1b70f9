"""The events that send 消息 (budgets.notifications.notify does the sending, after commit):

- 退回, 审核通过, 重新打开 of a form → the form's unit users (form_transition calls form_changed);
- the review chain: a form reaching 待主管部门审核 → the 主管部门审核人 above its unit;
  主管部门退回 → the unit; 主管部门审核通过 → the unit, and the 财政审核人 covering it;
- a 目标调整 decided → whoever requested it (adjustment_decide calls adjustment_decided);
- deadlines in 7, 3 and 1 days → one message per person per day listing all their forms
  (deadline_reminders, the Celery beat task `remind_deadlines`);
- a reviewer's 催办 to one department or to every late one (urge): audited, once per department
  per day.

What a unit still has to do is the 待办's own list (todo.unit_entries): one place says which
forms wait for the unit and when they are due.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from budgets.access import Role, access_for
from budgets.models import Department, FiscalYear, Membership
from budgets.notifications import deliver, notify, unit_users
from core.audit import audit_record
from core.errors import UserError
from core.models import AuditLog

from .. import todo
from ..models import FormState, TargetAdjustment

REMIND_DAYS = (7, 3, 1)
URGE_ACTION = "催办"

# transition → (kind of message, what happened)
FORM_EVENTS = {
    "return": ("returned", "被退回"),
    "approve": ("approved", "已审核通过"),
    "reopen": ("reopened", "已被财政部门重新打开"),
    "supervisor_return": ("returned", "被主管部门退回"),
    "supervisor_approve": ("forwarded", "已通过主管部门审核，报送财政部门"),
}


def reviewers_of(department_id: int, role: str) -> set[int]:
    """The active users holding `role` on this department or a department above it (by the
    subtree rule they cover it): who reviews its forms at that level. Two queries."""
    parents = dict(Department.objects.filter(is_active=True).values_list("id", "parent_id"))
    chain, node = [], department_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    return set(
        Membership.objects.filter(
            role=role, department_id__in=chain, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _waiting(form, role: str, title: str, body: str) -> None:
    label = todo.LABELS[todo.kind_key(form)]
    notify(
        reviewers_of(form.department_id, role),
        kind="review",
        title=f"{title}：{form.title}",
        body=f"{form.year.year}年度{label}“{form.title}”（{form.department.name}）{body}",
        url=todo.form_url(form),
    )


def form_changed(form, action: str, reason: str = "") -> None:
    """After a transition (inside its transaction): tell the unit what the 主管部门 or finance
    decided, and the next reviewer of the chain that a form waits for him."""
    if form.state == FormState.PENDING_SUPERVISOR and action in ("submit", "confirm"):
        _waiting(form, Role.SUPERVISOR, "待主管部门审核", "已提交，等待主管部门审核。")
    if action == "supervisor_approve":
        _waiting(form, Role.REVIEWER, "待财政审核", "已通过主管部门审核，等待财政部门审核。")
    if action not in FORM_EVENTS:
        return
    kind, happened = FORM_EVENTS[action]
    label = todo.LABELS[todo.kind_key(form)]
    reason = reason.strip()
    body = f"{form.year.year}年度{label}“{form.title}”{happened}。"
    if reason:
        body += f"\n{'退回原因' if action in ('return', 'supervisor_return') else '意见'}：{reason}"
    if action in ("return", "reopen", "supervisor_return"):
        body += "\n请修改后重新提交。"
    users = unit_users([form.department_id]).get(form.department_id, set())
    notify(
        users,
        kind=kind,
        title=f"{label}{happened}：{form.title}",
        body=body,
        url=todo.form_url(form),
    )


def adjustment_decided(adjustment: TargetAdjustment) -> None:
    """After a 目标调整 decision (inside its transaction): tell the one who asked."""
    if adjustment.requested_by_id is None:
        return
    sheet = adjustment.indicator.sheet
    verdict = adjustment.get_state_display()
    body = (
        f"“{sheet.title}”的指标“{adjustment.indicator.name}”申请由 {adjustment.old_value} "
        f"调整为 {adjustment.new_value}：{verdict}。"
    )
    if adjustment.decision_comment:
        body += f"\n审批意见：{adjustment.decision_comment}"
    notify(
        [adjustment.requested_by_id],
        kind="adjustment",
        title=f"目标调整{verdict}：{sheet.title} · {adjustment.indicator.name}",
        body=body,
        url=reverse("target_sheet", args=[sheet.pk]) + f"#adjustment-{adjustment.pk}",
    )


def _line(entry: todo.Entry) -> str:
    return f"· {entry.tag} {entry.text}（{entry.note}）"


def deadline_reminders(today: datetime.date | None = None) -> int:
    """Tell every unit user whose forms are due in 7, 3 or 1 days, in one message for the day
    listing all of them (every year and department of theirs). Idempotent per user and day: a
    second run the same day tells nobody again. Returns how many users were told."""
    today = today or timezone.localdate()
    due_dates = {today + datetime.timedelta(days=n) for n in REMIND_DAYS}
    years = (
        FiscalYear.objects.filter(is_current=True)
        | FiscalYear.objects.filter(target_deadline__in=due_dates)
        | FiscalYear.objects.filter(evaluation_deadline__gte=today)
    )
    departments = frozenset(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    by_department: dict[int, list[todo.Entry]] = defaultdict(list)
    for fiscal_year in years.distinct().order_by("year"):
        for entry in todo.unit_entries(fiscal_year, departments, today):
            if entry.deadline in due_dates:
                by_department[entry.department_id].append(entry)
    if not by_department:
        return 0
    by_user: dict[int, list[todo.Entry]] = defaultdict(list)
    for department_id, users in unit_users(by_department).items():
        for user_id in users:
            by_user[user_id] += by_department[department_id]
    told = 0
    for user_id, entries in sorted(by_user.items()):
        entries.sort(key=lambda e: (e.deadline, e.tag, e.text))
        first = entries[0].deadline
        days = (first - today).days
        told += len(
            deliver(
                [user_id],
                kind="deadline",
                title=f"截止提醒：{len(entries)} 项表单临近截止，最近的还剩 {days} 天",
                body="以下表单尚未提交，请在截止日期前完成：\n"
                + "\n".join(_line(e) for e in entries),
                url=reverse("home") + "#todo",
                key=f"deadline:{today.isoformat()}",
            )
        )
    return told


def _reviewed(user) -> frozenset[int] | None:
    """The departments this user may 催办: a reviewer's, every one for an administrator (None)."""
    access = access_for(user)
    if access.is_admin:
        return None
    mine = access.by_role.get(Role.REVIEWER, frozenset())
    if not mine:
        raise UserError("只有财政审核人可以催办。")
    return mine


def urge(*, user, fiscal_year: FiscalYear, department_id: int | None = None) -> dict[str, list]:
    """催办: tell a department's unit users which forms are still with them (one department), or
    every department of the reviewer's with a form past its deadline (None). Each department is
    urged at most once a day (whoever urges); each urge is audited on the department.
    Returns {"sent": [names], "skipped": [names already urged today], "nobody": [names without
    any unit user to tell, not urged]}."""
    today = timezone.localdate()
    scope = _reviewed(user)
    if department_id is not None:
        if scope is not None and department_id not in scope:
            raise UserError("您没有权限催办该单位。")
        ids = frozenset([department_id])
    elif scope is None:
        ids = frozenset(Department.objects.filter(is_active=True).values_list("pk", flat=True))
    else:
        ids = scope
    entries: dict[int, list[todo.Entry]] = defaultdict(list)
    for entry in todo.unit_entries(fiscal_year, ids, today):
        entries[entry.department_id].append(entry)
    if department_id is None:
        entries = {d: es for d, es in entries.items() if any(e.late for e in es)}
        if not entries:
            raise UserError("没有逾期未提交的单位，无需催办。")
    elif not entries.get(department_id):
        raise UserError("该单位没有待提交的表单，无需催办。")
    sent, skipped, nobody = [], [], []
    with transaction.atomic():
        # the departments' rows are the lock: two reviewers urging at once urge once
        departments = list(
            Department.objects.select_for_update().filter(pk__in=entries).order_by("pk")
        )
        start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        urged = set(
            AuditLog.objects.filter(
                action=URGE_ACTION, object_type=Department._meta.label, at__gte=start
            )
            .filter(object_id__in=[str(d.pk) for d in departments])
            .values_list("object_id", flat=True)
        )
        users = unit_users([d.pk for d in departments if str(d.pk) not in urged])
        for department in departments:
            if str(department.pk) in urged:
                skipped.append(department.name)
                continue
            if not users.get(department.pk):
                nobody.append(department.name)
                continue
            listed = sorted(entries[department.pk], key=lambda e: (not e.late, e.deadline or today))
            late = sum(e.late for e in listed)
            audit_record(
                actor=user,
                action=URGE_ACTION,
                obj=department,
                department=department.pk,
                changes={"year": fiscal_year.year, "forms": len(listed), "late": late},
            )
            notify(
                users.get(department.pk, ()),
                kind="urge",
                title=f"催办：{department.name}有 {len(listed)} 项表单待提交"
                + (f"（{late} 项已逾期）" if late else ""),
                body=f"财政部门催办{fiscal_year.year}年度以下表单，请尽快完成并提交：\n"
                + "\n".join(_line(e) for e in listed),
                url=reverse("home") + "#todo",
            )
            sent.append(department.name)
    return {"sent": sent, "skipped": skipped, "nobody": nobody}
