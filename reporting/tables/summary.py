"""自评结果汇总表 (DOMAIN.md, "The standard tables" 5): for finance, one row per department-wide
evaluation and per project of a year, across the departments asked for.

Twelve columns: 序号 | 单位 | 项目名称 | 全年预算数（万元） | 全年执行数（万元） | 执行率 |
自评得分 | 审核得分 | 复核得分 | 差异（复核−自评） | 评价等级 | 状态.
Rows are ordered by department code, the department-wide row first, then by project code.
Projects without a self-evaluation are listed as 未开始. The 合计 row adds the project rows
only: a department's 全年预算数 already contains its projects. 复核得分 is the 抽查复核's total
of a re-checked form; a department whose re-checked forms differ from their self-scores by more
than the year's threshold on average is marked （复核差异大） in the 单位 column and named
under the table.
"""

from decimal import Decimal

from budgets.models import DepartmentBudget, Project
from evaluations import sampling, scoring
from evaluations.models import SelfEvaluation, SpotCheckItem, TargetSheet
from evaluations.snapshot import _s, evaluation_queryset, gather_evaluations

from .base import OUT_OF_RANGE, Builder, Style, Table, rate_shown
from .basic_data import put_money
from .self_evaluation import dec

WIDTHS = [5.0, 24.0, 30.0, 11.0, 11.0, 9.0, 9.0, 9.0, 9.0, 9.0, 8.0, 8.0]
N = len(WIDTHS)
HEADINGS = (
    "序号",
    "单位",
    "项目名称",
    "全年预算数（万元）",
    "全年执行数（万元）",
    "执行率",
    "自评得分",
    "审核得分",
    "复核得分",
    "差异（复核−自评）",
    "评价等级",
    "状态",
)
DEPARTMENT_WIDE = "部门整体支出"
NOT_STARTED = "未开始"
TOTAL_NOTE = "注：合计为各项目之和；部门整体支出已包含本部门的项目支出，不重复计入。"
LEGEND = (
    "说明：“无数据”为尚未录入的数（不是0），“超出范围”为超出可存储范围的计算结果，"
    "空白为尚无此数（如未开始自评的得分）。Excel 文件的数字栏只有数字："
    "这些单元格留空，“无数据”“超出范围”以批注说明。"
)
FLAG = "（复核差异大）"


def flags_note(flagged: list[tuple[str, Decimal, int]], threshold: Decimal) -> str:
    """The line under the table naming the flagged departments (name, mean, forms)."""
    names = "；".join(f"{name}（平均差异{mean}分，复核{count}份）" for name, mean, count in flagged)
    return f"抽查复核差异超过{threshold}分的单位：{names}。"


def summary_table(
    year: int,
    rows: list[dict],
    flagged: list[tuple[str, Decimal, int]] = (),
    threshold: Decimal = Decimal("5"),
) -> Table:
    """rows (in print order): kind (project / department), department, name, budget, executed,
    rate, score, review_score, recheck_score, difference (strings or Decimals, None when
    unknown), grade, state, flagged (the department's re-checks differ too much); `flagged`:
    (department name, mean difference, re-checked forms) for the note under the table."""
    title = "绩效自评结果汇总表"
    table = Table(
        title=title,
        subtitle=f"（{year}年度）",
        sheet_name="自评结果汇总表",
        widths=WIDTHS,
        header_rows=3,
        landscape=True,
    )
    b = Builder(table)
    b.list_head(HEADINGS)
    for number, row in enumerate(rows, start=1):
        b.put(0, number, Style.CENTER)
        b.put(1, row["department"] + (FLAG if row.get("flagged") else ""), Style.TEXT)
        b.put(2, row["name"], Style.TEXT)
        put_money(b, 3, row["budget"])
        put_money(b, 4, row["executed"])
        for col, value, style in (
            (5, row["rate"], Style.PERCENT),
            (6, row["score"], Style.SCORE),
            (7, row["review_score"], Style.SCORE),
            (8, row.get("recheck_score"), Style.SCORE),
            (9, row.get("difference"), Style.SCORE),
        ):
            if value == OUT_OF_RANGE:
                b.put(col, OUT_OF_RANGE, Style.CENTER)
                continue
            number_value = dec(value)
            if number_value is None:
                b.put(col, "", Style.CENTER)
            else:
                b.put(col, number_value, style)
        b.put(10, row["grade"] or "", Style.CENTER)
        b.put(11, row["state"], Style.CENTER)
        b.row()
    projects = [r for r in rows if r["kind"] == "project"]
    budget = sum((dec(r["budget"]) or Decimal("0") for r in projects), Decimal("0"))
    executed = sum((dec(r["executed"]) or Decimal("0") for r in projects), Decimal("0"))
    b.put(0, "合计", Style.TOTAL, colspan=3)
    b.put(3, budget, Style.MONEY, bold=True)
    b.put(4, executed, Style.MONEY, bold=True)
    rate = scoring.execution_rate(budget, executed)
    if rate is None:
        b.put(5, "", Style.TOTAL)
    else:
        b.put(5, rate, Style.PERCENT, bold=True)
    for col in range(6, N):
        b.put(col, "", Style.TOTAL)
    b.row()
    b.span(TOTAL_NOTE, Style.FOOTER)
    b.row()
    b.span(LEGEND, Style.FOOTER)
    b.row()
    if flagged:
        b.span(flags_note(list(flagged), threshold), Style.FOOTER)
        b.row()
    return table


# ---------------------------------------------------------------------------------------------
# Gathering: a fixed number of queries for any number of departments and projects
# ---------------------------------------------------------------------------------------------


def in_scope(queryset, year: int, department_ids: set[int] | None):
    queryset = queryset.filter(year__year=year)
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=department_ids)
    return queryset


def year_evaluations(
    year: int, department_ids: set[int] | None, *, projects_only: bool = False
) -> tuple[list[Project], list[SelfEvaluation], dict[int, dict]]:
    """The projects of a year (with their department, ordered by department and project code),
    its self-evaluations and what they show (`gather_evaluations`: approved ones answer with
    their frozen snapshot)."""
    projects = list(
        in_scope(Project.objects.select_related("department"), year, department_ids).order_by(
            "department__code", "code"
        )
    )
    evaluations = in_scope(evaluation_queryset(), year, department_ids)
    if projects_only:
        evaluations = evaluations.filter(project__isnull=False)
    evaluations = list(evaluations)
    return projects, evaluations, gather_evaluations(evaluations)


def evaluation_row(evaluation: SelfEvaluation, data: dict, recheck: Decimal | None = None) -> dict:
    total = next((f for f in data["funds"] if f["is_total"]), {})
    project = data["kind"] == "project"
    own = None if data.get("total") == OUT_OF_RANGE else dec(data.get("total"))
    return {
        "department_id": evaluation.department_id,
        "recheck_score": recheck,
        "difference": None if recheck is None else recheck - (own or Decimal("0")),
        "kind": data["kind"],
        "department": data["department"],
        "name": data["project_name"] if project else DEPARTMENT_WIDE,
        "budget": total.get("full"),
        "executed": total.get("executed"),
        "rate": rate_shown(data.get("execution_rate"), total.get("full"), total.get("executed")),
        "score": data.get("total"),
        "review_score": data.get("review_total"),
        # the reviewer's grade, when there is one, is the result
        "grade": data.get("review_grade") or data.get("grade") or "",
        "state": evaluation.get_state_display(),
    }


def _not_started(kind: str, department, name: str, budget, executed) -> dict:
    return {
        "department_id": department.pk,
        "kind": kind,
        "department": department.name,
        "name": name,
        "budget": _s(budget),
        "executed": _s(executed),
        "rate": _s(scoring.execution_rate(budget, executed)),
        "score": None,
        "review_score": None,
        "recheck_score": None,
        "difference": None,
        "grade": "",
        "state": NOT_STARTED,
    }


def rechecks_of(evaluations: list[SelfEvaluation]) -> dict[int, Decimal]:
    """{evaluation id: 复核总分} of the re-checked ones (1 query)."""
    return dict(
        SpotCheckItem.objects.filter(
            evaluation__in=[e.pk for e in evaluations], rechecked_at__isnull=False
        ).values_list("evaluation_id", "total_score")
    )


def gather_summary(
    year: int, department_ids: set[int] | None, threshold: Decimal | None = None
) -> list[dict]:
    """The rows of the summary in print order. A department gets a department-wide row when it
    has a department-wide evaluation, target sheet or budget row for the year. With
    `threshold`, rows of departments whose re-checks differ too much are `flagged`."""
    projects, evaluations, data = year_evaluations(year, department_ids)
    rechecks = rechecks_of(evaluations)
    by_project = {e.project_id: e for e in evaluations if e.project_id}
    by_department = {e.department_id: e for e in evaluations if e.project_id is None}
    budgets = {
        b.department_id: b
        for b in in_scope(
            DepartmentBudget.objects.select_related("department"), year, department_ids
        )
    }
    departments = {b.department_id: b.department for b in budgets.values()}
    for sheet in in_scope(
        TargetSheet.objects.filter(project__isnull=True).select_related("department"),
        year,
        department_ids,
    ):
        departments.setdefault(sheet.department_id, sheet.department)
    for evaluation in by_department.values():
        departments[evaluation.department_id] = evaluation.department

    keyed: list[tuple[tuple, dict]] = []
    for department_id, department in departments.items():
        evaluation = by_department.get(department_id)
        if evaluation is not None:
            row = evaluation_row(evaluation, data[evaluation.pk], rechecks.get(evaluation.pk))
        else:
            budget = budgets.get(department_id)
            full = budget.income_total("full") if budget else None
            executed = budget.income_total("executed") if budget else None
            row = _not_started("department", department, DEPARTMENT_WIDE, full, executed)
        keyed.append(((department.code, 0, ""), row))
    for project in projects:
        evaluation = by_project.get(project.pk)
        if evaluation is not None:
            row = evaluation_row(evaluation, data[evaluation.pk], rechecks.get(evaluation.pk))
        else:
            row = _not_started(
                "project",
                project.department,
                project.name,
                project.full_total,
                project.executed_total,
            )
        keyed.append(((project.department.code, 1, project.code), row))
    keyed.sort(key=lambda item: item[0])
    rows = [row for _, row in keyed]
    if threshold is not None:
        differences = department_differences(rows, threshold)
        for row in rows:
            found = differences.get(row["department_id"])
            row["flagged"] = bool(found and found.flagged)
    return rows


def department_differences(rows: list[dict], threshold: Decimal) -> dict:
    """{department id: sampling.Difference} of the rows' re-checked forms."""
    return sampling.department_differences(
        (
            (row["department_id"], dec(row["score"]), row["recheck_score"])
            for row in rows
            if row["score"] != OUT_OF_RANGE
        ),
        threshold,
    )


def flagged_departments(rows: list[dict], threshold: Decimal) -> list[tuple[str, Decimal, int]]:
    """(department name, mean |自评分 − 复核分|, re-checked forms) of the flagged departments, in
    the rows' order."""
    names = {row["department_id"]: row["department"] for row in rows}
    return [
        (names[d.department], d.mean, d.count)
        for d in department_differences(rows, threshold).values()
        if d.flagged
    ]
