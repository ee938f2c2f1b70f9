"""Writes of the budgets app. Every write owns its transaction and leaves one audit record."""

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from .models import AuditLog, Department, FiscalYear

STANDARD_TREE: dict[str, tuple[Decimal | None, list[str]]] = {
    "产出指标": (Decimal("50"), ["数量指标", "质量指标", "时效指标", "成本指标"]),
    "效益指标": (Decimal("30"), ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
    "满意度指标": (Decimal("10"), ["服务对象满意度指标"]),
}
# Newer guides (some provinces) use a separate 一级 成本指标; seeded inactive with weight 0 so an
# administrator can switch it on for a year without touching code.
OPTIONAL_TREE: dict[str, tuple[Decimal | None, list[str]]] = {
    "成本指标": (Decimal("0"), ["经济成本指标", "社会成本指标", "生态环境成本指标"]),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def field_values(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of an object, JSON-ready (for audit diffs)."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: _plain(getattr(obj, name)) for name in names}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {
        key: [old.get(key), new.get(key)]
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    changes: dict | None = None,
    department: Department | int | None = None,
    reason: str = "",
) -> AuditLog:
    department_id = department.pk if isinstance(department, Department) else department
    if department_id is None:
        department_id = getattr(obj, "department_id", None)
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        department_id=department_id,
        changes=changes or {},
        reason=reason,
    )


def fiscal_year_create(
    *, year: int, actor=None, is_current: bool = False, **policy: Any
) -> FiscalYear:
    """Create a year with the default policy and the standard indicator classification."""
    from evaluations.services import indicator_tree_seed

    with transaction.atomic():
        if is_current:
            FiscalYear.objects.filter(is_current=True).update(is_current=False)
        fiscal_year = FiscalYear.objects.create(year=year, is_current=is_current, **policy)
        indicator_tree_seed(fiscal_year=fiscal_year)
        audit_record(
            actor=actor,
            action="创建年度",
            obj=fiscal_year,
            changes=diff({}, field_values(fiscal_year)),
        )
    return fiscal_year
