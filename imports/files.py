"""Reading an uploaded spreadsheet safely: XLSX or CSV, told apart by content, never by name alone.

Everything a user can get wrong ends in `FileRefused` with a Chinese message, before any row is
read: too large, empty, an old .xls, a file whose content is not what its name says, a zip bomb
(declared sizes and entry count are checked before anything is decompressed), XML with a DOCTYPE
or entities (refused outright; openpyxl also parses through defusedxml). Cells holding formulas are
reported per cell by the reader, as row errors.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls and other OLE2 files
INSTRUCTIONS_SHEET = "填写说明"
DATA_SHEET = "数据"


class FileRefused(Exception):
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


def limits() -> dict:
    return {
        "max_bytes": settings.IMPORT_MAX_BYTES,
        "max_uncompressed": settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
        "max_entries": 1000,
        "max_ratio": 200,
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


def _xlsx_sheet(data: bytes, wanted: Iterator[str] | None = None) -> Sheet:
    import openpyxl  # parses through defusedxml when it is installed

    check_zip(data)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FileRefused("无法读取该 Excel 文件（文件已损坏或格式不受支持）。") from exc
    try:
        names = book.sheetnames
        candidates = [n for n in names if n == DATA_SHEET] or [
            n for n in names if n != INSTRUCTIONS_SHEET
        ]
        if not candidates:
            raise FileRefused("工作簿中没有数据工作表。")
        ws = book[candidates[0]]
        sheet = Sheet(name=ws.title, header_row=0, headers=[])
        for row_no, row in enumerate(ws.iter_rows(), start=1):
            values = []
            for col, cell in enumerate(row):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(value, str) and value.startswith("=") and len(value) > 1
                ):
                    sheet.formulas.append((row_no, col))
                values.append(value)
            values = _trim(values)
            if not sheet.headers:
                if values:
                    sheet.header_row = row_no
                    sheet.headers = [cell_text(v) for v in values]
                continue
            if values:
                sheet.rows.append((row_no, values))
        return sheet
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
    sheet = Sheet(name="CSV", header_row=0, headers=[], format="csv")
    try:
        for row_no, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            values = _trim([v.strip() for v in row])
            for col, value in enumerate(values):
                if value.startswith("=") and len(value) > 1:
                    sheet.formulas.append((row_no, col))
            if not sheet.headers:
                if values:
                    sheet.header_row = row_no
                    sheet.headers = values
                continue
            if values:
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
