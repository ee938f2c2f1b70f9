"""Creating a year: its row and the standard indicator classification its forms are scored by
(the classification is this app's knowledge, so the year is created here, not in budgets)."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from budgets.models import FiscalYear
from core.audit import audit_record, diff, field_values

from ..models import IndicatorCategory

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


def indicator_tree_seed(*, fiscal_year: FiscalYear) -> None:
    """Give a year the standard 一级/二级 classification (idempotent)."""
    with transaction.atomic():
        order = 0
        for tree, active in ((STANDARD_TREE, True), (OPTIONAL_TREE, False)):
            for level1_name, (weight, level2_names) in tree.items():
                order += 1
                level1, _ = IndicatorCategory.objects.get_or_create(
                    year=fiscal_year,
                    parent=None,
                    name=level1_name,
                    defaults={"weight": weight, "order": order, "is_active": active},
                )
                for level2_name in level2_names:
                    order += 1
                    IndicatorCategory.objects.get_or_create(
                        year=fiscal_year,
                        parent=level1,
                        name=level2_name,
                        defaults={"order": order, "is_active": active},
                    )


def fiscal_year_create(
    *, year: int, actor=None, is_current: bool = False, **policy: Any
) -> FiscalYear:
    """Create a year with the default policy and the standard indicator classification."""
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
