"""The clerk's round trip: the 项目支出绩效自评表 downloaded as XLSX, filled offline, uploaded.

The table is read by its printed layout (the header row 一级指标 … 偏差原因分析及改进措施 and the
lines below it down to 总分; 实际完成情况; the 全年执行数 of each fund source), matched to the
evaluation's lines by 一级 / 二级 / 三级指标, previewed, and saved through `evaluation_save`, so
the rules, the version lock and the audit record are those of the form.
"""

import re
from decimal import Decimal

from budgets.models import FUND_SOURCES, Project
from core import formatting, numbers
from evaluations import scoring
from evaluations.models import IndicatorResult, SelfEvaluation
from evaluations.services import (
    EvaluationInput,
    ResultInput,
    editing_refusal,
    evaluation_preview,
    evaluation_save,
    results_of,
)

from .engine import ERROR, UNCHANGED, UPDATE, Plan, Row, line_header
from .files import FileRefused, Sheet, cell_text, open_workbook, xlsx_rows

INDICATOR_HEADER = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
_WEIGHT_SUFFIX = re.compile(r"\s*[（(][^（()）]*分[)）]\s*$")
_LEVEL_SUFFIX = re.compile(r"^(.*?)[（(]([^（()）]+)[)）]\s*$", re.S)
LEVEL_BY_LABEL = {label: key for key, label in scoring.LEVEL_LABELS.items()} | {
    "达成": scoring.ACHIEVED,
    "部分达成": scoring.PARTIAL,
    "未达成": scoring.NOT_ACHIEVED,
}


FORMULA = "单元格含公式，请改为直接填写数值或文字"
TABLE_COLUMNS = 8
TABLE_MAX_ROWS = 2000


def _cells(
    data: bytes, columns: int = TABLE_COLUMNS, what: str = "绩效自评表"
) -> tuple[list[list], dict[tuple[int, int], str]]:
    """The table's first `columns` columns as rows (row n of the sheet at index n - 1, empty
    rows kept up to the last with content) and the cells that cannot be taken as typed: (row number,
    column index) → message, for formulas and unreadable cells alike."""
    book = open_workbook(data)
    try:
        rows: list[list] = []
        problems: dict[tuple[int, int], str] = {}
        sheet = book[book.sheetnames[0]]
        for row in xlsx_rows(
            book, sheet, max_columns=columns, columns=columns, text_formulas=False
        ):
            if row.number > TABLE_MAX_ROWS:
                raise FileRefused(f"文件行数过多，不是标准的{what}。")
            while len(rows) < row.number:
                rows.append([None] * columns)
            rows[row.number - 1] = row.values + [None] * (columns - len(row.values))
            for col in row.formulas:
                problems[(row.number, col)] = FORMULA
            for col, message in row.bad:
                problems[(row.number, col)] = message
        return rows, problems
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001  (whatever a damaged sheet raises refuses the file)
        raise FileRefused("无法读取该 Excel 文件（文件已损坏或格式不受支持）。") from exc
    finally:
        book.close()


def _actual(text: str, indicator) -> tuple[str, str]:
    """(实际完成值, 完成等级) from the printed cell: '48万件', '达成年度指标', '文字（达成…）'."""
    level = ""
    match = _LEVEL_SUFFIX.match(text)
    if text in LEVEL_BY_LABEL:
        return ("" if indicator.is_qualitative else text), LEVEL_BY_LABEL[text]
    if match and match.group(2).strip() in LEVEL_BY_LABEL:
        text, level = match.group(1).strip(), LEVEL_BY_LABEL[match.group(2).strip()]
    if not indicator.is_qualitative and indicator.unit and text.endswith(indicator.unit):
        # the unit the table printed after a bare number (48 → 48万件) is taken off again
        stripped = text[: -len(indicator.unit)].strip()
        if scoring.actual_number(stripped) is not None:
            text = stripped
    return text, level


def plan_table(job, data: bytes, report) -> Plan:
    evaluation = job.evaluation
    if evaluation is None:
        raise FileRefused("该自评表已不存在。")
    refusal = editing_refusal(job.created_by, evaluation)
    if refusal:
        raise FileRefused(refusal)
    if not data.startswith(b"PK\x03\x04") or not job.original_name.lower().endswith(".xlsx"):
        raise FileRefused("请上传从本系统导出的 .xlsx 格式的绩效自评表。")
    cells, bad = _cells(data)
    report(0.3)
    text = [[cell_text(v) for v in row] for row in cells]
    expected = evaluation.project.name if evaluation.project_id else evaluation.department.name
    name_row = next((r for r in text if r[0] in ("项目名称", "预算部门")), None)
    if name_row is None:
        raise FileRefused("文件不是标准的绩效自评表（找不到“项目名称”行）。")
    if name_row[1] != expected:
        raise FileRefused(f"文件中的名称“{name_row[1]}”与本自评表“{expected}”不一致，请检查文件。")
    start = next((i for i, r in enumerate(text) if r[:7] == INDICATOR_HEADER), None)
    if start is None:
        raise FileRefused("文件不是标准的绩效自评表（找不到指标表头行）。")
    results = results_of(evaluation)
    by_key = {
        (r.indicator.category.parent.name, r.indicator.category.name, r.indicator.name): r
        for r in results
    }
    rows: list[Row] = []
    lines: dict[int, ResultInput] = {
        r.id: ResultInput(r.id, r.actual_value, r.level, r.score, r.deviation_reason)
        for r in results
    }
    row_of: dict[int, Row] = {}
    level1 = level2 = ""
    for index in range(start + 1, len(text)):
        values = text[index]
        if values[0].startswith(("总分", "审核得分", "填表人")):
            break
        number = index + 1
        level1 = _WEIGHT_SUFFIX.sub("", values[0]) or level1
        level2 = values[1] or level2
        if not values[2]:
            continue
        row = Row(number=number, raw=cells[index], label=f"{level1}/{level2}/{values[2]}")
        rows.append(row)
        for col, header in ((4, "实际完成值"), (6, "得分"), (7, "偏差原因分析及改进措施")):
            if (number, col) in bad:
                row.error(header, bad[(number, col)])
        result = by_key.get((level1, level2, values[2]))
        if result is None:
            row.error("三级指标", "本自评表中没有这个三级指标（请勿修改指标名称）")
            continue
        if result.id in row_of:
            row.error("三级指标", f"与第{row_of[result.id].number}行重复")
            continue
        row_of[result.id] = row
        actual, level = _actual(values[4], result.indicator)
        score = None
        if values[6]:
            try:
                # the column's digits only: the line's bounds are the form's (`rules`, through
                # evaluation_preview below), with its message
                score = numbers.read(
                    values[6], IndicatorResult._meta.get_field("score"), label="得分"
                )
            except numbers.NumberRefused as refused:
                row.error("得分", str(refused))
        if len(actual) > 200:
            row.error("实际完成值", "不能超过200个字")
        lines[result.id] = ResultInput(
            result.id, actual, level if result.indicator.is_qualitative else "", score, values[7]
        )
        new = lines[result.id]
        for header, old, value in (
            ("实际完成值", result.actual_value, new.actual_value),
            ("完成等级", result.level, new.level),
            ("得分", result.score, new.score),
            ("偏差原因分析及改进措施", result.deviation_reason, new.deviation_reason),
        ):
            if (old or "") != (value or "") and not (header == "得分" and value is None):
                row.changes[header] = [old, value]
        row.status = UPDATE if row.changes else UNCHANGED
    data_in = EvaluationInput(
        actual_text=evaluation.actual_text,
        problems=evaluation.problems,
        measures=evaluation.measures,
        execution_reason=evaluation.execution_reason,
        results=list(lines.values()),
    )
    data_in.stated, refused = _stated(text, cells, start, evaluation)
    general = _general(text, start, evaluation, data_in, bad)
    for header, message in refused:
        general.error(header, message)
    stated_labels = {"stated_execution_rate": "原表执行率", "stated_total_score": "原表总分"}
    for name, label in stated_labels.items():
        if getattr(evaluation, name) != data_in.stated[name]:
            general.changes[label] = [getattr(evaluation, name), data_in.stated[name]]
            general.status = UPDATE
    preview = evaluation_preview(evaluation, data_in)
    for message in preview["general"]:  # refused by the number rule (元 typed as 万元)
        general.error("全年执行数", message)
    if general.changes or general.errors:
        rows.insert(0, general)
    notes = _stated_notes(data_in.stated, preview, evaluation)
    for result_id, info in preview["lines"].items():
        row = row_of.get(result_id)
        for problem in info["problems"]:
            if row is not None:
                row.error(line_header(problem), problem)
    report(0.9)
    plan = Plan(
        kind=None, sheet=Sheet(name="", header_row=start + 1, headers=[]), columns={}, rows=rows
    )
    plan.evaluation_input = data_in
    plan.notes = notes
    for row in rows:
        if row.errors:
            row.status = ERROR
    return plan


def _stated(text, cells, start, evaluation):
    """执行率 and 总分 as the uploaded table states them, where they are not simply the figures the
    system printed when the table was exported (a clerk who typed over them states them); and
    the (header, message) of a stated figure the number rule refuses (1e300, 999…9%)."""
    stated: dict[str, Decimal | None] = {
        "stated_execution_rate": None,
        "stated_total_score": None,
    }
    refused: list[tuple[str, str]] = []

    def read(value, name: str, header: str) -> Decimal | None:
        try:
            return numbers.read(
                cell_text(value) if isinstance(value, float) else value,
                SelfEvaluation._meta.get_field(name),
                label="",
                percent=name == "stated_execution_rate",
                rounding=True,
            )
        except numbers.NumberRefused as exc:
            refused.append((header, str(exc)))
            return None

    for index, values in enumerate(text):
        if index < start and values[1] == "年度资金总额":
            rate = read(cells[index][6], "stated_execution_rate", "执行率")
            current = evaluation.execution_rate
            if rate is not None and (current is None or abs(rate - current) >= Decimal("0.00005")):
                stated["stated_execution_rate"] = rate
        if index > start and values[0] == "总分":
            total = read(cells[index][6], "stated_total_score", "总分")
            current = evaluation.total_score
            if total is not None and (current is None or abs(total - current) >= Decimal("0.005")):
                stated["stated_total_score"] = total
    return stated, refused


def _stated_notes(stated, preview, evaluation) -> list[str]:
    notes = []
    rate, total = stated["stated_execution_rate"], stated["stated_total_score"]
    if rate is not None and rate != preview["execution_rate"]:
        computed = (
            "无数据"
            if preview["execution_rate"] is None
            else formatting.percent(preview["execution_rate"])
        )
        notes.append(
            f"表中填写的执行率为{formatting.percent(rate)}，系统按全年执行数÷全年预算数计算为{computed}；"
            "导入后以计算值为准，并在一致性检查中提示。"
        )
    if total is not None and total != preview["total"]:
        notes.append(
            f"表中填写的总分为{total}，系统按各项得分合计为{preview['total']}；"
            "导入后以计算值为准，并在一致性检查中提示。"
        )
    return notes


def _general(text, start, evaluation, data_in: EvaluationInput, bad) -> Row:
    """实际完成情况 and, for a project, 全年执行数 by source, from the rows above the indicators."""
    row = Row(number=0, raw=[], label="年度总体目标与资金")
    for index in range(start):
        values = text[index]
        if values[4] == "实际完成情况" and index + 1 < start:
            actual = text[index + 1][4]
            row.number = index + 2
            if (index + 2, 4) in bad:
                row.error("实际完成情况", bad[(index + 2, 4)])
            elif actual != evaluation.actual_text:
                row.changes["实际完成情况"] = [evaluation.actual_text, actual]
                data_in.actual_text = actual
    if evaluation.project_id:
        executed = {}
        labels = dict((label, source) for source, label in FUND_SOURCES)
        for index in range(start):
            label = text[index][1].removeprefix("其中：")
            source = labels.get(label)
            if source is not None and (index + 1, 4) in bad:
                row.error(f"全年执行数·{label}", bad[(index + 1, 4)])
                continue
            if source is None or not text[index][4]:
                continue
            try:
                value = numbers.read(
                    text[index][4], Project._meta.get_field(f"executed_{source}"), label=""
                )
            except numbers.NumberRefused as refused:
                row.error(f"全年执行数·{label}", str(refused))
                continue
            old = getattr(evaluation.project, f"executed_{source}")
            executed[source] = value
            if old != value:
                row.changes[f"全年执行数·{label}"] = [old, value]
        if executed:
            data_in.executed = executed
    row.status = UPDATE if row.changes else UNCHANGED
    return row


def write_table(job, plan: Plan) -> None:
    evaluation = job.evaluation
    evaluation_save(
        evaluation=evaluation,
        user=job.created_by,
        data=plan.evaluation_input,
        version=job.base_version if job.base_version is not None else evaluation.version,
    )
