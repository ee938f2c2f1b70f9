"""An export past its soft time limit fails its job with the reason in Chinese, at once (no
sweep), and leaves no file: in a real prefork worker (Celery's signal; skipped without Redis and
PostgreSQL, a failure with REQUIRE_WORKER=1), and in-process (the check between files, for a
signal that library code swallowed)."""

import io
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from budgets.models import FiscalYear
from reporting import exports
from reporting.models import ExportJob
from tests.factories import UserFactory
from tests.report import covered


def test_the_soft_limit_is_also_checked_between_files(db, settings):
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    settings.EXPORT_TASK_SOFT_TIME_LIMIT = 0  # past it at the first file
    job = exports.export_request(user=admin, kind="project-self-evaluation", fmt="xlsx", year=year)
    job = exports.export_run(job_id=job.pk)
    assert job.state == "failed" and job.error.startswith("导出超过时限（0秒）已停止"), job.error
    assert not job.file and job.progress < 100
    settings.EXPORT_TASK_SOFT_TIME_LIMIT = 600
    ExportJob.objects.filter(pk=job.pk).update(state="queued")
    assert exports.export_run(job_id=job.pk).state == "done"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_export_past_its_soft_limit_fails_its_job_with_the_reason(workers, monkeypatch):
    from reporting.tasks import run_export

    # the limits travel with the message (the sender's task options), the reason is the worker's
    # setting: deploy/ gives the web servers and the workers one environment file
    monkeypatch.setattr(run_export, "soft_time_limit", 1)
    monkeypatch.setattr(run_export, "time_limit", 20)
    workers("prefork", EXPORT_TASK_SOFT_TIME_LIMIT="1", EXPORT_TASK_TIME_LIMIT="20")
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    started = time.monotonic()
    # every table of every department as PDF: seconds of rendering in Python
    job = exports.export_request(user=admin, kind="bundle", fmt="pdf", year=year)
    deadline = time.monotonic() + 60
    while job.state not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    took = time.monotonic() - started
    assert job.state == "failed", job.state
    assert job.error.startswith("导出超过时限（1秒）已停止"), job.error
    assert job.attempts == 1 and not job.file
    stored = Path(settings.MEDIA_ROOT) / "exports"
    assert not stored.exists() or not list(stored.iterdir())
    covered(f"Celery：导出超过软时限（1 s）→ 已失败并给出原因，用时 {took:.1f} s（含排队）")
