"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task

from .services import exports


@shared_task(
    bind=True, autoretry_for=exports.TRANSIENT, retry_backoff=True, max_retries=3, acks_late=True
)
def run_export(self, job_id: int) -> str:
    job = exports.export_run(job_id=job_id)
    return job.state if job else "missing"


@shared_task
def sweep_exports() -> dict:
    return exports.export_sweep()
