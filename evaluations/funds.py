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
    absent: bool = False  # 部门整体: the department has no income of this nature (无此项收入)


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
    # an income the department does not have (无此项收入) is blank on its row and 0 in the
    # total; a figure not given (无数据) makes the total 无数据 (budgets.models.income_total)
    rows = [
        FundRow(
            label,
            getattr(budget, f"income_{key}_initial"),
            getattr(budget, f"income_{key}_full"),
            getattr(budget, f"income_{key}_executed"),
            absent=budget.income_absent(key),
        )
        for key, label in INCOME_NATURES
    ]
    total = FundRow(
        "年度资金总额",
        budget.income_total("initial"),
        budget.income_total("full"),
        budget.income_total("executed"),
        is_total=True,
    )
    return [total, *rows]
