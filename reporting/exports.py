"""Exports of the standard tables: requested on a page or the command line, produced by Celery.

A job records who asked and for which departments; its task builds the table descriptions,
fingerprints them, reuses an unexpired file with the same fingerprint, otherwise renders
XLSX or PDF (one file, or a ZIP with one folder per department), reporting progress. A job whose
worker died is found by its stale heartbeat and run again, or failed after MAX_ATTEMPTS.
"""

import datetime
import hashlib
import io
import logging
import time
import zipfile
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from budgets.access import access_for
from budgets.models import Department, FiscalYear, Project
from core.bulk import few_collections
from core.formatting import duration
from core.tasks import TRANSIENT
from evaluations import workflow

from . import filenames, tasks
from .models import ExportJob
from .tables import plan
from .tables.base import Table
from .tables.pdf import render_pdf
from .tables.plan import ExportFile
from .tables.word import render_docx
from .tables.xlsx import render_xlsx

log = logging.getLogger(__name__)
Kind = ExportJob.Kind
MAX_ATTEMPTS = 3
STALE_AFTER = datetime.timedelta(minutes=10)
# Word is for the text units edit before signing: the 自评综述 (the other tables are forms)
DOCX_KINDS = {ExportJob.Kind.NARRATIVE}
DOCX_ONLY = "Word（DOCX）格式仅用于自评综述，其他表格请导出 Excel 或 PDF。"


def export_request(
    *,
    user,
    kind: str,
    fmt: str,
    year: FiscalYear,
    department_ids: list[int] | None = None,
    project_ids: list[int] | None = None,
) -> ExportJob:
    """Record an export and enqueue it once the row is committed. Departments default to all the
    user may see; asking for one outside reach is refused."""
    if kind not in Kind.values:
        raise workflow.WorkflowError("未知的表格。")
    if fmt not in ExportJob.Format.values:
        raise workflow.WorkflowError("未知的导出格式。")
    if fmt == ExportJob.Format.DOCX and kind not in DOCX_KINDS:
        raise workflow.WorkflowError(DOCX_ONLY)
    visible = access_for(user).visible
    if department_ids is None:
        scope = (
            visible
            if visible is not None
            else set(Department.objects.filter(is_active=True).values_list("id", flat=True))
        )
    else:
        scope = set(department_ids)
        if visible is not None and not scope <= visible:
            raise workflow.WorkflowError("您无权导出所选单位的数据。")
    if not scope:
        raise workflow.WorkflowError("没有可导出的单位。")
    projects = sorted(set(project_ids or []))
    if (
        projects
        and Project.objects.filter(pk__in=projects).exclude(department_id__in=scope).exists()
    ):
        raise workflow.WorkflowError("您无权导出所选项目的数据。")
    with transaction.atomic():
        job = ExportJob.objects.create(
            created_by=user,
            year=year,
            kind=kind,
            format=fmt,
            department_ids=sorted(scope),
            project_ids=projects,
            scope=scope_label(kind, scope, projects),
        )
        enqueue(job)
    return job


def unit_of(department_ids) -> str:
    """The unit an export of these departments is of, in words (1 query): the department; a
    主管部门 with its 所属单位 when they form one tree; else 全部单位 and how many."""
    queryset = Department.objects.filter(pk__in=department_ids)
    rows = list(queryset.values_list("pk", "name", "parent"))
    roots = [name for pk, name, parent in rows if parent not in department_ids]
    if len(rows) == 1:
        return rows[0][1]
    if len(roots) == 1:
        return f"{roots[0]}及所属单位"
    return f"{filenames.ALL_UNITS}（{len(rows)}个）"


def scope_label(kind: str, department_ids: set[int], project_ids: list[int]) -> str:
    """What an export holds beyond its year, table and format, in words, as 我的导出 lists it:
    the unit (`unit_of`), then the project (编码 名称), or 部门整体 (2 queries at most)."""
    parts = [unit_of(department_ids)]
    if len(project_ids) == 1:
        project = Project.objects.filter(pk=project_ids[0]).values_list("code", "name").first()
        if project:
            parts.append(" ".join(project))
    elif project_ids:
        parts.append(f"{len(project_ids)}个项目")
    elif kind in (Kind.DEPARTMENT, Kind.BASIC):
        parts.append(filenames.DEPARTMENT_WIDE)
    return " · ".join(parts)[:300]


def enqueue(job: ExportJob) -> None:
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))


@few_collections()
def export_plan(job: ExportJob) -> list[ExportFile]:
    """The files of a job, each with its tables (descriptions only, nothing rendered yet)."""
    return plan.files_for(job.kind, job.year, set(job.department_ids), set(job.project_ids))


def render_file(tables: list[Table], fmt: str) -> bytes:
    if fmt == ExportJob.Format.PDF:
        return render_pdf(tables)
    if fmt == ExportJob.Format.DOCX:
        return render_docx(tables)
    return render_xlsx(tables)


Progress = Callable[[int, int, int], None]  # (percent, files done, files in all)


def _no_progress(percent: int, done: int, total: int) -> None:
    return None


@few_collections()
def render_files(
    files: list[ExportFile], fmt: str, progress: Progress = _no_progress
) -> tuple[bytes, str]:
    """(content, extension): one file as is, several as a ZIP with their folders. The names
    (`filenames`) are unique within the ZIP."""
    total = len(files)
    if total == 1:
        content = render_file(files[0].tables, fmt)
        progress(95, 1, 1)
        return content, fmt
    buffer = io.BytesIO()
    names = filenames.unique([f"{item.path}.{fmt}" for item in files])
    # XLSX and PDF are compressed already: stored, not deflated again
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index, (item, name) in enumerate(zip(files, names, strict=True), start=1):
            archive.writestr(name, render_file(item.tables, fmt))
            progress(10 + 85 * index // total, index, total)
    return buffer.getvalue(), "zip"


def _fingerprint(job: ExportJob, files: list[ExportFile]) -> str:
    """What the file would contain: same fingerprint, same file."""
    hasher = hashlib.sha256(f"{job.kind}\x1f{job.format}".encode())
    for item in files:
        hasher.update(f"\x1d{item.path}".encode())
        for table in item.tables:
            table.fingerprint(hasher)
    return hasher.hexdigest()[:32]


def _filename(job: ExportJob, files: list[ExportFile], ext: str) -> str:
    unit = download_unit(set(job.department_ids)) if len(files) > 1 else ""
    return plan.download_name(job.kind, job.year.year, unit, files, ext)


def download_unit(department_ids) -> str:
    """The 单位 part of a ZIP's name: `unit_of`, or "" (全部单位) for several trees."""
    unit = unit_of(department_ids)
    return "" if unit.startswith(filenames.ALL_UNITS) else unit


def export_run(*, job_id: int) -> ExportJob | None:
    """The body of the export task. Safe to run twice: a finished job is left alone, and a
    rerun overwrites nothing another job relies on."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state in (ExportJob.State.DONE, ExportJob.State.FAILED):
            return job
        job.state, job.attempts = ExportJob.State.RUNNING, job.attempts + 1
        job.heartbeat, job.progress, job.error = timezone.now(), 1, ""
        job.save(update_fields=["state", "attempts", "heartbeat", "progress", "error"])

    reported = {"percent": 0, "at": 0.0}
    # Celery's soft limit is a signal raised wherever the task happens to be, and library code
    # that catches every exception (WeasyPrint fetching a font) can swallow it: checked here too,
    # between files, so that a long export stops with its reason all the same.
    deadline = time.monotonic() + settings.EXPORT_TASK_SOFT_TIME_LIMIT

    def progress(percent: int, done: int = 0, total: int = 0) -> None:
        if time.monotonic() > deadline:
            raise SoftTimeLimitExceeded()
        # one UPDATE per percent or per second at most: a city has thousands of files
        now = time.monotonic()
        if percent - reported["percent"] < 1 and now - reported["at"] < 1:
            return
        reported.update(percent=percent, at=now)
        ExportJob.objects.filter(pk=job.pk).update(
            progress=min(percent, 99),
            files_done=done,
            files_total=total,
            heartbeat=timezone.now(),
        )

    try:
        files = export_plan(job)
        if not files:
            return _fail(job, "所选范围内没有可导出的表格（例如尚无绩效自评）。")
        progress(5, 0, len(files))
        fingerprint = _fingerprint(job, files)
        earlier = (
            ExportJob.objects.filter(
                fingerprint=fingerprint, state=ExportJob.State.DONE, expires_at__gt=timezone.now()
            )
            .exclude(pk=job.pk)
            .exclude(file="")
            .order_by("-finished_at")
            .first()
        )
        if earlier is not None and earlier.file.storage.exists(earlier.file.name):
            name, size = earlier.file.name, earlier.file_size
            filename = _filename(job, files, name.rsplit(".", 1)[-1])
        elif _split(job, files):
            _start_parts(job, files, fingerprint)
            job.refresh_from_db()
            return job  # the parts render it; the last one to finish has it assembled
        else:
            content, ext = render_files(files, job.format, progress)
            filename, size = _filename(job, files, ext), len(content)
            storage = ExportJob._meta.get_field("file").storage
            name = storage.save(f"exports/{job.pk}-{job.attempts}.{ext}", ContentFile(content))
        _done(job, name, filename, size, fingerprint, len(files))
    except TRANSIENT:
        raise  # the task retries; the sweep catches a job whose retries ran out
    except SoftTimeLimitExceeded:
        return _fail(job, _time_limit_reason())
    except Exception as error:  # noqa: BLE001  (any other failure is reported, not retried)
        log.exception("export %s failed", job.pk)
        return _fail(job, _failure_reason(error))
    job.refresh_from_db()
    return job


def _done(job: ExportJob, name: str, filename: str, size: int, fingerprint: str, total: int):
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.DONE,
        progress=100,
        files_done=total,
        files_total=total,
        file=name,
        filename=filename,
        file_size=size,
        fingerprint=fingerprint,
        finished_at=timezone.now(),
        heartbeat=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(hours=settings.EXPORT_TTL_HOURS),
    )
    _remove_attempt_files(job, keep=name)


# --------------------------------------------------------------------------------------------
# A city's PDFs across workers
#
# A PDF export of several departments and at least EXPORT_PDF_PARTS_MIN_FILES files (a city's
# 3,000 tables take ~9 minutes on one worker) is rendered as a Celery group: one part per
# department, each a task any exports worker takes, storing its files as a ZIP of its own. The
# job counts the parts done (under a lock on its row); the part that completes the count queues
# the assembly, which joins the parts' entries in order into the one ZIP the job downloads, as
# one task would have built it. The join is kept in the job's row rather than a Celery chord:
# the site runs without a result backend, and the row survives a restart of Redis.
#
# Nothing stays 生成中: a part that fails (an error, its soft time limit) fails the job with the
# reason, and the other parts then stop; a part whose worker is killed is delivered again
# (acks_late); a job whose parts stopped reporting is found stale by the sweep and run again
# from the start (a new attempt: the earlier attempt's parts find they are not current and stop)
# or failed after MAX_ATTEMPTS. Small exports stay one task (fewer files than the parts' cost).
# --------------------------------------------------------------------------------------------


def _split(job: ExportJob, files: list[ExportFile]) -> bool:
    if job.format != ExportJob.Format.PDF or len(files) < settings.EXPORT_PDF_PARTS_MIN_FILES:
        return False
    if tasks.run_export.app.conf.task_always_eager:
        return False  # one process either way: nothing to share
    return len({item.path.split("/", 1)[0] for item in files}) > 1


def _part_name(job_id: int, attempt: int, part: int) -> str:
    return f"exports/parts/{job_id}-{attempt}-{part}.zip"


def _start_parts(job: ExportJob, files: list[ExportFile], fingerprint: str) -> None:
    """Queue one part per department (in the ZIP's order) with the names its files take."""
    from celery import group

    folders = {
        filenames.folder_name(d.code, d.name): d.id
        for d in Department.objects.filter(pk__in=job.department_ids)
    }
    names = filenames.unique([f"{item.path}.{job.format}" for item in files])
    parts: list[tuple[int, list[str]]] = []
    for item, name in zip(files, names, strict=True):
        department_id = folders[item.path.split("/", 1)[0]]
        if not parts or parts[-1][0] != department_id:
            parts.append((department_id, []))
        parts[-1][1].append(name)
    ExportJob.objects.filter(pk=job.pk).update(
        parts_total=len(parts),
        parts_done=[],
        files_done=0,
        files_total=len(files),
        progress=10,
        fingerprint=fingerprint,
        filename=_filename(job, files, "zip"),
        heartbeat=timezone.now(),
    )
    group(
        tasks.render_export_part.s(job.pk, job.attempts, index, department_id, part_names)
        for index, (department_id, part_names) in enumerate(parts)
    ).apply_async()


def _current(job_id: int, attempt: int) -> ExportJob | None:
    """The job, if this attempt of it is still running (else its part has nothing to do)."""
    return ExportJob.objects.filter(
        pk=job_id, attempts=attempt, state=ExportJob.State.RUNNING
    ).first()


@few_collections()
def export_part_run(
    *, job_id: int, attempt: int, part: int, department_id: int, names: list[str]
) -> str:
    """Render one department's files of a split PDF export into a ZIP of the part's own."""
    job = _current(job_id, attempt)
    if job is None:
        return "stale"
    try:
        files = plan.files_for(job.kind, job.year, {department_id}, set(job.project_ids))
        if len(files) != len(names):
            raise RuntimeError(f"part {part}: {len(files)} files planned, {len(names)} expected")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for item, name in zip(files, names, strict=True):
                archive.writestr(name, render_file(item.tables, job.format))
                # per file: the job's count and heartbeat, the percent of all parts' files
                done = F("files_done") + 1
                ExportJob.objects.filter(pk=job.pk, attempts=attempt).update(
                    files_done=done,
                    progress=Least(Value(99), 10 + done * 85 / Greatest(F("files_total"), 1)),
                    heartbeat=timezone.now(),
                )
        storage = ExportJob._meta.get_field("file").storage
        name = _part_name(job.pk, attempt, part)
        if storage.exists(name):  # a second delivery of this part: the first may be cut short
            storage.delete(name)
        storage.save(name, ContentFile(buffer.getvalue()))
    except TRANSIENT:
        raise
    except SoftTimeLimitExceeded:
        _fail_parts(job, attempt, _time_limit_reason())
        return "failed"
    except Exception as error:  # noqa: BLE001  (the job fails with the reason; never stuck)
        log.exception("export %s part %s failed", job.pk, part)
        _fail_parts(job, attempt, _failure_reason(error))
        return "failed"
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.attempts != attempt or locked.state != ExportJob.State.RUNNING:
            return "stale"
        if part not in locked.parts_done:
            locked.parts_done = sorted([*locked.parts_done, part])
            locked.save(update_fields=["parts_done"])
            if len(locked.parts_done) == locked.parts_total:
                transaction.on_commit(lambda: tasks.assemble_export.delay(job.pk, attempt))
    return "done"


def export_assemble(*, job_id: int, attempt: int) -> ExportJob | None:
    """Join the parts' ZIPs, in order, into the job's one ZIP; the job is done."""
    job = _current(job_id, attempt)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()
    storage = ExportJob._meta.get_field("file").storage
    try:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for part in range(job.parts_total):
                name = _part_name(job.pk, attempt, part)
                with storage.open(name, "rb") as stored, zipfile.ZipFile(stored) as piece:
                    for entry in piece.infolist():
                        archive.writestr(entry.filename, piece.read(entry))
        content = buffer.getvalue()
        name = storage.save(f"exports/{job.pk}-{attempt}.zip", ContentFile(content))
        _done(job, name, job.filename, len(content), job.fingerprint, job.files_total)
    except TRANSIENT:
        raise
    except SoftTimeLimitExceeded:
        return _fail(job, _time_limit_reason())
    except Exception as error:  # noqa: BLE001
        log.exception("export %s: assembling the parts failed", job.pk)
        return _fail(job, _failure_reason(error))
    _remove_parts(job.pk, attempt, job.parts_total)
    job.refresh_from_db()
    return job


def _fail_parts(job: ExportJob, attempt: int, reason: str) -> None:
    if _current(job.pk, attempt) is not None:
        _fail(job, reason)
        _remove_parts(job.pk, attempt, job.parts_total)


def _remove_parts(job_id: int, attempt: int, total: int) -> None:
    storage = ExportJob._meta.get_field("file").storage
    for part in range(total):
        name = _part_name(job_id, attempt, part)
        if storage.exists(name):
            storage.delete(name)


def _time_limit_reason() -> str:
    shown = duration(settings.EXPORT_TASK_SOFT_TIME_LIMIT)
    return (
        f"导出超过时限（{shown}）已停止。请缩小范围（例如按单位分别导出）后重试，或联系系统管理员。"
    )


def _failure_reason(error: Exception) -> str:
    return f"导出失败：{type(error).__name__}。请稍后重试，或联系系统管理员。"


def _fail(job: ExportJob, reason: str) -> ExportJob:
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.FAILED, error=reason, finished_at=timezone.now()
    )
    job.refresh_from_db()
    _remove_attempt_files(job)
    return job


def _remove_attempt_files(job: ExportJob, keep: str = "") -> None:
    """A worker killed between storing its file and recording it leaves the file behind: once
    the job is finished, remove what earlier attempts stored that no job refers to."""
    storage = ExportJob._meta.get_field("file").storage
    for attempt in range(1, job.attempts + 1):
        _remove_parts(job.pk, attempt, job.parts_total)
        for ext in ("xlsx", "pdf", "zip"):
            name = f"exports/{job.pk}-{attempt}.{ext}"
            if name == keep or not storage.exists(name):
                continue
            if not ExportJob.objects.filter(file=name).exists():
                storage.delete(name)


def export_sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Run again (or fail) jobs whose worker stopped reporting; delete expired files."""
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0, "expired": 0}
    stale = ExportJob.objects.filter(state=ExportJob.State.RUNNING, heartbeat__lt=now - STALE_AFTER)
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            _fail(job, f"导出任务多次中断（已尝试{job.attempts}次），请重新申请导出。")
            counts["failed"] += 1
        else:
            with transaction.atomic():
                ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.QUEUED)
                enqueue(job)
            counts["requeued"] += 1
    expired = list(ExportJob.objects.filter(expires_at__lt=now).exclude(file=""))
    for job in expired:
        name = job.file.name
        ExportJob.objects.filter(pk=job.pk).update(file="", progress=0)
        still_used = ExportJob.objects.filter(file=name, expires_at__gte=now).exists()
        if not still_used:
            job.file.storage.delete(name)
        counts["expired"] += 1
    return counts


def can_download(user, job: ExportJob) -> bool:
    """Only users who may see every department in the file may download it."""
    visible = access_for(user).visible
    return visible is None or set(job.department_ids) <= visible
