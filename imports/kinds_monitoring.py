"""The `monitoring` kind: 绩效目标执行监控表 filled in a flat spreadsheet, one row per 三级指标.

Rows are matched like 自评结果: 年度 + 项目编码 (部门整体: 单位编码) + 一级/二级/三级指标, to the
line of that indicator in the year's latest monitoring round (`MonitoringRound`, by 截至日期).
The sheet's 预算执行 (1–N月执行数, 全年预计执行数, 预算执行偏差原因) may be given on any of its
rows; given on several, they must agree. Everything is saved through `monitoring_sheet_save`, so
the rules, the lights, the version lock and the audit record are the form's: the preview runs the
same save and rolls it back, so a refusal it reports is exactly the form's.
The same rules as every kind: a blank cell changes nothing, imports never delete, all or nothing.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from evaluations.models import (
    DeviationCategory,
    Likelihood,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
)
from evaluations.services.monitoring import InputRefused, monitoring_sheet_save
from evaluations.workflow import WorkflowError

from .engine import UNCHANGED, UPDATE, Column, Plan, Row, mark_duplicates
from .files import FileRefused
from .kinds import NAME, Context, SheetLookup, chunks, sheet_columns

FUND_HEADERS = {
    "executed_to_date": "1–N月执行数",
    "predicted_execution": "全年预计执行数",
    "execution_reason": "预算执行偏差原因",
}
LINE_HEADERS = {
    "actual_to_date": "1–N月实际完成值",
    "predicted_value": "全年预计完成值",
    "likelihood": "完成目标可能性",
    "deviation_category": "偏差原因类别",
    "deviation_reason": "偏差原因说明",
    "measures": "完成目标的措施",
}
FIELD_HEADERS = FUND_HEADERS | LINE_HEADERS


def latest_rounds(year_ids) -> dict[int, MonitoringRound]:
    """{year id: the year's latest round} (1 query)."""
    rounds: dict[int, MonitoringRound] = {}
    for r in MonitoringRound.objects.filter(year_id__in=year_ids).order_by("as_of", "id"):
        rounds[r.year_id] = r
    return rounds


class _DryRun(Exception):
    """Rolls back the preview's save."""


def save_refusals(user, sheet: MonitoringSheet, funds: dict, lines: dict, *, dry: bool):
    """Save one sheet through the form's service (rolled back when `dry`). Returns None, or
    (message for the whole sheet, {field: [messages]}, {line id: [messages]})."""
    try:
        with transaction.atomic():
            monitoring_sheet_save(
                user=user, sheet=sheet, version=sheet.version, funds=funds, lines=lines
            )
            if dry:
                raise _DryRun
    except _DryRun:
        return None
    except InputRefused as refused:
        return "", getattr(refused, "fields", {}) or {}, refused.lines
    except WorkflowError as refused:
        return str(refused), {}, {}
    return None


class Monitoring:
    key = "monitoring"
    label = "绩效运行监控"
    instructions = [
        "每行一个三级指标的监控情况，按“年度 + 项目编码（部门整体为单位编码）+ 一级/二级/三级指标”"
        "匹配该年度最新一个监控批次的监控表。",
        "1–N月执行数、全年预计执行数、预算执行偏差原因为整张监控表的数，可只在该表的任意一行填写；"
        "在多行填写时须一致。金额单位为万元。",
        "完成目标可能性：确定能完成 / 有可能完成 / 完全不可能完成；偏差原因类别：经费保障 / "
        "制度保障 / 人员保障 / 硬件条件保障 / 其他。定量指标的完成值须为数字。",
        "与网页填报相同的规则；只能导入本单位、草稿或已退回状态、监控批次开启且未过报送截止日期的"
        "监控表。",
        "“年度指标值”“计量单位”列仅供参考，导入时不读取。",
    ]

    def columns(self, ctx: Context):
        return [
            *sheet_columns(ctx),
            Column("年度指标值", "target_value", reference=True),
            Column("计量单位", "unit", reference=True),
            Column(
                "1–N月执行数",
                "executed_to_date",
                "decimal",
                field=MonitoringSheet._meta.get_field("executed_to_date"),
                aliases=("截至目前执行数",),
                note="万元；整张表的数",
            ),
            Column(
                "全年预计执行数",
                "predicted_execution",
                "decimal",
                field=MonitoringSheet._meta.get_field("predicted_execution"),
                note="万元；整张表的数",
            ),
            Column("预算执行偏差原因", "execution_reason"),
            Column("1–N月实际完成值", "actual_to_date", max_length=200, aliases=("实际完成值",)),
            Column("全年预计完成值", "predicted_value", max_length=200),
            Column("完成目标可能性", "likelihood", "choice", choices=tuple(Likelihood.choices)),
            Column(
                "偏差原因类别",
                "deviation_category",
                "choice",
                choices=tuple(DeviationCategory.choices),
            ),
            Column("偏差原因说明", "deviation_reason"),
            Column("完成目标的措施", "measures"),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        if ctx.user is None:
            raise FileRefused("绩效监控表须由填报人在网页上导入（以便按其权限和表单规则保存）。")
        lookup = SheetLookup(plan, ctx)
        rounds = latest_rounds({y.id for y in lookup.year_of.values() if y})
        located: dict[int, tuple] = {}
        for row in plan.rows:
            if row.errors:
                continue
            place = lookup.locate(row, ctx)
            if place is None:
                continue
            fiscal_year = place[1]
            category = lookup.category(row, fiscal_year)
            if category is None:
                continue
            target = lookup.sheets.get(place[0])
            indicator = target and lookup.indicators.get(
                (target.id, category.id, row.values["name"])
            )
            if indicator is None:
                row.error(NAME, "绩效目标中没有这个三级指标")
                continue
            round_ = rounds.get(fiscal_year.id)
            if round_ is None:
                row.error("", f"{fiscal_year.year}年度尚未开启绩效运行监控")
                continue
            located[id(row)] = (round_, place, indicator)
            row.label = lookup.label(row, fiscal_year)
        mark_duplicates(
            plan.rows, lambda r: located[id(r)][2].id if id(r) in located else None, NAME
        )
        lines = self._lines([i.id for _, _, i in located.values()], rounds.values())
        by_sheet: dict[int, list[Row]] = defaultdict(list)
        for row in plan.rows:
            if row.errors or id(row) not in located:
                continue
            round_, _, indicator = located[id(row)]
            line = lines.get((round_.id, indicator.id))
            if line is None:
                row.error("", "本监控批次没有这个指标的监控表（绩效目标批复后请财政部门补充生成）")
                continue
            row.target = line
            by_sheet[line.sheet_id].append(row)
        plan.lines = {}  # sheet id → (funds, lines) the write saves
        for rows in by_sheet.values():
            self._sheet_input(plan, rows)
        for sheet_id, (funds, typed) in plan.lines.items():
            rows = by_sheet[sheet_id]
            if not any(r.status == UPDATE for r in rows):
                continue
            sheet = rows[0].target.sheet
            refused = save_refusals(ctx.user, _fresh(sheet), funds, typed, dry=True)
            if refused:
                self._report(rows, *refused)

    @staticmethod
    def _lines(indicator_ids, rounds) -> dict[tuple[int, int], MonitoringLine]:
        """{(round id, indicator id): line} with its sheet (1 query per 900 indicators)."""
        found = {}
        round_ids = [r.id for r in rounds]
        for chunk in chunks(indicator_ids):
            for line in MonitoringLine.objects.filter(
                indicator_id__in=chunk, sheet__round_id__in=round_ids
            ).select_related("sheet__round", "sheet__year", "indicator"):
                found[(line.sheet.round_id, line.indicator_id)] = line
        return found

    @staticmethod
    def _sheet_input(plan: Plan, rows: list[Row]) -> None:
        """The funds and lines one sheet's rows ask for, each row's changes and status."""
        sheet = rows[0].target.sheet
        n = str(sheet.round.months)
        funds: dict = {}
        first: dict[str, Row] = {}
        typed: dict[int, dict] = {}
        for row in rows:
            line = row.target
            for key, header in FUND_HEADERS.items():
                if key not in row.values:
                    continue
                value = row.values[key]
                if key in funds and funds[key] != value:
                    row.error(
                        header.replace("N", n),
                        f"与第{first[key].number}行填写的不一致（同一张监控表只有一个数）",
                    )
                    continue
                funds[key], first[key] = value, row
                old = getattr(sheet, key)
                if (old or "") != (value or ""):
                    row.changes[header.replace("N", n)] = [old, value]
            values = {k: row.values[k] for k in LINE_HEADERS if k in row.values}
            for key, value in values.items():
                if getattr(line, key) != value:
                    row.changes[LINE_HEADERS[key].replace("N", n)] = [getattr(line, key), value]
            typed[line.id] = values
            row.status = UPDATE if row.changes else UNCHANGED
        plan.lines[sheet.id] = (funds, typed)

    @staticmethod
    def _report(rows: list[Row], whole: str, fields: dict, lines: dict) -> None:
        """The save's refusals on the rows they concern (sheet-wide ones on its first row)."""
        first = rows[0]
        if whole:
            for row in rows:
                row.error("", whole)
        for field, messages in fields.items():
            header = FIELD_HEADERS.get(field, "")
            for message in messages:
                first.error(header.replace("N", str(first.target.sheet.round.months)), message)
        by_line = {row.target.id: row for row in rows}
        for line_id, messages in lines.items():
            row = by_line.get(line_id, first)
            for message in messages:
                row.error("", message)

    def write(self, plan: Plan, ctx: Context) -> None:
        sheets = {
            row.target.sheet_id: row.target.sheet for row in plan.rows if row.status == UPDATE
        }
        for sheet_id, sheet in sheets.items():
            funds, typed = plan.lines[sheet_id]
            refused = save_refusals(ctx.user, _fresh(sheet), funds, typed, dry=False)
            if refused:  # changed since the preview: the engine's transaction rolls back
                raise WorkflowError(refused[0] or "监控表在预览后发生了变化，未导入。")


def _fresh(sheet: MonitoringSheet) -> MonitoringSheet:
    """The sheet as stored now, with what the save reads (a dry run changes the object)."""
    return MonitoringSheet.objects.select_related("round", "year").get(pk=sheet.pk)
