"""Writes of the evaluations app. Every write owns its transaction and leaves one audit record."""

from django.db import transaction

from budgets.models import FiscalYear
from budgets.services import OPTIONAL_TREE, STANDARD_TREE

from .models import IndicatorCategory


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
