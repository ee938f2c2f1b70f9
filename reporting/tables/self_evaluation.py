"""项目支出绩效自评表 and 部门整体支出绩效自评表 (DOMAIN.md, "The standard tables" 1 and 2).

Eight columns: 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 |
偏差原因分析及改进措施; the header and 资金 blocks above are laid on the same columns.
"""

from collections.abc import Iterator
from decimal import Decimal
from itertools import groupby

from evaluations import scoring

from .base import OUT_OF_RANGE, Builder, Style, Table, rate_shown

WIDTHS = [14.0, 14.0, 26.0, 16.0, 16.0, 9.0, 9.0, 32.0]
N = len(WIDTHS)


def dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def target_text(row: dict) -> str:
    """年度指标值 as printed: comparator, value and unit (≥45万件), with an adjustment beside it."""

    def one(value: str) -> str:
        if row["comparator"] == scoring.QUALITATIVE:
            return value
        return f"{row['comparator']}{value}{row['unit']}"

    text = one(row["target"])
    if row.get("adjusted"):
        text += f"\n（调整后：{one(row['adjusted'])}）"
    return text


def actual_text(row: dict) -> str:
    actual = row.get("actual") or ""
    # a bare number gets its unit (96 → 96%); one typed with it ("96%", "1200 人") is kept
    if (
        actual
        and row["comparator"] != scoring.QUALITATIVE
        and scoring.actual_number(actual) is not None
    ):
        actual += row["unit"]
    if row.get("level"):
        label = scoring.LEVEL_LABELS.get(row["level"], "")
        actual = f"{actual}（{label}）" if actual else label
    return actual


def self_evaluation_table(data: dict, *, snapshot_hash: str = "") -> Table:
    project = data["kind"] == "project"
    title = "项目支出绩效自评表" if project else "部门整体支出绩效自评表"
    name = data["project_name"] if project else data["department"]
    table = Table(
        title=title,
        subtitle=f"（{data['year']}年度）",
        sheet_name=(data["project_code"] or data["department_code"]) + " " + name,
        widths=WIDTHS,
        header_rows=2,  # title and year repeat on every printed page
        landscape=True,
    )
    b = form_header(table, data, project)
    _funds(b, data, project)
    _goals(b, data)
    _indicators(b, data)
    b.put(0, "总分", Style.TOTAL, colspan=5)
    full = dec(data["execution_weight"]) or Decimal("0")
    full += sum((Decimal(r["weight"]) for r in data["indicators"]), Decimal("0"))
    b.put(5, full, Style.SCORE, bold=True)
    b.put(6, dec(data["total"]), Style.SCORE, bold=True)
    b.put(7, f"评价等级：{data['grade'] or '—'}", Style.TOTAL)
    b.row()
    if data.get("review_total"):
        b.put(0, "审核得分", Style.TOTAL, colspan=5)
        b.put(5, full, Style.SCORE)
        b.put(6, dec(data["review_total"]), Style.SCORE, bold=True)
        b.put(7, f"审核等级：{data['review_grade'] or '—'}", Style.TOTAL)
        b.row()
    b.put(0, f"填表人：{data.get('filler') or ''}", Style.FOOTER, colspan=2)
    b.put(2, f"填报日期：{data.get('submitted') or ''}", Style.FOOTER, colspan=2)
    b.put(4, f"联系电话：{data.get('phone') or ''}", Style.FOOTER, colspan=2)
    b.put(6, "单位负责人签字：", Style.FOOTER, colspan=2)
    b.row()
    if snapshot_hash:
        table.note = f"校验码：{snapshot_hash}（审核通过时生成，表中内容如有改动将与此不符）"
    return table


def form_header(table: Table, data: dict, project: bool, columns: int = 8) -> Builder:
    """Title, year and the 项目名称 / 主管部门 / 实施单位 (or 预算部门) lines on `columns` columns
    (an even number: 主管部门 and 实施单位 each take half)."""
    half = columns // 2
    b = Builder(table)
    b.span(table.title, Style.TITLE)
    b.row()
    b.span(table.subtitle, Style.SUBTITLE)
    b.row()
    if project:
        b.put(0, "项目名称", Style.LABEL)
        b.put(1, data["project_name"], Style.TEXT, colspan=columns - 1)
        b.row()
        b.put(0, "主管部门", Style.LABEL)
        b.put(1, data["supervising"], Style.TEXT, colspan=half - 1)
        b.put(half, "实施单位", Style.LABEL)
        b.put(half + 1, data["department"], Style.TEXT, colspan=half - 1)
    else:
        b.put(0, "预算部门", Style.LABEL)
        b.put(1, data["department"], Style.TEXT, colspan=columns - 1)
    b.row()
    return b


def level1_text(name: str, weight: Decimal) -> str:
    """The 一级 cell: its name and the sum of its 三级 weights, e.g. 产出指标\n（50分）."""
    return f"{name}\n（{scoring.round_score(weight).normalize():f}分）"


def indicator_rows(b: Builder, indicators: list[dict]) -> Iterator[dict]:
    """The indicator grid of every standard table: the rows grouped by the classification's
    order (stable: the clerk's order within a 二级), the 一级 cell (with its weight) and the 二级
    cell merged over their rows, the 三级 name in column 2. Yields each row for the table's
    own columns from 3 on, then ends the row."""
    rows = sorted(indicators, key=lambda r: r.get("order") or [0, 0])
    for level1, group in groupby(rows, key=lambda r: r["level1"]):
        group = list(group)
        weight = sum((Decimal(r["weight"]) for r in group), Decimal("0"))
        b.put(0, level1_text(level1, weight), Style.LABEL, rowspan=len(group))
        for level2, items in groupby(group, key=lambda r: r["level2"]):
            items = list(items)
            b.put(1, level2, Style.CENTER, rowspan=len(items))
            for row in items:
                b.put(2, row["name"], Style.TEXT)
                yield row
                b.row()


def _funds(b: Builder, data: dict, project: bool) -> None:
    funds = data["funds"]
    label = "项目资金（万元）" if project else "年度预算申请（万元）"
    total = next(f for f in funds if f["is_total"])
    parts = [f for f in funds if not f["is_total"]]
    # project: heading + total + sources; department: heading + total + split heading + natures
    height = 1 + len(funds) if project else 2 + 1 + max(len(parts), 2)
    start = b.r
    b.put(0, label, Style.LABEL, rowspan=height)
    b.put(1, "", Style.HEADER)
    for col, heading in enumerate(
        ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=2
    ):
        b.put(col, heading, Style.HEADER)
    b.row()
    b.put(1, "年度资金总额", Style.LABEL)
    b.put(2, dec(total["initial"]), Style.MONEY)
    b.put(3, dec(total["full"]), Style.MONEY)
    b.put(4, dec(total["executed"]), Style.MONEY)
    b.put(5, dec(data["execution_weight"]), Style.SCORE)
    rate = rate_shown(data["execution_rate"], total["full"], total["executed"])
    if rate == OUT_OF_RANGE:
        b.put(6, OUT_OF_RANGE, Style.CENTER)
    else:
        b.put(6, dec(rate), Style.PERCENT)
    b.put(7, dec(data["execution_score"]), Style.SCORE)
    b.row()
    if project:
        for part in parts:
            b.put(1, part["label"], Style.TEXT)
            b.put(2, dec(part["initial"]), Style.MONEY)
            b.put(3, dec(part["full"]), Style.MONEY)
            b.put(4, dec(part["executed"]), Style.MONEY)
            for col in (5, 6, 7):
                b.put(col, "—", Style.CENTER)
            b.row()
        return
    # 部门整体: the execution split two ways, side by side (seed 003, 附件2)
    b.put(1, "按收入性质分（全年执行数）：", Style.TEXT, colspan=3)
    b.put(4, "按支出性质分（全年执行数）：", Style.TEXT, colspan=4)
    b.row()
    expense = data.get("expense") or {}
    right = [("其中：基本支出", expense.get("basic")), ("项目支出", expense.get("project"))]
    for n in range(max(len(parts), 2)):
        if n < len(parts):
            prefix = "其中：" if n == 0 else ""
            b.put(1, prefix + parts[n]["label"], Style.TEXT, colspan=2)
            b.put(3, dec(parts[n]["executed"]), Style.MONEY)
        else:
            b.put(1, "", Style.TEXT, colspan=3)
        if n < len(right):
            b.put(4, right[n][0], Style.TEXT, colspan=3)
            b.put(7, dec(right[n][1]), Style.MONEY)
        else:
            b.put(4, "", Style.TEXT, colspan=4)
        b.row()
    assert b.r == start + height


def _goals(b: Builder, data: dict) -> None:
    b.put(0, "年度总体目标", Style.LABEL, rowspan=2)
    b.put(1, "预期目标", Style.HEADER, colspan=3)
    b.put(4, "实际完成情况", Style.HEADER, colspan=4)
    b.row()
    b.put(1, data["expected"], Style.TEXT, colspan=3)
    b.put(4, data["actual"], Style.TEXT, colspan=4)
    b.row()


def _indicators(b: Builder, data: dict) -> None:
    for col, heading in enumerate(
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ]
    ):
        b.put(col, heading, Style.HEADER)
    b.row()
    for row in indicator_rows(b, data["indicators"]):
        b.put(3, target_text(row), Style.TEXT)
        b.put(4, actual_text(row), Style.TEXT)
        b.put(5, dec(row["weight"]), Style.SCORE)
        b.put(6, dec(row["score"]), Style.SCORE)
        b.put(7, row["reason"], Style.TEXT)
