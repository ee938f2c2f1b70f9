"""imports.files.SheetParser, the data sheet's reader, against openpyxl 3.1's own read-only parser
(WorkSheetParser, what the import used before) on the same hostile sheets: every cell the same
(row, column, value, type) — numbers, dates by style in both epochs, times and durations,
booleans, errors, shared strings with rich text and phonetic runs, inline strings, formulas
(plain, shared, array, data table), cells and rows without references, comments, CDATA and
character references. Where openpyxl stops on a cell, the reader reports that cell alone."""

import io
import zipfile
from datetime import date, time, timedelta

import pytest
from openpyxl.worksheet._reader import WorkSheetParser

from imports.files import FileRefused, SheetParser, open_workbook, read_sheet
from tests.imports.conftest import _DOC, _MAIN, _PKG, _TYPES

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
# cellXfs: 0 general, 1 date (14), 2 date-time (22), 3 duration ([h]:mm:ss), 4 time (21)
STYLES = (
    f'{HEAD}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="[h]:mm:ss"/></numFmts>'
    '<fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
    '<xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/>'
    '<xf numFmtId="21" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
SHARED = [
    "<si><t>项目编码</t></si>",
    '<si><t xml:space="preserve">  前后空格  </t></si>',
    "<si><r><rPr><b/></rPr><t>富</t></r><r><t>文本</t></r></si>",
    '<si><t>带注音</t><rPh sb="0" eb="1"><t>ダイ</t></rPh></si>',
    "<si><t>_x005F_x000D_ 转义</t></si>",
    "<si><t><![CDATA[<不是标签>]]></t></si>",
    "<si><t>&amp;&#20013;&lt;</t></si>",
    "<si><t/></si>",
]


def workbook(sheet_data: str, *, date1904: bool = False, prolog: str = "") -> bytes:
    """A workbook with styles (dates, times, durations) and shared strings; `sheet_data` is the
    XML inside <sheetData>, `prolog` what comes before the sheet's root element."""
    pr = '<workbookPr date1904="1"/>' if date1904 else ""
    parts = {
        "[Content_Types].xml": f'{HEAD}<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'{HEAD}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'{HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">{pr}<sheets>'
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{HEAD}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOC}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/styles.xml": STYLES,
        "xl/sharedStrings.xml": f'{HEAD}<sst xmlns="{_MAIN}" count="{len(SHARED)}">'
        + "".join(SHARED)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'{HEAD}{prolog}<worksheet xmlns="{_MAIN}">'
        '<dimension ref="A1:XFD1048576"/>'
        f"<sheetData>{sheet_data}</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _plain(value):
    """A value with its type (True is not 1); formula objects (ArrayFormula, DataTableFormula)
    by what they hold."""
    if value is None or isinstance(value, str | int | float | bool | date | time | timedelta):
        return type(value).__name__, value
    return type(value).__name__, sorted(vars(value).items())


def _cells(parser_class, data: bytes, **extra):
    book = open_workbook(data)
    try:
        ws = book["数据"]
        with ws._get_source() as source:
            parser = parser_class(
                source,
                ws._shared_strings,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
                **extra,
            )
            rows = []
            for number, cells in parser.parse():
                if cells and isinstance(cells[0], dict):
                    cells = [(c["row"], c["column"], c["value"], c["data_type"]) for c in cells]
                rows.append((number, [(r, c, _plain(v), t) for r, c, v, t in cells]))
            return rows
    finally:
        book.close()


def ours(data: bytes):
    return _cells(SheetParser, data)


def openpyxls(data: bytes):
    return _cells(WorkSheetParser, data, data_only=False)


ROWS = {
    "numbers": '<row r="1"><c r="A1"><v>42</v></c><c r="B1"><v>3.5</v></c>'
    '<c r="C1"><v>1E3</v></c><c r="D1"><v>-0.1</v></c><c r="E1"><v>1e-7</v></c>'
    '<c r="F1" s="0"><v>007</v></c><c r="G1"><v></v></c><c r="H1"/></row>',
    "dates": '<row r="2"><c r="A2" s="1"><v>45000</v></c><c r="B2" s="2"><v>45000.75</v></c>'
    '<c r="C2" s="4"><v>0.5</v></c><c r="D2" s="1"><v>30</v></c><c r="E2" s="1"><v>60</v></c>'
    '<c r="F2" s="3"><v>1.5</v></c><c r="G2" s="3"><v>0.0000123</v></c>'
    '<c r="H2" s="1"><v>1e10</v></c><c r="I2" s="1"><v>0</v></c></row>',
    "types": '<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3" t="b"><v>0</v></c>'
    '<c r="C3" t="e"><v>#DIV/0!</v></c><c r="D3" t="d"><v>2024-05-01T08:30:00</v></c>'
    '<c r="E3" t="d"><v>2024-05-01</v></c><c r="F3" t="str"><v>文字</v></c>'
    '<c r="G3" t="n"><v>5</v></c></row>',
    "shared": '<row r="4">'
    + "".join(f'<c r="{col}4" t="s"><v>{n}</v></c>' for n, col in enumerate("ABCDEFGH"))
    + "</row>",
    "inline": '<row r="5"><c r="A5" t="inlineStr"><is><t>行内</t></is></c>'
    '<c r="B5" t="inlineStr"><is><r><t>富</t></r><r><rPr/><t>文本</t></r></is></c>'
    '<c r="C5" t="inlineStr"><v>ignored</v></c><c r="D5" t="inlineStr"><is><t/></is></c>'
    '<c r="E5" t="inlineStr"><is><t>=SUM(A1)</t></is></c></row>',
    "formulas": '<row r="6"><c r="A6"><f>SUM(B6:C6)</f><v>3</v></c>'
    '<c r="B6"><f t="shared" ref="B6:B8" si="0">C6*2</f><v>4</v></c>'
    '<c r="C6" t="str"><f>"x"&amp;"y"</f><v>xy</v></c>'
    '<c r="D6"><f t="array" ref="D6:D7">TRANSPOSE(A1:B1)</f><v>1</v></c>'
    '<c r="E6"><f t="dataTable" ref="E6:E7" dt2D="0" dtr="0" r1="A1"/><v>0</v></c>'
    '<c r="F6" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
    '<row r="7"><c r="B7"><f t="shared" si="0"/><v>6</v></c></row>'
    '<row r="8"><c r="B8"><f t="shared" si="0"/><v>8</v></c></row>',
    "no references": '<row><c><v>1</v></c><c t="s"><v>0</v></c><c r="D9"><v>2</v></c>'
    "<c><v>3</v></c></row><row><c><v>4</v></c></row>",
    "xml oddities": '<row r="12"><c r="A12"><v>1<!-- 注释 -->2</v></c>'
    '<c r="B12" t="str"><v><![CDATA[a<b]]></v></c><c r="C12" t="str"><v>&#x4E2D;&gt;</v></c>'
    '<!-- between cells --><c r="d12"><v>5</v></c><?pi ignored?>'
    '<c r="E12" s=""><v>6</v></c><c r="F12" t="str"><v>  spaced  </v></c></row>'
    '<row r="13.0"><c r="A13"><v>7</v></c></row>',
}


@pytest.mark.parametrize("case", ROWS)
@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_every_cell_as_openpyxl_reads_it(case, date1904):
    data = workbook(ROWS[case], date1904=date1904)
    expected = openpyxls(data)
    assert expected  # the case holds rows
    assert ours(data) == expected


def test_all_cases_in_one_sheet_as_openpyxl_reads_them():
    data = workbook("".join(ROWS.values()))
    assert ours(data) == openpyxls(data)
    assert ours(workbook("".join(ROWS.values()), date1904=True)) != ours(data)  # epochs differ


@pytest.mark.parametrize(
    "cell, raw",
    [
        ('<c r="B1" t="n"><v>abc</v></c>', "abc"),
        ('<c r="B1" t="d"><v>notadate</v></c>', "notadate"),
        ('<c r="B1" t="s"><v>99</v></c>', "99"),
        ('<c r="B1" t="b"><v>x</v></c>', "x"),
        ('<c r="B1" s="x"><v>1</v></c>', "1"),
    ],
)
def test_a_cell_openpyxl_stops_on_is_that_cell_alone(cell, raw):
    """openpyxl raises for the whole sheet; the reader reports the cell, its neighbours as
    openpyxl reads them."""
    data = workbook(f'<row r="1"><c r="A1"><v>1</v></c>{cell}<c r="C1" t="s"><v>2</v></c></row>')
    with pytest.raises(Exception):  # noqa: B017  (whatever openpyxl raises for this cell)
        openpyxls(data)
    ((number, (first, bad, third)),) = ours(data)
    assert number == 1 and first == (1, 1, ("int", 1), "n")
    assert third == (1, 3, ("str", "富文本"), "s")
    message = f"单元格内容无法识别（“{raw}”与单元格类型不符），请重新填写"
    assert bad == (1, 2, ("str", message), "bad")


def test_a_reference_that_cannot_be_placed_refuses_the_file():
    with pytest.raises(FileRefused, match="单元格引用“A\\$\\$2”无效"):
        ours(workbook('<row r="2"><c r="A$$2" t="n"><v>x</v></c></row>'))


@pytest.mark.parametrize(
    "declaration", ["<!DOCTYPE worksheet>", '<!DOCTYPE worksheet [<!ENTITY e "炸弹">]>']
)
def test_a_doctype_past_the_first_4_kb_is_refused(declaration):
    """check_zip reads each part's first 4 KB; a declaration behind a long comment is refused
    all the same (an entity by openpyxl's defusedxml when it opens the sheet, a bare DOCTYPE by
    the reader) and nothing is read."""
    prolog = f"<!-- {'填充' * 3000} -->{declaration}"
    data = workbook('<row r="1"><c r="A1"><v>1</v></c></row>', prolog=prolog)
    with pytest.raises(FileRefused):
        ours(data)
    with pytest.raises(FileRefused, match="DOCTYPE/ENTITY" if "ENTITY" not in declaration else ""):
        read_sheet("hostile.xlsx", data)


def test_the_import_reads_through_the_parser():
    """read_sheet keeps what the parser read: types, formulas, bad cells, row numbers."""
    data = workbook(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>日期</t></is></c>'
        "</row>"
        '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" s="1"><v>45000</v></c></row>'
        '<row r="4"><c r="A4"><f>1+1</f><v>2</v></c><c r="B4" t="n"><v>abc</v></c></row>'
    )
    sheet = read_sheet("data.xlsx", data)
    assert sheet.headers == ["项目编码", "日期"] and sheet.header_row == 1
    assert [(n, [str(v) for v in values]) for n, values in sheet.rows] == [
        (3, ["富文本", "2023-03-15 00:00:00"]),
        (4, ["=1+1", "None"]),  # the bad cell's place is kept, empty
    ]
    assert sheet.formulas == [(4, 0)]
    assert sheet.bad_cells == [(4, 1, "单元格内容无法识别（“abc”与单元格类型不符），请重新填写")]
