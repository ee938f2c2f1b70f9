"""Helpers of the import tests: workbooks and CSV files built in memory, and a one-call import."""

import csv
import io

import openpyxl
import pytest

from budgets.models import AuditLog, Department, DepartmentBudget, Project
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
