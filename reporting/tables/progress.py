"""目标申报进度表: for finance, one row per department of the year's 绩效目标 — how many it must
fill (its projects and its 部门整体 sheet), and how many are 未开始, 草稿, 已退回, 已提交
(including 待负责人确认), 已审核 and past the deadline. Built from reporting.progress rows; the
page shows the same rows (with its 催办 buttons), the XLSX is this Table."""

from .base import Builder, Style, Table

HEADINGS = (
    "序号",
    "单位编码",
    "单位",
    "应填报",
    "未开始",
    "草稿",
    "已退回",
    "已提交",
    "已审核",
    "逾期",
)
WIDTHS = [5.0, 12.0, 30.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]
COUNTS = ("expected", "not_started", "draft", "returned", "submitted", "approved", "overdue")


def progress_table(year: int, rows: list, total, deadline_text: str) -> Table:
    title = "绩效目标申报进度表"
    table = Table(
        title=title,
        subtitle=f"（{year}年度 · {deadline_text}）",
        sheet_name="目标申报进度",
        widths=WIDTHS,
        header_rows=3,
        landscape=True,
    )
    b = Builder(table)
    b.list_head(HEADINGS)
    for number, row in enumerate(rows, start=1):
        b.put(0, number, Style.CENTER)
        b.put(1, row.department.code, Style.CENTER)
        b.put(2, row.department.name, Style.TEXT)
        for col, name in enumerate(COUNTS, start=3):
            b.put(col, getattr(row, name), Style.INTEGER)
        b.row()
    b.put(0, "合计", Style.LABEL, colspan=3)
    for col, name in enumerate(COUNTS, start=3):
        b.put(col, getattr(total, name), Style.INTEGER, bold=True)
    b.row()
    return table
