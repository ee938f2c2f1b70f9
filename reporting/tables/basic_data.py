"""部门整体支出绩效评价基础数据表 (DOMAIN.md, "The standard tables" 3), row by row as in seed
003's 附件1.

Seven columns: a label column and six value columns. The three-column blocks (编制数 | 在职人数 |
控制率; 上年决算数 | 本年预算数 | 本年决算数) give each value two merged columns; the 楼堂馆所
block uses the six columns one by one. A missing figure (None) shows "无数据", never 0.
Under the table (before its notes) a block that seed 003 does not have: the department-wide
common indicators computed from these figures (`common_indicators`), value and formula.
"""

from collections.abc import Iterable
from decimal import Decimal

from evaluations.common_indicators import FIELDS as COMMON_FIELDS
from evaluations.common_indicators import common_indicators, public_funds
from evaluations.funds import _sum

from .base import NO_DATA, Builder, Missing, Style, Table
from .self_evaluation import dec

WIDTHS = [30.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
N = len(WIDTHS)
MISSING = NO_DATA
# a cell left to be filled in by hand: a full-width space, so that on screen and in the PDF the
# row keeps a line's height (an empty cell collapses to its padding)
BLANK = Missing("\u3000")
NOTE = (
    "说明：“项目支出”需要填报基本支出以外的所有项目支出情况，"
    "“公用经费”填报基本支出中的一般商品和服务支出。"
)
# DepartmentBudget field prefixes of the summed rows; each has *_prior_final, *_budget, *_final
THREE_PUBLIC = ("abroad", "car_purchase", "car_running", "reception")
PUBLIC_FUNDS = ("office", "utilities_travel", "meeting_training")
STAGES = ("prior_final", "budget", "final")
BUILDING_HEADINGS = (
    "批复规模（㎡）",
    "实际规模（㎡）",
    "规模控制率",
    "预算投资（万元）",
    "实际投资（万元）",
    "投资概算控制率",
)


class Shown(str):
    """A fixed text in a money column ("—": not applicable), shown as it is."""


def put_money(b: Builder, col: int, value, **kwargs) -> None:
    """A money cell (Decimal, Style.MONEY), or "无数据" when the figure is missing."""
    amount = dec(value)
    if amount is None:
        b.put(col, MISSING, Style.CENTER, **kwargs)
    else:
        b.put(col, amount, Style.MONEY, **kwargs)


def _sum_of(figures: dict, prefixes: Iterable[str], stage: str) -> Decimal | None:
    return _sum(dec(figures.get(f"{prefix}_{stage}")) for prefix in prefixes)


def basic_data_table(data: dict) -> Table:
    """data: year, department, department_code, percent_places, figures (DepartmentBudget field
    name → value, strings for money; {} when the department has no budget row)."""
    year = data["year"]
    figures = data.get("figures") or {}
    title = f"{year}年度部门整体支出绩效评价基础数据表"
    table = Table(
        title=title,
        subtitle=f"填报单位：{data['department']}",
        sheet_name=f"{data['department_code']} {data['department']}",
        widths=WIDTHS,
        header_rows=0,
        landscape=False,
    )
    b = Builder(table)
    b.span(title, Style.TITLE)
    b.row()
    b.span(table.subtitle, Style.SUBTITLE)
    b.row()

    # 财政供养人员情况（人）
    b.put(0, "财政供养人员情况（人）", Style.LABEL, rowspan=2)
    for col, heading in ((1, "编制数"), (3, f"{year}年实际在职人数"), (5, "控制率")):
        b.put(col, heading, Style.HEADER, colspan=2)
    b.row()
    quota, actual = figures.get("staff_quota"), figures.get("staff_actual")
    for col, count in ((1, quota), (3, actual)):
        if count is None:
            b.put(col, MISSING, Style.CENTER, colspan=2)
        else:
            b.put(col, int(count), Style.INTEGER, colspan=2)
    indicators = common_indicators(figures, places=data.get("percent_places", 2) + 2)
    rate = indicators[0].value  # 在职人员控制率
    if rate is None:
        b.put(5, MISSING, Style.CENTER, colspan=2)
    else:
        b.put(5, rate, Style.PERCENT, colspan=2)
    b.row()

    # 经费控制情况（万元）
    b.put(0, "经费控制情况（万元）", Style.HEADER)
    headings = (f"{year - 1}年决算数", f"{year}年预算数", f"{year}年决算数")
    for col, heading in zip((1, 3, 5), headings, strict=True):
        b.put(col, heading, Style.HEADER, colspan=2)
    b.row()

    def money_row(label: str, style: Style, values) -> None:
        b.put(0, label, style)
        for col, value in zip((1, 3, 5), values, strict=True):
            if isinstance(value, Shown | Missing):
                b.put(col, value, Style.CENTER, colspan=2)
            else:
                put_money(b, col, value, colspan=2)
        b.row()

    def summed(prefixes) -> list:
        return [_sum_of(figures, prefixes, stage) for stage in STAGES]

    def single(prefix: str) -> list:
        return [figures.get(f"{prefix}_{stage}") for stage in STAGES]

    money_row("三公经费", Style.LABEL, summed(THREE_PUBLIC))
    money_row("1、公务用车购置和维护经费", Style.TEXT, summed(("car_purchase", "car_running")))
    money_row("其中：公车购置", Style.TEXT, single("car_purchase"))
    money_row("公车运行维护", Style.TEXT, single("car_running"))
    money_row("2、出国经费", Style.TEXT, single("abroad"))
    money_row("3、公务接待", Style.TEXT, single("reception"))
    # the model has no prior-year 项目支出 figure
    money_row(
        "项目支出",
        Style.LABEL,
        [MISSING, figures.get("project_budget"), figures.get("project_final")],
    )
    money_row("公用经费", Style.LABEL, [public_funds(figures, stage) for stage in STAGES])
    money_row("其中：办公经费", Style.TEXT, single("office"))
    money_row("水费、电费、差旅费", Style.TEXT, single("utilities_travel"))
    money_row("会议费、培训费", Style.TEXT, single("meeting_training"))
    money_row(
        "政府采购金额",
        Style.LABEL,
        [Shown("—"), figures.get("procurement_budget"), figures.get("procurement_actual")],
    )
    b.put(0, "部门基本支出预算调整", Style.LABEL)
    b.put(1, "—", Style.CENTER, colspan=6)
    b.row()

    # 楼堂馆所控制情况: headings and one empty, bordered data row (the model holds no such data)
    b.put(0, f"楼堂馆所控制情况\n（{year}年完工项目）", Style.LABEL, rowspan=2)
    for col, heading in enumerate(BUILDING_HEADINGS, start=1):
        b.put(col, heading, Style.HEADER)
    b.row()
    for col in range(1, N):
        b.put(col, BLANK, Style.CENTER)
    b.row()

    b.put(0, "厉行节约保障措施", Style.LABEL)
    b.put(1, BLANK, Style.TEXT, colspan=6)
    b.row()
    _common_indicators(b, indicators)
    b.span(NOTE, Style.FOOTER)
    b.row()
    b.put(0, f"填表人：{data.get('filler') or ''}", Style.FOOTER)
    b.put(1, "填报日期：", Style.FOOTER, colspan=2)
    b.put(3, f"联系电话：{data.get('phone') or ''}", Style.FOOTER, colspan=2)
    b.put(5, "单位负责人签字：", Style.FOOTER, colspan=2)
    b.row()
    return table


def _common_indicators(b: Builder, indicators) -> None:
    """部门整体共性指标, computed from the figures above (not part of seed 003's layout, which has
    no place for them: a titled block under the table, before its notes). Value and formula
    only, so that the table still fits its page; the form shows the inputs as well."""
    b.put(0, "部门整体共性指标（系统计算）", Style.HEADER)
    b.put(1, "指标值", Style.HEADER)
    b.put(2, "计算公式", Style.HEADER, colspan=5)
    b.row()
    for indicator in indicators:
        b.put(0, indicator.name, Style.TEXT)
        if indicator.value is None:
            b.put(1, MISSING, Style.CENTER)
        else:
            b.put(1, indicator.value, Style.PERCENT)
        b.put(2, indicator.formula, Style.TEXT, colspan=5)
        b.row()


# ---------------------------------------------------------------------------------------------
# Gathering (one query for any number of departments)
# ---------------------------------------------------------------------------------------------

# DepartmentBudget fields the table reads, with those of the common indicators
FIELDS = list(
    dict.fromkeys(
        [f"{prefix}_{stage}" for prefix in THREE_PUBLIC + PUBLIC_FUNDS for stage in STAGES]
        + ["project_budget", "project_final", "procurement_budget", "procurement_actual"]
        + ["staff_quota", "staff_actual"]
        + list(COMMON_FIELDS)
    )
)


def budget_figures(budget) -> dict:
    """The table's inputs of one DepartmentBudget as plain data (money as exact strings)."""
    if budget is None:
        return {}
    figures = {}
    for name in FIELDS:
        value = getattr(budget, name)
        figures[name] = value if value is None or isinstance(value, int) else str(value)
    return figures


def basic_data(
    year: int, department, budget, percent_places: int = 2, contact: tuple[str, str] = ("", "")
) -> dict:
    """`contact`: (填表人, 联系电话), those of the department's 部门整体 self-evaluation."""
    return {
        "filler": contact[0],
        "phone": contact[1],
        "year": year,
        "department": department.name,
        "department_code": department.code,
        "percent_places": percent_places,
        "figures": budget_figures(budget),
    }
