"""The neutral description of a standard table: cells on a grid, merges, styles, column widths.

Every standard table is built once as a `Table`; the HTML, XLSX and PDF renderers only translate
it, so the three can never disagree. Values keep their type: Decimal money and scores stay
numbers (with a style saying how to show them), text stays text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum

from core import formatting


class Style(StrEnum):
    TITLE = "title"  # the table's name, large and bold, centred
    SUBTITLE = "subtitle"  # （2021年度）, centred
    HEADER = "header"  # column headings: bold, shaded, centred
    LABEL = "label"  # row labels (项目名称, 年度资金总额, 一级指标 cells): bold, centred
    TEXT = "text"  # wrapped text, left aligned
    CENTER = "center"  # short text, centred
    MONEY = "money"  # 万元, 2 decimals
    PERCENT = "percent"  # a ratio shown as a percentage with 2 decimals
    SCORE = "score"  # points, 2 decimals
    INTEGER = "integer"  # counts (编制数)
    TOTAL = "total"  # the 总分 row's cells: bold
    FOOTER = "footer"  # 填表人 … line, no border
    NOTE = "note"  # small print under the table (content hash), no border
    # a traffic light (监控结果 绿灯/黄灯/红灯): centred text on the light's colour
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


NUMERIC = {Style.MONEY, Style.PERCENT, Style.SCORE, Style.INTEGER}
# the fill of a light's cell, the same in XLSX and on screen / in the PDF (tables.css)
LIGHT_COLOURS = {Style.GREEN: "#C6EFCE", Style.YELLOW: "#FFEB9C", Style.RED: "#FFC7CE"}


class Missing(str):
    """A text standing where a number is not (无数据, 超出范围, a blank to fill in by hand):
    printed as it is on screen and in the PDF; in XLSX the cell is left empty, so that a numeric
    column holds only numbers, with `note` as the cell's comment. (“—”, not applicable, as the
    official tables print it, stays text.)"""

    note: str

    def __new__(cls, text: str, note: str = "") -> Missing:
        value = super().__new__(cls, text)
        value.note = note
        return value


Value = str | Decimal | int | None


@dataclass(slots=True)
class Cell:
    row: int
    col: int
    value: Value
    style: Style = Style.TEXT
    rowspan: int = 1
    colspan: int = 1
    bold: bool = False


@dataclass
class Table:
    """One printable table. `header_rows` rows from the top repeat on every printed page."""

    title: str
    subtitle: str
    sheet_name: str
    widths: list[float]  # column widths in characters (XLSX units)
    cells: list[Cell] = field(default_factory=list)
    header_rows: int = 0
    landscape: bool = True
    note: str = ""  # e.g. 校验码, printed under the table

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return len(self.widths)

    def grid(self) -> list[list[Cell | None]]:
        """Rows of cells in order; None where a cell is covered by a merge (HTML skips it)."""
        rows: list[list[Cell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            rows[cell.row][cell.col] = cell
        return rows

    def fingerprint(self, hasher) -> None:
        """Feed what this table shows into a hash (cheaper than hashing its JSON)."""
        hasher.update(f"{self.title}\x1f{self.subtitle}\x1f{self.widths}\x1f{self.note}".encode())
        cells = "".join(
            f"\x1e{c.row},{c.col},{c.rowspan},{c.colspan},{c.style},{c.bold},{c.value!s}"
            for c in self.cells
        )
        hasher.update(cells.encode())

    def to_json(self) -> dict:
        data = asdict(self)
        for cell in data["cells"]:
            if isinstance(cell["value"], Decimal):
                cell["value"] = {"d": str(cell["value"])}
            elif isinstance(cell["value"], Missing):
                cell["value"] = {"m": str(cell["value"]), "note": cell["value"].note}
        return data

    @classmethod
    def from_json(cls, data: dict) -> Table:
        cells = []
        for raw in data["cells"]:
            value = raw["value"]
            if isinstance(value, dict):
                value = Missing(value["m"], value["note"]) if "m" in value else Decimal(value["d"])
            cells.append(Cell(**{**raw, "value": value, "style": Style(raw["style"])}))
        return cls(**{**data, "cells": cells})


class Builder:
    """Writes cells row by row. `put` places one cell; `row()` moves to the next row."""

    def __init__(self, table: Table):
        self.table = table
        self.r = 0

    def put(
        self,
        col: int,
        value: Value,
        style: Style = Style.TEXT,
        *,
        rowspan: int = 1,
        colspan: int = 1,
        bold: bool = False,
        row: int | None = None,
    ) -> Cell:
        cell = Cell(self.r if row is None else row, col, value, style, rowspan, colspan, bold)
        self.table.cells.append(cell)
        return cell

    def span(self, value: Value, style: Style = Style.TEXT, **kwargs) -> Cell:
        """A cell across the whole width."""
        return self.put(0, value, style, colspan=self.table.n_cols, **kwargs)

    def row(self, n: int = 1) -> int:
        self.r += n
        return self.r

    def list_head(self, headings) -> None:
        """The head of a list table (汇总表, 进度表): title, subtitle, one row of headings."""
        self.span(self.table.title, Style.TITLE)
        self.row()
        self.span(self.table.subtitle, Style.SUBTITLE)
        self.row()
        for col, heading in enumerate(headings):
            self.put(col, heading, Style.HEADER)
        self.row()


FORMULA_PREFIXES = formatting.FORMULA_PREFIXES


OUT_OF_RANGE = Missing("超出范围", "超出范围：计算结果超出可存储的范围，请核对全年预算数和执行数。")
NO_DATA = Missing("无数据", "无数据：该数尚未录入（不是0）。")


def rate_shown(rate, full, executed):
    """The 执行率 a table prints: the stored rate; "超出范围" where there is a budget and an
    execution but no rate (the figure did not fit its column and was stored as NULL, see
    core.numbers.fit); None (blank) where there is nothing to compute from."""
    if rate not in (None, ""):
        return rate
    known = full not in (None, "") and executed not in (None, "")
    return OUT_OF_RANGE if known and Decimal(full) > 0 else None
