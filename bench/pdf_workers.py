"""The PDF figure of `make bench` with real workers: the same PDF export (the project tables of
the city's first departments) built by 1, then 2 Celery worker processes (Redis broker, the
bench's own queues), each export split into a part per department (reporting/exports.py).
Needs a Redis CELERY_BROKER_URL; the workers share the bench's database (PostgreSQL, or the
SQLite file)."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = 6  # 60 tables at full scale: ~12 s of PDF on one idle worker here


def _database_url() -> str:
    from bench.imports_bench import _database_url

    return _database_url()


def _start(count: int, prefix: str, media: str) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE_PREFIX": prefix,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EXPORT_PDF_PARTS_MIN_FILES": "2",
        "MEDIA_ROOT": media,
        "DEBUG": "0",
    }
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                prefix + "exports",
                f"--hostname={prefix}{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _ready(app, prefix: str, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answers = app.control.ping(timeout=0.5) or []
        if sum(1 for a in answers for name in a if name.startswith(prefix)) >= count:
            return
    raise RuntimeError(f"{count} bench workers did not start")


def _export(app, user, year, department_ids, prefix: str, count: int) -> tuple[float, int, int]:
    from reporting import exports
    from reporting.models import ExportJob

    with tempfile.TemporaryDirectory() as media:
        workers = _start(count, prefix, media)
        try:
            _ready(app, prefix, count)
            start = time.perf_counter()
            job = exports.export_request(
                user=user,
                kind="project-self-evaluation",
                fmt="pdf",
                year=year,
                department_ids=department_ids,
            )
            while True:
                job.refresh_from_db()
                if job.state in ("done", "failed"):
                    break
                if time.monotonic() - start > 1800:
                    raise RuntimeError("the PDF export did not end in 30 minutes")
                time.sleep(0.2)
            seconds = time.perf_counter() - start
        finally:
            _stop(workers)
        if job.state != "done":
            raise RuntimeError(f"the PDF export failed: {job.error}")
        result = (seconds, job.files_total, job.parts_total)
        ExportJob.objects.filter(pk=job.pk).delete()  # the next run must not reuse its file
    return result


def pdf_worker_figures(city) -> list[tuple[str, str, str, str]]:
    from django.contrib.auth import get_user_model

    from budgets.models import Department
    from config.celery import app

    label = "the city's first departments' 项目支出绩效自评表 as PDF, split across real workers"
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        return [(label, "not measured", "needs a Redis CELERY_BROKER_URL", "")]
    user, _ = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True}
    )
    departments = list(
        Department.objects.filter(code__startswith="B", projects__year=city.year)
        .distinct()
        .order_by("code")
        .values_list("pk", flat=True)[:DEPARTMENTS]
    )
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    saved = {k: app.conf[k] for k in ("task_always_eager", "task_default_queue", "task_routes")}
    app.conf.update(
        task_always_eager=False,
        task_default_queue=prefix + "default",
        task_routes={
            task: {"queue": prefix + route["queue"].removeprefix(settings.CELERY_QUEUE_PREFIX)}
            for task, route in settings.CELERY_TASK_ROUTES.items()
        },
    )
    connection.close()  # the workers write to the same database (SQLite: not while we hold it)
    try:
        one, files, parts = _export(app, user, city.year, departments, prefix, 1)
        two, _, _ = _export(app, user, city.year, departments, prefix, 2)
    except RuntimeError as error:  # reported in its row; the other figures still count
        return [(label, "not measured", str(error)[:200], "")]
    finally:
        app.conf.update(saved)
    return [
        (
            label,
            f"1 worker {one:.1f} s, 2 workers {two:.1f} s",
            f"{files} tables of {len(departments)} departments, {parts} parts; worker start-up"
            " not counted",
            f"{two / one:.2f}× of one worker's time (target ≤ 0.6×)",
        )
    ]
