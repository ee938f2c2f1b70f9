"""Render Tables as an XLSX workbook: one worksheet per Table, laid out cell for cell as printed.

Numbers stay numbers (a number format says how to show them, as the HTML renderer's `display`
does). Where a number is missing (`Missing`: 无数据, 超出范围) the cell stays empty with the
reason as its comment, so that a numeric column holds numbers only. Text is written as text, and
text that looks like a formula (= + - @ tab CR) carries Excel's quote-prefix marker, so it can
never run as one and still prints as typed.
Formats are created once per workbook and shared by every cell of the same style.
XlsxWriter runs in normal mode: `constant_memory` drops vertical merges (ARCHITECTURE.md).
"""

from __future__ import annotations

import functools
import io
import math
import re
import unicodedata
from decimal import Decimal
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .base import FORMULA_PREFIXES, LIGHT_COLOURS, NUMERIC, Cell, Missing, Style, Table

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,  # no temporary files, also when writing to a path
}

FONT = "宋体"
FONT_CHARSET = 134  # GB2312: Excel picks the Chinese face even on a non-Chinese system
FONT_SIZE = 10.5
SIZES = {Style.TITLE: 16, Style.SUBTITLE: 11, Style.NOTE: 8}
UNBORDERED = {Style.TITLE, Style.SUBTITLE, Style.FOOTER, Style.NOTE}
NUM_FORMATS = {
    Style.MONEY: "0.00",
    Style.SCORE: "0.00",
    Style.PERCENT: "0.00%",  # the value is a ratio: 0.9576 shows as 95.76%
    Style.INTEGER: "0",
}
CENTRED = {
    Style.TITLE,
    Style.SUBTITLE,
    Style.HEADER,
    Style.LABEL,
    Style.CENTER,
    Style.TOTAL,
    *LIGHT_COLOURS,
}
BOLD = {Style.TITLE, Style.HEADER, Style.LABEL, Style.TOTAL}

COMMENT = {"author": "绩效自评系统", "x_scale": 1.6, "font_name": FONT, "font_size": 9}

# Page setup
PAPER_A4 = 9
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}  # inches
PAGE_FOOTER = "&C第 &P 页 共 &N 页"

# Row heights. Excel's width unit is the default font's digit (Calibri 11: 7 px); a column of
# width w is about 7w + 5 px. A CJK glyph of 宋体 10.5pt is 14 px (two units), a Latin one 7 px.
PX_PER_UNIT = 7
COLUMN_PADDING_PX = 5
CELL_INSET_PX = 6  # the text does not touch the borders
LINE_PT = 15.0  # one line of 10.5pt text
MIN_ROW_PT = 18.0
MIN_ROW_PT_BY_STYLE = {Style.TITLE: 30.0, Style.SUBTITLE: 20.0, Style.FOOTER: 24.0}
NOTE_ROW_PT = 14.0
MAX_ROW_PT = 409.0  # Excel's limit

SHEET_NAME_MAX = 31
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def render_xlsx(tables: list[Table]) -> bytes:
    """The workbook of `tables` as bytes."""
    buffer = io.BytesIO()
    write_tables(tables, buffer)
    return buffer.getvalue()


def write_tables(tables: list[Table], target: str | IO[bytes]) -> None:
    """Write one worksheet per Table into `target`, a path or a binary file-like object."""
    workbook = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
    try:
        if tables:
            workbook.set_properties({"title": tables[0].title})
        formats = _Formats(workbook)
        for table, name in zip(tables, sheet_names([t.sheet_name for t in tables]), strict=True):
            _write_sheet(workbook.add_worksheet(name), table, formats)
    finally:
        workbook.close()


# Sheet names ---------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units (Excel's measure), never splitting a character."""
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def _tidy(name: str) -> str:
    """No surrounding spaces or apostrophes (Excel refuses a name that starts or ends with ')."""
    return name.strip().strip("'").strip()


def sheet_names(names: list[str]) -> list[str]:
    """Valid, unique (case-insensitively, as Excel compares) worksheet names, in order:
    forbidden characters become _, at most 31 characters, repeats get " (2)", " (3)" …"""
    used: set[str] = set()
    result = []
    for index, raw in enumerate(names, start=1):
        base = _tidy(INVALID_SHEET_CHARS.sub("_", raw or "")) or f"表{index}"
        if base.lower() == "history":  # reserved by Excel
            base += "_"
        name = _tidy(_cut(base, SHEET_NAME_MAX))
        number = 1
        while name.lower() in used:
            number += 1
            suffix = f" ({number})"
            name = _tidy(_cut(base, SHEET_NAME_MAX - len(suffix))) + suffix
        used.add(name.lower())
        result.append(name)
    return result


# Formats -------------------------------------------------------------------------------------


class _Formats:
    """One Format per (style, bold) for the whole workbook (per-cell formats are slow)."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        self.workbook = workbook
        self.cache: dict[tuple[Style, bool, bool], Format] = {}
        self.asked: dict[tuple[Style, bool, bool], Format] = {}  # as asked, before BOLD applies

    def get(self, style: Style, bold: bool = False, quoted: bool = False) -> Format:
        fmt = self.asked.get((style, bold, quoted))
        if fmt is None:
            fmt = self.asked[(style, bold, quoted)] = self._get(style, bold, quoted)
        return fmt

    def _get(self, style: Style, bold: bool, quoted: bool) -> Format:
        key = (style, bold or style in BOLD, quoted)
        fmt = self.cache.get(key)
        if fmt is None:
            props = _properties(key[0], key[1])
            if quoted:
                # Excel's own leading-apostrophe marker: the text is text, never a formula, and
                # prints as typed (a literal apostrophe would show on the signed table)
                props["quote_prefix"] = True
            fmt = self.cache[key] = self.workbook.add_format(props)
        return fmt


def _properties(style: Style, bold: bool) -> dict:
    props: dict = {
        "font_name": FONT,
        "font_charset": FONT_CHARSET,
        "font_size": SIZES.get(style, FONT_SIZE),
        "text_wrap": True,
        "valign": "vcenter",
        "bold": bold,
    }
    if style not in UNBORDERED:
        props["border"] = 1
    if style in CENTRED:
        props["align"] = "center"
    elif style in NUMERIC or style == Style.NOTE:
        props["align"] = "right"
    else:
        props["align"] = "left"
    if style in NUM_FORMATS:
        props["num_format"] = NUM_FORMATS[style]
    if style == Style.HEADER:
        props["bg_color"] = "#F2F2F2"
    if style in LIGHT_COLOURS:
        props["bg_color"] = LIGHT_COLOURS[style]
    if style == Style.NOTE:
        props["font_color"] = "#595959"
    return props


# Sheets --------------------------------------------------------------------------------------


def _check_overlaps(table: Table) -> None:
    """A cell inside another cell's merge would be hidden (or corrupt the file): refuse it."""
    taken: dict[tuple[int, int], Cell] = {}
    n_cols = table.n_cols
    for cell in table.cells:
        if cell.col + cell.colspan > n_cols or cell.rowspan < 1 or cell.colspan < 1:
            raise ValueError(f"{table.sheet_name}: cell {cell} does not fit the table's columns")
        if cell.rowspan == 1 and cell.colspan == 1:  # most cells: one slot
            other = taken.setdefault((cell.row, cell.col), cell)
            if other is not cell:
                raise ValueError(f"{table.sheet_name}: cell {cell} overlaps {other}")
            continue
        for r in range(cell.row, cell.row + cell.rowspan):
            for c in range(cell.col, cell.col + cell.colspan):
                other = taken.setdefault((r, c), cell)
                if other is not cell:
                    raise ValueError(f"{table.sheet_name}: cell {cell} overlaps {other}")


def _write_sheet(ws: Worksheet, table: Table, formats: _Formats) -> None:
    _check_overlaps(table)
    for col, width in enumerate(table.widths):
        ws.set_column(col, col, width)
    for cell in table.cells:
        quoted = isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES)
        fmt = formats.get(cell.style, cell.bold, quoted)
        if cell.rowspan > 1 or cell.colspan > 1:
            # the same format on every cell of the area, so each edge carries the border
            ws.merge_range(
                cell.row,
                cell.col,
                cell.row + cell.rowspan - 1,
                cell.col + cell.colspan - 1,
                None,
                fmt,
            )
        _write_value(ws, cell.row, cell.col, cell.value, fmt)

    n_rows = table.n_rows
    heights = _row_heights(table)
    if table.note:
        fmt = formats.get(Style.NOTE)
        if table.n_cols > 1:
            ws.merge_range(n_rows, 0, n_rows, table.n_cols - 1, None, fmt)
        _write_value(ws, n_rows, 0, table.note, fmt)
        note_width = _span_px(table.widths, 0, max(table.n_cols, 1))
        lines = _lines(table.note, note_width, SIZES[Style.NOTE], False)
        heights.append(max(NOTE_ROW_PT, lines * LINE_PT * SIZES[Style.NOTE] / FONT_SIZE + 2))
    for row, height in enumerate(heights):
        ws.set_row(row, round(height, 2))
    _page_setup(ws, table)


def _write_value(ws: Worksheet, row: int, col: int, value, fmt: Format) -> None:
    if isinstance(value, Missing):  # no number here: an empty cell, the reason as its comment
        ws.write_blank(row, col, None, fmt)
        if value.note:
            ws.write_comment(row, col, value.note, COMMENT)
    elif value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, value, fmt)
    elif isinstance(value, bool):  # not a Value, but never let it pass as 0/1 silently
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, int):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, Decimal):
        if value.is_finite():
            ws.write_number(row, col, float(value), fmt)
        else:  # NaN/Infinity cannot be stored as a number
            ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, float):
        if math.isfinite(value):
            ws.write_number(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _page_setup(ws: Worksheet, table: Table) -> None:
    ws.set_paper(PAPER_A4)
    if table.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    if table.header_rows > 0:
        ws.repeat_rows(0, table.header_rows - 1)
    ws.center_horizontally()
    ws.set_margins(**MARGINS)
    ws.set_footer(PAGE_FOOTER, {"margin": 0.3})


# Row heights ---------------------------------------------------------------------------------


def _span_px(widths: list[float], col: int, colspan: int) -> float:
    return sum(w * PX_PER_UNIT + COLUMN_PADDING_PX for w in widths[col : col + colspan])


@functools.cache
def _char_px(ch: str) -> float:
    """Width of one character at 10.5pt: CJK (and ambiguous: — ≥ ① …) 14 px, Latin 7 px."""
    return 14.0 if unicodedata.east_asian_width(ch) in "WFA" else 7.0


@functools.lru_cache(maxsize=4096)  # the same texts recur in many rows and tables
def _lines(text: str, width_px: float, size: float, bold: bool) -> int:
    """Lines a wrapped text takes in a cell `width_px` wide (an estimate, on the safe side)."""
    usable = max(width_px - CELL_INSET_PX, PX_PER_UNIT)
    scale = size / FONT_SIZE * (1.05 if bold else 1.0)
    total = 0
    for paragraph in text.split("\n"):
        px = sum(_char_px(ch) for ch in paragraph) * scale
        total += max(1, math.ceil(px / usable))
    return total


@functools.cache
def _style_rule(style: Style) -> tuple[float, float, float, bool]:
    """(font size, points a line takes, least points, bold) of a style's cells."""
    size = SIZES.get(style, FONT_SIZE)
    return (
        size,
        LINE_PT * size / FONT_SIZE,
        MIN_ROW_PT_BY_STYLE.get(style, MIN_ROW_PT),
        style in BOLD,
    )


def _needed_pt(cell: Cell, widths: list[float], spans: dict | None = None) -> float:
    """Points a cell needs; `spans` caches the width in px of (col, colspan) for one table."""
    size, line_pt, minimum, bold = _style_rule(cell.style)
    if not isinstance(cell.value, str) or not cell.value:
        return max(minimum, line_pt + 3)
    span = (cell.col, cell.colspan)
    if spans is None:
        width = _span_px(widths, *span)
    elif (width := spans.get(span)) is None:
        width = spans[span] = _span_px(widths, *span)
    lines = _lines(cell.value, width, size, cell.bold or bold)
    return min(MAX_ROW_PT * cell.rowspan, max(minimum, lines * line_pt + 3))


def _row_heights(table: Table) -> list[float]:
    """Each row tall enough for its texts; a vertically merged text that needs more than its
    rows give gets the difference spread over them."""
    heights = [MIN_ROW_PT] * table.n_rows
    widths, spans = table.widths, {}
    merged = []
    for cell in table.cells:
        if cell.rowspan == 1:
            needed = _needed_pt(cell, widths, spans)
            if needed > heights[cell.row]:
                heights[cell.row] = needed
        else:
            merged.append(cell)
    for cell in sorted(merged, key=lambda c: c.rowspan):
        rows = range(cell.row, cell.row + cell.rowspan)
        missing = _needed_pt(cell, widths, spans) - sum(heights[r] for r in rows)
        if missing > 0:
            for r in rows:
                heights[r] += missing / cell.rowspan
    return [min(MAX_ROW_PT, h) for h in heights]
