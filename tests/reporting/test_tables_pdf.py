"""The PDF renderer: extractable Chinese text, an embedded CJK font subset, A4 pages in each
table's orientation, header rows repeated on every page, no fontTools fallback, a URL fetcher that
reads nothing but static/, and cell text that stays text.

The PDF is checked with poppler-utils (pdftotext, pdffonts, pdfinfo), as a reader would see it.
No database is needed.
"""

import logging
import re
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from reporting.tables.base import Builder, Style, Table
from reporting.tables.pdf import make_url_fetcher, pdf_html, render_pdf, url_fetcher

D = Decimal
# These read the PDF back with poppler-utils. Without it (or without the CJK font, where a test
# asks for it) they skip naming the package, or fail with REQUIRE_PDF=1 (tests/system_packages.py).
reads_pdf = pytest.mark.system_packages("poppler-utils")

HEADINGS = [
    "序号",
    "指标名称",
    "年度预算数",
    "全年执行数",
    "执行率",
    "分值",
    "得分",
    "偏差原因分析",
]
ROWS = 60

# What WeasyPrint 70 logs (weasyprint/pdf/fonts.py, Font.subset) when libharfbuzz-subset0 is
# missing or older than 4.1.0; it then subsets the CJK font with fontTools, ~25x slower.
FALLBACK_WARNING = "Using fontTools instead of HarfBuzz-Subset"
# Logged when HarfBuzz is there but fails on a font (the PDF then embeds the whole font).
SUBSET_FAILURE = "Unable to subset"


def project_table(rows: int = ROWS) -> Table:
    """A 项目支出绩效自评表 of `rows` indicator rows; title, subtitle and headings repeat."""
    table = Table(
        title="项目支出绩效自评表",
        subtitle="（2021年度）",
        sheet_name="项目支出绩效自评表",
        widths=[6, 32, 12, 12, 10, 8, 8, 30],
        header_rows=3,
        landscape=True,
    )
    b = Builder(table)
    b.span(table.title, Style.TITLE)
    b.row()
    b.span(table.subtitle, Style.SUBTITLE)
    b.row()
    for col, heading in enumerate(HEADINGS):
        b.put(col, heading, Style.HEADER)
    b.row()
    for number in range(1, rows + 1):
        b.put(0, number, Style.INTEGER)
        b.put(1, f"第{number}项：政务数据共享平台运维", Style.TEXT)
        b.put(2, D("300"), Style.MONEY)
        b.put(3, D("287.28"), Style.MONEY)
        b.put(4, D("0.95760"), Style.PERCENT)
        b.put(5, D("10"), Style.SCORE)
        b.put(6, D("9.576"), Style.SCORE)
        b.put(7, "按计划推进，全年稳定运行", Style.TEXT)
        b.row()
    b.put(0, "总分", Style.TOTAL, colspan=5)
    b.put(5, D("100"), Style.SCORE, bold=True)
    b.put(6, D("95.76"), Style.SCORE, bold=True)
    b.put(7, "", Style.TOTAL)
    b.row()
    b.span("填表人：张三　　联系电话：0737-1234567　　填报日期：2022年3月1日", Style.FOOTER)
    return table


def small_table(title: str, *, landscape: bool, text: str = "资金使用合规") -> Table:
    table = Table(
        title=title, subtitle="（2021年度）", sheet_name=title, widths=[20, 40], landscape=landscape
    )
    b = Builder(table)
    b.span(title, Style.TITLE)
    b.row()
    b.put(0, "项目名称", Style.LABEL)
    b.put(1, text, Style.TEXT)
    return table


def write(tmp_path: Path, content: bytes, name: str = "table.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_count(pdf: Path) -> str:
    if not shutil.which("pdfinfo"):
        return "?"
    return re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M)[1]


def text_of(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return run("pdftotext", "-enc", "UTF-8", *pages, str(pdf), "-")


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    pages = int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M)[1])
    info = run("pdfinfo", "-f", "1", "-l", str(pages), str(pdf))
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert len(sizes) == pages
    return [(float(w), float(h)) for w, h in sizes]


def fonts_of(pdf: Path) -> list[dict[str, str]]:
    """pdffonts' table as dicts; columns are cut where the dashed rule under the heading is,
    since the type column itself contains spaces ("CID Type 0C (OT)")."""
    heading, rule, *lines = run("pdffonts", str(pdf)).splitlines()
    spans = [m.span() for m in re.finditer(r"-+", rule)]
    columns = {heading[a:b].strip(): slice(a, b) for a, b in spans}
    return [{name: line[cut].strip() for name, cut in columns.items()} for line in lines]


A4_LANDSCAPE = (841.89, 595.28)
A4_PORTRAIT = (595.28, 841.89)


def assert_size(size: tuple[float, float], expected: tuple[float, float]) -> None:
    assert size == pytest.approx(expected, abs=1), f"{size} is not A4 {expected}"


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory) -> tuple[bytes, Path]:
    """The 60-row table, rendered once for the content tests (the first render in a process
    also pays for importing WeasyPrint and loading fontconfig)."""
    started = time.perf_counter()
    content = render_pdf([project_table()])
    elapsed = time.perf_counter() - started
    pdf = write(tmp_path_factory.mktemp("pdf"), content)
    print(f"\n[pdf] first render, {ROWS} rows, {page_count(pdf)} pages: {elapsed:.2f} s")
    return content, pdf


def test_is_a_pdf(long_pdf):
    content, _ = long_pdf
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")


@reads_pdf
def test_text_is_extractable_chinese_with_formatted_numbers(long_pdf):
    _, pdf = long_pdf
    text = text_of(pdf)
    assert "项目支出绩效自评表" in text
    assert "（2021年度）" in text
    assert "300.00" in text and "287.28" in text  # money: 2 decimals
    assert "95.76%" in text  # ratio 0.95760 as a percentage
    assert "9.58" in text and "100.00" in text  # scores: 2 decimals, rounded half up
    assert "第60项：政务数据共享平台运维" in text
    assert "填表人：张三" in text


@reads_pdf
def test_pages_are_numbered_in_the_margin(long_pdf):
    _, pdf = long_pdf
    pages = len(page_sizes(pdf))
    for number in (1, pages):
        text = text_of(pdf, number, number)
        assert re.search(rf"第\s*{number}\s*页\s*/\s*共\s*{pages}\s*页", text), text[-200:]


@pytest.mark.system_packages("poppler-utils", "fonts-noto-cjk")
def test_cjk_font_is_embedded_as_a_subset(long_pdf):
    _, pdf = long_pdf
    fonts = fonts_of(pdf)
    assert fonts, "the PDF has no fonts"
    # An official printed table must not depend on the fonts of the machine that prints it.
    assert all(font["emb"] == "yes" for font in fonts), fonts
    cjk = [f for f in fonts if re.search(r"Noto.?Sans.?CJK", f["name"], re.I)]
    assert cjk, f"no Noto Sans CJK font in {[f['name'] for f in fonts]}"
    assert all(font["sub"] == "yes" for font in cjk), cjk


@reads_pdf
def test_header_rows_repeat_on_every_page(long_pdf):
    _, pdf = long_pdf
    assert len(page_sizes(pdf)) >= 2
    first, second = text_of(pdf, 1, 1), text_of(pdf, 2, 2)
    assert "第1项：" in first and "第1项：" not in second  # page 2 really is a later page
    for heading in ("项目支出绩效自评表", "（2021年度）", "年度预算数", "偏差原因分析"):
        assert heading in second, f"{heading} does not repeat on page 2"


@reads_pdf
@pytest.mark.parametrize(
    "orientations",
    [(True, True, False), (False, True, False)],
    ids=["landscape-landscape-portrait", "portrait-landscape-portrait"],
)
def test_each_table_starts_a_page_in_its_own_orientation(tmp_path, orientations):
    tables = [
        small_table(f"第{n}张表", landscape=landscape)
        for n, landscape in enumerate(orientations, start=1)
    ]
    pdf = write(tmp_path, render_pdf(tables))
    sizes = page_sizes(pdf)
    assert len(sizes) == len(tables)  # a new page per table, none blank
    titles = [table.title for table in tables]
    for n, (size, landscape) in enumerate(zip(sizes, orientations, strict=True), start=1):
        assert_size(size, A4_LANDSCAPE if landscape else A4_PORTRAIT)
        text = text_of(pdf, n, n)
        assert [title for title in titles if title in text] == [f"第{n}张表"]


# without the CJK font WeasyPrint warns of each missing glyph, which this test counts as a failure
@pytest.mark.system_packages("libharfbuzz-subset0", "fonts-noto-cjk")
def test_no_fonttools_fallback_is_logged(caplog, tmp_path):
    """libharfbuzz-subset0 makes this ~25x faster than WeasyPrint's fontTools fallback: a
    machine without it must fail here, not just export slowly."""
    caplog.set_level(logging.WARNING, logger="weasyprint")
    caplog.set_level(logging.WARNING, logger="fontTools")
    table = project_table()
    started = time.perf_counter()
    content = render_pdf([table])
    elapsed = time.perf_counter() - started
    pages = page_count(write(tmp_path, content))
    print(f"\n[pdf] render, {ROWS} rows, {pages} pages: {elapsed:.2f} s")
    assert content.startswith(b"%PDF-")
    records = [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]
    fallback = [
        r.getMessage()
        for r in records
        if FALLBACK_WARNING in r.getMessage() or SUBSET_FAILURE in r.getMessage()
    ]
    assert not fallback, f"安装 libharfbuzz-subset0（>= 4.1.0）: {fallback}"
    # Anything else WeasyPrint warns about (a refused URL, ignored CSS) is not rendered as meant.
    assert not records, [f"{r.name}: {r.getMessage()}" for r in records]


@pytest.mark.system_packages("libharfbuzz-subset0")
def test_harfbuzz_subset_library_is_loaded():
    """The exact condition WeasyPrint checks before falling back to fontTools."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    assert harfbuzz_subset is not None, "libharfbuzz-subset0 未安装"
    assert harfbuzz.hb_version_atleast(4, 1, 0), "HarfBuzz 版本低于 4.1.0"


def test_the_fallback_guard_would_catch_the_fallback(caplog, monkeypatch):
    """Make WeasyPrint believe HarfBuzz-Subset is missing and check that it logs the message the
    guard above looks for (stopping at the slow fontTools subsetting itself)."""
    import weasyprint.pdf.fonts

    class FellBack(Exception):
        pass

    def fonttools_subset(*args):
        raise FellBack

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.setattr(weasyprint.pdf.fonts.Font, "_fonttools_subset", fonttools_subset)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    with pytest.raises(FellBack):
        render_pdf([small_table("检查表", landscape=True)])
    assert any(FALLBACK_WARNING in r.getMessage() for r in caplog.records)


def static_file() -> Path:
    return Path(settings.BASE_DIR) / "static" / "css" / "tables.css"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "file:///etc/passwd",
        "file://example.com/etc/passwd",
        "data:text/css,body{color:red}",
        "ftp://example.com/x.png",
    ],
)
def test_url_fetcher_refuses_anything_but_local_static_files(url):
    with pytest.raises(ValueError):
        url_fetcher(url)


def test_url_fetcher_refuses_paths_climbing_out_of_static():
    static = (Path(settings.BASE_DIR) / "static").as_uri()
    for url in (
        f"{static}/../config/settings.py",
        f"{static}/%2e%2e/config/settings.py",
        f"{static}/css/../../manage.py",
        f"{static}-other/x.css",  # a sibling folder whose name starts like static's
    ):
        with pytest.raises(ValueError):
            url_fetcher(url)


def test_url_fetcher_reads_a_file_under_static():
    response = url_fetcher(static_file().as_uri())
    try:
        assert b".std-table" in response.read()
    finally:
        response.close()


def test_weasyprint_uses_the_fetcher_for_every_resource(caplog):
    """Wired into WeasyPrint, the fetcher loads a stylesheet under static/ and refuses a remote
    image: WeasyPrint logs the refusal and goes on (no crash, no request)."""
    from weasyprint import HTML

    caplog.set_level(logging.WARNING, logger="weasyprint")
    html = (
        f'<link rel="stylesheet" href="{static_file().as_uri()}">'
        '<p>图片</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/hostname">'
    )
    fetched = []
    fetcher = make_url_fetcher()
    original = fetcher.fetch

    def spy(url, headers=None):
        fetched.append(url)
        return original(url, headers)

    fetcher.fetch = spy
    assert HTML(string=html, url_fetcher=fetcher).write_pdf().startswith(b"%PDF-")
    assert fetched == [static_file().as_uri(), "http://127.0.0.1:9/x.png", "file:///etc/hostname"]
    refused = [r.getMessage() for r in caplog.records if "ValueError" in r.getMessage()]
    assert len(refused) == 2, [r.getMessage() for r in caplog.records]


@reads_pdf
def test_cell_text_is_shown_as_text_not_markup(tmp_path):
    script = "<script>alert(1)</script>"
    table = small_table("转义检查表", landscape=True, text=f"{script} <b>不加粗</b>")
    table.note = "校验码 <i>abc</i>"
    html = pdf_html([table])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = text_of(write(tmp_path, render_pdf([table])))
    assert script in text
    assert "<b>不加粗</b>" in text
    assert "校验码 <i>abc</i>" in text


@reads_pdf
def test_each_table_is_numbered_on_its_own(tmp_path):
    """A signed one-page table reads 第 1 页 / 共 1 页 even inside a file of several tables."""
    tables = [project_table(), small_table("部门整体支出绩效自评表", landscape=True)]
    pdf = write(tmp_path, render_pdf(tables))
    pages = int(page_count(pdf))
    assert pages >= 3
    last = text_of(pdf, pages, pages).replace(" ", "")
    assert "部门整体支出绩效自评表" in last and "第1页/共1页" in last
    assert f"第1页/共{pages - 1}页" in text_of(pdf, 1, 1).replace(" ", "")
