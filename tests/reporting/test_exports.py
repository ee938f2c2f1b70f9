"""Export jobs: request, scope, the task (eager here), reuse, expiry, stale jobs, downloads."""

import datetime
import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from budgets.models import Department, FiscalYear
from evaluations import workflow
from reporting import exports
from reporting.models import ExportJob
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())
    return FiscalYear.objects.get(year=2021)


def request_export(user, year, kind="project-self-evaluation", fmt="xlsx", **kwargs):
    return exports.export_request(user=user, kind=kind, fmt=fmt, year=year, **kwargs)


def run(job_callbacks, job):
    job.refresh_from_db()
    return job


def test_project_tables_of_a_department_as_zip(demo, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="xn_clerk")
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(clerk, demo)
    job.refresh_from_db()
    assert (job.state, job.progress) == ("done", 100)
    # named for what it holds: the 主管部门 with its 所属单位, and each file inside likewise
    assert job.filename == "2021_咸宁市政务服务和大数据管理局及所属单位_项目支出绩效自评表.zip"
    assert job.scope == "咸宁市政务服务和大数据管理局及所属单位"
    assert (job.files_done, job.files_total) == (3, 3)
    names = zipfile.ZipFile(job.file.open("rb")).namelist()
    assert names == [
        "101_咸宁市政务服务和大数据管理局/"
        "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx",
        "101_咸宁市政务服务和大数据管理局/"
        "2021_咸宁市政务服务和大数据管理局_2021-101-002_大楼运维费_项目支出绩效自评表.xlsx",
        "101002_咸宁市12345公共服务热线中心/2021_咸宁市12345公共服务热线中心_2021-101002-001_"
        "市政府12345公共服务热线项目建设及运维费_项目支出绩效自评表.xlsx",
    ]
    book = load_workbook(io.BytesIO(zipfile.ZipFile(job.file.open("rb")).read(names[0])))
    assert book.active["A1"].value == "项目支出绩效自评表"


def test_same_request_on_unchanged_data_reuses_the_file(demo, django_capture_on_commit_callbacks):
    admin = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = request_export(admin, demo)
        second = request_export(admin, demo)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.file.name == first.file.name and second.fingerprint == first.fingerprint
    Department.objects.filter(code="101").update(name="咸宁市数据局")
    with django_capture_on_commit_callbacks(execute=True):
        third = request_export(admin, demo)
    third.refresh_from_db()
    assert third.file.name != first.file.name


def test_scope_is_checked(demo):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="dsj_clerk")
    other = Department.objects.get(code="102")
    with pytest.raises(workflow.WorkflowError, match="无权导出"):
        request_export(clerk, demo, department_ids=[other.pk])
    job = request_export(clerk, demo)
    assert job.department_ids == [Department.objects.get(code="101001").pk]


def test_download_only_for_users_who_see_every_department(
    client, demo, django_capture_on_commit_callbacks
):
    admin = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(admin, demo, kind="summary")
    url = reverse("export_download", args=[job.pk])
    client.force_login(admin)
    assert client.get(url).status_code == 200
    client.force_login(member(Department.objects.get(code="101")))
    assert client.get(url).status_code == 404  # the file also holds 随州 and 益阳
    client.force_login(member(Department.objects.get(code="101"), "reviewer"))
    assert client.get(url).status_code == 404


def test_nothing_to_export_fails_with_a_reason(demo, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="sz_clerk")
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(clerk, FiscalYear.objects.get(year=2023))
    job.refresh_from_db()
    assert job.state == "failed" and "没有可导出的表格" in job.error


def test_job_enqueued_in_a_rolled_back_transaction_never_runs(demo):
    from django.db import transaction

    admin = UserFactory(username="root", is_superuser=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        request_export(admin, demo)
        raise RuntimeError("rollback")
    assert not ExportJob.objects.exists()


def test_running_twice_produces_one_file(demo, django_capture_on_commit_callbacks):
    admin = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(admin, demo)
    job.refresh_from_db()
    name = job.file.name
    exports.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.file.name == name and job.attempts == 1


def test_stale_running_job_is_requeued_then_failed(demo, django_capture_on_commit_callbacks):
    admin = UserFactory(username="root", is_superuser=True)
    job = request_export(admin, demo)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    ExportJob.objects.filter(pk=job.pk).update(state="running", heartbeat=long_ago, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.export_sweep()["requeued"] == 1
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 2
    ExportJob.objects.filter(pk=job.pk).update(state="running", heartbeat=long_ago, attempts=3)
    assert exports.export_sweep()["failed"] == 1
    job.refresh_from_db()
    assert job.state == "failed" and "多次中断" in job.error


def test_expired_files_are_deleted(demo, django_capture_on_commit_callbacks):
    admin = UserFactory(username="root", is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_export(admin, demo)
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    assert storage.exists(name)
    result = exports.export_sweep(now=timezone.now() + datetime.timedelta(days=30))
    assert result["expired"] == 1 and not storage.exists(name)
    job.refresh_from_db()
    assert not job.file


def test_pages(client, demo, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="xn_clerk"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports"), {"year": "2021", "kind": "summary", "format": "xlsx"}, follow=True
        )
    page = response.content.decode()
    assert "已提交导出" in page and "下载" in page
    job = ExportJob.objects.get()
    status = client.get(reverse("export_status", args=[job.pk])).json()
    assert status["state"] == "done" and status["download"]
    bad = client.post(
        reverse("exports"), {"year": "2021", "kind": "nonsense", "format": "xlsx"}, follow=True
    )
    assert "未知的表格" in bad.content.decode()
    client.force_login(UserFactory())
    assert client.get(reverse("export_status", args=[job.pk])).status_code == 404
