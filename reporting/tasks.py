"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

# `exports` enqueues these tasks and they call it back: a module import, whose functions are
# read when a task runs, so either module may be imported first.
from . import exports

# Failures worth another attempt (the database or the storage went away for a moment).
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, acks_late=True)
def run_export(self, job_id: int) -> str:
    job = exports.export_run(job_id=job_id)
    return job.state if job else "missing"


@shared_task
def sweep_exports() -> dict:
    return exports.export_sweep()
