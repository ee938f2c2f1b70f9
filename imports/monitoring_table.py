"""The clerk's round trip of the 绩效目标执行监控表: the offline form (`export_tables --table
monitoring`, or the export button on the 监控表) filled in Excel and uploaded back.

The table is read by its printed layout (reporting.tables.monitoring): the 项目名称 / 预算部门
line must name this sheet; the row under 预算执行情况（万元） gives 1–N月执行数 (column D) and
全年预计执行数 (F), the 执行偏差原因 row its text; the indicator rows below the header 一级指标 …
监控结果, down to 整改要求和建议 / 整改结果 / 填表人, are matched to the sheet's lines by
一级 / 二级 / 三级指标. 偏差原因 is read back as 类别：说明. The values are saved through
`monitoring_sheet_save` (previewed by the same save rolled back), so every refusal is the form's,
reported per cell; nothing is saved while any remains.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from evaluations.models import DeviationCategory, Likelihood, MonitoringSheet
from evaluations.services.monitoring import editing_refusal, lines_of, monitoring_sheet_save

from .engine import ERROR, UNCHANGED, UPDATE, Plan, Row
from .files import FileRefused, Sheet, cell_text
from .kinds_monitoring import FIELD_HEADERS, save_refusals
from .table import _WEIGHT_SUFFIX, _cells

# the printed layout (reporting.tables.monitoring; imports may not import reporting: the round
# trip's tests export a table there and read it back here, so the two cannot drift apart)
FUNDS_LABEL = "预算执行情况（万元）"
CATEGORY_SEPARATOR = "："
INDICATOR_HEADINGS = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "1–{n}月实际完成值",
    "全年预计完成值",
    "完成目标可能性",
    "偏差原因（类别：说明）",
    "完成目标的措施",
    "监控结果",
)
COLUMNS = len(INDICATOR_HEADINGS)
WHAT = "绩效目标执行监控表"
LIKELIHOOD = {label: value for value, label in Likelihood.choices}
CATEGORY = {label: value for value, label in DeviationCategory.choices}
# indicator columns: (index, field)
LINE_COLUMNS = (
    (4, "actual_to_date"),
    (5, "predicted_value"),
    (6, "likelihood"),
    (7, "deviation"),
    (8, "measures"),
)
END_LABELS = ("整改要求和建议", "整改结果", "填表人")


def _reason(text: str) -> tuple[str, str]:
    """(category value, reason) from 类别：说明; a text without a known category is all reason."""
    head, sep, rest = text.partition(CATEGORY_SEPARATOR)
    if sep and head.strip() in CATEGORY:
        return CATEGORY[head.strip()], rest.strip()
    if text.strip() in CATEGORY:
        return CATEGORY[text.strip()], ""
    return "", text


def plan_monitoring_table(job, data: bytes, report) -> Plan:
    sheet: MonitoringSheet | None = job.monitoring_sheet
    if sheet is None:
        raise FileRefused("该监控表已不存在。")
    refusal = editing_refusal(job.created_by, sheet)
    if refusal:
        raise FileRefused(refusal)
    if not data.startswith(b"PK\x03\x04") or not job.original_name.lower().endswith(".xlsx"):
        raise FileRefused("请上传从本系统导出的 .xlsx 格式的绩效目标执行监控表。")
    cells, bad = _cells(data, COLUMNS, WHAT)
    report(0.3)
    text = [[cell_text(v) for v in row] for row in cells]
    expected = sheet.project.name if sheet.project_id else sheet.department.name
    name_row = next((r for r in text if r[0] in ("项目名称", "预算部门")), None)
    if name_row is None or not any(r[0] == FUNDS_LABEL for r in text):
        raise FileRefused(
            "文件不是标准的绩效目标执行监控表（找不到“项目名称”或“预算执行情况”行）。"
        )
    if name_row[1] != expected:
        raise FileRefused(f"文件中的名称“{name_row[1]}”与本监控表“{expected}”不一致，请检查文件。")
    start = next(
        (i for i, r in enumerate(text) if r[0] == "一级指标" and r[6] == "完成目标可能性"), None
    )
    if start is None:
        raise FileRefused("文件不是标准的绩效目标执行监控表（找不到指标表头行）。")
    n = str(sheet.round.months)
    rows: list[Row] = []
    funds: dict = {}
    general = Row(number=0, raw=[], label="预算执行情况")
    for index in range(start):
        values = text[index]
        if values[0] == FUNDS_LABEL and index + 1 < start:
            number = index + 2
            general.number = number
            for col, key in ((3, "executed_to_date"), (5, "predicted_execution")):
                header = FIELD_HEADERS[key].replace("N", n)
                if (number, col) in bad:
                    general.error(header, bad[(number, col)])
                    continue
                typed = text[index + 1][col]
                if not typed:
                    continue  # a blank cell changes nothing (as on the 自评表's round trip)
                funds[key] = typed
                old = getattr(sheet, key)
                if not _same(old, typed):
                    general.changes[header] = [old, typed]
        if values[1] == "执行偏差原因":
            if (index + 1, 3) in bad:
                general.error("预算执行偏差原因", bad[(index + 1, 3)])
                continue
            funds["execution_reason"] = values[3]
            if values[3] != sheet.execution_reason:
                general.changes["预算执行偏差原因"] = [sheet.execution_reason, values[3]]
    if "execution_reason" not in funds and sheet.execution_reason:
        funds["execution_reason"] = ""  # the row is printed only when there is a reason
        general.changes["预算执行偏差原因"] = [sheet.execution_reason, ""]
    stored = lines_of(sheet)
    by_key = {
        (line.indicator.category.parent.name, line.indicator.category.name, line.indicator.name): (
            line
        )
        for line in stored
    }
    typed_lines: dict[int, dict] = {}
    row_of: dict[int, Row] = {}
    level1 = level2 = ""
    for index in range(start + 1, len(text)):
        values = text[index]
        if values[0].startswith(END_LABELS):
            break
        number = index + 1
        level1 = _WEIGHT_SUFFIX.sub("", values[0]) or level1
        level2 = values[1] or level2
        if not values[2]:
            continue
        row = Row(number=number, raw=cells[index], label=f"{level1}/{level2}/{values[2]}")
        rows.append(row)
        line = by_key.get((level1, level2, values[2]))
        if line is None:
            row.error("三级指标", "本监控表中没有这个三级指标（请勿修改指标名称）")
            continue
        if line.id in row_of:
            row.error("三级指标", f"与第{row_of[line.id].number}行重复")
            continue
        row_of[line.id] = row
        row.target = line
        new: dict[str, str] = {}
        for col, key in LINE_COLUMNS:
            header = INDICATOR_HEADINGS[col].format(n=n)
            if (number, col) in bad:
                row.error(header, bad[(number, col)])
                continue
            value = values[col]
            if key == "likelihood":
                if value and value not in LIKELIHOOD and value not in LIKELIHOOD.values():
                    row.error(header, f"须从列表中选择：{'、'.join(LIKELIHOOD)}")
                    continue
                new[key] = LIKELIHOOD.get(value, value)
            elif key == "deviation":
                new["deviation_category"], new["deviation_reason"] = _reason(value)
            else:
                if len(value) > 200 and key != "measures":
                    row.error(header, "不能超过200个字")
                    continue
                new[key] = value
        typed_lines[line.id] = new
        for key, value in new.items():
            if getattr(line, key) != value:
                row.changes[FIELD_HEADERS[key].replace("N", n)] = [getattr(line, key), value]
        row.status = UPDATE if row.changes else UNCHANGED
    general.status = UPDATE if general.changes else UNCHANGED
    rows.insert(0, general)
    if not any(r.errors for r in rows) and any(r.status == UPDATE for r in rows):
        refused = save_refusals(job.created_by, _fresh(sheet), funds, typed_lines, dry=True)
        if refused:
            whole, fields, line_messages = refused
            if whole:
                general.error("", whole)
            for field, messages in fields.items():
                for message in messages:
                    general.error(FIELD_HEADERS.get(field, "").replace("N", n), message)
            for line_id, messages in line_messages.items():
                target = row_of.get(line_id, general)
                for message in messages:
                    target.error("", message)
    report(0.9)
    plan = Plan(
        kind=None, sheet=Sheet(name="", header_row=start + 1, headers=[]), columns={}, rows=rows
    )
    plan.evaluation_input = (funds, typed_lines)
    for row in rows:
        if row.errors:
            row.status = ERROR
    return plan


def _same(old, typed: str) -> bool:
    try:
        return old is not None and Decimal(typed) == old
    except (InvalidOperation, ValueError):
        return False


def _fresh(sheet: MonitoringSheet) -> MonitoringSheet:
    return MonitoringSheet.objects.select_related("round", "year", "department", "project").get(
        pk=sheet.pk
    )


def write_monitoring_table(job, plan: Plan) -> None:
    funds, lines = plan.evaluation_input
    sheet = _fresh(job.monitoring_sheet)
    # the version of the sheet when its table was uploaded: an edit made since then wins
    version = job.base_version if job.base_version is not None else sheet.version
    monitoring_sheet_save(
        user=job.created_by, sheet=sheet, version=version, funds=funds, lines=lines
    )
