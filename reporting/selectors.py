"""Reads of the reporting app that views make, each scoped by who asks."""

from .exports import can_download
from .models import ExportJob


def export_jobs_of(user, limit: int = 30) -> list[ExportJob]:
    """The latest export jobs this user requested (the 导出 page)."""
    return list(ExportJob.objects.filter(created_by=user).select_related("year")[:limit])


def export_job_of(user, pk: int) -> ExportJob | None:
    """One of this user's own export jobs (its progress), or None."""
    return ExportJob.objects.filter(pk=pk, created_by=user).first()


def downloadable_job(user, pk: int) -> ExportJob | None:
    """An export job whose file this user may download (every department in it visible), or
    None: the same answer for "no such job" and "not yours"."""
    job = ExportJob.objects.filter(pk=pk).first()
    return job if job is not None and can_download(user, job) else None
