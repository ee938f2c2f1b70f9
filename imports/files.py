"""Reading an uploaded spreadsheet safely: XLSX or CSV, told apart by content, never by name alone.

Everything a user can get wrong ends in `FileRefused` with a Chinese message, before any row is
read: too large, empty, an old .xls, a file whose content is not what its name says, a zip bomb
(declared sizes and entry count are checked before anything is decompressed), XML with a DOCTYPE
or entities (refused outright: openpyxl opens the workbook through defusedxml, and the sheet reader,
lxml with entities never expanded, refuses a DOCTYPE wherever it stands). Cells holding formulas
are reported per cell by the reader, as row errors.

Rows and columns are capped (IMPORT_MAX_ROWS, IMPORT_MAX_COLUMNS) by what the sheet holds, never
by what it declares: an XLSX's `<dimension>` is ignored and only cells with content are kept, so
a 2 KB sheet declaring A1:XFD1048576 costs what its few real cells cost. A cell whose content
cannot be read (a number cell holding text, a date that is not a date, an Excel error value) is a
row error on that cell; a damaged structure (a cell reference such as `A$$2`, rows out of order)
refuses the file. Nothing raised while reading leaves this module as anything but `FileRefused`.
"""

import csv
import functools
import gzip
import hashlib
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings

from core.errors import UserError
from core.files import TooLarge, read_limited

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and other OLE2 files
INSTRUCTIONS_SHEET = "填写说明"
DATA_SHEET = "数据"


class FileRefused(UserError):
    """The whole file is refused; nothing is read from it."""


@dataclass
class Sheet:
    """The data of one sheet: the header row as written and the data rows with their row numbers
    (as Excel shows them). `formulas` lists (row number, column index) of formula cells."""

    name: str
    header_row: int
    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    formulas: list[tuple[int, int]] = field(default_factory=list)
    format: str = "xlsx"
    # (row number, column index, message): cells whose content could not be read
    bad_cells: list[tuple[int, int, str]] = field(default_factory=list)


def stored_upload(job) -> bytes:
    """The upload of an import job, read from the storage (local disk or object storage) by
    whichever process runs the job, at most IMPORT_MAX_BYTES."""
    try:
        return read_limited(job.file, settings.IMPORT_MAX_BYTES)
    except FileNotFoundError:
        raise FileRefused("上传的文件已不存在，请重新上传。") from None
    except TooLarge:
        raise FileRefused(f"文件超过 {_mb(settings.IMPORT_MAX_BYTES)} 的上限，未导入。") from None


def limits() -> dict:
    return {
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_uncompressed": settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
        "max_entries": 1000,
        "max_ratio": 200,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "max_columns": settings.IMPORT_MAX_COLUMNS,
    }


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}MB"


def detect(name: str, data: bytes) -> str:
    """'xlsx' or 'csv', from the content, checked against the name's extension."""
    lower = name.lower()
    if not data.strip():
        raise FileRefused("文件为空。")
    if data.startswith(OLE_MAGIC) or lower.endswith(".xls"):
        raise FileRefused("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传。")
    if data.startswith(ZIP_MAGIC):
        if not lower.endswith((".xlsx", ".xlsm")):
            raise FileRefused("文件内容是压缩包（XLSX），但文件名不是 .xlsx，请检查文件。")
        return "xlsx"
    if lower.endswith((".xlsx", ".xlsm")):
        raise FileRefused("文件名为 .xlsx，但内容不是有效的 Excel 文件（可能已损坏或被改名）。")
    if lower.endswith((".csv", ".txt")):
        return "csv"
    raise FileRefused("只接受 .xlsx 或 .csv 文件。")


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open an XLSX as a zip after checking, from the central directory only, that unpacking it
    stays small: entry count, total declared size, compression ratio; and that its XML declares
    no DOCTYPE or entity."""
    lim = limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused("文件不是有效的 XLSX（压缩结构损坏）。") from exc
    if len(entries) > lim["max_entries"]:
        raise FileRefused(f"文件包含 {len(entries)} 个内部文件，超过上限，疑似恶意文件，已拒绝。")
    total = sum(e.file_size for e in entries)
    if total > lim["max_uncompressed"]:
        raise FileRefused(
            f"文件解压后约 {_mb(total)}，超过上限 {_mb(lim['max_uncompressed'])}，"
            "疑似压缩炸弹或数据过多，已拒绝。"
        )
    for e in entries:
        if e.file_size > 1_000_000 and e.file_size > lim["max_ratio"] * max(e.compress_size, 1):
            raise FileRefused("文件压缩比异常（疑似压缩炸弹），已拒绝。")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRefused("文件不是有效的 Excel 工作簿（缺少工作簿结构）。")
    for e in entries:
        if e.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(e) as handle:
                head = handle.read(4096).upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRefused("文件包含 XML 实体声明（DOCTYPE/ENTITY），存在安全风险，已拒绝。")
    return archive


def cell_text(value) -> str:
    """A cell's value as text, numbers without a spurious '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # Excel keeps 15 significant digits; beyond them is binary noise (291.59999999999997)
        return format(Decimal(format(value, ".15g")).normalize(), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _trim(row: list) -> list:
    while row and row[-1] in (None, ""):
        row.pop()
    return row


EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?([1-9][0-9]{0,6})")


def column_letter(index: int) -> str:
    """1 → A, 28 → AB: how Excel names a column in its messages."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cap_refusal(what: str, limit: int, unit: str) -> FileRefused:
    return FileRefused(
        f"{what}，超过每个文件{limit:,}{unit}的上限，未导入。请删除多余的内容或拆分文件后重新上传。"
    )


@dataclass
class XlsxRow:
    """One row of a sheet as stored: only the cells with content, in a list as long as the last
    of them (1-based Excel row number; columns 0-based in the list)."""

    number: int
    values: list
    formulas: list[int]
    bad: list[tuple[int, str]]


def _bad_value(data_type: str, value) -> str | None:
    if data_type == "bad":
        return value
    if data_type == "e":
        return f"单元格是错误值（{str(value)[:20]}），请改为直接填写数值或文字"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "单元格中的数字无效"
    return None


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW_TAG, VALUE_TAG, FORMULA_TAG, INLINE_TAG = (_MAIN + t for t in ("row", "v", "f", "is"))


class SheetParser:
    """The cells of a worksheet's XML as openpyxl 3.1's read-only parser gives them (the same
    conversion of every type, step for step: numbers, dates by style and epoch, booleans, shared
    and inline strings, errors, formulas), as (row, column, value, data type) tuples, through
    lxml's C parser instead of ElementTree's Python-level handlers (100,000 rows of 10 cells:
    ~6.5 s of CPU instead of ~14 s, on a busy 2-core machine). Only rows are read; the sheet's
    other parts are not. Forgiving one cell at a time: a cell whose value cannot be converted
    (t="n" holding "abc", t="d" holding "notadate", a shared string that does not exist) comes
    back as a 'bad' cell carrying a Chinese message instead of stopping the whole file. A cell
    reference it cannot place, or a DOCTYPE, refuses the file."""

    def __init__(self, source, shared_strings, *, epoch, date_formats, timedelta_formats):
        self.source = source
        self.shared_strings = shared_strings
        self.epoch = epoch
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self.shared_formulae: dict = {}
        self.row_counter = self.col_counter = 0
        # openpyxl's own conversions (imported here: Django's start-up does not pay for them)
        from openpyxl.cell.text import Text
        from openpyxl.utils.cell import coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        self._text, self._coordinate, self._number = Text, coordinate_to_tuple, _cast_number
        self._columns = _column_numbers()
        self._suffix = ""  # the row number as text
        self._from_excel, self._from_iso = from_excel, from_ISO8601

    def parse(self) -> Iterator[tuple[int, list[tuple]]]:
        from lxml import etree

        rows = etree.iterparse(
            self.source,
            events=("end",),
            tag=ROW_TAG,
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,  # as ElementTree drops them: a value's text stays whole
            remove_pis=True,
        )
        checked = False
        for _, element in rows:
            if not checked:
                self._refuse_doctype(element)
                checked = True
            yield self.parse_row(element)
            element.clear()
            while element.getprevious() is not None:  # the rows already read: memory stays flat
                del element.getparent()[0]
        if rows.root is not None and not checked:
            self._refuse_doctype(rows.root)

    @staticmethod
    def _refuse_doctype(element) -> None:
        # check_zip looks at the first 4 KB of every part; a declaration further down is
        # refused here (entities are never expanded: resolve_entities=False)
        info = element.getroottree().docinfo
        if info.doctype or info.internalDTD is not None:
            raise FileRefused("文件包含 XML 实体声明（DOCTYPE/ENTITY），存在安全风险，已拒绝。")

    def parse_row(self, row) -> tuple[int, list[tuple]]:
        number = row.get("r")
        if number is not None:
            try:
                self.row_counter = int(number)
            except ValueError:
                value = float(number)
                if not value.is_integer():
                    raise ValueError(f"{number} is not a valid row number") from None
                self.row_counter = int(value)
        else:
            self.row_counter += 1
        self.col_counter = 0
        self._suffix = str(self.row_counter)
        return self.row_counter, [self.parse_cell(cell) for cell in row]

    def parse_cell(self, element) -> tuple:
        try:
            return self._cell(element)
        except Exception:  # noqa: BLE001  (any conversion error is this cell's problem)
            reference = element.get("r")
            if reference:
                row, column = _place(reference)
            else:
                row, column = self.row_counter, self.col_counter
            raw = (element.findtext(VALUE_TAG) or "")[:20]
            message = f"单元格内容无法识别（“{raw}”与单元格类型不符），请重新填写"
            return row, column, message, "bad"

    def _cell(self, element) -> tuple:
        # openpyxl.worksheet._reader.WorkSheetParser.parse_cell, in the same order; the first
        # <v>, <f> and <is> are found by walking the children (lxml's find() costs far more)
        value_element = formula = inline = None
        for child in element:
            tag = child.tag
            if tag == VALUE_TAG:
                value_element = value_element if value_element is not None else child
            elif tag == FORMULA_TAG:
                formula = formula if formula is not None else child
            elif tag == INLINE_TAG:
                inline = inline if inline is not None else child
        data_type = element.get("t", "n")
        coordinate = element.get("r")
        style_id = element.get("s", 0)
        if style_id:
            style_id = int(style_id)
        value = None
        if data_type != "inlineStr" and value_element is not None:
            value = value_element.text or None
        if coordinate:
            # "AB12" in row 12: the letters are looked up as coordinate_to_tuple would; any
            # other text takes its way (and its exceptions)
            suffix = self._suffix
            column = None
            if coordinate.endswith(suffix):
                column = self._columns.get(coordinate[: -len(suffix)])
            if column is None:
                row, column = self._coordinate(coordinate)
            else:
                row = self.row_counter
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        if formula is not None:
            data_type = "f"
            value = self._formula(element, formula)
        elif value is not None:
            if data_type == "n":
                value = self._number(value)
                if style_id in self.date_formats:
                    data_type = "d"
                    try:
                        value = self._from_excel(
                            value, self.epoch, timedelta=style_id in self.timedelta_formats
                        )
                    except (OverflowError, ValueError):
                        data_type, value = "e", "#VALUE!"
            elif data_type == "s":
                value = self.shared_strings[int(value)]
            elif data_type == "b":
                value = bool(int(value))
            elif data_type == "str":
                data_type = "s"
            elif data_type == "d":
                value = self._from_iso(value)
        elif data_type == "inlineStr" and inline is not None:
            data_type = "s"
            value = self._text.from_tree(inline).content
        return row, column, value, data_type

    def _formula(self, element, formula):
        from openpyxl.formula.translate import Translator
        from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

        formula_type = formula.get("t")
        coordinate = element.get("r")
        value = "="
        if formula.text is not None:
            value += formula.text
        if formula_type == "array":
            value = ArrayFormula(ref=formula.get("ref"), text=value)
        elif formula_type == "shared":
            idx = formula.get("si")
            if idx in self.shared_formulae:
                value = self.shared_formulae[idx].translate_formula(coordinate)
            elif value != "=":
                self.shared_formulae[idx] = Translator(value, coordinate)
        elif formula_type == "dataTable":
            value = DataTableFormula(**formula.attrib)
        return value


@functools.cache
def _column_numbers() -> dict[str, int]:
    """ "AB" → 28 for every column openpyxl names (A to ZZZ)."""
    return {column_letter(n): n for n in range(1, 18279)}


def _place(reference: str) -> tuple[int, int]:
    """(row, column) of a cell reference such as B12 (or $B$12); refuses anything else."""
    match = _REFERENCE.fullmatch(reference)
    if not match:
        raise FileRefused(
            f"单元格引用“{reference[:20]}”无效，文件已损坏，请在 Excel 中另存后重新上传。"
        )
    letters, row = match.groups()
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    if int(row) > EXCEL_MAX_ROWS or column > EXCEL_MAX_COLUMNS:
        raise FileRefused(f"单元格引用“{reference}”超出 Excel 的范围，文件已损坏。")
    return int(row), column


def xlsx_rows(
    book, ws, *, max_columns: int, columns: int | None = None, text_formulas: bool = True
) -> Iterator[XlsxRow]:
    """The rows of a read-only openpyxl sheet that hold content, read from its XML without
    padding: empty cells and rows are skipped, never built. `columns`: keep only the first
    `columns` columns (the rest is ignored); otherwise content beyond `max_columns` refuses the
    file as soon as it is met. `text_formulas`: text starting with '=' counts as a formula too
    (not in our own exported table, whose quote-prefixed text may start with '=')."""
    # openpyxl 3.1's read-only sheet pads every row to the declared dimension; the parser yields
    # only the cells present in the file (pinned version, see requirements)
    with ws._get_source() as source:
        parser = SheetParser(
            source,
            ws._shared_strings,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        previous = 0
        for number, cells in parser.parse():
            if not 0 < number <= EXCEL_MAX_ROWS or number <= previous:
                raise FileRefused(f"工作表的行号“{number}”无效或顺序错乱，文件已损坏。")
            previous = number
            kept: dict[int, object] = {}
            formulas: list[int] = []
            bad: list[tuple[int, str]] = []
            last = 0
            for row, column, value, data_type in cells:
                if row != number or not 0 < column <= EXCEL_MAX_COLUMNS or column <= last:
                    raise FileRefused(
                        f"第{number}行的单元格位置无效或顺序错乱，文件已损坏，"
                        "请在 Excel 中另存后重新上传。"
                    )
                last = column
                if value is None or value == "":
                    continue  # an empty (perhaps formatted) cell: nothing to keep
                if columns is not None and column > columns:
                    continue
                if column > max_columns:
                    raise _cap_refusal(
                        f"第{number}行{column_letter(column)}列（第{column:,}列）有内容",
                        max_columns,
                        "列",
                    )
                problem = _bad_value(data_type, value)
                if problem:
                    bad.append((column - 1, problem))
                    continue
                if data_type == "f" or (
                    text_formulas
                    and isinstance(value, str)
                    and value.startswith("=")
                    and len(value) > 1
                ):
                    formulas.append(column - 1)
                kept[column - 1] = value
            if not kept and not bad and not formulas:
                continue
            width = max([*kept, *(c for c, _ in bad), *formulas]) + 1
            values = [None] * width
            for index, value in kept.items():
                values[index] = value
            yield XlsxRow(number, values, formulas, bad)


def open_workbook(data: bytes):
    """A read-only openpyxl workbook of an upload whose zip passed `check_zip`."""
    import openpyxl  # parses through defusedxml when it is installed

    check_zip(data)
    try:
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FileRefused("无法读取该 Excel 文件（文件已损坏或格式不受支持）。") from exc


def _xlsx_sheet(data: bytes) -> Sheet:
    lim = limits()
    book = open_workbook(data)
    try:
        names = book.sheetnames
        candidates = [n for n in names if n == DATA_SHEET] or [
            n for n in names if n != INSTRUCTIONS_SHEET
        ]
        if not candidates:
            raise FileRefused("工作簿中没有数据工作表。")
        ws = book[candidates[0]]
        sheet = Sheet(name=ws.title, header_row=0, headers=[])
        for row in xlsx_rows(book, ws, max_columns=lim["max_columns"]):
            sheet.formulas.extend((row.number, col) for col in row.formulas)
            sheet.bad_cells.extend((row.number, col, message) for col, message in row.bad)
            if not sheet.headers:
                sheet.header_row = row.number
                sheet.headers = [cell_text(v) for v in row.values]
                continue
            if len(sheet.rows) >= lim["max_rows"]:
                raise _cap_refusal(
                    f"数据超过{lim['max_rows']:,}行（第{row.number}行）", lim["max_rows"], "行"
                )
            sheet.rows.append((row.number, row.values))
        return sheet
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001  (whatever a damaged sheet raises refuses the file)
        raise FileRefused("无法读取该 Excel 文件（文件已损坏或格式不受支持）。") from exc
    finally:
        book.close()


def _csv_sheet(data: bytes) -> Sheet:
    if b"\x00" in data[:65536]:
        raise FileRefused("文件内容不是文本格式的 CSV（可能是被改名的其他文件）。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileRefused("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码。")
    lim = limits()
    sheet = Sheet(name="CSV", header_row=0, headers=[], format="csv")
    try:
        for row_no, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            values = _trim([v.strip() for v in row])
            if len(values) > lim["max_columns"]:
                raise _cap_refusal(f"第{row_no}行有{len(values):,}列内容", lim["max_columns"], "列")
            for col, value in enumerate(values):
                if value.startswith("=") and len(value) > 1:
                    sheet.formulas.append((row_no, col))
            if not sheet.headers:
                if values:
                    sheet.header_row = row_no
                    sheet.headers = values
                continue
            if values:
                if len(sheet.rows) >= lim["max_rows"]:
                    raise _cap_refusal(
                        f"数据超过{lim['max_rows']:,}行（第{row_no}行）", lim["max_rows"], "行"
                    )
                sheet.rows.append((row_no, values))
    except csv.Error as exc:
        raise FileRefused(f"CSV 文件格式错误：{exc}") from exc
    return sheet


def read_sheet(name: str, data: bytes) -> Sheet:
    """The data sheet of an upload (the sheet named 数据, or the first that is not 填写说明)."""
    lim = limits()
    if len(data) > lim["max_bytes"]:
        raise FileRefused(f"文件大小 {_mb(len(data))}，超过上限 {_mb(lim['max_bytes'])}。")
    kind = detect(name, data)
    sheet = _xlsx_sheet(data) if kind == "xlsx" else _csv_sheet(data)
    if not sheet.headers:
        raise FileRefused("文件中没有内容（找不到表头行）。")
    if not sheet.rows:
        raise FileRefused("文件中只有表头，没有数据行。")
    return sheet


# The sheet as read, kept between the preview and the import so that the file is parsed once
# (the parse of 100,000 rows is ~4 s, openpyxl's was ~7 s; this ~0.25 s each way). It is this
# module's own output, bound to the upload's bytes by their SHA-256: the import reads the upload
# as before, and a record that is missing, damaged, of another format or of other bytes is
# ignored (the file is read again). Its rows still go through every cell and row rule at import.
PARSED_FORMAT = 1
_TAGS = {"$dt": datetime.fromisoformat, "$d": date.fromisoformat, "$t": time.fromisoformat}


def _tagged(value):
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": value.total_seconds()}
    raise TypeError(f"cell value of type {type(value).__name__}")


def _untagged(obj: dict):
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        if tag in _TAGS:
            return _TAGS[tag](text)
        if tag == "$td":
            return timedelta(seconds=text)
    return obj


def sheet_dump(sheet: Sheet, source: bytes) -> bytes:
    """The sheet read from `source`, as gzip'd JSON (TypeError for a value it cannot keep)."""
    record = {
        "format": PARSED_FORMAT,
        "sha256": hashlib.sha256(source).hexdigest(),
        "sheet": [
            sheet.name,
            sheet.header_row,
            sheet.headers,
            sheet.rows,
            sheet.formulas,
            sheet.format,
            sheet.bad_cells,
        ],
    }
    text = json.dumps(record, ensure_ascii=False, default=_tagged, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=1)


def _parsed_limit() -> int:
    # what a kept sheet may unpack to: what its upload could
    return settings.IMPORT_MAX_UNCOMPRESSED_BYTES


def sheet_load(data: bytes, source: bytes) -> Sheet | None:
    """The sheet `sheet_dump` kept for exactly these `source` bytes, or None."""
    try:
        inflate = zlib.decompressobj(wbits=31)  # gzip; unpacked at most as far as the limit
        text = inflate.decompress(data, _parsed_limit())
        if inflate.unconsumed_tail or not inflate.eof:
            return None
        record = json.loads(text, object_hook=_untagged)
        if record.get("format") != PARSED_FORMAT:
            return None
        if record.get("sha256") != hashlib.sha256(source).hexdigest():
            return None
        name, header_row, headers, rows, formulas, kind, bad_cells = record["sheet"]
        return Sheet(
            name=name,
            header_row=header_row,
            headers=headers,
            rows=[(number, values) for number, values in rows],
            formulas=[(row, col) for row, col in formulas],
            format=kind,
            bad_cells=[(row, col, message) for row, col, message in bad_cells],
        )
    except (ValueError, TypeError, KeyError, AttributeError, zlib.error, EOFError):
        return None
