"""An export through a real Redis broker and a real Celery worker process.

Runs where CELERY_BROKER_URL points at Redis and the database is PostgreSQL (CI sets both); the
worker is a separate process, so it needs a database it can share. Skipped with the reason
otherwise, and a failure instead of a skip when REQUIRE_WORKER=1.
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from budgets.models import FiscalYear
from evaluations import services
from evaluations.models import ExportJob
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def need_worker_setup() -> None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    problem = None
    if not broker.startswith("redis://"):
        problem = "CELERY_BROKER_URL 未指向 Redis"
    elif connection.vendor != "postgresql":
        problem = "需要 PostgreSQL 测试库（工作进程与测试共用数据库）"
    if problem:
        if os.environ.get("REQUIRE_WORKER") == "1":
            pytest.fail(f"REQUIRE_WORKER=1 但{problem}")
        pytest.skip(f"跳过真实 Celery 工作进程测试：{problem}")


@pytest.fixture
def worker(settings, tmp_path):
    """A Celery worker process on its own queue, against the test database."""
    need_worker_setup()
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    yield process
    app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(job: ExportJob, states: set[str], seconds: float = 90) -> ExportJob:
    """Wait (bounded) for the worker to move the job into one of `states`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds}s")


def test_export_runs_in_a_real_worker(worker, django_capture_on_commit_callbacks):
    call_command("load_demo", stdout=io.StringIO())
    admin = UserFactory(username="root", is_superuser=True)
    year = FiscalYear.objects.get(year=2021)
    job = services.export_request(user=admin, kind="project-self-evaluation", fmt="xlsx", year=year)
    job = wait_for(job, {"done", "failed"})
    output = worker.stdout.read1(65536).decode(errors="replace") if job.state != "done" else ""
    assert job.state == "done", f"{job.error} {output}"
    assert job.progress == 100 and job.attempts == 1
    names = zipfile.ZipFile(job.file.open("rb")).namelist()
    assert len(names) == 3 and all(n.endswith(".xlsx") for n in names)
    assert settings.MEDIA_ROOT
