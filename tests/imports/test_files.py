"""Bad files are refused with a clear message and write nothing (issue 5 and issue 8)."""

import io
import time
import tracemalloc
import zipfile

import pytest
import xlsxwriter

from imports.models import ImportJob
from imports.services import ImportRefused, job_create
from tests.imports.conftest import csv_bytes, run, snapshot, xlsx
from tests.report import LINES

pytestmark = pytest.mark.django_db
HEADERS = ["单位编码", "单位名称", "上级单位编码"]


def refused(data: bytes, name: str = "data.xlsx") -> str:
    before = snapshot()
    job = run("departments", data, name=name)
    assert job.state == ImportJob.State.FAILED, (job.state, job.errors)
    assert snapshot() == before
    return job.message


def with_entry(data: bytes, name: str, transform) -> bytes:
    """A copy of an XLSX with one of its XML parts rewritten."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item)
            dst.writestr(item, transform(content) if item.filename == name else content)
    return out.getvalue()


def test_empty_and_header_only_files(db):
    with pytest.raises(ImportRefused, match="文件为空"):
        job_create(user=None, kind="departments", name="d.csv", data=b"  \n", enqueue=False)
    assert "没有数据行" in refused(csv_bytes(HEADERS, []), "d.csv")


def test_too_large_is_refused_before_saving(db, settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(ImportRefused, match="超过"):
        job_create(user=None, kind="departments", name="d.csv", data=b"x" * 1001, enqueue=False)
    assert ImportJob.objects.count() == 0


def test_content_must_match_the_name(db):
    good = xlsx(HEADERS, [["1", "甲", ""]])
    assert "内容不是有效的 Excel" in refused(csv_bytes(HEADERS, [["1", "甲", ""]]), "d.xlsx")
    assert "不是 .xlsx" in refused(good, "d.csv")
    assert "旧版 Excel" in refused(b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "d.xls")
    assert "不是文本格式的 CSV" in refused(b"abc\x00def\n1,2", "d.csv")
    assert "只接受" in refused(b"hello", "d.pdf")
    assert "不是有效的 Excel 工作簿" in refused(_zip({"hello.txt": b"hi"}), "d.xlsx")


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return out.getvalue()


def test_zip_bomb_is_refused_from_the_directory_cheaply(db):
    # 200 MB of zeros in the sheet part compresses to ~200 KB.
    good = xlsx(HEADERS, [["1", "甲", ""]])
    bomb = with_entry(good, "xl/worksheets/sheet1.xml", lambda c: c + b"\0" * 200_000_000)
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    message = refused(bomb)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "压缩炸弹" in message
    assert peak < 50_000_000, peak  # nothing was unpacked
    many = _zip({f"x/{n}.xml": b"<a/>" for n in range(1200)})
    assert "超过上限" in refused(many)
    LINES.append(
        f"导入：压缩炸弹（{len(bomb) // 1024} KB → 声明 200 MB）被拒绝，"
        f"用时 {elapsed:.2f} s，内存峰值 {peak / 1e6:.1f} MB"
    )


def test_xml_entities_are_refused(db):
    good = xlsx(HEADERS, [["1", "甲", ""]])
    evil = with_entry(
        good,
        "xl/worksheets/sheet1.xml",
        lambda c: (
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + c.split(b"?>", 1)[-1]
        ),
    )
    assert "XML 实体" in refused(evil)


def test_formula_cells_are_row_errors(db):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    ws = book.add_worksheet("数据")
    ws.write_row(0, 0, HEADERS)
    ws.write_row(1, 0, ["1", "甲", ""])
    ws.write_string(2, 0, "2")
    ws.write_formula(2, 1, '=HYPERLINK("http://evil","点我")')
    book.close()
    before = snapshot()
    job = run("departments", out.getvalue())
    assert job.state == ImportJob.State.INVALID
    assert job.errors == [[3, "单位名称", "单元格含公式，请改为直接填写数值或文字"]]
    assert snapshot() == before
    job = run("departments", csv_bytes(HEADERS, [["1", "=1+2", ""]]), name="d.csv")
    assert job.errors == [[2, "单位名称", "单元格含公式，请改为直接填写数值或文字"]]


def test_missing_or_duplicate_headers_refuse_the_file(db):
    assert "缺少必填列：单位名称" in refused(xlsx(["单位编码", "名字"], [["1", "甲"]]))
    assert "出现了两次" in refused(xlsx(["单位编码", "单位名称", "单位编码"], [["1", "甲", "1"]]))


def test_headers_match_by_name_with_marks_and_brackets(db):
    job = run("departments", xlsx(["单位名称*", " 单位编码 *", "上级单位编码"], [["甲", "1", ""]]))
    assert job.state == ImportJob.State.DONE, job.errors


def test_duplicate_keys_inside_the_file(db):
    job = run("departments", xlsx(HEADERS, [["1", "甲", ""], ["2", "乙", ""], ["1", "丙", ""]]))
    assert job.errors == [[4, "单位编码", "与第2行重复（同一对象在文件中出现两次）"]]


def test_excel_float_noise_is_read_as_excel_shows_it():
    from imports.files import cell_text

    assert cell_text(291.59999999999997) == "291.6"
    assert cell_text(0.1 + 0.2) == "0.3"
    assert cell_text(1e-05) == "0.00001"
    assert cell_text(158.0) == "158"


def test_numbers_dates_and_row_numbers_read_as_excel_shows_them():
    """Through the unpadded reader: 15 significant digits, dates by their cell format, rows
    numbered as Excel numbers them (a blank row between keeps its number)."""
    import datetime

    import openpyxl

    from imports.files import cell_text, read_sheet

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "数据"
    ws.append(["数字", "日期", "文字"])
    ws.append([291.59999999999997, datetime.date(2025, 1, 31), "甲"])
    ws.append([])
    ws.append([123456789012345, datetime.datetime(2025, 3, 1, 8, 30), "=不是公式"])
    ws["C4"].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    sheet = read_sheet("d.xlsx", out.getvalue())
    assert [number for number, _ in sheet.rows] == [2, 4]
    assert [cell_text(v) for v in sheet.rows[0][1]] == ["291.6", "2025-01-31", "甲"]
    assert [cell_text(v) for v in sheet.rows[1][1][:2]] == [
        "123456789012345",
        "2025-03-01 08:30:00",
    ]
    assert sheet.formulas == [(4, 2)]  # text starting with '=' is refused like a formula
