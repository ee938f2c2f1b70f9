"""部门整体预算数据 entered on a page by finance (the department's reviewer) or an administrator:
the same rules as the `department-budgets` import (the number rule of each field, 无此项收入,
no change while the 部门整体 self-evaluation is with finance or approved), one audit record,
and the editable self-evaluation recomputed at once."""

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.http import Http404
from django.urls import reverse

from budgets.access import Role, access_for, can_act
from budgets.models import (
    INCOME_NATURE_KEYS,
    Department,
    DepartmentBudget,
    FiscalYear,
    settle_income_absence,
)
from core import numbers
from core.audit import audit_record
from core.errors import UserError

from .. import rules, workflow
from ..models import FormState, SelfEvaluation
from .common import evaluations_recompute

# every figure of the page and the import, in the model's order
BUDGET_FIELDS = [
    f for f in DepartmentBudget._meta.concrete_fields if f.name not in ("id", "year", "department")
]
MONEY_MISSING_HINT = "部门整体预算数据由财政部门（本单位的财政审核人）或系统管理员提供"


class BudgetRefused(UserError):
    """Values refused by the rules: nothing saved; `fields` holds the message of each field."""

    def __init__(self, fields: dict[str, str], general: str = ""):
        self.fields = fields
        self.general = general
        super().__init__(general or "填写有误，未保存。请按提示修改（您的输入已保留）。")


def may_edit_budget(user, department_id: int) -> bool:
    """Finance of the department (its reviewer) or an administrator."""
    return can_act(user, Role.REVIEWER, department_id)


def budget_place(user, department_id, year: int | None) -> tuple[Department, FiscalYear]:
    """The department-year whose data this user may see (its own users read what finance
    entered; finance and administrators edit), or 404 as any object out of reach."""
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None or not access_for(user).sees(department.pk):
        raise Http404("未找到该单位，或您无权查看。")
    fiscal_year = (
        FiscalYear.objects.filter(year=year).first()
        if year
        else FiscalYear.objects.filter(is_current=True).first()
    )
    if fiscal_year is None:
        raise Http404("没有该年度。")
    return department, fiscal_year


def budget_of(department: Department, fiscal_year: FiscalYear) -> DepartmentBudget | None:
    return DepartmentBudget.objects.filter(department=department, year=fiscal_year).first()


def budget_fingerprint(budget: DepartmentBudget | None) -> str:
    """What the user saw: a save based on other stored values is refused (someone else saved,
    or an import ran, meanwhile), so nobody overwrites figures they never saw."""
    values = "" if budget is None else repr([getattr(budget, f.name) for f in BUDGET_FIELDS])
    return hashlib.sha256(values.encode()).hexdigest()[:16]


@dataclass
class BudgetInput:
    values: dict = field(default_factory=dict)  # field name → Decimal | int | bool | None
    errors: dict[str, str] = field(default_factory=dict)  # field name → message


def budget_parse(post) -> BudgetInput:
    """Every field of the page read by the number rule (core.numbers), labelled as the import
    labels its columns; a checkbox for each 无此项收入."""
    data = BudgetInput()
    for f in BUDGET_FIELDS:
        kind = f.get_internal_type()
        text = post.get(f.name, "")
        label = str(f.verbose_name)
        if kind == "BooleanField":
            data.values[f.name] = post.get(f.name) == "on"
            continue
        try:
            if kind == "DecimalField":
                data.values[f.name] = numbers.read(text, f, label=label)
            else:
                value = numbers.parse(text, label=label)
                if value is not None and (value != value.to_integral_value() or value < 0):
                    raise numbers.NumberRefused(f"{label}必须是非负整数")
                if value is not None and value > 2147483647:
                    raise numbers.NumberRefused(f"{label}超出范围")
                data.values[f.name] = None if value is None else int(value)
        except numbers.NumberRefused as refused:
            data.errors[f.name] = str(refused)
    return data


def department_budget_save(
    *, user, department: Department, fiscal_year: FiscalYear, data: BudgetInput, seen: str
) -> DepartmentBudget:
    """Create or change the 部门整体预算数据 of a department-year; BudgetRefused (nothing saved)
    for any refused value, a stored 部门整体 self-evaluation that is with finance or approved,
    or figures changed since the page was shown."""
    if not may_edit_budget(user, department.pk):
        raise workflow.WorkflowError("只有该单位的财政审核人或系统管理员可以录入部门整体预算数据。")
    values = dict(data.values)
    errors = dict(data.errors)
    with transaction.atomic():
        budget = (
            DepartmentBudget.objects.select_for_update()
            .filter(department=department, year=fiscal_year)
            .first()
        )
        errors.update(settle_income_absence(values, budget))
        if errors:
            raise BudgetRefused(errors)
        if budget_fingerprint(budget) != seen:
            raise BudgetRefused(
                {},
                "这些数据在您打开页面后已被他人修改（或经导入修改），未保存。请刷新页面核对后再填。",
            )
        evaluation = SelfEvaluation.objects.filter(
            department=department, year=fiscal_year, project=None
        ).first()
        if evaluation is not None and evaluation.state not in workflow.EDITABLE:
            raise BudgetRefused({}, rules.budget_locked_refusal(FormState(evaluation.state).label))
        created = budget is None
        if created:
            budget = DepartmentBudget(department=department, year=fiscal_year)
        changes = {}
        for name, value in values.items():
            old = getattr(budget, name)
            if old != value:
                changes[name] = [_s(old), _s(value)]
                setattr(budget, name, value)
        if not changes and not created:
            return budget
        budget.save()
        audit_record(
            actor=user,
            action="部门整体预算数据·创建" if created else "部门整体预算数据·修改",
            obj=budget,
            changes=changes,
            department=department,
        )
        if evaluation is not None:
            evaluations_recompute(SelfEvaluation.objects.filter(pk=evaluation.pk))
    return budget


def _s(value) -> str | None:
    return None if value is None else str(value)


def budget_missing(budget: DepartmentBudget | None, stages=("full", "executed")) -> list[str]:
    """The income figures behind the 执行率 that are not given (neither a figure nor 无此项收入)."""
    if budget is None:
        return [
            str(DepartmentBudget._meta.get_field(f"income_{n}_{s}").verbose_name)
            for s in stages
            for n in INCOME_NATURE_KEYS
        ]
    return [label for stage in stages for label in budget.missing_income(stage)]


def budget_notice(user, department_id: int, year: int, budget, stages) -> dict | None:
    """What a 部门整体 form says when the figures behind its 资金 block are missing: which, who
    provides them, and for finance or an administrator the page where they are entered."""
    missing = budget_missing(budget, stages)
    if not missing:
        return None
    link = None
    if may_edit_budget(user, department_id):
        link = f"{reverse('department_budget', args=[department_id])}?year={year}"
    return {"missing": missing, "who": MONEY_MISSING_HINT, "link": link}
