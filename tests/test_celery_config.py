"""Celery across machines: every task routed to its queue in one place, every task under time
limits, eager mode without a broker; then real workers on Redis: a worker given one queue takes
only that queue's tasks, and `manage.py health` reports which queues have a live worker."""

import json
import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings

from config.celery import app
from tests.report import covered

OUR_APPS = ("core.", "budgets.", "evaluations.", "reporting.", "imports.", "demo.")


def our_tasks() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith(OUR_APPS)}


def test_every_task_is_routed_to_one_of_the_three_queues():
    tasks = our_tasks()
    assert len(tasks) >= 6, sorted(tasks)
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert queues == {settings.CELERY_QUEUE_PREFIX + q for q in ("imports", "exports", "default")}
    assert set(settings.CELERY_TASK_ROUTES) == set(tasks), "a task without a route, or a stale one"
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} == queues
    assert settings.CELERY_TASK_ROUTES["reporting.tasks.run_export"]["queue"].endswith("exports")
    assert settings.CELERY_TASK_ROUTES["imports.tasks.import_commit"]["queue"].endswith("imports")


def test_every_task_has_a_soft_and_a_hard_time_limit():
    for name, task in our_tasks().items():
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and 0 < soft < hard, (name, soft, hard)
    assert our_tasks()["reporting.tasks.run_export"].soft_time_limit == (
        settings.EXPORT_TASK_SOFT_TIME_LIMIT
    )
    assert our_tasks()["evaluations.tasks.recompute_year"].time_limit == (
        settings.RECOMPUTE_TASK_TIME_LIMIT
    )
    # long tasks: one message at a time, acknowledged when done
    assert app.conf.worker_prefetch_multiplier == 1 and app.conf.task_acks_late


def test_without_a_broker_tasks_run_eagerly_as_before():
    """`make run` sets nothing: no broker, tasks in-process, the same queues and routes."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from config.celery import app;"
        "print(app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_URL"))}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == ["memory://", "True", "default"], out.stderr[-2000:]


# --------------------------------------------------------------------------------------------
# Real workers
# --------------------------------------------------------------------------------------------


def health(workers, *args: str) -> tuple[int, dict, float]:
    """`manage.py health --json` in its own process, on the test's queues and database."""
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "manage.py", "health", "--json", *args],
        cwd=settings.BASE_DIR,
        env=workers.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout, out.stderr[-2000:]
    return out.returncode, json.loads(out.stdout), time.monotonic() - started


def live(report: dict) -> dict[str, bool]:
    return {
        c["name"].split(":", 1)[1]: c["ok"]
        for c in report["checks"]
        if c["name"].startswith("queue:")
    }


def wait_live(workers, queues: set[str], seconds: float = 60) -> tuple[int, dict, float]:
    deadline = time.monotonic() + seconds
    while True:
        code, report, took = health(workers)
        up = {name for name, ok in live(report).items() if ok}
        if {workers.prefix + q for q in queues} <= up or time.monotonic() > deadline:
            return code, report, took


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_health_reports_the_live_queues_and_a_worker_takes_only_its_queue(workers, admin_user):
    from budgets.models import FiscalYear
    from imports.services import job_create
    from reporting import exports
    from reporting.models import ExportJob
    from tests.factories import DepartmentFactory, year_create
    from tests.imports.conftest import xlsx

    # no worker yet: broker reachable, every queue missing, exit 1
    code, report, took = health(workers)
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and not report["ok"]
    assert checks["database"]["ok"] and checks["broker"]["ok"] and checks["storage"]["ok"]
    assert live(report) == {workers.prefix + q: False for q in settings.QUEUES}

    # a worker on `imports` only: health says imports live, the two others missing
    imports_worker = workers("solo", queues=("imports",))
    code, report, took = wait_live(workers, {"imports"})
    p = workers.prefix
    assert live(report) == {p + "imports": True, p + "exports": False, p + "default": False}
    assert code == 1
    covered(
        f"Celery：health 只见 imports 队列有工作进程，exports/default 报缺（退出码 1，"
        f"{took:.1f} s，其中等待应答 {report['ms'] / 1000:.1f} s）"
    )

    # routing: an export and an import sent together; the imports worker takes the import only
    year = year_create(2025)
    DepartmentFactory(code="100", name="市财政局")
    export = exports.export_request(
        user=admin_user, kind="summary", fmt="xlsx", year=FiscalYear.objects.get(pk=year.pk)
    )
    job = job_create(
        user=admin_user, kind="departments", name="d.xlsx", data=xlsx(["单位编码", "单位名称"], [])
    )
    deadline = time.monotonic() + 60
    while job.state in ("queued", "previewing") and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.state in ("ready", "invalid", "failed"), job.state
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    time.sleep(1)  # an exports message wrongly taken would have started by now
    export.refresh_from_db()
    assert export.state == "queued" and export.attempts == 0
    assert broker.llen(p + "exports") == 1 and broker.llen(p + "imports") == 0
    assert imports_worker.poll() is None

    # a second worker for the rest: the export is built, health is all green (exit 0)
    workers("solo", queues=("exports", "default"))
    deadline = time.monotonic() + 90
    while export.state == ExportJob.State.QUEUED and time.monotonic() < deadline:
        time.sleep(0.2)
        export.refresh_from_db()
    while export.state == ExportJob.State.RUNNING and time.monotonic() < deadline:
        time.sleep(0.2)
        export.refresh_from_db()
    # taken once by the exports worker and finished (a year without forms: failed, with why)
    assert export.state in ("done", "failed") and export.attempts == 1, export.state
    assert broker.llen(p + "exports") == 0
    code, report, took = wait_live(workers, set(settings.QUEUES))
    assert code == 0 and report["ok"], report
    assert set(live(report).values()) == {True}
    covered(
        "Celery：-Q imports 的工作进程只取导入任务，导出消息留在 exports 队列（1 条）直到 "
        f"exports 工作进程启动后完成；全部队列有工作进程时 health 退出码 0（{took:.1f} s）"
    )
