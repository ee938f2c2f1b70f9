"""A city's PDFs split across workers (issue 18): one part per department, joined into the one
ZIP a single task would have built; a part that fails fails the job with its reason. In-process
here (the parts forced on); with real workers in tests/reporting/test_worker.py."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from budgets.models import FiscalYear
from reporting import exports, filenames
from reporting.models import ExportJob
from reporting.tables import plan
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())
    return FiscalYear.objects.get(year=2021)


def expected_names(job: ExportJob) -> list[str]:
    files = plan.files_for(job.kind, job.year, set(job.department_ids), set(job.project_ids))
    return filenames.unique([f"{item.path}.pdf" for item in files])


def test_the_parts_make_the_zip_one_task_makes(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "_split", lambda job, files: True)
    admin = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_request(
            user=admin, kind="project-self-evaluation", fmt="pdf", year=demo
        )
    job.refresh_from_db()
    assert job.state == "done", job.error
    assert job.parts_total > 1 and job.parts_done == list(range(job.parts_total))
    assert (job.progress, job.files_done, job.files_total) == (100, 3, 3)
    assert job.filename == "2021_全部单位_项目支出绩效自评表.zip"
    archive = zipfile.ZipFile(job.file.open("rb"))
    assert archive.namelist() == expected_names(job)
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())
    # the parts are removed once joined
    stored = [p.name for p in (Path(settings.MEDIA_ROOT) / "exports").rglob("*") if p.is_file()]
    assert stored == [Path(job.file.name).name]


def test_a_part_that_fails_fails_the_job_with_its_reason(demo, monkeypatch):
    monkeypatch.setattr(exports, "_split", lambda job, files: True)
    admin = UserFactory(username="root", is_superuser=True)
    job = ExportJob.objects.create(
        created_by=admin,
        year=demo,
        kind="project-self-evaluation",
        format="pdf",
        department_ids=sorted(demo.projects.values_list("department_id", flat=True)),
    )
    # the coordinator's run, its group not sent: the parts are run below by hand
    monkeypatch.setattr("celery.group.apply_async", lambda self, *a, **k: None)
    job = exports.export_run(job_id=job.pk)
    assert job.state == "running" and job.parts_total > 1
    names = expected_names(job)
    department = job.department_ids[0]
    # one part renders; another fails (its department's files are not what was planned)
    first = [n for n in names if n.startswith(names[0].split("/")[0])]
    assert exports.export_part_run(
        job_id=job.pk, attempt=1, part=0, department_id=department, names=first
    ) in ("done", "failed")
    result = exports.export_part_run(
        job_id=job.pk, attempt=1, part=1, department_id=department, names=["x.pdf"] * 9
    )
    job.refresh_from_db()
    assert result == "failed" and job.state == "failed"
    assert job.error == "导出失败：RuntimeError。请稍后重试，或联系系统管理员。"
    # a later part of the failed job, or of an earlier attempt, does nothing
    assert (
        exports.export_part_run(
            job_id=job.pk, attempt=1, part=2, department_id=department, names=first
        )
        == "stale"
    )
    assert not list((Path(settings.MEDIA_ROOT) / "exports").rglob("*.zip"))


def test_parts_that_stop_reporting_are_run_again_by_the_sweep(demo, monkeypatch):
    """Workers killed with the parts: the job goes stale, the sweep runs it again as a new
    attempt, and a late part of the old attempt does nothing; on the last attempt it fails."""
    import datetime

    from django.utils import timezone

    monkeypatch.setattr(exports, "_split", lambda job, files: True)
    sent = []
    monkeypatch.setattr("celery.group.apply_async", lambda self, *a, **k: sent.append(self))
    admin = UserFactory(username="root", is_superuser=True)
    job = ExportJob.objects.create(
        created_by=admin,
        year=demo,
        kind="project-self-evaluation",
        format="pdf",
        department_ids=sorted(demo.projects.values_list("department_id", flat=True)),
    )
    exports.export_run(job_id=job.pk)
    later = timezone.now() + exports.STALE_AFTER + datetime.timedelta(minutes=1)
    monkeypatch.setattr(exports, "enqueue", lambda job: exports.export_run(job_id=job.pk))
    assert exports.export_sweep(now=later)["requeued"] == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, len(sent)) == ("running", 2, 2)
    first = sent[0].tasks[0]
    assert (
        exports.export_part_run(
            **dict(
                zip(
                    ("job_id", "attempt", "part", "department_id", "names"), first.args, strict=True
                )
            )
        )
        == "stale"
    )
    ExportJob.objects.filter(pk=job.pk).update(attempts=3)
    assert exports.export_sweep(now=later)["failed"] == 1
    job.refresh_from_db()
    assert job.state == "failed" and "多次中断" in job.error
