"""Import tasks in a real Celery worker (Redis broker, PostgreSQL): a task that runs past its
time limit is stopped and its job does not stay 检查中. Skipped with the reason where no broker or
no PostgreSQL is configured; a failure instead when REQUIRE_WORKER=1 (CI).

To make a task run "too long" deterministically, the test holds an exclusive lock on the table
of departments once the worker has claimed the job: the worker's check of the file waits on it
for as long as the test likes, well past the tiny limits the worker is started with."""

import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from imports.models import ImportJob
from imports.services import job_create, job_sweep, stale_after
from tests.imports.conftest import xlsx
from tests.report import covered

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HEADERS = ["单位编码", "单位名称", "上级单位编码"]


@pytest.fixture
def limited_worker(workers):
    """A prefork worker (time limits need prefork) with import time limits of 1 s (soft) and
    4 s (hard)."""
    return workers("prefork", IMPORT_TASK_SOFT_TIME_LIMIT="1", IMPORT_TASK_TIME_LIMIT="4")


def _wait_for(job: ImportJob, states: set[str], seconds: float = 60) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds}s")


def test_an_import_task_past_its_time_limit_is_stopped_and_its_job_ends(limited_worker, admin_user):
    from imports.tasks import import_preview

    data = xlsx(HEADERS, [["1", "甲", ""]])
    job = job_create(user=admin_user, kind="departments", name="d.xlsx", data=data, enqueue=False)
    started = time.monotonic()
    with transaction.atomic():
        # the check reads departments: it waits here for as long as the lock is held
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE budgets_department IN ACCESS EXCLUSIVE MODE")
        # the limits travel with the message (the sender's task options win over the worker's)
        import_preview.apply_async((job.pk,), soft_time_limit=1, time_limit=4)
        _wait_for(job, {"previewing"})  # claimed (its own transaction), now waiting
        time.sleep(6)  # past the hard limit (4 s): the pool process is killed if still there
    job.refresh_from_db()
    elapsed = time.monotonic() - started
    # a task waiting in the database does not see the soft limit (no Python code runs to raise
    # it): the hard limit kills the pool process and the job is left to the sweep
    if job.state == "previewing":
        later = timezone.now() + stale_after() + timedelta(minutes=1)
        assert job_sweep(now=later)["requeued"] == 1
        job = _wait_for(job, {"ready", "failed", "invalid"})
        how = "硬时限终止，清扫后重新执行完成"
        assert job.state == "ready" and job.attempts == 2, job.message
    else:
        job = _wait_for(job, {"failed", "ready", "invalid"})
        assert job.state == "failed" and "超过时限（1秒）" in job.message, job.message
        how = "软时限停止，任务标记为已失败并给出原因"
    covered(f"Celery：导入任务超过时限（软 1 s / 硬 4 s）→ {how}（被阻塞 {elapsed:.1f} s）")


def test_an_import_task_past_its_soft_limit_fails_its_job_with_the_reason(
    limited_worker, admin_user
):
    """Busy in Python (checking 150,000 rows) when the soft limit comes: the task stops at once
    and the job is 已失败 with the reason, no sweep needed."""
    from imports.tasks import import_preview
    from tests.imports.conftest import csv_bytes

    rows = [[f"X{n:06d}", f"单位{n}", ""] for n in range(150_000)]
    data = csv_bytes(HEADERS, rows)
    job = job_create(user=admin_user, kind="departments", name="d.csv", data=data, enqueue=False)
    started = time.monotonic()
    import_preview.apply_async((job.pk,), soft_time_limit=0.2, time_limit=30)
    job = _wait_for(job, {"failed", "ready", "invalid"})
    assert job.state == "failed" and "检查文件超过时限" in job.message, job.message
    assert job.attempts == 1
    covered(
        f"Celery：导入任务超过软时限（0.2 s）→ 已失败并给出原因，"
        f"用时 {time.monotonic() - started:.1f} s（含排队）"
    )
