"""The 资金 block of the self-evaluation tables (项目资金 / 年度资金总额), as rows."""

from dataclasses import dataclass
from decimal import Decimal

from budgets.models import FUND_SOURCES, DepartmentBudget

from .models import SelfEvaluation

INCOME_NATURES = (
    ("public", "一般公共预算"),
    ("fund", "政府性基金"),
    ("special", "纳入专户管理的非税收入"),
    ("other", "其他资金"),
)


@dataclass
class FundRow:
    label: str
    initial: Decimal | None
    full: Decimal | None
    executed: Decimal | str | None  # str: what the clerk typed, shown back after an error
    is_total: bool = False
    source: str = ""  # editable 全年执行数 of this project fund source


def _sum(values) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal("0")) if known else None


def evaluation_funds(
    evaluation: SelfEvaluation, budget: DepartmentBudget | None, typed=None
) -> list[FundRow]:
    """Rows 年度资金总额 and its split: by fund source for a project, by income nature for a
    department. `typed` (the POST of a refused save) puts typed 执行数 back on screen."""
    if evaluation.project_id:
        project = evaluation.project
        rows = [
            FundRow(
                f"其中：{label}" if n == 0 else label,
                project.fund("initial", source),
                project.fund("full", source),
                typed.get(f"executed-{source}")
                if typed is not None
                else project.fund("executed", source),
                source=source,
            )
            for n, (source, label) in enumerate(FUND_SOURCES)
        ]
        total = FundRow(
            "年度资金总额",
            project.initial_total,
            project.full_total,
            project.executed_total,
            is_total=True,
        )
        return [total, *rows]
    if budget is None:
        return [FundRow("年度资金总额", None, None, None, is_total=True)]
    rows = [
        FundRow(
            label,
            getattr(budget, f"income_{key}_initial"),
            getattr(budget, f"income_{key}_full"),
            getattr(budget, f"income_{key}_executed"),
        )
        for key, label in INCOME_NATURES
    ]
    total = FundRow(
        "年度资金总额",
        _sum(r.initial for r in rows),
        _sum(r.full for r in rows),
        _sum(r.executed for r in rows),
        is_total=True,
    )
    return [total, *rows]
