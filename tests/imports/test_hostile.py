"""Hostile spreadsheets (issue 12): refused or reported per cell in well under a second, the job
always in a final state, nothing written. Each reading is timed and the time printed in the
summary; a generous deadline (not a timing assertion) stops a reader that pads or loops, which
is what the code before these tests did (the dimension bomb held a worker ~42 minutes)."""

import contextlib
import signal
import time

import pytest

from imports.models import ImportJob
from tests.imports.conftest import csv_bytes, raw_xlsx, run, snapshot, text_cell, text_row
from tests.report import covered

pytestmark = pytest.mark.django_db
HEADERS = ["单位编码", "单位名称", "上级单位编码"]
FINAL = {ImportJob.State.FAILED, ImportJob.State.INVALID, ImportJob.State.DONE}
DEADLINE = 20  # seconds: far above the < 1 s expected, far below the minutes of a padding reader


class Overran(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: int):
    def stop(signum, frame):
        raise Overran(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timed(label: str, data: bytes, name: str = "hostile.xlsx") -> ImportJob:
    """Import a hostile file as the command line does; the job must end, nothing be written."""
    before = snapshot()
    started = time.perf_counter()
    with deadline(DEADLINE):
        job = run("departments", data, name=name)
    elapsed = time.perf_counter() - started
    assert job.state in FINAL, (job.state, job.message)
    assert snapshot() == before or job.state == ImportJob.State.DONE
    covered(f"导入：{label}（{len(data):,} 字节）→ {job.get_state_display()}，用时 {elapsed:.3f} s")
    return job


def header_and_one_row() -> str:
    return text_row(1, HEADERS) + text_row(2, ["1", "甲"])


def test_dimension_bomb_is_refused_without_padding():
    """A 1.8 KB sheet declaring A1:XFD1048576 with content in its last cell: the declared
    dimension is not read, the cell is met where it is and refused for its column."""
    bomb = raw_xlsx(
        header_and_one_row() + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        dimension="A1:XFD1048576",
    )
    assert len(bomb) < 2000
    job = timed("尺寸炸弹 A1:XFD1048576，末格有值", bomb)
    assert job.state == ImportJob.State.FAILED
    assert "第1048576行XFD列（第16,384列）有内容" in job.message
    assert "超过每个文件200列的上限" in job.message


def test_declared_dimension_and_empty_far_cells_cost_nothing():
    """The same lie with the far cell empty (or styled only): nothing to keep, the two real
    rows import; content far down in column A is one row, numbered as Excel shows it."""
    empty_far = raw_xlsx(
        header_and_one_row() + '<row r="1048576"><c r="XFD1048576" s="0"/></row>',
        dimension="A1:XFD1048576",
    )
    job = timed("尺寸炸弹，末格为空", empty_far)
    assert job.state == ImportJob.State.DONE and job.counts["new"] == 1, job.message
    far_row = raw_xlsx(header_and_one_row() + text_row(1048576, ["2"]), dimension="A1:XFD1048576")
    job = timed("尺寸炸弹，第1048576行A列有值", far_row)
    assert job.state == ImportJob.State.INVALID
    assert job.errors == [[1048576, "单位名称", "必填"]]


def test_header_of_16384_columns_is_refused():
    wide = raw_xlsx(text_row(1, [f"列{n}" for n in range(1, 16385)]) + text_row(2, ["1"]))
    job = timed("16,384 列的表头（XLSX）", wide)
    assert job.state == ImportJob.State.FAILED
    assert "第1行GS列（第201列）有内容，超过每个文件200列的上限" in job.message
    wide_csv = csv_bytes([f"列{n}" for n in range(1, 16385)], [["1"]])
    job = timed("16,384 列的表头（CSV）", wide_csv, name="hostile.csv")
    assert job.state == ImportJob.State.FAILED and "超过每个文件200列的上限" in job.message


@pytest.mark.parametrize(
    ("label", "cell", "message"),
    [
        ("数字单元格中是 abc", '<c r="B2" t="n"><v>abc</v></c>', "“abc”与单元格类型不符"),
        ("日期单元格中是 notadate", '<c r="B2" t="d"><v>notadate</v></c>', "“notadate”"),
        ("不存在的共享字符串", '<c r="B2" t="s"><v>99</v></c>', "单元格内容无法识别"),
        ("布尔单元格中是 x", '<c r="B2" t="b"><v>x</v></c>', "单元格内容无法识别"),
        ("数字 1e400", '<c r="B2"><v>1e400</v></c>', "单元格中的数字无效"),
        ("错误值 #DIV/0!", '<c r="B2" t="e"><v>#DIV/0!</v></c>', "单元格是错误值（#DIV/0!）"),
    ],
)
def test_unreadable_cells_are_row_errors(label, cell, message):
    data = raw_xlsx(text_row(1, HEADERS) + f'<row r="2">{text_cell("A2", "1")}{cell}</row>')
    job = timed(f"坏单元格：{label}", data)
    assert job.state == ImportJob.State.INVALID
    assert len(job.errors) == 1
    number, header, text = job.errors[0]
    assert (number, header) == (2, "单位名称") and message in text, text


@pytest.mark.parametrize(
    ("label", "rows", "message"),
    [
        ("单元格引用 A$$2", '<row r="2"><c r="A$$2"><v>1</v></c></row>', "单元格引用“A$$2”无效"),
        ("单元格引用 A0", '<row r="2"><c r="A0"><v>1</v></c></row>', "位置无效"),
        ("行号 abc", '<row r="abc"><c><v>1</v></c></row>', "无法读取"),
        ("行号倒序", text_row(3, ["1", "甲"]) + text_row(2, ["2", "乙"]), "顺序错乱"),
    ],
)
def test_damaged_structure_refuses_the_file(label, rows, message):
    job = timed(f"结构损坏：{label}", raw_xlsx(text_row(1, HEADERS) + rows))
    assert job.state == ImportJob.State.FAILED and message in job.message, job.message


def test_row_and_column_caps_come_from_settings(settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [[str(n), f"单位{n}", ""] for n in range(1, 5)]
    data = raw_xlsx(
        text_row(1, HEADERS) + "".join(text_row(n + 1, r) for n, r in enumerate(rows, 1))
    )
    job = timed("超过行数上限（上限 3 行）", data)
    assert job.state == ImportJob.State.FAILED
    assert "数据超过3行（第5行），超过每个文件3行的上限" in job.message
    job = timed("超过行数上限（CSV）", csv_bytes(HEADERS, rows), name="d.csv")
    assert "超过每个文件3行的上限" in job.message
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS = 200_000, 2
    job = timed("超过列数上限（上限 2 列）", raw_xlsx(header_and_one_row()))
    assert "第1行C列（第3列）有内容，超过每个文件2列的上限" in job.message
