"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task
from django.conf import settings

from core.tasks import RETRYING

# `exports` enqueues these tasks and they call it back: a module import, whose functions are
# read when a task runs, so either module may be imported first.
from . import exports


@shared_task(
    bind=True,
    **RETRYING,
    # the soft limit: the job fails with the reason (exports.export_run); the hard one kills
    soft_time_limit=settings.EXPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TASK_TIME_LIMIT,
)
def run_export(self, job_id: int) -> str:
    job = exports.export_run(job_id=job_id)
    return job.state if job else "missing"


@shared_task(
    **RETRYING,
    soft_time_limit=settings.EXPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TASK_TIME_LIMIT,
)
def render_export_part(job_id: int, attempt: int, part: int, department_id: int, names) -> str:
    return exports.export_part_run(
        job_id=job_id, attempt=attempt, part=part, department_id=department_id, names=names
    )


@shared_task(
    **RETRYING,
    soft_time_limit=settings.EXPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TASK_TIME_LIMIT,
)
def assemble_export(job_id: int, attempt: int) -> str:
    job = exports.export_assemble(job_id=job_id, attempt=attempt)
    return job.state if job else "missing"


@shared_task
def sweep_exports() -> dict:
    return exports.export_sweep()
