"""Celery tasks: thin wrappers that take ids and call a service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from core.formatting import duration
from core.tasks import RETRYING

# `services` enqueues these tasks and they call it back: a module import, whose functions are
# read when a task runs, so either module may be imported first.
from . import services


@shared_task(
    bind=True,
    **RETRYING,
    soft_time_limit=settings.RECOMPUTE_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.RECOMPUTE_TASK_TIME_LIMIT,
)
def recompute_year(self, year_id: int, request: int) -> str:
    return services.year_recompute_run(year_id=year_id, request=request)


@shared_task(**RETRYING)
def remind_deadlines() -> int:
    """The daily deadline reminder (CELERY_BEAT_SCHEDULE): once per user and day."""
    return services.notices.deadline_reminders()


@shared_task(
    bind=True,
    **RETRYING,
    soft_time_limit=settings.BULK_REVIEW_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.BULK_REVIEW_TASK_TIME_LIMIT,
)
def bulk_review(self, job_id: int) -> None:
    """批量审核 of a large selection; what was done before a stop stays done and listed."""
    try:
        services.bulk_review_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        limit = duration(settings.BULK_REVIEW_TASK_SOFT_TIME_LIMIT)
        services.bulk_review_fail(
            job_id=job_id, error=f"批量审核超过时限（{limit}）已停止；已处理的表单见下表。"
        )
