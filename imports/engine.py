"""The import engine: columns matched by header name, cells typed, rows planned, then written.

A kind (``kinds.py``) declares its columns and natural key, and knows how to look up what exists
(in a fixed number of queries, whatever the number of rows), to compare, and to write in bulk.
This module does what is common to all kinds:

- headers matched by name, not position (spaces, ``*`` and full-width brackets ignored; aliases);
  a required header that is missing refuses the whole file;
- every cell typed with a Chinese message per row and column ("第12行 分值：必须是数字");
- duplicate natural keys inside the file are errors on the later rows;
- the plan marks every row 新增 / 修改 / 未变 / 错误 with the changed fields;
- `commit` writes only when no row has an error, in one transaction (all or nothing).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core import formatting, numbers

from .files import FileRefused, Sheet, cell_text

NEW, UPDATE, UNCHANGED, ERROR = "new", "update", "unchanged", "error"
MAX_PREVIEW_ROWS = 500
MEMO_MAX = 100_000  # typed cells remembered by parse_rows (distinct amounts would not repeat)
ESCAPED = formatting.FORMULA_PREFIXES  # taken off on import (core.formatting)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    type: str = "text"  # text | decimal | int | choice
    required: bool = False  # the cell must be filled
    required_header: bool = False  # the column must be present
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, label); both are accepted
    max_length: int | None = None
    note: str = ""
    aliases: tuple[str, ...] = ()
    reference: bool = False  # shown in templates for the reader, ignored on import
    # decimal | score: the model field the value is stored in (its digits and places are the
    # number rule's), and the domain's upper bound where there is one (≥ 0 always)
    field: Any = None
    maximum: Decimal | None = None


@dataclass
class Row:
    number: int
    raw: list
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # header ('' = whole row) → msgs
    status: str = ""
    changes: dict[str, list] = field(default_factory=dict)  # header → [old, new]
    target: Any = None  # what the kind will write for this row
    label: str = ""  # the row's natural key as people read it

    def error(self, header: str, message: str) -> None:
        self.errors.setdefault(header, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Plan:
    kind: Any
    sheet: Sheet
    columns: dict[int, Column]  # position in the file → column
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    # what a kind's check found and its write reuses (results: by target sheet id)
    evaluations: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    evaluation_input: Any = None  # the offline table: what it would save through the form

    def present(self, key: str) -> bool:
        return any(c.key == key for c in self.columns.values())

    @property
    def counts(self) -> dict[str, int]:
        counts = {NEW: 0, UPDATE: 0, UNCHANGED: 0, ERROR: 0}
        for row in self.rows:
            counts[ERROR if row.errors else row.status] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    def error_list(self) -> list[list]:
        """[[row number, header, message], …] in file order."""
        return [
            [row.number, header, message]
            for row in self.rows
            for header, messages in row.errors.items()
            for message in messages
        ]

    def preview_rows(self, limit: int = MAX_PREVIEW_ROWS) -> list[dict]:
        """The rows worth showing: errors first, then new and changed rows (unchanged are only
        counted)."""
        shown = [r for r in self.rows if r.errors] + [
            r for r in self.rows if not r.errors and r.status in (NEW, UPDATE)
        ]
        return [
            {
                "row": r.number,
                "label": r.label or " ".join(cell_text(v) for v in r.raw[:4] if v is not None),
                "status": ERROR if r.errors else r.status,
                "changes": {k: [_show(o), _show(n)] for k, (o, n) in r.changes.items()},
                "errors": [f"{h}：{m}" if h else m for h, ms in r.errors.items() for m in ms],
            }
            for r in shown[:limit]
        ]


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def message(number: int, header: str, text: str) -> str:
    """ "第12行 分值：必须是数字"; a message that names its column itself is not prefixed again
    ("第12行 分值须在0至100之间")."""
    if header and not text.startswith(header):
        return f"第{number}行 {header}：{text}"
    return f"第{number}行 {text}" if header else f"第{number}行：{text}"


_NORMALIZE = str.maketrans({"（": "(", "）": ")", "　": "", " ": "", "*": "", "＊": ""})


def normalize(header: str) -> str:
    return str(header or "").translate(_NORMALIZE).replace("\n", "").strip()


def match_columns(sheet: Sheet, columns: list[Column]) -> tuple[dict[int, Column], list[str]]:
    """Map file positions to columns by header name; refuse missing required or duplicate
    headers. Returns (mapping, notes about ignored headers)."""
    by_name: dict[str, Column] = {}
    for column in columns:
        for name in (column.header, *column.aliases):
            by_name[normalize(name)] = column
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    unknown = []
    for position, header in enumerate(sheet.headers):
        name = normalize(header)
        if not name:
            continue
        column = by_name.get(name)
        if column is None:
            unknown.append(header)
            continue
        if column.key in seen:
            raise FileRefused(f"表头中“{column.header}”出现了两次（第{sheet.header_row}行）。")
        seen[column.key] = position
        if not column.reference:
            mapping[position] = column
    missing = [c.header for c in columns if c.required_header and c.key not in seen]
    if missing:
        raise FileRefused(
            f"第{sheet.header_row}行的表头缺少必填列：{'、'.join(missing)}。"
            "请使用下载的模板，或检查列名是否一致。"
        )
    notes = [f"以下列不属于模板，导入时忽略：{'、'.join(unknown)}"] if unknown else []
    return mapping, notes


# Where a kind names no field: the digits of a money column and of a score column.
MONEY = numbers.Digits(16, 4, "金额")
SCORE = numbers.Digits(5, 2, "得分")
# PositiveIntegerField on PostgreSQL and SQLite alike
MAX_INT = 2147483647


def _number(column: Column, text: str) -> Decimal:
    field = column.field or (SCORE if column.type == "score" else MONEY)
    try:
        # labelled by its header, as the form labels it: the same message on every path
        return numbers.read(text, field, label=column.header, maximum=column.maximum)
    except numbers.NumberRefused as refused:
        raise ValueError(str(refused)) from None


def _integer(text: str) -> int:
    try:
        value = numbers.parse(text, label="")
    except numbers.NumberRefused:
        value = None
    if value is None or value != value.to_integral_value() or not 0 <= value <= MAX_INT:
        raise ValueError("必须是非负整数")
    return int(value)


def typed(column: Column, text: str) -> Any:
    """A cell's value in the column's type; ValueError with a Chinese message."""
    if column.type in ("decimal", "score"):
        return _number(column, text)
    if column.type == "int":
        return _integer(text)
    if column.type == "choice":
        for value, label in column.choices:
            if text in (value, label):
                return value
        labels = "、".join(label for _, label in column.choices)
        raise ValueError(f"“{text}”不是有效选项，可选：{labels}")
    if column.max_length and len(text) > column.max_length:
        raise ValueError(f"不能超过{column.max_length}个字")
    return text


def parse_rows(sheet: Sheet, mapping: dict[int, Column], progress: Callable | None = None):
    """Type every cell of every row; formula cells and cells the reader could not read are
    errors."""
    formulas: dict[int, set[int]] = {}
    for row_no, col in sheet.formulas:
        formulas.setdefault(row_no, set()).add(col)
    unreadable: dict[int, dict[int, str]] = {}
    for row_no, col, problem in sheet.bad_cells:
        unreadable.setdefault(row_no, {})[col] = problem
    rows = []
    total = len(sheet.rows) or 1
    # a typed number or choice by (column, text): a sheet repeats a few values (分值 3, 指标性质
    # ≥) over 100,000 rows, and typing is pure (a Decimal, an int or a str: immutable, shared)
    memo: dict[tuple[int, str], tuple[bool, Any]] = {}
    for index, (number, raw) in enumerate(sheet.rows):
        row = Row(number=number, raw=raw)
        bad = formulas.get(number, ())
        problems = unreadable.get(number, {})
        for position, column in mapping.items():
            value = raw[position] if position < len(raw) else None
            if position in bad:
                row.error(column.header, "单元格含公式，请改为直接填写数值或文字")
                continue
            if position in problems:
                row.error(column.header, problems[position])
                continue
            # text cells are most cells: cell_text's last case, taken first
            text = value.strip() if value.__class__ is str else cell_text(value)
            if text[:1] == "'" and text[1:2] in ESCAPED:
                text = text[1:]  # a text our exports escaped so that no spreadsheet runs it
            if not text:
                if column.required:
                    row.error(column.header, "必填")
                continue
            known = memo.get((position, text)) if column.type != "text" else None
            if known is None:
                try:
                    known = (True, typed(column, text))
                except ValueError as exc:
                    known = (False, str(exc))
                if column.type != "text" and len(memo) < MEMO_MAX:
                    memo[(position, text)] = known
            if known[0]:
                row.values[column.key] = known[1]
            else:
                row.error(column.header, known[1])
        for col in bad:
            if col not in mapping and col < len(sheet.headers):
                row.error(sheet.headers[col] or f"第{col + 1}列", "单元格含公式")
        rows.append(row)
        if progress and index % 5000 == 0:
            progress(index / total)
    return rows


def line_header(problem: str) -> str:
    """The column a self-evaluation line's problem belongs to (evaluations.line_problems)."""
    if problem.startswith("实际完成值"):
        return "实际完成值"
    return "完成等级" if "等级" in problem else "得分"


def mark_duplicates(rows: list[Row], key: Callable[[Row], Any], header: str) -> None:
    """A natural key seen twice in the file: the later rows are errors."""
    first: dict[Any, int] = {}
    for row in rows:
        if row.errors:
            continue
        k = key(row)
        if k is None:
            continue
        if k in first:
            row.error(header, f"与第{first[k]}行重复（同一对象在文件中出现两次）")
        else:
            first[k] = row.number


def compare(row: Row, target: Any, fields: dict[str, str], new_values: dict[str, Any]) -> None:
    """Set the row's status and changes: `fields` maps attribute → header."""
    if target is None or getattr(target, "pk", None) is None:
        row.status = NEW
        return
    for attribute, header in fields.items():
        if attribute not in new_values:
            continue
        old, new = getattr(target, attribute), new_values[attribute]
        if old != new:
            row.changes[header] = [old, new]
    row.status = UPDATE if row.changes else UNCHANGED


def plan_file(kind, sheet: Sheet, ctx, progress: Callable | None = None) -> Plan:
    mapping, notes = match_columns(sheet, kind.columns(ctx))
    rows = parse_rows(sheet, mapping, progress)
    plan = Plan(kind=kind, sheet=sheet, columns=mapping, rows=rows, notes=notes)
    kind.resolve(plan, ctx)
    return plan
