"""绩效运行监控情况汇总表 (for finance): one row per department for a monitoring round.

Sixteen columns: 序号 | 单位 | 监控表数 | 未提交 | 待审核 | 已审核 | 红灯表 | 黄灯表 | 绿灯表 |
红灯指标 | 黄灯指标 | 绿灯指标 | 全年预算数（万元） | 1–N月执行数（万元） | 执行率 | 时间进度.
Counts and sums are aggregated in SQL (2 queries whatever the number of sheets and lines).
Money adds the project sheets only (a department's 部门整体 budget contains its projects, as on
the 自评结果汇总表); 执行率 is over the projects that reported a 1–N月执行数, so that a sheet
not yet filled in does not pull the rate down. A 执行率 trailing the 时间进度 prints bold.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from evaluations import lights
from evaluations.models import FormState, MonitoringLine, MonitoringSheet

from .base import Builder, Style, Table

WIDTHS = [5.0, 26.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 12.0, 12.0, 9.0, 9.0]
N = len(WIDTHS)
HEADINGS = (
    "序号",
    "单位",
    "监控表数",
    "未提交",
    "待审核",
    "已审核",
    "红灯表",
    "黄灯表",
    "绿灯表",
    "红灯指标",
    "黄灯指标",
    "绿灯指标",
    "全年预算数（万元）",
    "1–{n}月执行数（万元）",
    "执行率",
    "时间进度",
)
COUNTS = (
    "sheets",
    "unsubmitted",
    "pending",
    "approved",
    "red",
    "yellow",
    "green",
    "red_lines",
    "yellow_lines",
    "green_lines",
)
NOTE = (
    "注：金额为各项目监控表之和（部门整体支出已包含项目支出，不重复计入）；执行率按已填报"
    "1–N月执行数的项目计算；执行率低于时间进度的以粗体标示。"
)
UNSUBMITTED = (FormState.DRAFT, FormState.RETURNED, FormState.PENDING_HEAD)


def gather(round_, department_ids: set[int] | None) -> list[dict]:
    """One dict per department that has sheets in the round, by department code (2 queries)."""
    sheets = MonitoringSheet.objects.filter(round=round_)
    lines = MonitoringLine.objects.filter(sheet__round=round_)
    if department_ids is not None:
        sheets = sheets.filter(department_id__in=department_ids)
        lines = lines.filter(sheet__department_id__in=department_ids)
    project = Q(project__isnull=False)
    reported = project & Q(executed_to_date__isnull=False)
    rows = (
        sheets.values("department_id", "department__code", "department__name")
        .annotate(
            sheets=Count("id"),
            unsubmitted=Count("id", filter=Q(state__in=UNSUBMITTED)),
            pending=Count("id", filter=Q(state=FormState.SUBMITTED)),
            approved=Count("id", filter=Q(state=FormState.APPROVED)),
            red=Count("id", filter=Q(light=lights.RED)),
            yellow=Count("id", filter=Q(light=lights.YELLOW)),
            green=Count("id", filter=Q(light=lights.GREEN)),
            budget=Sum("annual_budget", filter=project),
            reported_budget=Sum("annual_budget", filter=reported),
            executed=Sum("executed_to_date", filter=reported),
        )
        .order_by("department__code")
    )
    by_department = {
        r["sheet__department_id"]: r
        for r in lines.values("sheet__department_id").annotate(
            red_lines=Count("id", filter=Q(light=lights.RED)),
            yellow_lines=Count("id", filter=Q(light=lights.YELLOW)),
            green_lines=Count("id", filter=Q(light=lights.GREEN)),
        )
    }
    result = []
    for row in rows:
        counts = by_department.get(row["department_id"], {})
        result.append(
            {
                "department_id": row["department_id"],
                "department": row["department__name"],
                **{k: row.get(k, counts.get(k, 0)) or 0 for k in COUNTS},
                "budget": row["budget"],
                "reported_budget": row["reported_budget"],
                "executed": row["executed"],
            }
        )
    return result


def summary_table(round_, rows: list[dict]) -> Table:
    n = round_.months
    elapsed = round(lights.elapsed_share(round_.as_of), 4)
    table = Table(
        title="绩效运行监控情况汇总表",
        subtitle=(
            f"（{round_.year.year}年1–{n}月 · {round_.name} · "
            f"截至{round_.as_of.year}年{round_.as_of.month}月{round_.as_of.day}日）"
        ),
        sheet_name="监控情况汇总表",
        widths=WIDTHS,
        header_rows=3,
        landscape=True,
    )
    b = Builder(table)
    b.list_head([h.format(n=n) for h in HEADINGS])
    for number, row in enumerate(rows, start=1):
        b.put(0, number, Style.CENTER)
        b.put(1, row["department"], Style.TEXT)
        _figures(b, row, elapsed)
        b.row()
    total = {k: sum(r[k] for r in rows) for k in COUNTS}
    for key in ("budget", "reported_budget", "executed"):
        values = [r[key] for r in rows if r[key] is not None]
        total[key] = sum(values, Decimal("0")) if values else None
    b.put(0, "合计", Style.TOTAL, colspan=2)
    _figures(b, total, elapsed, bold=True)
    b.row()
    b.span(NOTE.replace("N", str(n)), Style.FOOTER)
    b.row()
    return table


def _figures(b: Builder, row: dict, elapsed: Decimal, bold: bool = False) -> None:
    for col, key in enumerate(COUNTS, start=2):
        b.put(col, row[key], Style.INTEGER, bold=bold)
    b.put(12, row["budget"], Style.MONEY, bold=bold)
    b.put(13, row["executed"], Style.MONEY, bold=bold)
    rate = lights.rate(row["executed"], row["reported_budget"])
    rate = None if rate is None else round(rate, 4)
    b.put(14, rate, Style.PERCENT, bold=bold or (rate is not None and rate < elapsed))
    b.put(15, elapsed, Style.PERCENT, bold=bold)
