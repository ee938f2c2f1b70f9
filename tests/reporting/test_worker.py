"""Exports through a real Redis broker and real Celery worker processes, killed mid-export.

Runs where CELERY_BROKER_URL points at Redis and the database is PostgreSQL (CI sets both); the
worker is a separate process, so it needs a database it can share. Skipped with the reason
otherwise, and a failure instead of a skip when REQUIRE_WORKER=1.

A worker can die two ways mid-export, and neither leaves the job stuck:
- the pool process running the task dies (OOM killer, SIGKILL): the worker sees it lost, and with
  acks_late + reject_on_worker_lost the message goes back to the queue; the next pool process
  runs the job again (attempt 2) and finishes it;
- the whole worker dies: its unacknowledged message comes back only after the broker's visibility
  timeout (an hour), so the sweep (beat, every 5 minutes) finds the job's heartbeat stale after
  10 minutes and queues it again, or marks it failed after 3 attempts. A late redelivery of the
  old message then finds the job finished and does nothing (export_run is idempotent).

To kill a worker *mid*-export deterministically, the test holds a row lock on the job once the
worker has marked it running: the worker's next write to the job (a progress update, or the final
"done") waits on the lock, so it cannot finish before the kill.
"""

import io
import os
import signal
import subprocess
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from budgets.models import FiscalYear
from reporting import exports
from reporting.exports import STALE_AFTER
from reporting.models import ExportJob
from tests.factories import UserFactory
from tests.report import covered

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(workers):
    return workers()


def wait_for(job: ExportJob, states: set[str], seconds: float = 90, step: float = 0.2):
    """Wait (bounded) for the worker to move the job into one of `states`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(step)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds}s")


def output_of(process: subprocess.Popen) -> str:
    if process.poll() is None:
        return ""
    return process.stdout.read().decode(errors="replace")[-4000:]


def test_export_runs_in_a_real_worker(worker, django_capture_on_commit_callbacks):
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    job = exports.export_request(user=admin, kind="project-self-evaluation", fmt="xlsx", year=year)
    job = wait_for(job, {"done", "failed"})
    output = worker.stdout.read1(65536).decode(errors="replace") if job.state != "done" else ""
    assert job.state == "done", f"{job.error} {output}"
    assert job.progress == 100 and job.attempts == 1
    names = zipfile.ZipFile(job.file.open("rb")).namelist()
    assert len(names) == 3 and all(n.endswith(".xlsx") for n in names)
    assert (job.files_done, job.files_total) == (3, 3)  # what 我的导出 shows as 3/3 个文件
    assert job.filename == "2021_全部单位_项目支出绩效自评表.zip"
    assert all(n.split("/")[-1].startswith("2021_") for n in names)
    assert settings.MEDIA_ROOT


# --------------------------------------------------------------------------------------------
# Killed mid-export
# --------------------------------------------------------------------------------------------


def _slow_export() -> ExportJob:
    """Every table of every department as PDF: seconds of work, time enough to be caught."""
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    return exports.export_request(user=admin, kind="bundle", fmt="pdf", year=year)


def _kill_mid_export(job: ExportJob, victim_pid) -> None:
    """Once the worker runs the job, hold the job's row so that the worker cannot record more
    progress or finish, SIGKILL the process running it, then let go."""
    wait_for(job, {"running", "done", "failed"}, step=0.02)
    with transaction.atomic():
        held = ExportJob.objects.select_for_update().get(pk=job.pk)
        assert held.state == "running", f"the export ended ({held.state}) before it was caught"
        pid = victim_pid()
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
    job.refresh_from_db()
    assert job.state == "running" and job.attempts == 1 and not job.file


def _wait_gone(pid: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        # gone, or a zombie (state Z) waiting for its parent
        if not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} survived SIGKILL")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _one_file(job: ExportJob) -> None:
    names = zipfile.ZipFile(job.file.open("rb")).namelist()
    assert names and all(n.endswith(".pdf") for n in names)
    stored = list((Path(settings.MEDIA_ROOT) / "exports").iterdir())
    assert [p.name for p in stored] == [Path(job.file.name).name], stored


def test_pool_process_killed_mid_export_is_redelivered_and_finished(workers):
    """prefork: the pool process dies; acks_late + reject_on_worker_lost put the message back and
    the worker's next pool process runs the job again to the end."""
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    worker = workers("prefork")
    job = _slow_export()

    def pool_process() -> int:
        children = _children(worker.pid)
        assert len(children) == 1, children
        return children[0]

    _kill_mid_export(job, pool_process)
    job = wait_for(job, {"done", "failed"}, seconds=120)
    assert job.state == "done", f"{job.error} {output_of(worker)}"
    assert job.attempts == 2 and job.progress == 100
    _one_file(job)
    covered("Celery：执行导出的子进程被 SIGKILL，消息重新投递，同一任务第 2 次执行完成")


def test_worker_killed_mid_export_is_finished_by_the_sweep(workers):
    """The whole worker dies: the sweep finds the stale job, queues it again, and a new worker
    finishes it. With attempts used up, the sweep marks it failed instead: never stuck."""
    first = workers("solo")
    job = _slow_export()
    _kill_mid_export(job, lambda: first.pid)
    assert first.wait(timeout=20) == -signal.SIGKILL
    # not yet stale: the sweep leaves a running job alone
    assert exports.export_sweep()["requeued"] == 0
    later = timezone.now() + STALE_AFTER + timedelta(minutes=1)
    assert exports.export_sweep(now=later)["requeued"] == 1
    job.refresh_from_db()
    assert job.state == "queued"
    second = workers("solo")
    job = wait_for(job, {"done", "failed"}, seconds=120)
    assert job.state == "done", f"{job.error} {output_of(second)}"
    assert job.attempts == 2 and job.progress == 100
    _one_file(job)
    # a late redelivery of the killed worker's message changes nothing
    assert exports.export_run(job_id=job.pk).attempts == 2

    # the same death on the last attempt: failed, with a reason, not stuck
    ExportJob.objects.filter(pk=job.pk).update(
        state="running", attempts=3, heartbeat=timezone.now() - STALE_AFTER * 2
    )
    assert exports.export_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.state == "failed" and "多次中断" in job.error
    covered("Celery：整个工作进程被 SIGKILL，巡检重新排队后由新进程完成；次数用尽则标记失败")


def test_a_pdf_export_split_across_two_workers_makes_one_complete_zip(workers):
    """Two worker processes share one PDF export, a part per department (issue 18): the ZIP
    holds every file, named and ordered as one task would have made it, and nothing else."""
    from reporting import filenames
    from reporting.tables import plan

    for _ in range(2):
        workers("solo", EXPORT_PDF_PARTS_MIN_FILES="2")
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    job = exports.export_request(user=admin, kind="project-self-evaluation", fmt="pdf", year=year)
    job = wait_for(job, {"done", "failed"})
    assert job.state == "done", job.error
    assert job.parts_total > 1 and len(job.parts_done) == job.parts_total
    assert (job.progress, job.files_done, job.files_total) == (100, 3, 3)
    files = plan.files_for(job.kind, year, set(job.department_ids), set())
    archive = zipfile.ZipFile(job.file.open("rb"))
    assert archive.namelist() == filenames.unique([f"{f.path}.pdf" for f in files])
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    stored = [p for p in (Path(settings.MEDIA_ROOT) / "exports").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [Path(job.file.name).name]
    covered("Celery：城市的 PDF 按单位分片，由两个工作进程分担，合并为一个完整的 ZIP")
