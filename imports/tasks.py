"""Celery tasks: thin wrappers that take ids and call a service.

Both import tasks run under time limits (settings IMPORT_TASK_SOFT_TIME_LIMIT / _TIME_LIMIT): the
soft one raises inside the task and the service fails the job with the reason; the hard one kills
a task that did not stop, and the sweep then finds the job's heartbeat stale."""

from celery import shared_task
from django.conf import settings

from . import services

LIMITS = {
    "soft_time_limit": settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.IMPORT_TASK_TIME_LIMIT,
}


@shared_task(acks_late=True, **LIMITS)
def import_preview(job_id: int) -> str:
    job = services.job_preview(job_id)
    return job.state if job else "skipped"


@shared_task(acks_late=True, **LIMITS)
def import_commit(job_id: int) -> str:
    job = services.job_commit(job_id)
    return job.state if job else "skipped"


@shared_task
def sweep_imports() -> dict:
    return services.job_sweep()
