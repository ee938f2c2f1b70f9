"""结果应用表: for finance, one row per 部门整体 and per project of a year with the score that
decides its grade, the grade and the suggestion for next year's budget (evaluations.application):
优 优先保障, 良 维持, 中 压减, 差 取消或暂停; finance's own suggestion, with its reason, where it
changed the rule's.

Twelve columns: 序号 | 单位 | 项目名称 | 全年预算数（万元） | 自评得分 | 审核得分 |
复核得分 | 等级依据 | 评价等级 | 规则建议 | 应用建议 | 调整理由.
Only 已审核 self-evaluations are evaluated; any other row reads 未评价 with no scores and no
suggestion. Rows in the 自评结果汇总表's order (department code, 部门整体 first, then project
code); a department gets a 部门整体 row under the summary's rule.
"""

from __future__ import annotations

from budgets.models import DepartmentBudget, FiscalYear, Project
from evaluations import application
from evaluations.models import FormState, SelfEvaluation, SpotCheckItem, TargetSheet
from evaluations.selectors import policy_for

from .base import Builder, Style, Table
from .basic_data import put_money
from .summary import DEPARTMENT_WIDE, in_scope

HEADINGS = (
    "序号",
    "单位",
    "项目名称",
    "全年预算数（万元）",
    "自评得分",
    "审核得分",
    "复核得分",
    "等级依据",
    "评价等级",
    "规则建议",
    "应用建议",
    "调整理由",
)
WIDTHS = [5.0, 22.0, 28.0, 11.0, 8.0, 8.0, 8.0, 8.0, 8.0, 10.0, 12.0, 26.0]
CHANGED = "（已调整）"
RULE_NOTE = (
    "说明：评价等级按复核得分（经抽查复核的）、否则按审核得分（财政录入的）、否则按自评得分，"
    "以本年度等级标准评定；规则建议：优—优先保障，良—维持，中—压减，差—取消或暂停。"
    "仅财政已审核的自评参与评价，其余为“未评价”。"
)


def results_application_table(year: int, rows: list[dict], thresholds: str = "") -> Table:
    """rows (in print order): department, name, budget, own, review, recheck (Decimal or None),
    basis, grade, rule, applied (the suggestion that stands), reason (finance's, "" for none)."""
    table = Table(
        title="绩效评价结果应用表",
        subtitle=f"（{year}年度）",
        sheet_name="结果应用表",
        widths=WIDTHS,
        header_rows=3,
        landscape=True,
    )
    b = Builder(table)
    b.list_head(HEADINGS)
    for number, row in enumerate(rows, start=1):
        b.put(0, number, Style.CENTER)
        b.put(1, row["department"], Style.TEXT)
        b.put(2, row["name"], Style.TEXT)
        put_money(b, 3, row["budget"])
        for col, key in ((4, "own"), (5, "review"), (6, "recheck")):
            value = row[key]
            b.put(
                col, "" if value is None else value, Style.CENTER if value is None else Style.SCORE
            )
        b.put(7, row["basis"], Style.CENTER)
        b.put(8, row["grade"], Style.CENTER)
        b.put(9, row["rule"], Style.CENTER)
        changed = bool(row["reason"])
        b.put(10, row["applied"] + (CHANGED if changed else ""), Style.CENTER, bold=changed)
        b.put(11, row["reason"], Style.TEXT)
        b.row()
    counts = suggestion_counts(rows)
    unevaluated = sum(1 for r in rows if r["grade"] == application.NOT_EVALUATED)
    b.span(
        "合计："
        + "，".join(f"{s} {n} 项" for s, n in counts.items())
        + f"，未评价 {unevaluated} 项。",
        Style.FOOTER,
    )
    b.row()
    b.span(RULE_NOTE + thresholds, Style.FOOTER)
    b.row()
    return table


# ---------------------------------------------------------------------------------------------
# Gathering: five queries whatever the number of departments and projects
# ---------------------------------------------------------------------------------------------


def _row(department, name: str, budget, evaluation: SelfEvaluation | None, policy) -> dict:
    row = {
        "department_id": department.pk,
        "evaluation_id": None,
        "department": department.name,
        "name": name,
        "budget": budget,
        "own": None,
        "review": None,
        "recheck": None,
        "basis": "",
        "grade": application.NOT_EVALUATED,
        "rule": "",
        "applied": "",
        "reason": "",
    }
    if evaluation is None or evaluation.state != FormState.APPROVED:
        return row
    try:
        item = evaluation.spot_check_item
    except SpotCheckItem.DoesNotExist:
        item = None
    recheck = item.total_score if item is not None and item.done else None
    grade, rule, basis = application.grade_and_suggestion(
        evaluation.total_score, evaluation.review_total_score, recheck, policy
    )
    change = getattr(evaluation, "result_suggestion", None)
    row.update(
        evaluation_id=evaluation.pk,
        own=evaluation.total_score,
        review=evaluation.review_total_score,
        recheck=recheck,
        basis=basis,
        grade=grade,
        rule=rule,
        applied=change.suggestion if change else rule,
        reason=change.reason if change else "",
    )
    return row


def _evaluations(queryset):
    return queryset.select_related("spot_check_item", "result_suggestion")


def gather_results_application(
    fiscal_year: FiscalYear, department_ids: set[int] | None
) -> list[dict]:
    """The rows in print order (5 queries)."""
    number = fiscal_year.year
    policy = policy_for(fiscal_year)
    projects = list(
        in_scope(
            Project.objects.select_related(
                "department",
                "self_evaluation__spot_check_item",
                "self_evaluation__result_suggestion",
            ),
            number,
            department_ids,
        )
    )
    wide = {
        e.department_id: e
        for e in _evaluations(
            in_scope(
                SelfEvaluation.objects.filter(project__isnull=True).select_related("department"),
                number,
                department_ids,
            )
        )
    }
    budgets = {
        b.department_id: b
        for b in in_scope(
            DepartmentBudget.objects.select_related("department"), number, department_ids
        )
    }
    departments = {b.department_id: b.department for b in budgets.values()}
    for sheet in in_scope(
        TargetSheet.objects.filter(project__isnull=True).select_related("department"),
        number,
        department_ids,
    ):
        departments.setdefault(sheet.department_id, sheet.department)
    for evaluation in wide.values():
        departments[evaluation.department_id] = evaluation.department
    keyed = []
    for department_id, department in departments.items():
        budget = budgets.get(department_id)
        full = budget.income_total("full") if budget else None
        keyed.append(
            (
                (department.code, 0, ""),
                _row(
                    department,
                    DEPARTMENT_WIDE,
                    full,
                    wide.get(department_id),
                    policy,
                ),
            )
        )
    for project in projects:
        try:
            evaluation = project.self_evaluation
        except SelfEvaluation.DoesNotExist:
            evaluation = None
        keyed.append(
            (
                (project.department.code, 1, project.code),
                _row(project.department, project.name, project.full_total, evaluation, policy),
            )
        )
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


def thresholds_text(fiscal_year: FiscalYear) -> str:
    y = fiscal_year
    return (
        f"本年度等级标准：优≥{y.grade_excellent}分，良≥{y.grade_good}分，"
        f"中≥{y.grade_pass}分，差<{y.grade_pass}分。"
    )


def suggestion_counts(rows: list[dict]) -> dict[str, int]:
    return {s: sum(1 for r in rows if r["applied"] == s) for s in application.SUGGESTIONS}
