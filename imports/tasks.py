"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def import_preview(job_id: int) -> str:
    job = services.job_preview(job_id)
    return job.state if job else "skipped"


@shared_task(acks_late=True)
def import_commit(job_id: int) -> str:
    job = services.job_commit(job_id)
    return job.state if job else "skipped"
