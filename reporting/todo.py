"""The administrator's 待办 from this app: export jobs that failed lately (registered with
evaluations.todo in ReportingConfig.ready: evaluations may not import this app)."""

import datetime

from django.db.models import Count, Window
from django.urls import reverse
from django.utils import timezone

from evaluations.todo import FAILED_SHOWN_DAYS, LIMIT, Entry, Section

from .models import ExportJob


def failed_exports(user) -> list[Section]:
    """One query: the export jobs of every user that failed in the last days, newest first.
    The entry leads to 导出, where the same export can be requested again."""
    since = timezone.now() - datetime.timedelta(days=FAILED_SHOWN_DAYS)
    jobs = list(
        ExportJob.objects.filter(state=ExportJob.State.FAILED, created_at__gte=since)
        .select_related("created_by", "year")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:LIMIT]
    )
    entries = [
        Entry(
            f"导出失败：{job}",
            url=reverse("exports") + f"?year={job.year.year}",
            tag="导出",
            note=" · ".join(
                filter(
                    None,
                    [
                        f"{timezone.localtime(job.created_at):%Y-%m-%d %H:%M}",
                        job.created_by.username,
                        job.error[:80],
                    ],
                )
            ),
            late=True,
        )
        for job in jobs
    ]
    return [
        Section(
            "failed-exports",
            f"导出失败（近{FAILED_SHOWN_DAYS}天）",
            entries,
            total=jobs[0].total if jobs else 0,
        )
    ]
