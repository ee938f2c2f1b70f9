"""The `indicator-library` kind (issue 15, item 3): the template round trip, the rules as the
admin's (number rule for a quantitative typical value, 一级/二级 names), upsert by 指标编码,
idempotent, who may import it, and the dry-run preview."""

import io

import openpyxl
import pytest

from budgets.models import Membership
from core.models import AuditLog
from evaluations.models import LibraryIndicator
from imports.kinds import KINDS, Context
from imports.models import ImportJob
from imports.services import ImportRefused, job_create, job_preview, kinds_for
from imports.workbooks import template
from tests.factories import member
from tests.imports.conftest import csv_bytes, run, xlsx

pytestmark = pytest.mark.django_db
Role = Membership.Role
HEADERS = [
    "指标编码",
    "一级指标",
    "二级指标",
    "行业/领域",
    "三级指标",
    "指标性质",
    "典型指标值",
    "计量单位",
    "指标解释",
    "评（扣）分标准",
    "启用",
]


def line(code="ZW-001", name="政务服务大厅办件量", comparator="≥", value="50", unit="万件", **kw):
    row = {
        "指标编码": code,
        "一级指标": kw.get("level1", "产出指标"),
        "二级指标": kw.get("level2", "数量指标"),
        "行业/领域": kw.get("domain", "政务服务"),
        "三级指标": name,
        "指标性质": comparator,
        "典型指标值": value,
        "计量单位": unit,
        "指标解释": kw.get("explanation", "年度办结件数"),
        "评（扣）分标准": kw.get("rule", "完成得满分"),
        "启用": kw.get("active", "是"),
    }
    return [row[h] for h in HEADERS]


def test_template_round_trip(admin_user, fiscal_year):
    data = template("indicator-library", Context(user=admin_user))
    sheet = openpyxl.load_workbook(io.BytesIO(data))["数据"]
    assert [c.value for c in sheet[1]] == [
        "指标编码*",
        "一级指标*",
        "二级指标*",
        "行业/领域",
        "三级指标*",
        "指标性质*",
        "典型指标值",
        "计量单位",
        "指标解释",
        "评（扣）分标准",
        "启用",
    ]
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("定性" in f for f in lists) and any("是" in f and "否" in f for f in lists)
    rows = [dict(zip(HEADERS, line(), strict=True))]
    rows.append(dict(zip(HEADERS, line("ZW-002", "群众满意率", value="95", unit="%"), strict=True)))
    filled = template("indicator-library", Context(user=admin_user), rows)
    job = run("indicator-library", filled, user=admin_user)
    assert job.state == ImportJob.State.DONE, job.errors
    assert job.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    saved = LibraryIndicator.objects.get(code="ZW-001")
    assert (saved.level2, saved.domain, saved.typical_value, saved.unit) == (
        "数量指标",
        "政务服务",
        "50",
        "万件",
    )
    assert saved.scoring_rule == "完成得满分" and saved.is_active
    assert AuditLog.objects.filter(action="批量导入·指标库").count() == 1


def test_upsert_by_code_is_idempotent(fiscal_year):
    data = xlsx(HEADERS, [line(), line("ZW-002", "群众满意率", value="95", unit="%")])
    assert run("indicator-library", data).counts["new"] == 2
    again = run("indicator-library", data)
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert LibraryIndicator.objects.count() == 2
    changed = xlsx(HEADERS, [line(value="60", active="否")])
    job = run("indicator-library", changed)
    assert job.counts["update"] == 1
    entry = LibraryIndicator.objects.get(code="ZW-001")
    assert (entry.typical_value, entry.is_active) == ("60", False)
    # a blank cell changes nothing; a column absent from the file changes nothing
    partial = csv_bytes(
        ["指标编码", "一级指标", "二级指标", "三级指标", "指标性质", "典型指标值"],
        [["ZW-001", "产出指标", "数量指标", "政务服务大厅办件量", "≥", ""]],
    )
    assert run("indicator-library", partial, name="f.csv").counts["unchanged"] == 1
    entry.refresh_from_db()
    assert (entry.typical_value, entry.unit, entry.scoring_rule) == ("60", "万件", "完成得满分")


def test_rows_break_the_rules_in_chinese_and_nothing_is_written(fiscal_year):
    data = xlsx(
        HEADERS,
        [
            line("A-1", value="五十"),  # words on a quantitative comparator
            line("A-2", value="123456789012345"),  # too many digits
            line("A-3", unit=""),  # quantitative without unit
            line("A-4", level2="满意度"),  # not a 二级 of 产出指标
            line("A-5", level1="产出"),
            line("A-6", comparator="大于"),
            line("A-7", comparator="定性", value="明显提升", unit=""),  # fine
            line("A-7", comparator="定性", value="明显提升", unit=""),  # twice in the file
            line("", name=""),
        ],
    )
    job = run("indicator-library", data)
    assert job.state == ImportJob.State.INVALID
    assert not LibraryIndicator.objects.exists()
    errors = {(n, h): m for n, h, m in job.errors}
    assert errors[(2, "典型指标值")].startswith("定量指标的典型指标值必须是数字")
    assert errors[(3, "典型指标值")] == "典型指标值超出范围（最多14位整数）"
    assert errors[(4, "计量单位")] == "定量指标须填写计量单位"
    assert errors[(5, "二级指标")] == "“满意度”不是“产出指标”下的二级指标"
    assert errors[(6, "一级指标")] == "“产出”不是一级指标"
    assert "不是有效选项" in errors[(7, "指标性质")]
    assert "重复" in errors[(9, "指标编码")]
    assert errors[(10, "指标编码")] == "必填" and errors[(10, "三级指标")] == "必填"
    assert job.counts["error"] == 8


def test_finance_and_administrators_may_import_it_units_may_not(tree, fiscal_year, admin_user):
    reviewer = member(tree["bureau"], Role.REVIEWER)
    clerk = member(tree["centre"], Role.CLERK)
    assert "indicator-library" in dict(kinds_for(reviewer))
    assert "indicator-library" in dict(kinds_for(admin_user))
    assert "indicator-library" not in dict(kinds_for(clerk))
    with pytest.raises(ImportRefused):
        job_create(user=clerk, kind="indicator-library", name="f.xlsx", data=b"x", enqueue=False)
    job = run("indicator-library", xlsx(HEADERS, [line()]), user=reviewer)
    assert job.state == ImportJob.State.DONE, job.errors


def test_preview_is_a_dry_run(admin_user, fiscal_year):
    data = xlsx(HEADERS, [line()])
    job = job_create(
        user=admin_user, kind="indicator-library", name="f.xlsx", data=data, enqueue=False
    )
    job_preview(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.READY
    assert job.counts["new"] == 1 and job.preview[0]["label"] == "ZW-001 政务服务大厅办件量"
    assert not LibraryIndicator.objects.exists()
    assert KINDS["indicator-library"].label == ImportJob.Kind("indicator-library").label
