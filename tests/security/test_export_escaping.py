"""Exported text a spreadsheet could run (= + - @ tab CR at the start) is escaped; numbers stay
numbers. The XLSX renderer's own tests (tests/reporting/test_tables_xlsx.py) check a hand-built
table; here the text comes from a clerk's save and leaves through the export job, and every
prefix is tried. CSV is written only by the import's failed-rows download (tests/imports)."""

import io
import zipfile

import openpyxl
import pytest

from evaluations import services
from reporting import exports
from reporting.models import ExportJob
from reporting.tables.base import FORMULA_PREFIXES, Builder, Style, Table
from reporting.tables.xlsx import render_xlsx
from tests.factories import GOOD, typed
from tests.report import covered

pytestmark = pytest.mark.django_db

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def test_every_prefix_is_known_to_the_renderer():
    assert set(PREFIXES) <= set(FORMULA_PREFIXES)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_prefix_is_stored_as_quoted_text(prefix):
    table = Table("表", "", "表", [20.0, 20.0])
    b = Builder(table)
    b.put(0, f"{prefix}SUM(1,2)", Style.TEXT)
    b.put(1, 12.5, Style.SCORE)
    b.row()
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx([table]))).worksheets[0]
    text, number = ws["A1"], ws["B1"]
    # (XlsxWriter stores CR as the XML escape _x000D_, which openpyxl leaves as is)
    value = text.value.replace("_x000D_", "\r")
    assert text.data_type == "s" and text.quotePrefix and value == f"{prefix}SUM(1,2)"
    assert number.data_type == "n" and number.value == 12.5 and not number.quotePrefix


def test_a_clerks_formula_like_text_leaves_the_export_escaped(
    world, django_capture_on_commit_callbacks
):
    clerk, evaluation = world.users["clerk"], world.evaluation
    values = dict(GOOD)
    values["保障大厅正常运行"] = ("@正常运转", "achieved", "30", "")
    values["群众满意率"] = ("96", "", "8", '=HYPERLINK("http://evil.example","点此")')
    values["话务平台接听量"] = ("47", "", None, "+86 热线扩容")
    services.evaluation_save(
        evaluation=evaluation,
        user=clerk,
        data=typed(evaluation, values, actual_text="-完成全部目标", execution_reason="合同延期"),
        version=evaluation.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_request(
            user=clerk,
            kind=ExportJob.Kind.PROJECT,
            fmt=ExportJob.Format.XLSX,
            year=evaluation.year,
            project_ids=[evaluation.project_id],
            department_ids=[evaluation.department_id],
        )
    job.refresh_from_db()
    assert job.state == "done", job.error
    with job.file.open("rb") as handle:
        content = handle.read()
    ws = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(tuple(PREFIXES))]
    typed_texts = ["@正常运转", '=HYPERLINK("http://evil.example","点此")', "+86", "-完成全部目标"]
    for text in typed_texts:
        assert any(c.value.startswith(text) for c in risky), (text, [c.value for c in risky])
    assert all(c.quotePrefix and c.data_type == "s" for c in risky)
    assert not any(c.data_type == "f" for c in cells)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    numbers = [c for c in cells if c.data_type == "n"]
    assert {158, 118.3, 8} <= {c.value for c in numbers}  # funds and the typed score
    covered(f"导出转义：{len(PREFIXES)} 种危险前缀均以文本+引号前缀写入，数字仍为数字")
