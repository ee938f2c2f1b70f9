"""Word (.docx) rendering of a standard table, for the 自评综述 that units edit before signing.

The same `Table` the HTML, XLSX and PDF show: its title becomes the document's heading (Word's
标题 1, so the navigation pane and WPS's 目录 see it), its grid a Word table with the merges,
the heading rows repeated on every page and the column widths in proportion. A4 with the
margins of 党政机关公文格式 (GB/T 9704: 上 3.7, 下 3.5, 左 2.8, 右 2.6 cm).

Chinese fonts are set for East Asian text (w:eastAsia) on the styles and on every run, as Word
and WPS read them: 黑体 for headings, 仿宋 for text. 仿宋_GB2312 and 方正小标宋 are the official
faces but are missing on most machines outside government installs; 仿宋 and 黑体 ship with every
Windows and with WPS, and LibreOffice maps them to the installed CJK fonts (Noto CJK here).
Latin text and digits use Times New Roman. Text is written as text: nothing is escaped (a cell
starting with "=" is not a formula in Word).
"""

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from .base import Style, Table
from .html import display

HEADING_FONT = "黑体"
TEXT_FONT = "仿宋"
LATIN_FONT = "Times New Roman"
# GB/T 9704 margins, cm (top, bottom, left, right)
MARGINS = (3.7, 3.5, 2.8, 2.6)
MIN_COLUMN_CM = 1.3
CENTRED = {Style.HEADER, Style.LABEL, Style.CENTER, Style.TITLE, Style.SUBTITLE}
NUMERIC = {Style.MONEY, Style.PERCENT, Style.SCORE, Style.INTEGER}
OUTSIDE = {Style.TITLE, Style.SUBTITLE, Style.FOOTER, Style.NOTE}  # printed as paragraphs


def set_fonts(target, east_asian: str, latin: str = LATIN_FONT) -> None:
    """A style's or a run's fonts, East Asian included (python-docx sets only the Latin one)."""
    target.font.name = latin
    properties = target.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def _document(landscape: bool):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    top, bottom, left, right = MARGINS
    section.top_margin, section.bottom_margin = Cm(top), Cm(bottom)
    section.left_margin, section.right_margin = Cm(left), Cm(right)
    normal = document.styles["Normal"]
    set_fonts(normal, TEXT_FONT)
    normal.font.size = Pt(12)
    for name, size in (("Heading 1", 18), ("Heading 2", 14)):
        style = document.styles[name]
        set_fonts(style, HEADING_FONT)
        style.font.size, style.font.bold = Pt(size), False
        style.font.color.rgb = None
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style.paragraph_format.space_after = Pt(12)
    return document


def _repeat_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _write(cell, text: str, style: Style, bold: bool) -> None:
    paragraph = cell.paragraphs[0]
    if style in CENTRED:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif style in NUMERIC:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    run = paragraph.add_run(text)
    set_fonts(run, HEADING_FONT if style == Style.HEADER else TEXT_FONT)
    run.font.size = Pt(10.5)
    run.font.bold = bold or style in (Style.TOTAL, Style.LABEL)


def _add_table(document, table: Table, usable_cm: float) -> None:
    rows = [
        row
        for row in table.grid()
        if not any(c is not None and c.style in OUTSIDE for c in row)
        and any(c is not None for c in row)
    ]
    cells = [c for row in rows for c in row if c is not None]
    if not cells:
        return
    first = min(c.row for c in cells)
    n_rows = max(c.row + c.rowspan for c in cells) - first
    grid = document.add_table(rows=n_rows, cols=table.n_cols)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    total = sum(table.widths)
    sizes = [usable_cm * w / total for w in table.widths]
    # a column of two characters (序号) gets room for them on one line, from the widest
    widest = sizes.index(max(sizes))
    for index, size in enumerate(sizes):
        if size < MIN_COLUMN_CM:
            sizes[widest] -= MIN_COLUMN_CM - size
            sizes[index] = MIN_COLUMN_CM
    widths = [Cm(size) for size in sizes]
    for index, column in enumerate(grid.columns):
        column.width = widths[index]  # w:gridCol, which LibreOffice and WPS read
    for row in grid.rows:
        for index, cell in enumerate(row.cells):
            cell.width = widths[index]  # w:tcW, which Word reads
    for index in range(min(table.header_rows, n_rows)):
        if index + first >= table.header_rows:
            break
        _repeat_header(grid.rows[index])
    for c in cells:
        target = grid.cell(c.row - first, c.col)
        if c.rowspan > 1 or c.colspan > 1:
            target = target.merge(grid.cell(c.row - first + c.rowspan - 1, c.col + c.colspan - 1))
        _write(target, display(c), c.style, c.bold)


def render_docx(tables: list[Table]) -> bytes:
    """One document, one table after another (a page break between two)."""
    document = _document(landscape=any(t.landscape for t in tables))
    section = document.sections[0]
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU→cm
    for index, table in enumerate(tables):
        if index:
            document.add_page_break()
        document.add_heading(table.title, level=1)
        if table.subtitle:
            subtitle = document.add_paragraph(table.subtitle)
            subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_table(document, table, usable)
        for cell in table.cells:
            if cell.style in (Style.FOOTER, Style.NOTE) and cell.value not in (None, ""):
                document.add_paragraph(display(cell))
        if table.note:
            document.add_paragraph(table.note)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
