"""python manage.py import_data: templates, dry run, errors, success."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from budgets.models import Department
from tests.imports.conftest import xlsx

pytestmark = pytest.mark.django_db
HEADERS = ["单位编码", "单位名称", "上级单位编码"]


def test_template_dry_run_errors_and_import(tmp_path, fiscal_year):
    out = tmp_path / "模板.xlsx"
    call_command(
        "import_data", "projects", "--template", "--output", str(out), stdout=io.StringIO()
    )
    book = openpyxl.load_workbook(out)
    assert [c.value for c in book["数据"][1]][:4] == [
        "年度*",
        "单位编码*",
        "项目编码*",
        "项目名称*",
    ]

    good = tmp_path / "单位.xlsx"
    good.write_bytes(xlsx(HEADERS, [["1", "甲", ""], ["2", "乙", "1"]]))
    stdout = io.StringIO()
    call_command("import_data", "departments", str(good), "--dry-run", stdout=stdout)
    assert "新增 2" in stdout.getvalue() and Department.objects.count() == 0

    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(xlsx(HEADERS, [["3", "丙", ""], ["4", "", ""]]))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_data", "departments", str(bad), stdout=io.StringIO(), stderr=stderr)
    assert "第3行 单位名称：必填" in stderr.getvalue()
    assert Department.objects.count() == 0

    stdout = io.StringIO()
    call_command("import_data", "departments", str(good), stdout=stdout)
    assert "新增 2" in stdout.getvalue() and "导入完成" in stdout.getvalue()
    stdout = io.StringIO()
    call_command("import_data", "departments", str(good), stdout=stdout)
    assert "新增 0，修改 0，未变 2" in stdout.getvalue()
    assert Department.objects.count() == 2

    with pytest.raises(CommandError, match="系统中没有 1999 年度"):
        call_command("import_data", "projects", str(good), "--year", "1999")
    with pytest.raises(CommandError, match="只接受"):
        text = tmp_path / "x.pdf"
        text.write_bytes(b"%PDF")
        call_command("import_data", "departments", str(text), stdout=io.StringIO())
