"""Issue 15, item 6: the 自评综述 as Word (.docx), read back with python-docx; converted to PDF
by LibreOffice where it is installed (REQUIRE_DOCX_PDF=1 makes its absence a failure)."""

import io
import os
import shutil
import subprocess

import docx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx.oxml.ns import qn

from evaluations.models import SelfEvaluation
from reporting import exports
from reporting.models import ExportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def export_docx(tmp_path, *args):
    out = io.StringIO()
    call_command(
        "export_tables",
        "--year",
        "2021",
        "--table",
        "narrative",
        "--format",
        "docx",
        *args,
        "--output",
        str(tmp_path / "out"),
        stdout=out,
    )
    return out.getvalue(), tmp_path / "out.docx"


def east_asian(element) -> str | None:
    fonts = element.find(qn("w:rPr") + "/" + qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_narrative_docx_reads_back_with_headings_tables_fonts_and_a4(demo, tmp_path):
    evaluation = SelfEvaluation.objects.get(project__code="2021-101-001")
    # text that looks like a formula or markup is text in Word: written as typed
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        snapshot=None, problems="=SUM(A1)<b>进度</b>滞后"
    )
    printed, path = export_docx(tmp_path, "--department", "101")
    assert "已写入" in printed and path.exists()
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["2021年度项目支出绩效自评综述"]
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "项目名称", "综述"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    department = table.rows[1].cells
    assert department[0].text.startswith("咸宁市") and department[0]._tc is department[2]._tc
    first = [c.text for c in table.rows[2].cells]
    assert first[:2] == ["1", "政务一体化平台建设"]
    assert first[2].startswith("项目全年预算数为300.00万元，执行数为291.60万元，完成预算97.20%。")
    assert "发现的问题及原因：=SUM(A1)<b>进度</b>滞后。" in first[2]
    # Chinese fonts on the styles and the runs; A4 with the official margins
    assert east_asian(document.styles["Normal"].element) == "仿宋"
    assert east_asian(document.styles["Heading 1"].element) == "黑体"
    assert east_asian(table.rows[2].cells[2].paragraphs[0].runs[0].element) == "仿宋"
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 1) == 2.8 and round(section.top_margin.cm, 1) == 3.7


def test_docx_is_for_the_narrative_only(demo, tmp_path, django_capture_on_commit_callbacks):
    with pytest.raises(CommandError, match="仅用于自评综述"):
        call_command(
            "export_tables",
            *("--year", "2021", "--table", "summary", "--format", "docx"),
            *("--output", str(tmp_path / "x")),
        )
    user = UserFactory(is_superuser=True, is_staff=True)
    from budgets.models import FiscalYear

    year = FiscalYear.objects.get(year=2021)
    with pytest.raises(Exception, match="仅用于自评综述"):
        exports.export_request(user=user, kind="summary", fmt="docx", year=year)
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_request(user=user, kind="narrative", fmt="docx", year=year)
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    assert job.filename.endswith("自评综述.docx")
    with job.file.open("rb") as handle:
        assert docx.Document(handle).tables[0].rows[0].cells[0].text == "序号"


def test_docx_converts_to_pdf_with_libreoffice(demo, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("REQUIRE_DOCX_PDF"):
            pytest.fail(
                "LibreOffice (soffice) is missing: apt-get install libreoffice-writer-nogui"
            )
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer-nogui")
    _, path = export_docx(tmp_path)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    pdf = path.with_suffix(".pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    text = "".join(text.split())  # pdftotext spaces the letters out as laid
    assert "2021年度项目支出绩效自评综述" in text and "政务一体化平台建设" in text
    if os.environ.get("DOCX_PAGE_IMAGE"):  # a page image to look at
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                os.environ["DOCX_PAGE_IMAGE"],
            ],
            check=True,
        )
