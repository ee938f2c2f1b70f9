"""An import job always ends (issue 12): whatever a run raises fails the job with its reason, time
limits included; a second delivery of a task does nothing; the sweep queues again a job whose
worker stopped reporting and fails it after MAX_ATTEMPTS runs."""

import io
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from imports import services, tasks
from imports.models import ImportJob
from imports.services import MAX_ATTEMPTS, job_create, job_preview, job_sweep, stale_after
from tests.imports.conftest import snapshot, xlsx
from tests.report import covered

pytestmark = pytest.mark.django_db
HEADERS = ["单位编码", "单位名称", "上级单位编码"]
State = ImportJob.State


def new_job(rows=(["1", "甲", ""],)) -> ImportJob:
    return job_create(
        user=None,
        kind="departments",
        name="d.xlsx",
        data=xlsx(HEADERS, list(rows)),
        via="命令行",
        enqueue=False,
    )


def stuck(job: ImportJob, state: str, attempts: int, minutes_ago: float = 60) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, attempts=attempts, heartbeat=timezone.now() - timedelta(minutes=minutes_ago)
    )
    job.refresh_from_db()
    return job


def raising(exc):
    def fail(*args, **kwargs):
        raise exc

    return fail


def test_any_error_while_checking_fails_the_job_with_its_reason(monkeypatch):
    monkeypatch.setattr(services, "plan_file", raising(RuntimeError("boom")))
    job = new_job()
    job_preview(job.pk)
    job.refresh_from_db()
    assert job.state == State.FAILED and job.finished_at is not None
    assert "检查文件时发生错误（RuntimeError）" in job.message


def test_soft_time_limit_while_checking_fails_the_job(monkeypatch):
    monkeypatch.setattr(services, "plan_file", raising(SoftTimeLimitExceeded()))
    job = new_job()
    job_preview(job.pk)
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert "检查文件超过时限（10分钟）已停止" in job.message


def test_soft_time_limit_while_importing_writes_nothing(monkeypatch):
    from imports.kinds import KINDS

    job = new_job()
    job_preview(job.pk)
    before = snapshot()
    monkeypatch.setattr(KINDS["departments"], "write", raising(SoftTimeLimitExceeded()))
    ImportJob.objects.filter(pk=job.pk).update(state=State.IMPORTING)
    services.job_commit(job.pk)
    job.refresh_from_db()
    assert job.state == State.FAILED and "导入超过时限" in job.message
    assert snapshot() == before


def test_a_second_delivery_of_a_task_does_nothing():
    job = new_job()
    assert job_preview(job.pk).state == State.READY
    assert job_preview(job.pk) is None  # the message delivered again: the job is not queued
    job.refresh_from_db()
    assert job.state == State.READY and job.attempts == 1


def test_sweep_requeues_a_stale_job_then_fails_it_after_the_last_attempt(
    django_capture_on_commit_callbacks,
):
    job = stuck(new_job(), State.PREVIEWING, attempts=1)
    fresh = stuck(new_job([["2", "乙", ""]]), State.PREVIEWING, attempts=1, minutes_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_sweep() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert job.state == State.READY and job.attempts == 2  # run again (eagerly) to the end
    fresh.refresh_from_db()
    assert fresh.state == State.PREVIEWING  # still reporting: left alone

    job = stuck(job, State.PREVIEWING, attempts=MAX_ATTEMPTS)
    assert job_sweep() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.state == State.FAILED and job.finished_at is not None
    assert f"检查任务多次中断（已尝试{MAX_ATTEMPTS}次）" in job.message
    covered("导入：检查中的任务停止汇报进度 → 清扫重新排队并完成；第3次仍中断 → 已失败（附原因）")


def test_sweep_finishes_a_confirmed_import_whose_worker_died(django_capture_on_commit_callbacks):
    job = new_job()
    job_preview(job.pk)
    job = stuck(job, State.IMPORTING, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert job_sweep()["requeued"] == 1
    job.refresh_from_db()
    assert job.state == State.DONE and job.attempts == 2 and job.counts["new"] == 1
    job = stuck(job, State.IMPORTING, attempts=MAX_ATTEMPTS)
    assert job_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.state == State.FAILED and "导入任务多次中断" in job.message


def test_sweep_queues_again_a_job_whose_message_was_lost(django_capture_on_commit_callbacks):
    """Queued long ago and never run (or stuck before this field existed: no heartbeat)."""
    job = new_job()
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat=None, created_at=timezone.now() - stale_after() * 2
    )
    with django_capture_on_commit_callbacks(execute=True):
        out = io.StringIO()
        call_command("cleanup_imports", stdout=out)
    assert "重新排队 1 个，标记失败 0 个" in out.getvalue()
    job.refresh_from_db()
    assert job.state == State.READY


def test_time_limits_and_sweep_are_configured():
    assert stale_after() > timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT)
    assert settings.IMPORT_TASK_SOFT_TIME_LIMIT < settings.IMPORT_TASK_TIME_LIMIT
    for task in (tasks.import_preview, tasks.import_commit):
        assert task.soft_time_limit == settings.IMPORT_TASK_SOFT_TIME_LIMIT
        assert task.time_limit == settings.IMPORT_TASK_TIME_LIMIT
    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-imports"]
    assert schedule["task"] == "imports.tasks.sweep_imports" and schedule["schedule"] <= 300


@pytest.mark.django_db(transaction=True)
def test_a_second_delivery_waits_for_the_running_import_then_does_nothing():
    """Two connections on PostgreSQL: while one run holds the job (mid-write), a second delivery
    of the same task waits, then finds it finished and writes nothing."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("跳过：需要 PostgreSQL（两个连接之间的行锁）")
    job = new_job()
    job_preview(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=State.IMPORTING)
    result = {}

    def second_delivery():
        try:
            result["job"] = services.job_commit(job.pk)
        finally:
            connection.close()

    with transaction.atomic():
        ImportJob.objects.select_for_update().get(pk=job.pk)  # the first run, mid-write
        thread = threading.Thread(target=second_delivery)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waiting on the first run
        ImportJob.objects.filter(pk=job.pk).update(state=State.DONE)
    thread.join(timeout=30)
    assert result["job"] is None
    assert snapshot()["Department"] == []  # the second delivery wrote nothing
