"""整改通知 (rectification notices): finance issues one for a self-evaluation graded 中 or 差 or
for a red monitoring line; the unit answers with text and evidence files; finance closes it or
sends it back. Every write checks `workflow` on the notice's row under a lock, carries the version
the user saw, leaves one audit record and tells the other side (消息).
"""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from budgets.access import Role
from budgets.models import Department, FiscalYear, Membership
from budgets.notifications import notify, unit_users
from core import files
from core.audit import audit_record
from core.errors import UserError

from .. import rectifications as reads
from .. import workflow
from ..models import (
    FormState,
    Light,
    MonitoringLine,
    NoticeEvidence,
    NoticeState,
    RectificationNotice,
    SelfEvaluation,
)
from .evidence import MAX_FILES_PER_LINE, evidence_problem

REQUIREMENT_MAX = 2000
ANSWER_MAX = 5000
MAX_FILES = MAX_FILES_PER_LINE


class NoticeConflict(UserError):
    def __str__(self) -> str:
        return "该整改通知已被他人处理或状态已变化，本次未保存。请核对页面后重新操作。"


def _text(value: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise UserError(f"请填写{label}。")
    if len(value) > limit:
        raise UserError(f"{label}过长（{len(value)}字），不能超过{limit}字。")
    return value


def _due(due_date: datetime.date | None) -> datetime.date:
    if due_date is None:
        raise UserError("请填写有效的整改期限（日期）。")
    if due_date < timezone.localdate():
        raise UserError("整改期限不能早于今天。")
    return due_date


def _url(notice: RectificationNotice) -> str:
    return reverse("rectification", args=[notice.pk])


def _subject(
    user, fiscal_year: FiscalYear, evaluation_id: int | None, line_id: int | None
) -> tuple[dict, int, str, str]:
    """The subject's fields, its department, the basis (中/差/红灯) and title, read under a lock
    on the subject's row (two reviewers issuing at once: the second finds the first's notice)."""
    if evaluation_id is not None:
        evaluation = (
            SelfEvaluation.objects.select_for_update(of=("self",))
            .select_related("department", "project", "spot_check_item")
            .filter(pk=evaluation_id, year=fiscal_year)
            .first()
        )
        if evaluation is None or not workflow.may_issue(user, evaluation.department_id):
            raise UserError("未找到该绩效自评，或您无权为其下达整改通知。")
        grade = reads.notice_grade(evaluation)
        if evaluation.state != FormState.APPROVED or grade not in reads.NOTICE_GRADES:
            raise UserError("只能为已审核、评价等级为“中”或“差”的绩效自评下达整改通知。")
        if RectificationNotice.objects.filter(evaluation=evaluation).exists():
            raise UserError(f"“{evaluation.title}”已有整改通知。")
        return {"evaluation": evaluation}, evaluation.department_id, grade, evaluation.title
    line = (
        MonitoringLine.objects.select_for_update(of=("self",))
        .select_related("sheet__department", "sheet__project", "sheet__round", "indicator")
        .filter(pk=line_id, sheet__year=fiscal_year)
        .first()
        if line_id is not None
        else None
    )
    if line is None or not workflow.may_issue(user, line.sheet.department_id):
        raise UserError("未找到该监控指标，或您无权为其下达整改通知。")
    if line.light != Light.RED or line.sheet.state not in reads.MONITORING_SEEN:
        raise UserError("只能为已报送监控表中的红灯指标下达整改通知。")
    if RectificationNotice.objects.filter(monitoring_line=line).exists():
        raise UserError("该监控指标已有整改通知。")
    return (
        {"monitoring_line": line},
        line.sheet.department_id,
        Light.RED.label,
        reads.line_title(line),
    )


def notice_issue(
    *,
    user,
    fiscal_year: FiscalYear,
    requirement: str,
    due_date: datetime.date | None,
    evaluation_id: int | None = None,
    line_id: int | None = None,
) -> RectificationNotice:
    """下达整改通知 for one self-evaluation (graded 中/差) or one red monitoring line."""
    requirement = _text(requirement, "整改要求", REQUIREMENT_MAX)
    due_date = _due(due_date)
    if (evaluation_id is None) == (line_id is None):
        raise UserError("请选择要下达整改通知的项目。")
    with transaction.atomic():
        subject, department_id, basis, title = _subject(user, fiscal_year, evaluation_id, line_id)
        notice = _create(
            user, fiscal_year, subject, department_id, basis, title, requirement, due_date
        )
        _tell_unit([notice], fiscal_year)
    return notice


def notices_issue_all(
    *,
    user,
    fiscal_year: FiscalYear,
    requirement: str,
    due_date: datetime.date | None,
    department_id: int | None = None,
) -> list[RectificationNotice]:
    """为全部中、差项目下达: one notice, with the same 要求 and 期限, for every approved
    self-evaluation graded 中 or 差 without one in the departments the user reviews (or the one
    department chosen). Each notice is audited; each unit gets one message listing its notices."""
    requirement = _text(requirement, "整改要求", REQUIREMENT_MAX)
    due_date = _due(due_date)
    if not reads.is_finance(user):
        raise UserError("只有财政审核人可以下达整改通知。")
    with transaction.atomic():
        ids = [e.pk for e in reads.evaluation_candidates(user, fiscal_year, department_id)]
        if not ids:
            raise UserError("没有待下达整改通知的“中”“差”项目。")
        # locked in one go, in id order: a concurrent single issue waits, then is refused
        evaluations = list(
            SelfEvaluation.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, rectification__isnull=True)
            .select_related("department", "project", "spot_check_item")
            .order_by("pk")
        )
        issued = [
            _create(
                user,
                fiscal_year,
                {"evaluation": e},
                e.department_id,
                reads.notice_grade(e),
                e.title,
                requirement,
                due_date,
            )
            for e in evaluations
        ]
        _tell_unit(issued, fiscal_year)
    return issued


def _create(user, fiscal_year, subject, department_id, basis, title, requirement, due_date):
    try:
        with transaction.atomic():  # a savepoint: a lost race is a refusal, not a broken request
            notice = RectificationNotice.objects.create(
                year=fiscal_year,
                department_id=department_id,
                basis=basis,
                title=title[:300],
                requirement=requirement,
                due_date=due_date,
                issued_by=user if getattr(user, "is_authenticated", False) else None,
                **subject,
            )
    except IntegrityError:
        raise UserError(f"“{title}”已有整改通知。") from None
    audit_record(
        actor=user,
        action="整改通知·下达",
        obj=notice,
        changes={
            "basis": [None, basis],
            "requirement": [None, requirement],
            "due_date": [None, due_date.isoformat()],
        },
    )
    return notice


def _tell_unit(notices: Sequence[RectificationNotice], fiscal_year: FiscalYear) -> None:
    by_department: dict[int, list[RectificationNotice]] = defaultdict(list)
    for notice in notices:
        by_department[notice.department_id].append(notice)
    users = unit_users(by_department)
    for department_id, issued in by_department.items():
        first = issued[0]
        if len(issued) == 1:
            title = f"整改通知：{first.title}（{first.basis}）"
            url = _url(first)
        else:
            title = f"整改通知：{len(issued)} 个项目须整改"
            url = reverse("rectifications") + f"?year={fiscal_year.year}"
        body = (
            f"财政部门下达了{fiscal_year.year}年度整改通知，"
            "请在整改期限前提交整改情况和佐证材料：\n"
        )
        body += "\n".join(
            f"· {n.title}（{n.basis}），整改期限 {n.due_date:%Y-%m-%d}" for n in issued
        )
        body += f"\n整改要求：{first.requirement}"
        notify(users.get(department_id, ()), kind="rectification", title=title, body=body, url=url)


def _reviewers(department_id: int) -> set[int]:
    """The finance reviewers of a department: a reviewer's membership covers its subtree, so
    those of the department and of every department above it (a query per level, and one)."""
    chain, current = [], Department.objects.filter(pk=department_id).values("pk", "parent_id")
    node = current.first()
    while node is not None:
        chain.append(node["pk"])
        parent = node["parent_id"]
        node = (
            Department.objects.filter(pk=parent).values("pk", "parent_id").first()
            if parent and parent not in chain
            else None
        )
    return set(
        Membership.objects.filter(
            department_id__in=chain,
            department__is_active=True,
            role=Role.REVIEWER,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def _locked(notice: RectificationNotice, version: int | None) -> RectificationNotice:
    """The notice as it is now, its row locked, or NoticeConflict when it changed since the user
    loaded it (`version`: the one the page showed; None only from code that just read it)."""
    current = (
        RectificationNotice.objects.select_for_update(of=("self",))
        .select_related("year", "department")
        .get(pk=notice.pk)
    )
    if version is not None and current.version != version:
        raise NoticeConflict()
    return current


def _save(notice: RectificationNotice, **changes) -> None:
    for name, value in changes.items():
        setattr(notice, name, value)
    notice.version += 1
    notice.save(update_fields=[*changes, "version"])


def notice_answer(
    *,
    notice: RectificationNotice,
    user,
    answer: str,
    uploads: Sequence[UploadedFile] = (),
    version: int | None,
) -> RectificationNotice:
    """提交整改情况: the unit's answer (text) with its evidence; at least one file, uploaded now or
    kept from an earlier answer. The notice goes to finance (已答复待确认)."""
    workflow.notice_check(user, "answer", notice)
    answer = _text(answer, "整改情况", ANSWER_MAX)
    for upload in uploads:
        if problem := evidence_problem(upload):
            raise UserError(f"{PurePath(upload.name or '').name}：{problem}")
    with transaction.atomic():
        notice = _locked(notice, version)
        workflow.notice_check(user, "answer", notice)
        kept = notice.files.count()
        if kept + len(uploads) > MAX_FILES:
            raise UserError(f"每个整改通知最多上传{MAX_FILES}个佐证材料。")
        if kept + len(uploads) == 0:
            raise UserError("请上传至少一个整改佐证材料。")
        names = [_store(notice, user, upload) for upload in uploads]
        before, old = notice.state, notice.answer
        _save(
            notice,
            state=NoticeState.ANSWERED,
            answer=answer,
            answered_by=user if getattr(user, "is_authenticated", False) else None,
            answered_at=timezone.now(),
            answers=notice.answers + 1,
        )
        changes = {"state": [before, notice.state], "answer": [old, answer]}
        if names:
            changes["evidence"] = [None, "、".join(names)]
        audit_record(actor=user, action="整改通知·提交整改情况", obj=notice, changes=changes)
        notify(
            _reviewers(notice.department_id),
            kind="rectification",
            title=f"整改情况待确认：{notice.title}",
            body=f"{notice.department.name}提交了“{notice.title}”的整改情况"
            f"（第{notice.answers}次），请确认后关闭或退回重新整改。",
            url=_url(notice),
        )
    return notice


def _store(notice: RectificationNotice, user, upload: UploadedFile) -> str:
    name = PurePath(upload.name).name[-200:]
    item = NoticeEvidence(
        notice=notice,
        original_name=name,
        size=upload.size,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    with files.saving():
        item.file.save(f"{notice.pk}{PurePath(name).suffix.lower()}", upload, save=False)
    item.save()
    return name


def notice_file_remove(*, item: NoticeEvidence, user) -> None:
    """Remove a file of the answer while the notice is with the unit (待整改, 退回重新整改)."""
    with transaction.atomic():
        notice = _locked(item.notice, None)
        if not workflow.notice_may(user, "answer", notice):
            raise UserError("整改情况已提交或通知已关闭，不能删除佐证材料。")
        if not NoticeEvidence.objects.filter(pk=item.pk).exists():
            raise UserError("该文件已被删除。")
        audit_record(
            actor=user,
            action="整改通知·删除佐证材料",
            obj=notice,
            changes={"evidence": [item.original_name, None]},
        )
        item.delete()
        transaction.on_commit(lambda: item.file.delete(save=False))


def notice_decide(
    *, notice: RectificationNotice, user, action: str, text: str, version: int | None
) -> RectificationNotice:
    """Finance on an answered notice: 关闭 (with a comment) or 退回重新整改 (with a reason)."""
    if action not in ("close", "send_back"):
        raise UserError("未知的操作。")
    workflow.notice_check(user, action, notice, text)
    text = _text(text, "关闭意见" if action == "close" else "退回原因", REQUIREMENT_MAX)
    with transaction.atomic():
        notice = _locked(notice, version)
        transition = workflow.notice_check(user, action, notice, text)
        before = notice.state
        now = timezone.now()
        if action == "close":
            _save(
                notice,
                state=NoticeState.CLOSED,
                close_comment=text,
                closed_by=user if getattr(user, "is_authenticated", False) else None,
                closed_at=now,
            )
            body = f"“{notice.title}”的整改通知已关闭。\n意见：{text}"
        else:
            _save(notice, state=NoticeState.RETURNED, return_reason=text)
            body = (
                f"“{notice.title}”的整改情况被退回，请继续整改后重新提交"
                f"（整改期限 {notice.due_date:%Y-%m-%d}）。\n退回原因：{text}"
            )
        audit_record(
            actor=user,
            action=f"整改通知·{transition.label}",
            obj=notice,
            changes={"state": [before, notice.state]},
            reason=text,
        )
        users = unit_users([notice.department_id]).get(notice.department_id, set())
        notify(
            users,
            kind="rectification",
            title=f"整改通知{'已关闭' if action == 'close' else '退回重新整改'}：{notice.title}",
            body=body,
            url=_url(notice),
        )
    return notice
