"""The export buttons' JSON (exports.js): start, follow, refuse; the download's name."""

import io
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from budgets.models import Department
from evaluations.models import SelfEvaluation
from reporting.models import ExportJob

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
NAME = "2021_咸宁市政务服务和大数据管理局_2021-101-001_政务一体化平台建设_项目支出绩效自评表.xlsx"


@pytest.fixture
def clerk():
    call_command("load_demo", stdout=io.StringIO())
    return get_user_model().objects.get(username="xn_clerk")


def form_post(evaluation, fmt="xlsx"):
    return {
        "year": "2021",
        "kind": "project-self-evaluation",
        "department": str(evaluation.department_id),
        "project": str(evaluation.project_id),
        "format": fmt,
    }


def test_a_script_starts_an_export_and_gets_json(client, clerk, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports"), form_post(evaluation), **JSON)
    assert response.status_code == 200
    data = response.json()
    job = ExportJob.objects.get()
    assert data["status"] == reverse("export_status", args=[job.pk])
    assert "政务一体化平台建设" in data["row"] and 'class="job"' in data["row"]
    status = client.get(data["status"]).json()
    assert (status["state"], status["label"], status["filename"]) == ("done", "已完成", NAME)
    assert (status["done"], status["total"]) == (1, 1) and status["size"].endswith("KB")
    assert job.scope == "咸宁市政务服务和大数据管理局 · 2021-101-001 政务一体化平台建设"

    download = client.get(status["download"])
    disposition = download["Content-Disposition"]
    assert (
        disposition.startswith("attachment;") and f"filename*=utf-8''{quote(NAME)}" in disposition
    )


def test_without_script_the_post_opens_my_exports(client, clerk):
    client.force_login(clerk)
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    response = client.post(reverse("exports"), form_post(evaluation), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exports")
    body = response.content.decode()
    assert "已提交导出：咸宁市政务服务和大数据管理局 · 2021-101-001 政务一体化平台建设" in body


def test_a_refusal_is_json_for_the_script(client, clerk):
    client.force_login(clerk)
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    response = client.post(reverse("exports"), form_post(evaluation, fmt="odt"), **JSON)
    assert response.status_code == 400 and response.json() == {"error": "未知的导出格式。"}
    # Word is the 自评综述's only (issue 15): a project's table refuses it
    response = client.post(reverse("exports"), form_post(evaluation, fmt="docx"), **JSON)
    assert response.status_code == 400 and "仅用于自评综述" in response.json()["error"]
    other = form_post(evaluation) | {"department": str(Department.objects.get(code="103").pk)}
    del other["project"]
    response = client.post(reverse("exports"), other, **JSON)
    assert response.status_code == 400 and "无权导出" in response.json()["error"]
    assert not ExportJob.objects.exists()


def test_status_of_another_users_job_is_404(client, clerk, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    with django_capture_on_commit_callbacks(execute=True):
        data = client.post(reverse("exports"), form_post(evaluation), **JSON).json()
    client.force_login(get_user_model().objects.get(username="xn_head"))
    assert client.get(data["status"]).status_code == 404


def test_my_exports_costs_the_same_for_many_jobs(client, clerk, django_assert_max_num_queries):
    from budgets.models import FiscalYear
    from reporting import exports

    client.force_login(clerk)
    year = FiscalYear.objects.get(year=2021)
    exports.export_request(user=clerk, kind="summary", fmt="xlsx", year=year)
    client.get(reverse("exports"))
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("exports"))
    for _ in range(10):
        exports.export_request(user=clerk, kind="bundle", fmt="pdf", year=year)
    with django_assert_max_num_queries(len(one)):
        body = client.get(reverse("exports")).content.decode()
    assert body.count("咸宁市政务服务和大数据管理局及所属单位") == 11
