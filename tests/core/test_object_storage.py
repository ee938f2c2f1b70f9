"""Files in object storage (STORAGE_BACKEND=s3) against a real S3 server (SeaweedFS, started by
the run: tests/s3server.py): exports written to the bucket and downloaded through the app, both
streamed and redirected to a signed URL, never by someone who may not see them; evidence
uploaded, downloaded and deleted; an import uploaded through the page, checked and committed by a
real worker process that reads the upload from the bucket; the cleanup and `manage.py health`.
Nothing is written to MEDIA_ROOT. Skipped without `weed` (a failure with REQUIRE_S3=1)."""

import io
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from budgets.models import Project
from core import health
from evaluations.models import Evidence, SelfEvaluation
from imports.files import FileRefused, stored_upload
from imports.models import ImportJob
from imports.services import job_create
from reporting.models import ExportJob
from tests.imports.conftest import xlsx
from tests.report import covered

JSON = {"HTTP_ACCEPT": "application/json"}
NAME = "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx"
PDF = b"%PDF-1.4\n% evidence\n"


def media_files() -> list[str]:
    root = settings.MEDIA_ROOT
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return get_user_model().objects


@pytest.mark.django_db
def test_an_export_is_stored_in_s3_and_downloaded_streamed_or_signed(
    client, s3, demo, django_capture_on_commit_callbacks
):
    xn_clerk = demo.get(username="xn_clerk")
    client.force_login(xn_clerk)
    project_form = SelfEvaluation.objects.get(project__code="2021-101-001")
    form = {
        "year": "2021",
        "kind": "project-self-evaluation",
        "department": str(project_form.department_id),
        "project": str(project_form.project_id),
        "format": "xlsx",
    }
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        status_url = client.post(reverse("exports"), form, **JSON).json()["status"]
    built = time.monotonic() - started
    status = client.get(status_url).json()
    assert status["state"] == "done" and status["filename"] == NAME
    job = ExportJob.objects.get()
    assert s3.keys("exports/") == [job.file.name] and media_files() == []
    stored = s3.get(job.file.name)
    assert stored.startswith(b"PK")

    # streamed by the app (the default)
    response = client.get(status["download"])
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored
    assert f"filename*=utf-8''{quote(NAME)}" in response["Content-Disposition"]

    # redirected to a signed URL of the store, valid 60 s, naming the file
    settings.S3_REDIRECT_DOWNLOADS = True
    response = client.get(status["download"])
    assert response.status_code == 302 and response["Cache-Control"] == "no-store"
    url = response["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(f"{s3.server.endpoint}/{s3.name}/exports/")
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"]
    body, headers = fetch(url)
    assert body == stored
    assert f"filename*=utf-8''{quote(NAME)}" in headers["Content-Disposition"]
    # signed: a URL whose lifetime is stretched is refused by the store
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(url.replace("X-Amz-Expires=60", "X-Amz-Expires=6000"))
    assert refused.value.code == 403

    # someone who may not see the department gets neither the file nor a URL
    client.force_login(demo.get(username="sz_clerk"))
    for redirect in (True, False):
        settings.S3_REDIRECT_DOWNLOADS = redirect
        assert client.get(status["download"]).status_code == 404

    # expired: the sweep (cleanup_exports) deletes the object
    ExportJob.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("cleanup_exports", stdout=io.StringIO())
    assert s3.keys("exports/") == []
    client.force_login(xn_clerk)
    assert client.get(status["download"]).status_code == 404
    covered(f"对象存储：导出（XLSX）写入 S3，经本系统流式下载与签名 URL 下载（{built:.2f} s）")


@pytest.mark.django_db
def test_a_file_gone_from_the_store_is_a_404(client, s3, demo):
    xn_clerk = demo.get(username="xn_clerk")
    project_form = SelfEvaluation.objects.get(project__code="2021-101-001")
    job = ExportJob.objects.create(
        created_by=xn_clerk,
        kind="project-self-evaluation",
        format="xlsx",
        year=project_form.project.year,
        department_ids=[project_form.department_id],
        state=ExportJob.State.DONE,
        file="exports/missing.xlsx",
        filename="x.xlsx",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client.force_login(xn_clerk)
    response = client.get(reverse("export_download", args=[job.pk]))
    assert response.status_code == 404  # was a 500 (FileNotFoundError from the store)


@pytest.mark.django_db
def test_evidence_is_uploaded_downloaded_and_deleted_in_s3(
    client, s3, clerk, evaluation, django_capture_on_commit_callbacks
):
    client.force_login(clerk)
    result = evaluation.results.first()
    for content in (PDF, PDF + b"second"):  # the same name twice: two objects, none overwritten
        page = client.post(
            reverse("evidence_upload", args=[evaluation.pk]),
            {"result": result.pk, "file": SimpleUploadedFile("满意度调查报告.pdf", content)},
            follow=True,
        ).content.decode()
        assert "已上传：满意度调查报告.pdf" in page
    first, second = Evidence.objects.order_by("pk")
    assert first.file.name != second.file.name
    assert s3.keys("evidence/") == sorted([first.file.name, second.file.name])
    assert s3.get(first.file.name) == PDF and media_files() == []

    response = client.get(reverse("evidence_download", args=[second.pk]))
    assert b"".join(response.streaming_content) == PDF + b"second"
    settings.S3_REDIRECT_DOWNLOADS = True
    response = client.get(reverse("evidence_download", args=[first.pk]))
    body, headers = fetch(response["Location"])
    assert body == PDF
    assert quote("满意度调查报告.pdf") in headers["Content-Disposition"]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evidence_delete", args=[first.pk]))
    assert s3.keys("evidence/") == [second.file.name]


@pytest.mark.django_db
def test_an_upload_replaced_in_the_store_by_a_larger_one_is_refused(s3, admin_user, settings):
    data = xlsx(["单位编码", "单位名称", "上级单位编码"], [["1", "甲", ""]])
    job = job_create(user=admin_user, kind="departments", name="d.xlsx", data=data, enqueue=False)
    assert stored_upload(job) == data
    settings.IMPORT_MAX_BYTES = len(data) - 1
    with pytest.raises(FileRefused, match="上限"):
        stored_upload(job)
    job.file.storage.delete(job.file.name)
    with pytest.raises(FileRefused, match="已不存在"):
        stored_upload(job)


@pytest.mark.django_db
def test_health_checks_the_object_store(s3, settings):
    storage = next(c for c in health.checks() if c.name == "storage")
    assert storage.ok and s3.name in storage.detail and s3.server.endpoint in storage.detail
    assert s3.keys("health/") == []  # the probe cleans up after itself
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "secret_key": "wrong"},
        },
    }
    storage = next(c for c in health.checks() if c.name == "storage")
    assert not storage.ok and "ClientError" in storage.detail


# --------------------------------------------------------------------------------------------
# A real worker reads the upload from the store
# --------------------------------------------------------------------------------------------


def wait_for(job, states: set[str], seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.state} after {seconds}s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_is_checked_and_committed_by_a_worker_reading_from_s3(
    client, s3, workers, admin_user, tree, fiscal_year
):
    worker = workers(queues=("imports",), MEDIA_ROOT="/nonexistent/jxzp-media", **s3.env)
    client.force_login(admin_user)
    headers = ["年度", "单位编码", "项目编码", "项目名称", "全年预算数·本年财政拨款"]
    rows = [[2025, "100001", "P-1", "大厅运行", 10], [2025, "100001", "P-2", "坏行", "十"]]
    response = client.post(
        reverse("imports"),
        {"file": SimpleUploadedFile("项目.xlsx", xlsx(headers, rows)), "kind": "projects"},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("import_job", args=[job.pk])
    assert s3.keys("imports/") == [job.file.name] and media_files() == []
    job = wait_for(job, {"ready", "invalid", "failed"})
    assert job.state == "invalid", job.message or worker.poll()
    # the failed rows' workbook is built here, from the same object
    failed = client.get(reverse("import_failed", args=[job.pk]))
    assert failed.status_code == 200

    fixed = xlsx(headers, [rows[0], [2025, "100001", "P-2", "好行", 12]])
    client.post(
        reverse("imports"),
        {"file": SimpleUploadedFile("项目.xlsx", fixed), "kind": "projects"},
    )
    job = wait_for(ImportJob.objects.order_by("-pk").first(), {"ready", "invalid", "failed"})
    assert job.state == "ready", job.message
    # the same name uploaded twice: two objects; and the sheet the preview read, kept in the
    # store for the import (read once, README "Bulk import")
    job.refresh_from_db()
    kept = job.parsed.name
    uploads = [key for key in s3.keys("imports/") if key != kept]
    assert kept and len(uploads) == 2 and kept in s3.keys("imports/")
    client.post(reverse("import_confirm", args=[job.pk]))
    job = wait_for(job, {"done", "failed"})
    assert job.state == "done", job.message
    # dropped once the import ran: by the worker just after it marks the job done
    deadline = time.monotonic() + 20
    while kept in s3.keys("imports/") and time.monotonic() < deadline:
        time.sleep(0.2)
    job.refresh_from_db()
    assert kept not in s3.keys("imports/") and not job.parsed
    assert sorted(Project.objects.values_list("code", flat=True)) == ["P-1", "P-2"]
    assert media_files() == []


@pytest.mark.django_db
def test_a_store_that_is_down_refuses_uploads_in_chinese_and_saves_nothing(
    client, s3, settings, clerk, evaluation, admin_user
):
    """S3 unreachable (nothing listens on the port): the evidence and the import are refused
    with a message, no row is written, no 500."""
    from tests.s3server import free_ports

    (port,) = free_ports(1)
    options = {
        **settings.STORAGES["default"]["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{port}",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    client.force_login(clerk)
    page = client.post(
        reverse("evidence_upload", args=[evaluation.pk]),
        {"result": evaluation.results.first().pk, "file": SimpleUploadedFile("报告.pdf", PDF)},
        follow=True,
    ).content.decode()
    assert "文件存储暂时不可用，文件未保存" in page and not Evidence.objects.exists()

    client.force_login(admin_user)
    data = xlsx(["单位编码", "单位名称", "上级单位编码"], [["1", "甲", ""]])
    response = client.post(
        reverse("imports"),
        {"file": SimpleUploadedFile("d.xlsx", data), "kind": "departments"},
        follow=True,
    )
    assert "文件存储暂时不可用" in response.content.decode() and not ImportJob.objects.exists()


@pytest.mark.django_db
def test_on_the_local_disk_downloads_stream_even_when_redirects_are_asked_for(
    client, clerk, evaluation, settings
):
    settings.S3_REDIRECT_DOWNLOADS = True
    client.force_login(clerk)
    client.post(
        reverse("evidence_upload", args=[evaluation.pk]),
        {"result": evaluation.results.first().pk, "file": SimpleUploadedFile("报告.pdf", PDF)},
    )
    response = client.get(reverse("evidence_download", args=[Evidence.objects.get().pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
