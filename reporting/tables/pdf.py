"""Render Tables as one PDF with WeasyPrint: the same markup (html.render_html) and stylesheet
(static/css/tables.css) as the screen and print views, plus page rules of its own (pdf.html).

WeasyPrint is imported on first use: importing it costs ~1 s (Pango, fontconfig), which a web
process that never exports a PDF should not pay. Fonts come from fontconfig (Debian's
fonts-noto-cjk) and are embedded as subsets; subsetting is fast only with libharfbuzz-subset0
(see tests/reporting/test_tables_pdf.py, which fails on WeasyPrint's fontTools fallback).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string

from .base import Table
from .html import render_html

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher, URLFetcherResponse


def static_root() -> Path:
    return (Path(settings.BASE_DIR) / "static").resolve()


def allowed_path(url: str) -> Path:
    """The local file a URL names, if it is a file:// URL under static/; ValueError otherwise.

    Resolving first means "..", percent-encoded dots and symlinks cannot climb out of static/.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ValueError(f"PDF rendering may only read local static files, not {url!r}")
    path = Path(url2pathname(parts.path)).resolve()
    if not path.is_relative_to(static_root()):
        raise ValueError(f"PDF rendering may only read files under static/, not {url!r}")
    return path


@functools.cache
def _fetcher_class() -> type[URLFetcher]:
    # WeasyPrint (with its fonts and Pango) is loaded only when a PDF is made: a heavy import
    # that web pages, XLSX exports and the tests of other tables never need.
    from weasyprint.urls import URLFetcher

    class StaticFilesFetcher(URLFetcher):
        """WeasyPrint's own fetcher, refusing every URL but files under static/.

        WeasyPrint 68+ expects a URLFetcher instance (a bare function breaks its error
        handling, and default_url_fetcher is gone in 70); overriding fetch() also covers any
        redirect, which URLFetcher routes back through fetch().
        """

        def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
            allowed_path(url)
            return super().fetch(url, headers)

    return StaticFilesFetcher


def make_url_fetcher() -> URLFetcher:
    """A fresh fetcher for one rendering (URLFetcher keeps per-request state)."""
    return _fetcher_class()(allowed_protocols=("file",), allow_redirects=False)


def url_fetcher(url: str) -> URLFetcherResponse:
    """Fetch a resource for WeasyPrint: ValueError unless it is a file under static/."""
    return make_url_fetcher()(url)


def pdf_html(tables: list[Table]) -> str:
    """The HTML document the PDF is made from (tables.css comes separately, as a stylesheet)."""
    sections = [
        {"html": render_html(table), "page": "landscape" if table.landscape else "portrait"}
        for table in tables
    ]
    title = tables[0].title if tables else ""
    return render_to_string("tables/pdf.html", {"title": title, "sections": sections})


def render_pdf(tables: list[Table]) -> bytes:
    """One PDF of the tables, each starting on a new A4 page in its own orientation, header rows
    repeated on every page, 第 N 页 / 共 M 页 of its own table at the foot, the CJK font embedded
    as a subset."""
    from weasyprint import CSS, HTML  # heavy: loaded only when a PDF is made (see _fetcher_class)

    root = static_root()
    base_url = root.as_uri() + "/"
    fetcher = make_url_fetcher()
    css_path = root / "css" / "tables.css"
    stylesheet = CSS(
        string=css_path.read_text(encoding="utf-8"),
        base_url=css_path.as_uri(),
        url_fetcher=fetcher,
    )
    # each table is laid out as its own document, so that a signed table's pages are numbered
    # 第 1 页 / 共 N 页 of that table, not of the whole file; then the pages are joined
    documents = [
        HTML(string=pdf_html([table]), base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[stylesheet]
        )
        for table in tables
    ]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
