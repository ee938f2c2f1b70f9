"""Import jobs: upload → preview (in Celery) → confirm → import (in Celery), all or nothing.

The preview never writes; it keeps the sheet it read (bound to the upload's bytes), so the file
is parsed once. The import re-checks every row of it inside one transaction against the database
as it is then, so a confirmation based on a stale preview cannot
write a bad row; if any row fails, nothing is written and the job shows the errors again. One audit
record per import, on the job, with the counts and every changed value (the file itself, kept with
the job, holds the values of the new rows).

No job stays 检查中 or 导入中: whatever a run raises ends it as 已失败 with the reason (time limits
included); a run claims its job (state, attempts, heartbeat) before it starts, so a second delivery
of the same task does nothing; and `job_sweep` (beat, every 5 minutes; `manage.py cleanup_imports`)
queues again a job whose worker stopped reporting, or fails it after MAX_ATTEMPTS runs.
"""

import datetime
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from budgets.access import Role, access_for
from budgets.models import FiscalYear
from core import files
from core.audit import audit_record
from core.bulk import few_collections
from core.errors import UserError
from core.files import read_limited
from core.formatting import duration
from evaluations.services.transitions import FormConflict, FormProblems
from evaluations.workflow import WorkflowError

from . import (
    monitoring_table,
    table,
    tasks,  # tasks call this module back: a module import, read at call time
)
from .engine import Plan, plan_file
from .files import FileRefused, check_zip, read_sheet, sheet_dump, sheet_load, stored_upload
from .kinds import KINDS, Context
from .models import ImportJob

log = logging.getLogger(__name__)
State = ImportJob.State
MAX_AUDITED_ROWS = 20000
MAX_ATTEMPTS = 3
RUNNING = (State.PREVIEWING, State.IMPORTING)


def stale_after() -> datetime.timedelta:
    """How long a running job may go without reporting before the sweep takes it for dead: past
    the hard time limit no worker can still be running it."""
    return datetime.timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 60)


class ImportRefused(UserError):
    """A request that cannot be taken (Chinese message); nothing was saved."""


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds a user may import: every kind for administrators; budget figures for finance;
    targets and results for units (each row is still checked against the user's departments)."""
    access = access_for(user)
    if access.is_admin:
        allowed = list(KINDS)
    else:
        roles = access.roles()
        allowed = []
        if Role.REVIEWER in roles:
            allowed += ["projects", "department-budgets", "indicator-library"]
        if roles & {Role.CLERK, Role.HEAD}:
            allowed += ["indicators", "results", "monitoring"]
    return [(k, ImportJob.Kind(k).label) for k in allowed]


def job_create(
    *,
    user,
    kind: str,
    name: str,
    data: bytes,
    year: FiscalYear | None = None,
    via: str = "网页",
    evaluation=None,
    monitoring_sheet=None,
    enqueue: bool = True,
) -> ImportJob:
    """Record an upload and enqueue its preview. Refuses, saving nothing, a kind the user may not
    import or a file over the size limit."""
    if kind == ImportJob.Kind.EVALUATION_TABLE:
        if evaluation is None:
            raise ImportRefused("未指定要导入的绩效自评。")
    elif kind == ImportJob.Kind.MONITORING_TABLE:
        if monitoring_sheet is None:
            raise ImportRefused("未指定要导入的绩效监控表。")
    elif user is not None and kind not in dict(kinds_for(user)):
        raise ImportRefused("您无权导入这类数据。")
    elif kind not in KINDS:
        raise ImportRefused("未知的数据类型。")
    if len(data) > settings.IMPORT_MAX_BYTES:
        mb = settings.IMPORT_MAX_BYTES // 1024 // 1024
        raise ImportRefused(f"文件超过 {mb}MB 的上限，未导入。")
    if not data.strip():
        raise ImportRefused("文件为空，未导入。")
    if kind in TABLE_KINDS:
        _table_precheck(name, data, TABLE_KINDS[kind])
    with transaction.atomic():
        job = ImportJob(
            created_by=user if getattr(user, "is_authenticated", False) else None,
            kind=kind,
            year=year,
            evaluation=evaluation,
            monitoring_sheet=monitoring_sheet,
            original_name=name[:200],
            via=via,
            base_version=(evaluation or monitoring_sheet).version
            if (evaluation or monitoring_sheet) is not None
            else None,
            heartbeat=timezone.now(),
        )
        with files.saving():
            job.file.save(_safe_name(name), ContentFile(data), save=False)
        job.save()
        if enqueue:
            transaction.on_commit(lambda: _enqueue("preview", job.pk))
    return job


# the offline tables (uploaded on their form) → what the refusals call them
TABLE_KINDS = {
    ImportJob.Kind.EVALUATION_TABLE: "绩效自评表",
    ImportJob.Kind.MONITORING_TABLE: "绩效目标执行监控表",
}


def _table_precheck(name: str, data: bytes, what: str = "绩效自评表") -> None:
    """The offline table is refused on the form when it is plainly not an XLSX or its zip is
    damaged (cheap: the zip's directory and the first bytes of its XML only)."""
    if not data.startswith(b"PK\x03\x04") or not name.lower().endswith(".xlsx"):
        raise ImportRefused(f"请上传从本系统导出的 .xlsx 格式的{what}。")
    try:
        check_zip(data).close()
    except FileRefused as exc:
        raise ImportRefused(f"{exc}未导入。") from exc


def _safe_name(name: str) -> str:
    suffix = ".csv" if name.lower().endswith((".csv", ".txt")) else ".xlsx"
    return f"upload{suffix}"


def _enqueue(phase: str, job_id: int) -> None:
    (tasks.import_preview if phase == "preview" else tasks.import_commit).delay(job_id)


def _progress(job: ImportJob, low: int, high: int):
    last = [low]

    def report(fraction: float) -> None:
        value = int(low + (high - low) * fraction)
        if value >= last[0] + 5:
            last[0] = value
            ImportJob.objects.filter(pk=job.pk).update(progress=value, heartbeat=timezone.now())

    return report


SYSTEM_VIA = ("命令行", "演示数据")  # run on the server by an operator: acts as administrator


def _context(job: ImportJob) -> Context:
    if job.created_by is None and job.via not in SYSTEM_VIA:
        raise FileRefused("导入人账号已不存在，请重新上传。")
    return Context(user=job.created_by, year=job.year)


def _plan(job: ImportJob, low: int, high: int, *, keep: bool = False) -> Plan:
    """Read and check the upload. The preview (`keep`) keeps the sheet it read for the import;
    the import takes it instead of parsing the file a second time, and checks every row again."""
    data = stored_upload(job)
    report = _progress(job, low, high)
    if job.kind == ImportJob.Kind.EVALUATION_TABLE:
        return table.plan_table(job, data, report)
    if job.kind == ImportJob.Kind.MONITORING_TABLE:
        return monitoring_table.plan_monitoring_table(job, data, report)
    sheet = None if keep else _parsed_sheet(job, data)
    if sheet is None:
        sheet = read_sheet(job.original_name, data)
    report(0.3)
    plan = plan_file(KINDS[job.kind], sheet, _context(job), report)
    if keep and plan.rows and not plan.has_errors:
        _keep_sheet(job, sheet, data)
    return plan


def _keep_sheet(job: ImportJob, sheet, data: bytes) -> None:
    """Store the sheet read by the preview beside the upload (saved with the job). A store that
    fails costs only speed: the import then reads the file again."""
    try:
        job.parsed.save("parsed.json.gz", ContentFile(sheet_dump(sheet, data)), save=False)
    except Exception:  # noqa: BLE001  (an optimisation, never a reason to fail a preview)
        log.warning("import %s: the parsed sheet was not kept", job.pk, exc_info=True)
        job.parsed = ""


def _parsed_sheet(job: ImportJob, data: bytes):
    """The sheet the preview read from exactly these bytes, or None (then the file is read)."""
    if not job.parsed:
        return None
    try:
        kept = read_limited(job.parsed, settings.IMPORT_MAX_BYTES)
    except Exception:  # noqa: BLE001  (missing, too large, store down: read the file instead)
        log.warning("import %s: the parsed sheet could not be read", job.pk, exc_info=True)
        return None
    return sheet_load(kept, data)


def _drop_parsed(job: ImportJob) -> None:
    """The import ran: its kept sheet is of no further use."""
    name = ImportJob.objects.filter(pk=job.pk).values_list("parsed", flat=True).first()
    if not name:
        return
    ImportJob.objects.filter(pk=job.pk).update(parsed="")
    try:
        job.parsed.storage.delete(name)
    except Exception:  # noqa: BLE001  (an orphan file is harmless; the job is done)
        log.warning("import %s: the parsed sheet %s was not removed", job.pk, name, exc_info=True)


def _store(job: ImportJob, plan: Plan, state: str) -> None:
    job.counts = plan.counts
    job.errors = plan.error_list()
    job.preview = plan.preview_rows()
    job.notes = plan.notes
    job.state = state
    job.progress = 100
    job.finished_at = timezone.now() if state != State.READY else None
    job.save()


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.state, job.message, job.progress, job.finished_at = (
        State.FAILED,
        message,
        100,
        timezone.now(),
    )
    job.save(update_fields=["state", "message", "progress", "finished_at"])
    return job


def _failure_message(job: ImportJob, exc: Exception, phase: str) -> str:
    """The reason a run stopped, as the importer reads it; unexpected errors are logged."""
    if isinstance(exc, SoftTimeLimitExceeded):
        shown = duration(settings.IMPORT_TASK_SOFT_TIME_LIMIT)
        return (
            f"{phase}超过时限（{shown}）已停止，未写入任何数据。"
            "请拆分文件后重新上传，或联系系统管理员。"
        )
    log.exception("import %s: %s failed", job.pk, phase)
    return (
        f"{phase}时发生错误（{type(exc).__name__}），未写入任何数据。"
        "请检查文件后重新上传，或联系系统管理员。"
    )


def _claim(job_id: int, state: str, running: str) -> ImportJob | None:
    """Take a job for one run: only from `state`, counting the attempt and reporting at once,
    in its own transaction (a run that dies still counts). None: someone else has it, or it is
    finished."""
    claimed = ImportJob.objects.filter(pk=job_id, state=state).update(
        state=running, attempts=F("attempts") + 1, heartbeat=timezone.now(), progress=1
    )
    return ImportJob.objects.filter(pk=job_id).first() if claimed else None


@few_collections()
def job_preview(job_id: int) -> ImportJob | None:
    """Read and check the file; store counts, errors and the rows to show. Writes no data.
    Whatever goes wrong ends the job: refused, or 已失败 with the reason."""
    job = _claim(job_id, State.QUEUED, State.PREVIEWING)
    if job is None:
        return None
    try:
        plan = _plan(job, 0, 95, keep=True)
        _store(job, plan, State.INVALID if plan.has_errors or not plan.rows else State.READY)
    except FileRefused as exc:
        return _fail(job, str(exc))
    except Exception as exc:  # noqa: BLE001  (a job never stays 检查中)
        return _fail(job, _failure_message(job, exc, "检查文件"))
    return job


def job_confirm(*, job: ImportJob, user) -> ImportJob:
    """The importer confirms a clean preview; the import runs in Celery."""
    if job.created_by_id != getattr(user, "pk", None):
        raise ImportRefused("只有上传文件的人可以确认导入。")
    updated = ImportJob.objects.filter(pk=job.pk, state=State.READY).update(
        # the import's runs are counted afresh: the preview's do not use up its attempts
        state=State.IMPORTING,
        progress=0,
        heartbeat=timezone.now(),
        attempts=0,
    )
    if not updated:
        raise ImportRefused(f"该导入当前为“{job.get_state_display()}”，不能确认。")
    job.refresh_from_db()
    transaction.on_commit(lambda: _enqueue("commit", job.pk))
    return job


def job_commit(job_id: int) -> ImportJob | None:
    """Check again and write everything in one transaction, or nothing."""
    job = _claim(job_id, State.IMPORTING, State.IMPORTING)
    if job is None:
        return None
    ran = _commit(job)
    if ran is not None:
        _drop_parsed(ran)
    return ran


@few_collections()
def _commit(job: ImportJob) -> ImportJob | None:
    try:
        with transaction.atomic():
            # the job's row stays locked while this run writes, and it is DONE in the same
            # transaction as the rows: the sweep skips it, and a second delivery of the task
            # waits here, then finds the job finished and does nothing
            locked = ImportJob.objects.select_for_update().filter(pk=job.pk, state=State.IMPORTING)
            if locked.values_list("pk", flat=True).first() is None:
                return None
            plan = _plan(job, 0, 60)
            if plan.has_errors:
                raise _Invalid(plan)
            if not (plan.counts["new"] or plan.counts["update"]):
                _store(job, plan, State.DONE)  # nothing to write, nothing to audit
                return job
            if job.kind == ImportJob.Kind.EVALUATION_TABLE:
                table.write_table(job, plan)
            elif job.kind == ImportJob.Kind.MONITORING_TABLE:
                monitoring_table.write_monitoring_table(job, plan)
            else:
                plan.kind.write(plan, _context(job))
            audit_record(
                actor=job.created_by,
                action=f"批量导入·{job.get_kind_display()}",
                obj=job,
                department=job.evaluation.department_id
                if job.evaluation_id
                else (job.monitoring_sheet.department_id if job.monitoring_sheet_id else None),
                changes=audit_changes(plan),
                reason=f"{job.via}导入 {job.original_name}",
            )
            _store(job, plan, State.DONE)
    except _Invalid as invalid:
        _store(job, invalid.plan, State.INVALID)
        job.message = "数据在预览后发生了变化，导入时发现错误，未写入任何数据。"
        job.save(update_fields=["message"])
        return job
    except (FileRefused, WorkflowError, FormConflict, FormProblems) as exc:
        return _fail(job, f"未导入：{exc}")
    except SoftTimeLimitExceeded as exc:
        return _fail(job, _failure_message(job, exc, "导入"))
    except Exception:
        log.exception("import %s failed", job.pk)
        return _fail(
            job, "导入过程中发生错误，已全部撤销，未写入任何数据。请稍后重试或联系管理员。"
        )
    return job


def job_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Jobs whose worker stopped reporting: queued again, or failed after MAX_ATTEMPTS runs. A
    job still queued after the same time is queued again (its message may have been lost); it
    waits for a worker rather than fail. A job locked by a run in progress is left alone."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    counts = {"requeued": 0, "failed": 0}
    stale = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True, created_at__lt=cutoff)
    with transaction.atomic():
        jobs = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(stale, state__in=[State.QUEUED, *RUNNING])
            .order_by("pk")
        )
        for job in jobs:
            phase = "preview" if job.state != State.IMPORTING else "commit"
            if job.state in RUNNING and job.attempts >= MAX_ATTEMPTS:
                action = "导入" if job.state == State.IMPORTING else "检查"
                _fail(
                    job,
                    f"{action}任务多次中断（已尝试{job.attempts}次），未写入任何数据。"
                    "请重新上传，或联系系统管理员。",
                )
                counts["failed"] += 1
                continue
            ImportJob.objects.filter(pk=job.pk).update(
                state=State.QUEUED if phase == "preview" else State.IMPORTING,
                heartbeat=now,
                progress=0,
            )
            transaction.on_commit(lambda p=phase, pk=job.pk: _enqueue(p, pk))
            counts["requeued"] += 1
    return counts


class _Invalid(Exception):
    def __init__(self, plan: Plan):
        self.plan = plan


def audit_changes(plan: Plan) -> dict:
    rows = [r for r in plan.rows if r.status in ("new", "update")]
    details = {}
    for row in rows[:MAX_AUDITED_ROWS]:
        key = row.label or f"第{row.number}行"
        details[key] = (
            "新增"
            if row.status == "new"
            else {h: [_text(o), _text(n)] for h, (o, n) in row.changes.items()}
        )
    changes = {"counts": plan.counts, "rows": details}
    if len(rows) > MAX_AUDITED_ROWS:
        changes["truncated"] = f"仅记录前{MAX_AUDITED_ROWS}行，其余见上传文件"
    return changes


def _text(value):
    return None if value is None else str(value)


def import_now(
    *,
    kind: str,
    name: str,
    data: bytes,
    year: FiscalYear | None = None,
    user=None,
    via: str = "命令行",
) -> ImportJob:
    """Preview and, when clean, import in this process (the command line, the demo loader)."""
    job = job_create(user=user, kind=kind, name=name, data=data, year=year, via=via, enqueue=False)
    job_preview(job.pk)
    if ImportJob.objects.filter(pk=job.pk, state=State.READY).update(state=State.IMPORTING):
        job_commit(job.pk)
    job.refresh_from_db()
    return job


def visible_jobs(user):
    jobs = ImportJob.objects.select_related("year", "created_by")
    if access_for(user).is_admin:
        return jobs
    return jobs.filter(created_by=user)
