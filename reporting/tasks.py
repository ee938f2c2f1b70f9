"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

# `exports` enqueues these tasks and they call it back: a module import, whose functions are
# read when a task runs, so either module may be imported first.
from . import exports

# Failures worth another attempt (the database or the storage went away for a moment).
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    # the soft limit: the job fails with the reason (exports.export_run); the hard one kills
    soft_time_limit=settings.EXPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TASK_TIME_LIMIT,
)
def run_export(self, job_id: int) -> str:
    job = exports.export_run(job_id=job_id)
    return job.state if job else "missing"


@shared_task
def sweep_exports() -> dict:
    return exports.export_sweep()
