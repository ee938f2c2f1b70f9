"""项目支出绩效目标表 and 部门整体支出绩效目标表 (DOMAIN.md, "The standard tables" 4).

Eight columns: 一级指标 | 二级指标 | 三级指标 | 指标性质 | 指标值 | 计量单位 | 分值 |
指标值设定依据; the header, 资金 and 年度总体目标 blocks above are laid on the same columns.
"""

from django.utils.timezone import localdate

from budgets.models import FUND_SOURCES
from evaluations import scoring
from evaluations.funds import INCOME_NATURES
from evaluations.snapshot import _s, form_identity

from .base import Builder, Style, Table
from .basic_data import put_money
from .self_evaluation import dec, form_header, indicator_rows, target_text

WIDTHS = [13.0, 14.0, 30.0, 9.0, 16.0, 9.0, 8.0, 14.0]
N = len(WIDTHS)
HEADINGS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "指标值",
    "计量单位",
    "分值",
    "指标值设定依据",
)


def value_text(row: dict) -> str:
    """指标值 without comparator and unit (they have columns of their own), with an approved
    adjustment beside the original as on the self-evaluation table."""
    return target_text({**row, "comparator": scoring.QUALITATIVE})


def targets_table(data: dict) -> Table:
    project = data["kind"] == "project"
    title = "项目支出绩效目标表" if project else "部门整体支出绩效目标表"
    name = data["project_name"] if project else data["department"]
    table = Table(
        title=title,
        subtitle=f"（{data['year']}年度）",
        sheet_name=(data["project_code"] or data["department_code"]) + " " + name,
        widths=WIDTHS,
        header_rows=0,
        landscape=True,
    )
    b = form_header(table, data, project)
    _funds(b, data, project)
    b.put(0, "年度总体目标", Style.LABEL)
    b.put(1, data["goal"], Style.TEXT, colspan=7)
    b.row()
    _indicators(b, data["indicators"])
    b.put(0, f"填表人：{data.get('filler') or ''}", Style.FOOTER, colspan=2)
    b.put(2, f"填报日期：{data.get('submitted') or ''}", Style.FOOTER, colspan=2)
    b.put(4, f"联系电话：{data.get('phone') or ''}", Style.FOOTER, colspan=2)
    b.put(6, "单位负责人签字：", Style.FOOTER, colspan=2)
    b.row()
    return table


def _funds(b: Builder, data: dict, project: bool) -> None:
    """Columns: label (1–2) | 年初预算数 (3–4) | 全年预算数 (5–7); the total row first."""
    funds = data["funds"]
    b.put(
        0,
        "项目资金（万元）" if project else "年度预算申请（万元）",
        Style.LABEL,
        rowspan=1 + len(funds),
    )
    b.put(1, "", Style.HEADER, colspan=2)
    b.put(3, "年初预算数", Style.HEADER, colspan=2)
    b.put(5, "全年预算数", Style.HEADER, colspan=3)
    b.row()
    for row in funds:
        b.put(1, row["label"], Style.LABEL if row["is_total"] else Style.TEXT, colspan=2)
        put_money(b, 3, row["initial"], colspan=2)
        put_money(b, 5, row["full"], colspan=3)
        b.row()


def _indicators(b: Builder, indicators: list[dict]) -> None:
    for col, heading in enumerate(HEADINGS):
        b.put(col, heading, Style.HEADER)
    b.row()
    for row in indicator_rows(b, indicators):
        b.put(3, row["comparator"], Style.CENTER)
        b.put(4, value_text(row), Style.CENTER)
        b.put(5, row["unit"], Style.CENTER)
        b.put(6, dec(row["weight"]), Style.SCORE)
        b.put(7, row["basis"], Style.CENTER)


# ---------------------------------------------------------------------------------------------
# Gathering: see registry.targets_tables (a fixed number of queries for any number of sheets)
# ---------------------------------------------------------------------------------------------


def sheet_funds(sheet, budget) -> list[dict]:
    """The 资金 rows: a project's funds by source, or a department's budget by income nature
    (None, shown 无数据, where the DepartmentBudget has no figure or there is none)."""
    if sheet.project_id:
        project = sheet.project
        rows = [
            {
                "label": f"其中：{label}" if n == 0 else label,
                "initial": _s(project.fund("initial", source)),
                "full": _s(project.fund("full", source)),
                "is_total": False,
            }
            for n, (source, label) in enumerate(FUND_SOURCES)
        ]
        total = {"initial": _s(project.initial_total), "full": _s(project.full_total)}
    else:
        rows = [
            {
                "label": f"其中：{label}" if n == 0 else label,
                "initial": _s(getattr(budget, f"income_{key}_initial", None)),
                "full": _s(getattr(budget, f"income_{key}_full", None)),
                "is_total": False,
            }
            for n, (key, label) in enumerate(INCOME_NATURES)
        ]
        total = {
            stage: _s(budget.income_total(stage) if budget else None)
            for stage in ("initial", "full")
        }
    return [{"label": "年度资金总额", **total, "is_total": True}, *rows]


def gather_sheet(sheet, budget) -> dict:
    """What the target table shows. `sheet` comes with year, department (and its parents),
    project and indicators (with their categories) prefetched."""
    department = sheet.department
    indicators = []
    for indicator in sheet.indicators.all():
        category = indicator.category
        indicators.append(
            {
                "level1": category.parent.name,
                "level2": category.name,
                "order": [category.parent.order, category.order],
                "name": indicator.name,
                "comparator": indicator.comparator,
                "target": indicator.target_value,
                "adjusted": indicator.adjusted_target_value,
                "unit": indicator.unit,
                "basis": indicator.basis,
                "weight": _s(indicator.weight),
            }
        )
    return {
        **form_identity(sheet, department),
        "funds": sheet_funds(sheet, budget),
        "goal": sheet.overall_goal,
        "indicators": indicators,
        "state": sheet.get_state_display(),
        "submitted": localdate(sheet.submitted_at).isoformat() if sheet.submitted_at else "",
    }
