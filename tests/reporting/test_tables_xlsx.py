"""The XLSX renderer: a hand-built Table, written and read back with openpyxl, cell by cell."""

import io
import re
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string, get_column_letter

from reporting.tables.base import Builder, Style, Table
from reporting.tables.xlsx import render_xlsx, sheet_names, write_tables

WIDTHS = [14.0, 14.0, 26.0, 16.0, 16.0, 9.0, 9.0, 32.0]
LONG = "受疫情影响，部分设备采购延期至次年一季度，导致执行率偏低；下一步将加快采购进度，" * 3


def sample_table(sheet_name="2021-101-001 政务一体化平台建设", **kwargs) -> Table:
    """Rows (Excel numbering): 1 title, 2 subtitle, 3 header, 4–6 a label merged over three
    rows beside numbers and texts, 7 总分, 8 footer, 9 the note."""
    options = {"header_rows": 3, "landscape": True, "note": "校验码：0123456789ab"} | kwargs
    table = Table("项目支出绩效自评表", "（2021年度）", sheet_name, list(WIDTHS), **options)
    b = Builder(table)
    b.span(table.title, Style.TITLE)
    b.row()
    b.span(table.subtitle, Style.SUBTITLE)
    b.row()
    for col, text in enumerate(
        [
            "一级指标",
            "二级指标",
            "年初预算数",
            "执行率",
            "得分",
            "编制数",
            "说明",
            "偏差原因分析及改进措施",
        ]
    ):
        b.put(col, text, Style.HEADER)
    b.row()
    b.put(0, "产出指标\n（50分）", Style.LABEL, rowspan=3)
    b.put(1, "数量指标", Style.TEXT)
    b.put(2, Decimal("158.00"), Style.MONEY)
    b.put(3, Decimal("0.9576"), Style.PERCENT)
    b.put(4, Decimal("9.58"), Style.SCORE)
    b.put(5, 42, Style.INTEGER)
    b.put(6, "=SUM(A1:A2)", Style.TEXT)
    b.put(7, None, Style.TEXT)
    b.row()
    b.put(1, "质量指标", Style.TEXT)
    b.put(2, Decimal("118.3"), Style.MONEY)
    b.put(3, Decimal("1"), Style.PERCENT)
    b.put(4, Decimal("10"), Style.SCORE)
    b.put(5, 37, Style.INTEGER)
    b.put(6, "@cmd", Style.TEXT)
    b.put(7, "-5 是负数", Style.TEXT)
    b.row()
    b.put(1, "时效指标", Style.TEXT)
    b.put(2, "按期完成", Style.TEXT, colspan=3)
    b.put(5, None, Style.INTEGER)
    b.put(6, "—", Style.CENTER)
    b.put(7, LONG, Style.TEXT)
    b.row()
    b.put(0, "总分", Style.TOTAL, colspan=5)
    b.put(5, Decimal("100"), Style.SCORE, bold=True)
    b.put(6, Decimal("89.50"), Style.SCORE, bold=True)
    b.put(7, "评价等级：良", Style.TOTAL)
    b.row()
    b.put(0, "填表人：", Style.FOOTER, colspan=2)
    b.put(2, "填报日期：2022-03-01", Style.FOOTER, colspan=2)
    b.put(4, "联系电话：", Style.FOOTER, colspan=2)
    b.put(6, "单位负责人签字：", Style.FOOTER, colspan=2)
    b.row()
    return table


def read(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.fixture(scope="module")
def content() -> bytes:
    return render_xlsx([sample_table()])


@pytest.fixture(scope="module")
def ws(content):
    return read(content).worksheets[0]


def xml_styles(content: bytes) -> dict[str, str]:
    """The style index of every written cell of the first sheet, straight from its XML (openpyxl
    shows the covered cells of a merge as MergedCell objects without their own style)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    return dict(re.findall(r'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"', sheet_xml))


def column_width(ws, letter: str) -> float:
    """Width of one column; XlsxWriter writes neighbours of equal width as one <col> group."""
    index = column_index_from_string(letter)
    for dim in ws.column_dimensions.values():
        if dim.min <= index <= dim.max:
            return dim.width
    raise AssertionError(f"no width for column {letter}")


def has_border(cell) -> bool:
    b = cell.border
    return all(side.style == "thin" for side in (b.left, b.right, b.top, b.bottom))


def has_no_border(cell) -> bool:
    b = cell.border
    return all(side.style is None for side in (b.left, b.right, b.top, b.bottom))


def test_merged_ranges_are_exactly_the_table_spans(ws):
    assert sorted(str(r) for r in ws.merged_cells.ranges) == sorted(
        [
            "A1:H1",
            "A2:H2",
            "A4:A6",
            "C6:E6",
            "A7:E7",
            "A8:B8",
            "C8:D8",
            "E8:F8",
            "G8:H8",
            "A9:H9",  # the note
        ]
    )


def test_values_keep_their_types_and_formats(ws):
    assert (ws["A1"].value, ws["A2"].value) == ("项目支出绩效自评表", "（2021年度）")
    assert [ws.cell(3, c).value for c in range(1, 9)] == [
        "一级指标",
        "二级指标",
        "年初预算数",
        "执行率",
        "得分",
        "编制数",
        "说明",
        "偏差原因分析及改进措施",
    ]
    assert ws["A4"].value == "产出指标\n（50分）"
    money, percent, score, integer = ws["C4"], ws["D4"], ws["E4"], ws["F4"]
    for cell in (money, percent, score, integer, ws["C5"], ws["D5"], ws["G7"]):
        assert cell.data_type == "n" and isinstance(cell.value, int | float), cell.coordinate
    assert (money.value, money.number_format) == (158, "0.00")
    assert (percent.value, percent.number_format) == (0.9576, "0.00%")
    assert (score.value, score.number_format) == (9.58, "0.00")
    assert (integer.value, integer.number_format) == (42, "0")
    assert (ws["C5"].value, ws["D5"].value, ws["F5"].value) == (118.3, 1, 37)
    assert (ws["F7"].value, ws["G7"].value, ws["G7"].number_format) == (100, 89.5, "0.00")
    assert ws["C4"].alignment.horizontal == "right"
    assert ws["C6"].value == "按期完成" and ws["G6"].value == "—"
    assert ws["H6"].value == LONG
    assert ws["A7"].value == "总分" and ws["H7"].value == "评价等级：良"
    assert [ws[c].value for c in ("A8", "C8", "E8", "G8")] == [
        "填表人：",
        "填报日期：2022-03-01",
        "联系电话：",
        "单位负责人签字：",
    ]
    assert ws["A9"].value == "校验码：0123456789ab"


def test_formula_like_text_is_escaped_and_nothing_is_a_formula(ws, content):
    # stored as text with Excel's quote-prefix marker: never a formula, printed as typed
    assert ws["G4"].value == "=SUM(A1:A2)" and ws["G4"].data_type == "s"
    assert ws["G4"].quotePrefix and ws["G5"].quotePrefix and ws["H5"].quotePrefix
    assert ws["G5"].value == "@cmd"
    assert ws["H5"].value == "-5 是负数"
    assert not ws["A4"].quotePrefix
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_none_is_a_blank_cell_that_keeps_its_border(ws):
    for coordinate in ("H4", "F6"):
        assert ws[coordinate].value is None
        assert has_border(ws[coordinate]), coordinate


def test_borders_on_body_cells_and_every_edge_of_a_merge(ws, content):
    styles = xml_styles(content)
    for merged in ws.merged_cells.ranges:
        top_left = merged.start_cell.coordinate
        for row in range(merged.min_row, merged.max_row + 1):
            for col in range(merged.min_col, merged.max_col + 1):
                coordinate = f"{get_column_letter(col)}{row}"
                assert styles.get(coordinate) == styles[top_left], (str(merged), coordinate)
    for row in range(3, 8):
        for col in range(1, 9):
            cell = ws.cell(row, col)
            if not isinstance(cell, MergedCell):  # covered cells: same style as checked above
                assert has_border(cell), cell.coordinate
    assert has_border(ws["A4"]) and has_border(ws["C6"]) and has_border(ws["A7"])
    for coordinate in ("A1", "H1", "A2", "D2", "A8", "B8", "H8", "A9", "H9"):
        assert has_no_border(ws[coordinate]), coordinate


def test_fonts_fills_alignment(ws):
    title = ws["A1"]
    assert title.font.b and title.font.sz == 16 and title.alignment.horizontal == "center"
    assert ws["A2"].alignment.horizontal == "center"
    header = ws["C3"]
    assert header.font.b and header.alignment.horizontal == "center"
    assert header.fill.fgColor.rgb.upper().endswith("F2F2F2")
    assert ws["A4"].font.b and ws["A4"].alignment.horizontal == "center"  # LABEL
    assert ws["A7"].font.b and ws["G7"].font.b  # TOTAL, bold SCORE
    assert not ws["E4"].font.b  # plain SCORE
    assert ws["B4"].font.name == "宋体" and ws["B4"].font.sz == 10.5
    note = ws["A9"]
    assert note.font.sz == 8 and note.alignment.horizontal == "right"
    for coordinate in ("A1", "G4", "H6", "C4", "A9"):
        assert ws[coordinate].alignment.wrap_text, coordinate
        assert ws[coordinate].alignment.vertical == "center", coordinate


def test_column_widths_and_row_heights(ws):
    for index, width in enumerate(WIDTHS):
        letter = "ABCDEFGH"[index]
        assert abs(column_width(ws, letter) - width) < 1, letter
    heights = {row: ws.row_dimensions[row].height for row in range(1, 10)}
    assert all(h is not None and h >= 14 for h in heights.values()), heights
    assert heights[1] > heights[5] == 18  # 16pt title; a row of short texts and numbers
    assert heights[4] >= 2 * 15  # "=SUM(A1:A2)" wraps in the 9-wide column G
    # ~120 CJK characters in a 32-wide column (about 16 a line): 8 lines or so
    assert heights[6] >= 7 * 15


def test_print_setup(ws):
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth is left out when it is 1, the default of the OOXML schema
    assert int(ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows.replace("$", "") == "1:3"
    assert ws.print_options.horizontalCentered
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.page_margins.left < 0.75 and ws.page_margins.top < 0.75


def test_portrait_without_header_rows():
    table = sample_table(header_rows=0, landscape=False, note="")
    ws = read(render_xlsx([table])).worksheets[0]
    assert ws.page_setup.orientation == "portrait"
    assert not ws.print_title_rows
    assert "A9:H9" not in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A9"].value is None


def test_sheet_names_are_valid_and_unique():
    long_bad = "2021-101-001 政务[一体化]:平台*建设?/二期\\运维费及其他很长的名称一二三四五六"
    names = [long_bad, long_bad, "'引号'", "", "History", "Sheet", "sheet"]
    result = sheet_names(names)
    assert len(set(n.lower() for n in result)) == len(result)
    for name in result:
        assert 0 < len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
    assert result[0].startswith("2021-101-001 政务_一体化_") and len(result[0]) == 31
    assert result[1].endswith(" (2)") and result[1][:-4] == result[0][:27]
    assert result[2] == "引号"
    assert result[3] == "表4"
    assert result[4] != "History"
    assert (result[5], result[6]) == ("Sheet", "sheet (2)")


def test_two_tables_two_sheets_with_unique_names(tmp_path):
    first = sample_table("101 项目:一/二")
    second = sample_table("101 项目:一/二")
    path = tmp_path / "tables.xlsx"
    write_tables([first, second], str(path))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["101 项目_一_二", "101 项目_一_二 (2)"]
    assert book.worksheets[1]["D4"].value == 0.9576
    assert book.worksheets[1]["D4"].number_format == "0.00%"


def test_writes_into_a_file_object():
    buffer = io.BytesIO()
    write_tables([sample_table()], buffer)
    assert read(buffer.getvalue()).worksheets[0]["A1"].value == "项目支出绩效自评表"


def test_overlapping_cells_are_refused():
    table = sample_table()
    Builder(table).put(0, "挡住了", Style.TEXT, row=4)  # inside the A4:A6 merge
    with pytest.raises(ValueError, match="overlaps"):
        render_xlsx([table])


def many_rows_table(index: int) -> Table:
    table = Table(f"表{index}", "（2021年度）", f"{index:03d} 项目", list(WIDTHS), header_rows=3)
    b = Builder(table)
    b.span(table.title, Style.TITLE)
    b.row()
    b.span(table.subtitle, Style.SUBTITLE)
    b.row()
    for col in range(8):
        b.put(col, f"列{col}", Style.HEADER)
    b.row()
    for group in range(12):
        b.put(0, f"指标组{group}", Style.LABEL, rowspan=3)
        for _ in range(3):
            b.put(1, "二级指标", Style.TEXT)
            b.put(2, Decimal("123.45"), Style.MONEY)
            b.put(3, Decimal("0.9576"), Style.PERCENT)
            b.put(4, Decimal("9.5"), Style.SCORE)
            b.put(5, 7, Style.INTEGER)
            b.put(6, "=1+1", Style.TEXT)
            b.put(7, "偏差原因分析及改进措施" * 4, Style.TEXT)
            b.row()
    b.put(0, "填表人：", Style.FOOTER, colspan=8)
    b.row()
    table.note = "校验码：abc"
    return table


def test_three_hundred_tables():
    tables = [many_rows_table(i) for i in range(300)]
    assert tables[0].n_rows == 40
    started = time.perf_counter()
    content = render_xlsx(tables)
    elapsed = time.perf_counter() - started
    print(f"\n300 tables x {tables[0].n_rows} rows: {elapsed:.2f} s, {len(content)} bytes")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        styles = archive.read("xl/styles.xml").decode()
    assert len(sheets) == 300
    assert styles.count("<xf ") < 30  # formats shared by the workbook, not made per cell
