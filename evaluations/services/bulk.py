"""批量审核: 审核通过 or 退回 over many forms at once. Each form goes through the single action's
service (`target_sheet_transition`, `evaluation_transition`: workflow.check, the version lock,
one audit record), in a savepoint of its own, so one refusal never stops or undoes the others.
A selection of up to BULK_REVIEW_SYNC_LIMIT forms runs in the request; a larger one in Celery,
a chunk at a time, each chunk committed with the job's progress so a rerun resumes after it."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from budgets.access import Role, access_for
from core.audit import audit_record
from core.errors import UserError

from .. import tasks
from ..models import BulkReviewJob, MonitoringSheet, SelfEvaluation, TargetSheet
from .monitoring import monitoring_sheet_transition
from .results import evaluation_transition
from .targets import target_sheet_transition

# Forms per transaction of a job (the progress a page sees moves by this much)
CHUNK = 50
MODELS = {"targets": TargetSheet, "evaluation": SelfEvaluation, "monitoring": MonitoringSheet}
LABELS = {"targets": "绩效目标", "evaluation": "绩效自评", "monitoring": "绩效监控表"}

DONE_MESSAGES = {"approve": "已审核通过", "return": "已退回"}
NOT_FOUND = "未找到该表单，或您无权审核。"


def bulk_review_start(
    *,
    user,
    fiscal_year,
    action: str,
    reason: str,
    items: list[tuple[str, int, int]],
    as_of: datetime.datetime | None = None,
) -> BulkReviewJob:
    """Record the bulk action (`items`: (kind, id, version seen)) and run it: here when small,
    else queued (after commit) for a worker. 退回 needs its one reason for every form."""
    if action not in BulkReviewJob.Action.values:
        raise UserError("未知的批量操作。")
    reason = reason.strip()
    if action == BulkReviewJob.Action.RETURN and not reason:
        raise UserError("批量退回须填写退回原因（将作为每张表的退回原因）。")
    items = [[kind, int(pk), int(version)] for kind, pk, version in items if kind in MODELS]
    if not items:
        raise UserError("请先勾选要审核的表单，或选择“全部筛选结果”。")
    job = BulkReviewJob.objects.create(
        created_by=user,
        year=fiscal_year,
        action=action,
        reason=reason,
        items=items,
        as_of=as_of,
        total=len(items),
    )
    audit_record(
        actor=user,
        action=f"批量审核·{job.get_action_display()}",
        obj=job,
        changes={"total": job.total},
        reason=reason,
    )
    if job.total <= settings.BULK_REVIEW_SYNC_LIMIT:
        return bulk_review_run(job_id=job.pk)
    job_id = job.pk
    transaction.on_commit(lambda: tasks.bulk_review.delay(job_id))
    return job


def bulk_review_run(*, job_id: int) -> BulkReviewJob | None:
    """The job's body (in the request or the task). Safe to run again: it resumes after the
    last committed chunk and leaves a finished job alone."""
    with transaction.atomic():
        job = BulkReviewJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (BulkReviewJob.State.DONE, BulkReviewJob.State.FAILED):
            return job
        job.state, job.attempts = BulkReviewJob.State.RUNNING, job.attempts + 1
        job.save(update_fields=["state", "attempts"])
    user = job.created_by
    while True:
        with transaction.atomic():
            job = BulkReviewJob.objects.select_for_update().get(pk=job_id)
            chunk = job.items[job.done : job.done + CHUNK]
            if not chunk:
                job.state, job.finished_at = BulkReviewJob.State.DONE, timezone.now()
                job.save(update_fields=["state", "finished_at"])
                return job
            job.results = job.results + _review_chunk(job, user, chunk)
            job.done += len(chunk)
            job.save(update_fields=["results", "done"])


def bulk_review_fail(*, job_id: int, error: str) -> None:
    BulkReviewJob.objects.filter(pk=job_id).exclude(state=BulkReviewJob.State.DONE).update(
        state=BulkReviewJob.State.FAILED, error=error, finished_at=timezone.now()
    )


def _review_chunk(job: BulkReviewJob, user, chunk: list[list]) -> list[dict]:
    """One result per item: a fixed number of queries to load the chunk, then each form's own
    transition in a savepoint."""
    access = access_for(user)
    loaded = {}
    for kind, model in MODELS.items():
        ids = [pk for k, pk, _ in chunk if k == kind]
        if not ids:
            continue
        queryset = model.objects.filter(year_id=job.year_id).select_related(
            "year", "department__parent", "project", *(["round"] if kind == "monitoring" else [])
        )
        if not access.is_admin:
            queryset = queryset.filter(
                department_id__in=access.by_role.get(Role.REVIEWER, frozenset())
            )
        loaded |= {(kind, pk): form for pk, form in queryset.in_bulk(ids).items()}
    return [
        _review_one(job, user, kind, pk, version, loaded.get((kind, pk)))
        for kind, pk, version in chunk
    ]


def _review_one(job, user, kind: str, pk: int, version: int, form) -> dict:
    result = {"kind": kind, "id": pk, "kind_label": LABELS[kind], "ok": False}
    if form is None:
        return result | {"title": f"#{pk}", "department": "", "message": NOT_FOUND}
    result |= {"title": form.title, "department": form.department.name}
    resubmitted = job.as_of and form.submitted_at and form.submitted_at > job.as_of
    if form.version != version or resubmitted:
        return result | {
            "message": f"已被修改：列表显示后该表单已有变动（现为“{form.get_state_display()}”），"
            "未处理；请打开核对后单独审核。"
        }
    try:
        with transaction.atomic():
            if kind == "targets":
                target_sheet_transition(
                    sheet=form, user=user, action=job.action, reason=job.reason, version=version
                )
            elif kind == "monitoring":
                monitoring_sheet_transition(
                    sheet=form, user=user, action=job.action, reason=job.reason, version=version
                )
            else:
                evaluation_transition(
                    evaluation=form,
                    user=user,
                    action=job.action,
                    reason=job.reason,
                    version=version,
                )
    except UserError as error:
        return result | {"message": str(error)}
    return result | {"ok": True, "message": DONE_MESSAGES[job.action]}
