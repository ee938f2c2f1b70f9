"""部门整体预算数据 of one department-year, entered by finance or an administrator (the page beside
the `department-budgets` import: the same rules, through `services.budgets`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from budgets.models import INCOME_NATURE_KEYS, income_label
from core.http import as_int

from .. import workflow
from ..models import SelfEvaluation
from ..services import budgets as service


@login_required
def department_budget(request, pk: int):
    year = as_int(request.POST.get("year") or request.GET.get("year"), maximum=9999)
    department, fiscal_year = service.budget_place(request.user, pk, year)
    budget = service.budget_of(department, fiscal_year)
    evaluation = SelfEvaluation.objects.filter(
        department=department, year=fiscal_year, project=None
    ).first()
    typed, errors = None, {}
    if request.method == "POST":
        data = service.budget_parse(request.POST)
        try:
            service.department_budget_save(
                user=request.user,
                department=department,
                fiscal_year=fiscal_year,
                data=data,
                seen=request.POST.get("seen", ""),
            )
            messages.success(request, "已保存部门整体预算数据。")
            return redirect(f"{reverse('department_budget', args=[pk])}?year={fiscal_year.year}")
        except service.BudgetRefused as refused:
            messages.error(request, str(refused))
            typed, errors = request.POST, refused.fields
        except workflow.WorkflowError as refused:
            messages.error(request, str(refused))
            typed = request.POST
    return render(
        request,
        "evaluations/department_budget.html",
        _context(department, fiscal_year, budget, evaluation, typed, errors)
        | {"editable": service.may_edit_budget(request.user, department.pk)},
    )


def _shown(budget, typed, name: str, kind: str):
    if typed is not None:
        return typed.get(name) == "on" if kind == "BooleanField" else typed.get(name, "")
    value = getattr(budget, name) if budget is not None else None
    if kind == "BooleanField":
        return bool(value)
    if value is None:
        return ""
    return format(value.normalize(), "f") if kind == "DecimalField" else str(value)


def _context(department, fiscal_year, budget, evaluation, typed, errors) -> dict:
    fields = {f.name: f for f in service.BUDGET_FIELDS}

    def cell(name: str) -> dict:
        f = fields[name]
        kind = f.get_internal_type()
        return {
            "name": name,
            "label": str(f.verbose_name),
            "value": _shown(budget, typed, name, kind),
            "error": errors.get(name, ""),
            "unit": "人" if kind == "PositiveIntegerField" else "万元",
        }

    income = [
        {
            "label": income_label(n),
            "absent": cell(f"income_{n}_absent"),
            "figures": [cell(f"income_{n}_{s}") for s in ("initial", "full", "executed")],
        }
        for n in INCOME_NATURE_KEYS
    ]
    income_names = {c["name"] for row in income for c in [row["absent"], *row["figures"]]}
    others = [cell(name) for name in fields if name not in income_names]
    return {
        "department": department,
        "fiscal_year": fiscal_year,
        "evaluation": evaluation,
        "income": income,
        "others": others,
        "seen": typed.get("seen", "") if typed is not None else service.budget_fingerprint(budget),
        "missing": service.budget_missing(budget),
        "errors": errors,
    }
