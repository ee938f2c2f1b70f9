"""Render a Table as HTML: the same markup on screen, in print (A4 stylesheet) and in the PDF."""

from decimal import Decimal

from django.conf import settings
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core import formatting

from .base import Cell, Style, Table


def display(cell: Cell) -> str:
    """The text a cell shows: money and scores with 2 decimals, ratios as percentages."""
    value = cell.value
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if cell.style == Style.PERCENT:
        return formatting.percent(value)
    if cell.style == Style.INTEGER:
        return formatting.fixed(value, 0)
    if cell.style in (Style.MONEY, Style.SCORE) or isinstance(value, Decimal):
        return formatting.fixed(value)
    return str(value)


def render_html(table: Table) -> SafeString:
    """A <table class="std-table"> with colgroup widths, merges as row/colspans."""
    total = sum(table.widths) or 1
    cols = format_html_join(
        "", '<col style="width:{}%">', ((f"{w * 100 / total:.2f}",) for w in table.widths)
    )
    body = []
    for index, row in enumerate(table.grid()):
        cells = []
        for cell in row:
            if cell is None:
                continue
            classes = f"s-{cell.style}" + (" b" if cell.bold else "")
            spans = ""
            if cell.rowspan > 1:
                spans += f' rowspan="{cell.rowspan}"'
            if cell.colspan > 1:
                spans += f' colspan="{cell.colspan}"'
            text = escape(display(cell).replace("\r\n", "\n").replace("\r", "\n"))
            text = text.replace("\n", "<br>")
            cells.append(f'<td class="{classes}"{spans}>{text}</td>')
        section = "thead" if index < table.header_rows else "tbody"
        body.append((section, "<tr>" + "".join(cells) + "</tr>"))
    head = "".join(html for section, html in body if section == "thead")
    rows = "".join(html for section, html in body if section == "tbody")
    note = format_html('<p class="std-note">{}</p>', table.note) if table.note else ""
    return format_html(
        '<div class="std-wrap {}"><table class="std-table"><colgroup>{}</colgroup>'
        "<thead>{}</thead><tbody>{}</tbody></table>{}</div>",
        "landscape" if table.landscape else "portrait",
        cols,
        mark_safe(head),
        mark_safe(rows),
        note,
    )


def standalone_html(tables: list[Table]) -> str:
    """A complete HTML document of the tables with the table stylesheet inlined (for files)."""
    css = (settings.BASE_DIR / "static" / "css" / "tables.css").read_text(encoding="utf-8")
    parts = "".join(f'<section class="std-page">{render_html(t)}</section>' for t in tables)
    title = escape(tables[0].title if tables else "")
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}'
        f"</title><style>{css}.std-page{{page-break-after:always;margin-bottom:24px}}</style>"
        f"</head><body>{parts}</body></html>"
    )
