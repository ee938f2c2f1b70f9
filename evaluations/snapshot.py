"""What the self-evaluation tables show, gathered from the database as plain JSON-able data.

The same dict is frozen into `SelfEvaluation.snapshot` when the evaluation is approved, so an
approved table is rendered from its snapshot and later edits to names, budgets or targets do not
change it. Decimals are kept as strings (exact); builders turn them back into Decimal.

`gather_evaluations` reads any number of evaluations with a fixed number of queries.
"""

import hashlib
import json
from decimal import Decimal

from budgets.models import DepartmentBudget, contact_of

from .funds import evaluation_funds
from .models import IndicatorResult, SelfEvaluation, TargetSheet


def _s(value) -> str | None:
    return None if value is None else str(value)


def evaluation_queryset():
    return SelfEvaluation.objects.select_related(
        "year", "department__parent__parent", "project", "filled_by__profile"
    )


# An indicator line as the tables show it, read as plain values: a city has 45,000 of them, and
# model instances (result, indicator, category, parent category) cost more than everything else.
LINE_FIELDS = {
    "level1": "indicator__category__parent__name",
    "level2": "indicator__category__name",
    "order1": "indicator__category__parent__order",
    "order2": "indicator__category__order",
    "name": "indicator__name",
    "comparator": "indicator__comparator",
    "target": "indicator__target_value",
    "adjusted": "indicator__adjusted_target_value",
    "unit": "indicator__unit",
    "basis": "indicator__basis",
    "weight": "indicator__weight",
    "actual": "actual_value",
    "level": "level",
    "score": "score",
    "review_score": "review_score",
    "reason": "deviation_reason",
}


def _lines(evaluation_ids: list[int]) -> dict[int, list[dict]]:
    """The indicator lines of these evaluations, in the form's order (one query per 900)."""
    lines: dict[int, list[dict]] = {}
    names = list(LINE_FIELDS)
    for start in range(0, len(evaluation_ids), 900):
        rows = (
            IndicatorResult.objects.filter(evaluation_id__in=evaluation_ids[start : start + 900])
            .order_by("evaluation_id", "indicator__order", "indicator_id")
            .values_list("evaluation_id", *LINE_FIELDS.values())
        )
        for evaluation_id, *values in rows:
            row = dict(zip(names, values, strict=True))
            lines.setdefault(evaluation_id, []).append(
                {
                    "level1": row["level1"],
                    "level2": row["level2"],
                    "order": [row["order1"], row["order2"]],
                    "name": row["name"],
                    "comparator": row["comparator"],
                    "target": row["target"],
                    "adjusted": row["adjusted"],
                    "unit": row["unit"],
                    "basis": row["basis"],
                    "weight": _s(row["weight"]),
                    "actual": row["actual"],
                    "level": row["level"],
                    "score": _s(row["score"]),
                    "review_score": _s(row["review_score"]),
                    "reason": row["reason"],
                }
            )
    return lines


def gather_evaluations(evaluations: list[SelfEvaluation]) -> dict[int, dict]:
    """{evaluation id: data}. Approved evaluations answer with their frozen snapshot.
    `evaluations` must come from `evaluation_queryset()` (their years, departments, projects)."""
    live = [e for e in evaluations if not (e.state == "approved" and e.snapshot)]
    lines = _lines(sorted(e.id for e in live)) if live else {}
    goals: dict[tuple, str] = {}
    budgets: dict[tuple, DepartmentBudget] = {}
    if live:
        years = {e.year_id for e in live}
        departments = {e.department_id for e in live}
        for sheet in TargetSheet.objects.filter(
            year_id__in=years, department_id__in=departments
        ).only("year_id", "department_id", "project_id", "overall_goal"):
            goals[(sheet.year_id, sheet.department_id, sheet.project_id)] = sheet.overall_goal
        if any(e.project_id is None for e in live):
            for budget in DepartmentBudget.objects.filter(
                year_id__in=years, department_id__in=departments
            ):
                budgets[(budget.year_id, budget.department_id)] = budget
    data = {}
    for evaluation in evaluations:
        if evaluation.state == "approved" and evaluation.snapshot:
            data[evaluation.id] = evaluation.snapshot
            continue
        key = (evaluation.year_id, evaluation.department_id, evaluation.project_id)
        budget = budgets.get((evaluation.year_id, evaluation.department_id))
        data[evaluation.id] = gather_one(
            evaluation, goals.get(key, ""), budget, lines.get(evaluation.id, [])
        )
    return data


def form_identity(form, department) -> dict:
    """What names a form on its tables: kind, year, project, department and its 主管部门 (the same
    for a 绩效目标 and a 绩效自评), and its 填表人 with their 联系电话 (`filled_by`, with its
    profile selected)."""
    filler, phone = contact_of(form.filled_by)
    return {
        "filler": filler,
        "phone": phone,
        "kind": "project" if form.project_id else "department",
        "year": form.year.year,
        "project_code": form.project.code if form.project_id else "",
        "project_name": form.project.name if form.project_id else "",
        "department": department.name,
        "department_code": department.code,
        "supervising": _supervising(department),
    }


def _supervising(department) -> str:
    node = department
    while node.parent_id is not None and node.parent is not None:
        node = node.parent
    return node.name


def gather_one(
    evaluation: SelfEvaluation, goal: str, budget: DepartmentBudget | None, indicators: list[dict]
) -> dict:
    department = evaluation.department
    funds = [
        {
            "label": row.label,
            "initial": _s(row.initial),
            "full": _s(row.full),
            "executed": _s(row.executed),
            "is_total": row.is_total,
        }
        for row in evaluation_funds(evaluation, budget)
    ]
    expense = None
    if evaluation.project_id is None and budget is not None:
        basic = [budget.basic_personnel_final, budget.basic_public_final]
        known = [v for v in basic if v is not None]
        expense = {
            "basic": _s(sum(known, Decimal("0")) if known else None),
            "project": _s(budget.project_final),
        }
    return {
        **form_identity(evaluation, department),
        "funds": funds,
        "expense": expense,
        "execution_weight": _s(evaluation.year.execution_weight),
        "execution_rate": _s(evaluation.execution_rate),
        "execution_score": _s(evaluation.execution_score),
        "expected": goal,
        "actual": evaluation.actual_text,
        "problems": evaluation.problems,
        "measures": evaluation.measures,
        "indicators": indicators,
        "total": _s(evaluation.total_score),
        "grade": evaluation.grade,
        "review_total": _s(evaluation.review_total_score),
        "review_grade": evaluation.review_grade,
        "state": evaluation.get_state_display(),
        "submitted": evaluation.submitted_at.date().isoformat() if evaluation.submitted_at else "",
    }


def content_hash(data) -> str:
    """A short, stable fingerprint of what a table shows (printed in its footer)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
