"""Helpers of the import tests: workbooks and CSV files built in memory, and a one-call import."""

import csv
import io
import zipfile

import openpyxl
import pytest

from budgets.models import Department, DepartmentBudget, Project
from core.models import AuditLog
from evaluations.models import Indicator, IndicatorResult, SelfEvaluation, TargetSheet
from imports.models import ImportJob
from imports.services import import_now, job_create, job_preview
from tests.evaluations.conftest import clerk, open_year, sheet  # noqa: F401  (fixtures)

MODELS = [
    Department,
    Project,
    DepartmentBudget,
    TargetSheet,
    Indicator,
    SelfEvaluation,
    IndicatorResult,
]


def xlsx(headers: list[str], rows: list[list], title: str = "数据") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def snapshot() -> dict:
    """Everything an import may touch, to prove that a refused import touched nothing."""
    state = {m.__name__: list(m.objects.order_by("pk").values_list()) for m in MODELS}
    state["audit"] = AuditLog.objects.count()
    return state


def run(kind: str, data: bytes, name: str = "data.xlsx", user=None, year=None) -> ImportJob:
    """Preview and import; through the web path (user) or as the command line (no user)."""
    if user is None:
        return import_now(kind=kind, name=name, data=data, year=year)
    job = job_create(user=user, kind=kind, name=name, data=data, year=year, enqueue=False)
    job_preview(job.pk)
    job.refresh_from_db()
    if job.state == ImportJob.State.READY:
        from imports.services import job_commit

        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING)
        job_commit(job.pk)
        job.refresh_from_db()
    return job


@pytest.fixture
def counts():
    return lambda: {m.__name__: m.objects.count() for m in MODELS}


# ------------------------------------------------------------------- hostile workbooks, by hand

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def raw_xlsx(sheet_data: str, dimension: str | None = None) -> bytes:
    """The smallest workbook Excel and openpyxl open, one sheet 数据 whose <sheetData> is given
    as XML: to write what no spreadsheet program would (a lying dimension, a cell of the wrong
    type, a broken reference)."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    parts = {
        "[Content_Types].xml": f'{head}<Types xmlns="{_PKG}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": f'{head}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'{head}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'{head}<worksheet xmlns="{_MAIN}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{sheet_data}</sheetData></worksheet>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def text_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def text_row(number: int, texts: list[str]) -> str:
    from openpyxl.utils import get_column_letter

    cells = "".join(text_cell(f"{get_column_letter(i)}{number}", t) for i, t in enumerate(texts, 1))
    return f'<row r="{number}">{cells}</row>'


@pytest.fixture
def commit_hooks(monkeypatch, django_capture_on_commit_callbacks):
    """Run the tasks enqueued on commit when each test-client POST ends, as after a real
    commit (the test's transaction never commits)."""
    from django.test import Client

    real = Client.post

    def post(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return real(self, *args, **kwargs)

    monkeypatch.setattr(Client, "post", post)
