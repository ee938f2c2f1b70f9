"""系统管理's 导入 / 导出 buttons (django-import-export) as a front end to the import engine."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from budgets.models import Department, DepartmentBudget, Project
from core.models import AuditLog
from evaluations.models import Indicator, LibraryIndicator
from imports.admin_io import escape_formula
from imports.models import ImportJob
from tests.factories import ProjectFactory
from tests.imports.conftest import csv_bytes, snapshot, xlsx

pytestmark = pytest.mark.django_db

ADMIN_PAGES = {  # kind → admin url prefix
    "departments": "budgets_department",
    "projects": "budgets_project",
    "department-budgets": "budgets_departmentbudget",
    "indicators": "evaluations_indicator",
    "indicator-library": "evaluations_libraryindicator",
    "users": "auth_user",
}
INDICATOR_HEADERS = ["年度", "项目编码", "一级指标", "二级指标", "三级指标", "指标性质"]
INDICATOR_HEADERS += ["年度指标值", "计量单位", "分值"]


def _file(kind: str) -> tuple[bytes, type, int]:
    """A one-row file of the kind, the model it writes, and how many of them it adds."""
    if kind == "departments":
        return (
            xlsx(["单位编码", "单位名称", "上级单位编码"], [["300", "市文旅局", "100"]]),
            Department,
            1,
        )
    if kind == "projects":
        headers = ["年度", "单位编码", "项目编码", "项目名称", "全年预算数·本年财政拨款"]
        return xlsx(headers, [[2025, "100001", "P-9", "大厅运行", 12.5]]), Project, 1
    if kind == "department-budgets":
        return xlsx(["年度", "单位编码", "编制数"], [[2025, "200", 35]]), DepartmentBudget, 1
    if kind == "indicators":
        row = [2025, "P-1", "产出指标", "数量指标", "办件量", "≥", "1000", "件", 20]
        return xlsx(INDICATOR_HEADERS, [row]), Indicator, 1
    if kind == "indicator-library":
        headers = [
            "指标编码",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "典型指标值",
            "计量单位",
        ]
        row = ["ZW-1", "产出指标", "数量指标", "办件量", "≥", "1000", "件"]
        return xlsx(headers, [row]), LibraryIndicator, 1
    from django.contrib.auth import get_user_model

    rows = [["zhou", "周八", "100001", "单位填报人", ""]]
    return csv_bytes(["用户名", "姓名", "单位编码", "角色", "邮箱"], rows), get_user_model(), 1


@pytest.fixture
def world(tree, fiscal_year):
    ProjectFactory(year=fiscal_year, department=tree["centre"], code="P-1", name="已有项目")
    return tree


def _upload(client, kind: str, data: bytes, name: str = "f.xlsx"):
    url = reverse(f"admin:{ADMIN_PAGES[kind]}_import")
    return client.post(url, {"import_file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("kind", list(ADMIN_PAGES))
def test_admin_import_runs_the_engine_preview_confirm_audit(
    client, admin_user, world, commit_hooks, kind
):
    client.force_login(admin_user)
    data, model, added = _file(kind)
    before = model.objects.count()
    name = "f.csv" if kind == "users" else "f.xlsx"
    response = _upload(client, kind, data, name)
    job = ImportJob.objects.get()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse(f"admin:{ADMIN_PAGES[kind]}_import_job", args=[job.pk])
    assert (job.kind, job.via, job.state) == (kind, "系统管理", ImportJob.State.READY)
    assert model.objects.count() == before  # the preview writes nothing
    page = client.get(response.url).content.decode()
    assert "确认导入" in page and "新增" in page
    done = client.post(reverse(f"admin:{ADMIN_PAGES[kind]}_process_import"), {"job": job.pk})
    assert done.url == response.url
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE, (job.message, job.errors)
    assert model.objects.count() == before + added
    audits = AuditLog.objects.filter(object_type="imports.ImportJob")
    assert audits.count() == 1 and audits.get().action.startswith("批量导入·")
    assert "已导入" in client.get(response.url).content.decode()


def test_admin_import_bad_row_refuses_all_with_the_engines_message(
    client, admin_user, world, commit_hooks
):
    client.force_login(admin_user)
    before = snapshot()
    data = xlsx(["单位编码", "单位名称", "上级单位编码"], [["301", "好", ""], ["302", "坏", "999"]])
    response = _upload(client, "departments", data)
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.INVALID
    page = client.get(response.url).content.decode()
    assert "上级单位编码：单位“999”不存在" in page and "确认导入" not in page
    # confirming an invalid job is refused by the engine's own check
    client.post(reverse("admin:budgets_department_process_import"), {"job": job.pk})
    job.refresh_from_db()
    assert job.state == ImportJob.State.INVALID and snapshot() == before


def test_admin_import_refuses_what_the_engine_refuses(client, admin_user, world, commit_hooks):
    client.force_login(admin_user)
    response = _upload(client, "departments", b"", "empty.xlsx")
    assert response.status_code == 200 and ImportJob.objects.count() == 0
    response = _upload(client, "departments", b"PK\x03\x04junk", "bad.xlsx")
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.FAILED and job.message


def test_buttons_on_the_five_change_lists(client, admin_user, world):
    client.force_login(admin_user)
    for prefix in ADMIN_PAGES.values():
        page = client.get(reverse(f"admin:{prefix}_changelist")).content.decode()
        assert reverse(f"admin:{prefix}_import") in page, prefix
        assert reverse(f"admin:{prefix}_export") in page, prefix
        assert client.get(reverse(f"admin:{prefix}_import")).status_code == 200
        assert client.get(reverse(f"admin:{prefix}_export")).status_code == 200


def test_staff_without_the_kind_gets_no_import(client, world):
    from budgets.models import Membership
    from tests.factories import member

    reviewer = member(world["bureau"], Membership.Role.REVIEWER, is_staff=True)
    from django.contrib.auth.models import Permission

    reviewer.user_permissions.add(Permission.objects.get(codename="view_department"))
    client.force_login(reviewer)
    assert client.get(reverse("admin:budgets_department_import")).status_code == 403
    page = client.get(reverse("admin:budgets_department_changelist")).content.decode()
    assert reverse("admin:budgets_department_import") not in page


def _export(client, prefix: str, fmt: int, query: str = "") -> bytes:
    url = reverse(f"admin:{prefix}_export") + query
    response = client.post(url, {"format": fmt, "resource": 0})
    assert response.status_code == 200, response.content.decode()[:1000]
    return response.content


def test_export_escapes_formulas_keeps_numbers_and_follows_filters(client, admin_user, world):
    client.force_login(admin_user)
    Department.objects.filter(code="200").update(name='=HYPERLINK("http://x")')
    ProjectFactory(
        year=Project.objects.get().year,
        department=world["other"],
        code="P-2",
        name="@SUM(A1)",
        full_current=Decimal("12.5"),
    )
    book = openpyxl.load_workbook(io.BytesIO(_export(client, "budgets_department", 0)))
    rows = list(book.active.values)
    assert rows[0][:4] == ("单位编码", "单位名称", "上级单位编码", "单位类型")
    names = {r[0]: r[1] for r in rows[1:]}
    assert names["200"] == '\'=HYPERLINK("http://x")'
    # a filtered list exports only its rows (the change list's search applies)
    book = openpyxl.load_workbook(io.BytesIO(_export(client, "budgets_project", 0, "?q=P-2")))
    rows = list(book.active.values)
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["项目名称"] == "'@SUM(A1)"
    assert record["全年预算数·本年财政拨款"] == 12.5  # a number, not text
    text = _export(client, "budgets_project", 1, "?q=P-2").decode("utf-8-sig")
    assert "'@SUM(A1)" in text


def test_exported_file_imports_back_unchanged(client, admin_user, world, commit_hooks):
    client.force_login(admin_user)
    Department.objects.filter(code="200").update(name="-减号开头")
    LibraryIndicator.objects.create(
        code="-ZW-2", level1="产出指标", level2="数量指标", name="=办件量", comparator="定性"
    )
    for prefix, kind in (
        ("budgets_department", "departments"),
        ("budgets_project", "projects"),
        ("evaluations_libraryindicator", "indicator-library"),
    ):
        data = _export(client, prefix, 0)
        _upload(client, kind, data)
        job = ImportJob.objects.filter(kind=kind).latest("pk")
        assert job.state == ImportJob.State.READY, job.errors
        assert job.counts["new"] == job.counts["update"] == job.counts["error"] == 0, job.preview


def test_escape_formula():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("\tx") == "'\tx"
    assert escape_formula("正常") == "正常"
    assert escape_formula(Decimal("-5")) == Decimal("-5")
