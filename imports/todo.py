"""The administrator's 待办 from this app: import jobs that failed lately (registered with
evaluations.todo in ImportsConfig.ready: evaluations may not import this app)."""

import datetime

from django.db.models import Count, Window
from django.urls import reverse
from django.utils import timezone

from evaluations.todo import FAILED_SHOWN_DAYS, LIMIT, Entry, Section

from .models import ImportJob


def failed_imports(user) -> list[Section]:
    """One query: the failed jobs of the last days, newest first. 有错误 (a file the checks
    refused) is the uploader's to fix and is not listed; 已失败 is the system's."""
    since = timezone.now() - datetime.timedelta(days=FAILED_SHOWN_DAYS)
    jobs = list(
        ImportJob.objects.filter(state=ImportJob.State.FAILED, created_at__gte=since)
        .select_related("created_by")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:LIMIT]
    )
    entries = [
        Entry(
            f"{job.get_kind_display()}导入失败：{job.original_name}",
            url=reverse("import_job", args=[job.pk]),
            tag="导入",
            note=" · ".join(
                filter(
                    None,
                    [
                        f"{timezone.localtime(job.created_at):%Y-%m-%d %H:%M}",
                        job.created_by and job.created_by.username,
                        job.message[:80],
                    ],
                )
            ),
            late=True,
        )
        for job in jobs
    ]
    more = reverse("admin:imports_importjob_changelist") + "?state__exact=failed"
    return [
        Section(
            "failed-imports",
            f"导入失败（近{FAILED_SHOWN_DAYS}天）",
            entries,
            total=jobs[0].total if jobs else 0,
            more_url=more,
        )
    ]
