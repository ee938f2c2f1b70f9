"""Every kind: happy path, idempotent re-import, all or nothing, scope, the rules of each kind."""

from decimal import Decimal

import pytest

from budgets.models import Department, DepartmentBudget, Membership, Project
from core.models import AuditLog
from evaluations.models import FormState, Indicator, IndicatorResult, SelfEvaluation, TargetSheet
from imports.engine import message
from imports.models import ImportJob
from tests.factories import ProjectFactory, TargetSheetFactory, member
from tests.imports.conftest import csv_bytes, run, snapshot, xlsx

pytestmark = pytest.mark.django_db
D = Decimal
DONE, INVALID = ImportJob.State.DONE, ImportJob.State.INVALID

DEPARTMENT_HEADERS = ["单位编码", "单位名称", "上级单位编码", "单位类型"]
PROJECT_HEADERS = [
    "年度",
    "单位编码",
    "项目编码",
    "项目名称",
    "年初预算数·本年财政拨款",
    "全年预算数·本年财政拨款",
    "全年执行数·本年财政拨款",
]
INDICATOR_HEADERS = [
    "年度",
    "项目编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "计量单位",
    "分值",
]


def errors(job) -> list[str]:
    return [message(n, h, m) for n, h, m in job.errors]


# ----------------------------------------------------------------------------- departments


def test_departments_create_update_and_reimport(db):
    data = xlsx(
        DEPARTMENT_HEADERS,
        [
            ["301001", "市财政局国库支付中心", "301", "事业单位"],  # parent comes later in the file
            ["301", "市财政局", "", "行政"],
        ],
    )
    job = run("departments", data)
    assert job.state == DONE, errors(job)
    assert job.counts == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    child = Department.objects.get(code="301001")
    assert child.parent.code == "301" and child.kind == "事业"
    again = run("departments", data)
    assert again.counts == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert Department.objects.count() == 2
    renamed = run("departments", xlsx(["单位名称", "单位编码"], [["市财政局（更名）", "301"]]))
    assert renamed.counts["update"] == 1
    assert renamed.preview[0]["changes"] == {"单位名称": ["市财政局", "市财政局（更名）"]}
    assert Department.objects.get(code="301").name == "市财政局（更名）"
    # one audit record per import that wrote something, none for the unchanged re-import
    assert AuditLog.objects.filter(action__startswith="批量导入").count() == 2


def test_department_cycle_and_unknown_parent_are_errors(db):
    job = run(
        "departments",
        xlsx(
            DEPARTMENT_HEADERS,
            [
                ["A", "甲", "B", ""],
                ["B", "乙", "A", ""],
                ["C", "丙", "ZZ", ""],
                ["D", "丁", "D", ""],
            ],
        ),
    )
    assert job.state == INVALID
    text = "\n".join(errors(job))
    assert "上级单位关系形成循环" in text and "单位“ZZ”不存在" in text and "不能是本单位" in text
    assert Department.objects.count() == 0


def test_only_administrators_import_departments(tree):
    clerk = member(tree["bureau"])
    from imports.services import ImportRefused, job_create

    with pytest.raises(ImportRefused):
        job_create(
            user=clerk,
            kind="departments",
            name="d.xlsx",
            data=xlsx(DEPARTMENT_HEADERS, [["X", "x", "", ""]]),
            enqueue=False,
        )


# ----------------------------------------------------------------------------- projects


def test_projects_csv_any_column_order_and_blank_keeps(tree, fiscal_year):
    headers = ["项目名称", "项目编码", "单位编码", "全年预算数·本年财政拨款", "年度", "备注"]
    data = csv_bytes(headers, [["政务大厅运行", "P-1", "100001", "158.5", "2025", "随便写"]])
    job = run("projects", data, name="projects.csv")
    assert job.state == DONE, errors(job)
    assert job.notes == ["以下列不属于模板，导入时忽略：备注"]
    project = Project.objects.get(code="P-1")
    assert project.full_current == D("158.5") and project.initial_current == 0
    # a blank cell changes nothing; GBK-encoded CSV is read too
    data = csv_bytes(headers, [["政务大厅运行", "P-1", "100001", "", "2025", ""]], "gb18030")
    job = run("projects", data, name="projects.csv")
    assert job.counts["unchanged"] == 1
    assert Project.objects.get(code="P-1").full_current == D("158.5")


def test_projects_per_row_errors_in_chinese(tree, fiscal_year):
    job = run(
        "projects",
        xlsx(
            PROJECT_HEADERS,
            [
                [2025, "100001", "P-1", "正常项目", 10, 10, 5],
                [2025, "999", "P-2", "单位不存在", 1, 1, 1],
                [2025, "100001", "P-3", "", "abc", -1, "1.23456"],
                [2019, "100001", "P-4", "年度不存在", 1, 1, 1],
                [2025, "100001", "P-1", "重复", 1, 1, 1],
            ],
        ),
    )
    assert job.state == INVALID
    text = errors(job)
    assert "第3行 单位编码：单位“999”不存在或已停用" in text
    assert "第4行 项目名称：必填" in text
    assert "第4行 年初预算数·本年财政拨款必须是数字" in text
    assert "第4行 全年预算数·本年财政拨款不能为负数" in text
    assert "第4行 全年执行数·本年财政拨款最多保留4位小数" in text
    assert "第5行 年度：系统中没有 2019 年度，请先由管理员创建" in text
    assert any(t.startswith("第6行 项目编码：与第2行重复") for t in text)
    assert Project.objects.count() == 0  # the good first row was not written either


def test_all_or_nothing_when_the_last_row_fails(tree, fiscal_year):
    rows = [[2025, "100001", f"P-{n}", f"项目{n}", 1, 1, 1] for n in range(50)]
    rows.append([2025, "100001", "P-last", "最后一行", "一百", 1, 1])
    before = snapshot()
    job = run("projects", xlsx(PROJECT_HEADERS, rows))
    assert job.state == INVALID and job.counts["new"] == 50 and job.counts["error"] == 1
    assert snapshot() == before


def test_an_exception_mid_import_leaves_the_database_as_before(tree, fiscal_year, monkeypatch):
    from imports import kinds

    real = kinds.Projects.write

    def failing(self, plan, ctx):
        real(self, plan, ctx)  # the rows are written, then something breaks
        raise RuntimeError("disk full")

    monkeypatch.setattr(kinds.Projects, "write", failing)
    before = snapshot()
    job = run("projects", xlsx(PROJECT_HEADERS, [[2025, "100001", "P-1", "项目", 1, 1, 1]]))
    assert job.state == ImportJob.State.FAILED and "未写入任何数据" in job.message
    assert snapshot() == before


def test_reviewer_imports_projects_only_for_assigned_departments(tree, fiscal_year):
    reviewer = member(tree["bureau"], role=Membership.Role.REVIEWER)
    job = run(
        "projects",
        xlsx(
            PROJECT_HEADERS,
            [
                [2025, "100002", "P-1", "所属单位项目", 1, 1, 1],
                [2025, "200", "P-2", "其他部门项目", 1, 1, 1],
            ],
        ),
        user=reviewer,
    )
    assert job.state == INVALID
    assert errors(job) == ["第3行 单位编码：您无权导入单位“200”的数据"]
    assert Project.objects.count() == 0


def test_funds_of_a_submitted_evaluation_cannot_change(tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    SelfEvaluation.objects.create(
        year=fiscal_year, department=tree["centre"], project=project, state=FormState.SUBMITTED
    )
    job = run("projects", xlsx(PROJECT_HEADERS, [[2025, "100001", "P-1", project.name, 1, 2, 3]]))
    assert job.state == INVALID
    assert "不能通过导入修改资金" in errors(job)[0]


# ----------------------------------------------------------------------------- budgets


def test_department_budgets_blank_is_no_data(tree, fiscal_year):
    headers = ["年度", "单位编码", "编制数", "实有在职人数", "公务接待费·本年决算数", "单位名称"]
    job = run("department-budgets", xlsx(headers, [[2025, "100", 50, 48, None, "参考列"]]))
    assert job.state == DONE, errors(job)
    budget = DepartmentBudget.objects.get(department=tree["bureau"])
    assert budget.staff_quota == 50 and budget.reception_final is None  # 无数据, not 0
    job = run("department-budgets", xlsx(headers, [[2025, "100", 50, 49, "1.5", ""]]))
    assert job.counts["update"] == 1
    budget.refresh_from_db()
    assert budget.staff_actual == 49 and budget.reception_final == D("1.5")
    assert (
        run("department-budgets", xlsx(headers, [[2025, "100", 50, 49, "1.5", ""]])).counts[
            "unchanged"
        ]
        == 1
    )


def test_year_option_fills_the_year_and_must_agree(tree, fiscal_year):
    headers = ["单位编码", "编制数"]
    job = run("department-budgets", xlsx(headers, [["100", 5]]), year=fiscal_year)
    assert job.state == DONE, errors(job)
    job = run("department-budgets", xlsx(["年度", *headers], [[2024, "100", 5]]), year=fiscal_year)
    assert errors(job) == ["第2行 年度：2024 与所选年度 2025 不一致"]


# ----------------------------------------------------------------------------- indicators


def indicator_rows(code="P-1"):
    return [
        [2025, code, "产出指标", "数量指标", "话务平台接听量", "≥", "45", "万件", 30],
        [2025, code, "产出指标", "时效指标", "设施维修时间", "≤", "2", "小时", 20],
        [
            2025,
            code,
            "效益指标",
            "社会效益指标",
            "保障大厅正常运行",
            "定性",
            "保障正常运转",
            "",
            30,
        ],
        [2025, code, "满意度指标", "服务对象满意度指标", "群众满意率", "≥", "95", "%", 10],
    ]


def test_indicators_create_sheets_and_reimport_changes_nothing(tree, fiscal_year):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    clerk = member(tree["centre"])
    data = xlsx(INDICATOR_HEADERS, indicator_rows())
    job = run("indicators", data, user=clerk)
    assert job.state == DONE, errors(job)
    sheet = TargetSheet.objects.get(project__code="P-1")
    assert sheet.state == FormState.DRAFT
    assert list(sheet.indicators.values_list("name", "order")) == [
        ("话务平台接听量", 1),
        ("设施维修时间", 2),
        ("保障大厅正常运行", 3),
        ("群众满意率", 4),
    ]
    version = sheet.version
    again = run("indicators", data, user=clerk)
    assert again.counts == {"new": 0, "update": 0, "unchanged": 4, "error": 0}
    assert Indicator.objects.count() == 4
    sheet.refresh_from_db()
    assert sheet.version == version
    changed = indicator_rows()
    changed[0][6] = "50"
    job = run("indicators", xlsx(INDICATOR_HEADERS, changed), user=clerk)
    assert job.counts["update"] == 1
    assert Indicator.objects.get(name="话务平台接听量").target_value == "50"
    sheet.refresh_from_db()
    assert sheet.version == version + 1  # an open form sees the change as a conflict


def test_indicator_rules_and_scope(tree, fiscal_year):
    ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    ProjectFactory(department=tree["other"], year=fiscal_year, code="P-9")
    clerk = member(tree["centre"])
    rows = [
        [2025, "P-1", "产出指标", "满意度", "错误二级", "≥", "1", "件", 5],
        [2025, "P-1", "产出", "数量指标", "错误一级", "≥", "1", "件", 5],
        [2025, "P-1", "产出指标", "数量指标", "文字目标", "≥", "大幅提升", "件", 5],
        [2025, "P-1", "产出指标", "数量指标", "缺单位", "≥", "3", "", 5],
        [2025, "P-1", "产出指标", "数量指标", "性质错", "大于", "3", "件", 5],
        [2025, "P-9", "产出指标", "数量指标", "别人的项目", "≥", "3", "件", 5],
        [2025, "", "产出指标", "数量指标", "没有归属", "≥", "3", "件", 5],
    ]
    job = run("indicators", xlsx(INDICATOR_HEADERS, rows), user=clerk)
    text = errors(job)
    assert "第2行 二级指标：“满意度”不是“产出指标”下的二级指标" in text
    assert "第3行 一级指标：“产出”不是2025年度的一级指标" in text
    assert "第4行 年度指标值：定量指标的年度指标值必须是数字（文字目标请选择“定性”）" in text
    assert "第5行 计量单位：定量指标须填写计量单位" in text
    assert text[4].startswith("第6行 指标性质：“大于”不是有效选项")
    assert "第7行 项目编码：您无权导入项目“P-9”的数据" in text
    assert "第8行 项目编码和单位编码至少填写一个（部门整体指标填写单位编码）" in text
    assert Indicator.objects.count() == 0 and TargetSheet.objects.count() == 0


def test_indicators_of_an_approved_sheet_are_refused_unless_unchanged(tree, fiscal_year):
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    data = xlsx(INDICATOR_HEADERS, indicator_rows())
    assert run("indicators", data).state == DONE
    TargetSheet.objects.filter(project=project).update(state=FormState.APPROVED)
    assert run("indicators", data).counts["unchanged"] == 4  # the same file again: fine
    changed = indicator_rows()
    changed[1][8] = 25
    job = run("indicators", xlsx(INDICATOR_HEADERS, changed))
    assert errors(job) == [
        "第3行：该绩效目标当前为“已审核”，不能通过导入修改（须先退回或重新打开）"
    ]


def test_department_wide_indicators_by_department_code(tree, fiscal_year):
    headers = [
        "年度",
        "单位编码",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "年度指标值",
        "计量单位",
        "分值",
    ]
    job = run(
        "indicators",
        xlsx(
            headers,
            [
                [2025, "100", "产出指标", "数量指标", "办件量", "≥", "10", "万件", 50],
            ],
        ),
    )
    assert job.state == DONE, errors(job)
    sheet = TargetSheet.objects.get(project=None, department=tree["bureau"])
    assert sheet.indicators.get().name == "办件量"


# ----------------------------------------------------------------------------- results

RESULT_HEADERS = [
    "年度",
    "项目编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "实际完成值",
    "完成等级",
    "得分",
    "偏差原因分析及改进措施",
]


def result_rows(code: str) -> list[list]:
    return [
        [2025, code, "产出指标", "数量指标", "话务平台接听量", "48", "", None, ""],
        [2025, code, "产出指标", "时效指标", "设施维修时间", "3", "", 10, "配件到货慢"],
        [2025, code, "效益指标", "社会效益指标", "保障大厅正常运行", "正常运转", "达成", 30, ""],
        [2025, code, "满意度指标", "服务对象满意度指标", "群众满意率", "96", "", 10, ""],
    ]


def test_results_start_the_evaluation_and_follow_the_form_rules(sheet, clerk):
    code = sheet.project.code
    job = run("results", xlsx(RESULT_HEADERS, result_rows(code)), user=clerk)
    assert job.state == DONE, errors(job)
    evaluation = SelfEvaluation.objects.get(project=sheet.project)
    lines = {r.indicator.name: r for r in IndicatorResult.objects.select_related("indicator")}
    assert lines["话务平台接听量"].score == D("30")  # blank score takes the suggestion
    assert lines["设施维修时间"].deviation_reason == "配件到货慢"
    assert lines["保障大厅正常运行"].level == "achieved"
    assert evaluation.total_score is not None
    again = run("results", xlsx(RESULT_HEADERS, result_rows(code)), user=clerk)
    assert again.counts["unchanged"] == 4 and again.counts["update"] == 0
    bad = result_rows(code)
    bad[0][7] = 31  # above the weight
    bad[2][6] = "未达成"
    bad[2][7] = 30  # outside the band of 未达成
    before = snapshot()
    job = run("results", xlsx(RESULT_HEADERS, bad), user=clerk)
    assert job.state == INVALID
    assert any(e.startswith("第2行 得分") for e in errors(job))
    assert any(e.startswith("第4行 ") for e in errors(job))
    assert snapshot() == before


def test_results_refused_for_a_submitted_evaluation_or_another_department(sheet, clerk, tree):
    code = sheet.project.code
    assert run("results", xlsx(RESULT_HEADERS, result_rows(code)), user=clerk).state == DONE
    SelfEvaluation.objects.filter(project=sheet.project).update(state=FormState.SUBMITTED)
    changed = result_rows(code)
    changed[3][5] = "97"
    job = run("results", xlsx(RESULT_HEADERS, changed), user=clerk)
    assert "表单当前状态为“已提交”" in errors(job)[0]
    outsider = member(tree["other"])
    job = run("results", xlsx(RESULT_HEADERS, changed), user=outsider)
    assert all("您无权导入项目" in e for e in errors(job)) and len(errors(job)) == 4


def test_results_need_approved_targets(tree, fiscal_year):
    fiscal_year.evaluation_open = True
    fiscal_year.save()
    project = ProjectFactory(department=tree["centre"], year=fiscal_year, code="P-1")
    TargetSheetFactory(project=project)  # draft
    assert run("indicators", xlsx(INDICATOR_HEADERS, indicator_rows())).state == DONE
    job = run("results", xlsx(RESULT_HEADERS, result_rows("P-1")))
    assert "绩效目标尚未批复，不能开始自评" in errors(job)[0]
    assert SelfEvaluation.objects.count() == 0


# ----------------------------------------------------------------------------- every kind


def every_kind_file(kind: str, code: str) -> tuple[list[str], list[list]]:
    """A valid file of each kind for the `sheet` fixture's project (and its department)."""
    if kind == "departments":
        return DEPARTMENT_HEADERS, [["301", "市财政局", "", ""], ["301001", "中心", "301", ""]]
    if kind == "projects":
        return PROJECT_HEADERS, [[2025, "100001", "P-NEW", "新项目", 1, 1, 1]]
    if kind == "department-budgets":
        return ["年度", "单位编码", "编制数"], [[2025, "100001", 10], [2025, "100", 20]]
    if kind == "indicators":
        rows = [[2025, "P-NEW2", "产出指标", "数量指标", "新指标", "≥", "1", "件", 5]]
        return INDICATOR_HEADERS, rows
    return RESULT_HEADERS, result_rows(code)


@pytest.mark.parametrize(
    "kind", ["departments", "projects", "department-budgets", "indicators", "results"]
)
def test_every_kind_all_or_nothing_on_the_last_row(kind, sheet, tree):
    ProjectFactory(department=tree["centre"], year=sheet.year, code="P-NEW2")
    headers, rows = every_kind_file(kind, sheet.project.code)
    bad = list(rows[-1])
    broken = {"departments": "上级单位编码", "indicators": "项目编码", "results": "项目编码"}
    bad[headers.index(broken.get(kind, "单位编码"))] = "不存在的编码"
    before = snapshot()
    job = run(kind, xlsx(headers, [*rows, bad]))
    assert job.state == INVALID and job.counts["error"] == 1, (job.state, job.errors)
    assert job.errors[0][0] == len(rows) + 2  # the last row
    assert snapshot() == before
    good = run(kind, xlsx(headers, rows))
    assert good.state == DONE, good.errors
    assert run(kind, xlsx(headers, rows)).counts["unchanged"] == len(rows)  # idempotent


def test_department_budgets_scope(tree, fiscal_year):
    reviewer = member(tree["bureau"], role=Membership.Role.REVIEWER)
    job = run(
        "department-budgets",
        xlsx(["年度", "单位编码", "编制数"], [[2025, "100002", 3], [2025, "200", 3]]),
        user=reviewer,
    )
    assert [message(*e) for e in job.errors] == ["第3行 单位编码：您无权导入单位“200”的数据"]
    assert not DepartmentBudget.objects.exists()


def test_projects_ended_column_marks_and_clears(tree, fiscal_year):
    def ended(value):
        row = [2025, "100001", "P-1", "一次性项目", value]
        headers = ["年度", "单位编码", "项目编码", "项目名称", "已结束"]
        return run("projects", csv_bytes(headers, [row]), name="projects.csv")

    job = ended("是")
    assert job.state == DONE, errors(job)
    assert Project.objects.get(code="P-1").ended
    job = ended("")  # blank keeps
    assert job.counts["unchanged"] == 1 and Project.objects.get(code="P-1").ended
    job = ended("否")
    assert job.state == DONE and not Project.objects.get(code="P-1").ended
    job = ended("结束了")
    assert job.state == INVALID and any(t.startswith("第2行 已结束") for t in errors(job))
