"""Export tasks and transient errors (eager Celery): a transient failure is retried and the
job finishes; failures that outlast the retries leave the job to the sweep, which fails it."""

import datetime
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from reporting import exports
from reporting.models import ExportJob
from reporting.tasks import run_export
from tests.report import covered

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_retries():
    """Eager Celery re-runs a retried task in place only when it does not propagate errors
    (the suite's default propagates them, so that failures surface in tests)."""
    from config.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


def _job(clerk, year) -> ExportJob:
    # created without enqueuing: each test runs the task itself
    return ExportJob.objects.create(
        created_by=clerk,
        year=year,
        kind=ExportJob.Kind.PROJECT,
        format=ExportJob.Format.XLSX,
        department_ids=[clerk.memberships.get().department_id],
    )


def test_transient_error_is_retried_then_done(evaluation, clerk, open_year):
    job = _job(clerk, open_year)
    real_plan = exports.export_plan
    calls = []

    def flaky(job):
        calls.append(job.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_plan(job)

    with mock.patch.object(exports, "export_plan", side_effect=flaky):
        result = run_export.delay(job.pk)
    assert result.state == "SUCCESS" and result.result == "done"
    job.refresh_from_db()
    assert len(calls) == 2  # the task ran again
    assert job.state == ExportJob.State.DONE and job.attempts == 2 and job.file
    assert job.error == ""
    covered("Celery：瞬时错误（数据库连接中断）自动重试，第 2 次完成")


def test_retries_exhausted_then_the_sweep_fails_the_job(evaluation, clerk, open_year):
    job = _job(clerk, open_year)
    down = OperationalError("could not connect to server")
    with mock.patch.object(exports, "export_plan", side_effect=down):
        result = run_export.delay(job.pk)
    assert result.state == "FAILURE" and isinstance(result.result, OperationalError)
    job.refresh_from_db()
    assert job.attempts == run_export.max_retries + 1
    assert job.state == ExportJob.State.RUNNING  # no worker reports on it any more
    later = timezone.now() + exports.STALE_AFTER + datetime.timedelta(minutes=1)
    assert exports.export_sweep(now=later)["failed"] == 1
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and "多次中断" in job.error


def test_other_errors_fail_at_once_with_a_reason(evaluation, clerk, open_year):
    job = _job(clerk, open_year)
    with mock.patch.object(exports, "export_plan", side_effect=ValueError("bad cell")):
        run_export.delay(job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and job.attempts == 1
    assert job.error.startswith("导出失败：ValueError")


def test_job_enqueued_in_a_rolled_back_transaction_is_never_sent(
    clerk, open_year, django_capture_on_commit_callbacks
):
    """The task is handed to Celery only on commit: a rollback sends nothing (not even a message
    for a job id that no longer exists); a commit sends exactly one."""
    from django.db import transaction

    with mock.patch.object(run_export, "delay") as send:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            exports.export_request(
                user=clerk, kind=ExportJob.Kind.PROJECT, fmt="xlsx", year=open_year
            )
            raise RuntimeError("rollback")
        assert not ExportJob.objects.exists() and callbacks == []
        send.assert_not_called()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            job = exports.export_request(
                user=clerk, kind=ExportJob.Kind.PROJECT, fmt="xlsx", year=open_year
            )
        send.assert_called_once_with(job.pk)
