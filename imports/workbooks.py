"""Workbooks the import gives back: the empty template of a kind (Chinese headers, an instructions
sheet, dropdowns where the values are a fixed list) and the failed rows of an upload (the user's
own columns and values, bad cells highlighted and commented, ready to fix and upload again)."""

import io
from decimal import Decimal

import xlsxwriter

from .engine import normalize
from .files import DATA_SHEET, INSTRUCTIONS_SHEET, read_sheet, stored_upload
from .kinds import KINDS, Context

GENERAL = [
    "第一行是表头，按列名识别（列的顺序可以调整，带 * 的列必须有）；从第二行起每行一条数据。",
    "支持 .xlsx 和 .csv（UTF-8 或 GBK 编码）文件。单元格中不能有公式，请粘贴为数值。",
    "上传后先预览：每行标注新增、修改、未变或错误。只要有一行错误，整个文件都不会导入；"
    "可以下载“错误行”工作簿：它只含未通过的行，而检查通过的行也未导入，"
    "所以请在原文件中改正这些行后重新上传整个文件。",
    "同一文件重复导入不会产生重复数据（按编码等自然键匹配）。导入不会删除已有数据。",
]
MAX_ROWS = 100_000


def _cell(ws, row: int, col: int, value, fmt=None) -> None:
    """Write a value as it was uploaded: numbers as numbers, text always as text (never a
    formula, even when it starts with '=')."""
    if value is None or isinstance(value, bool):
        if fmt:
            ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (int, float, Decimal)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def template(kind_key: str, ctx: Context, rows: list[dict] | None = None) -> bytes:
    """The template of a kind; with `rows` (dicts by header), filled with them."""
    kind = KINDS[kind_key]
    columns = [c for c in kind.columns(ctx)]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    required = book.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "vcenter"}
    )
    text = book.add_format({"num_format": "@"})
    ws = book.add_worksheet(DATA_SHEET)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 32)
    for col, column in enumerate(columns):
        header = column.header + ("*" if column.required else "")
        ws.write_string(0, col, header, required if column.required else head)
        width = max(10, min(40, len(column.header) * 2 + 4))
        numeric = column.type in ("decimal", "int", "score")
        ws.set_column(col, col, width, None if numeric else text)
        note = _note(column)
        if note:
            ws.write_comment(0, col, note, {"x_scale": 2, "y_scale": 1.5})
        if column.choices:
            labels = list(dict.fromkeys(label for _, label in column.choices))
            ws.data_validation(
                1,
                col,
                MAX_ROWS,
                col,
                {
                    "validate": "list",
                    "source": labels,
                    "error_title": "无效的选项",
                    "error_message": "请从下拉列表中选择：" + "、".join(labels),
                },
            )
        elif numeric:
            ws.data_validation(
                1,
                col,
                MAX_ROWS,
                col,
                {
                    "validate": "decimal" if column.type != "int" else "integer",
                    "criteria": ">=",
                    "value": 0,
                    "error_title": "必须是数字",
                    "error_message": f"“{column.header}”必须是不小于0的数字。",
                },
            )
    for number, values in enumerate(rows or [], start=1):
        for col, column in enumerate(columns):
            _cell(ws, number, col, values.get(column.header))
    info = book.add_worksheet(INSTRUCTIONS_SHEET)
    bold = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    info.set_column(0, 0, 24)
    info.set_column(1, 1, 10)
    info.set_column(2, 2, 60)
    info.set_column(3, 3, 40)
    info.write_string(0, 0, f"{kind.label}导入模板 · 填写说明", bold)
    row = 2
    for line in GENERAL + kind.instructions:
        info.merge_range(row, 0, row, 3, f"· {line}", wrap)
        info.set_row(row, 30)
        row += 1
    row += 1
    for col, heading in enumerate(["列名", "是否必填", "说明", "可选值"]):
        info.write_string(row, col, heading, head)
    for column in columns:
        row += 1
        info.write_string(row, 0, column.header, wrap)
        info.write_string(row, 1, "必填" if column.required else "", wrap)
        info.write_string(row, 2, _note(column), wrap)
        info.write_string(row, 3, "、".join(dict.fromkeys(lb for _, lb in column.choices)), wrap)
    book.close()
    return buffer.getvalue()


def _note(column) -> str:
    parts = []
    if column.reference:
        parts.append("仅供参考，导入时不读取")
    if column.type == "decimal":
        parts.append("数字，最多4位小数")
    elif column.type == "score":
        parts.append("数字，最多2位小数")
    elif column.type == "int":
        parts.append("非负整数")
    if column.note:
        parts.append(column.note)
    return "；".join(parts)


def failed_rows(job) -> bytes:
    """The rows with errors, as uploaded, with the bad cells highlighted and commented and the
    messages of each row in a last column 错误说明."""
    sheet = read_sheet(job.original_name, stored_upload(job))
    problems: dict[int, dict[str, list[str]]] = {}
    for number, header, message in job.errors:
        problems.setdefault(number, {}).setdefault(header, []).append(message)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1})
    note = book.add_format({"font_color": "#9C0006", "text_wrap": True})
    ws = book.add_worksheet(DATA_SHEET)
    ws.freeze_panes(1, 0)
    for col, header in enumerate(sheet.headers):
        ws.write_string(0, col, header, head)
        ws.set_column(col, col, max(10, min(40, len(header) * 2 + 4)))
    last = len(sheet.headers)
    ws.write_string(0, last, "错误说明", head)
    ws.set_column(last, last, 60)
    position = {normalize(h): i for i, h in enumerate(sheet.headers)}
    out = 0
    for number, raw in sheet.rows:
        found = problems.get(number)
        if not found:
            continue
        out += 1
        flagged = {
            position[normalize(h)]: ms for h, ms in found.items() if normalize(h) in position
        }
        for col in range(max(len(raw), len(sheet.headers))):
            value = raw[col] if col < len(raw) else None
            if col in flagged:
                _cell(ws, out, col, value if value is not None else "", bad)
                ws.write_comment(out, col, "；".join(flagged[col]), {"x_scale": 2})
            else:
                _cell(ws, out, col, value)
        messages = [f"{h}：{m}" if h else m for h, ms in found.items() for m in ms]
        ws.write_string(out, last, f"原第{number}行：" + "；".join(messages), note)
    book.close()
    return buffer.getvalue()
