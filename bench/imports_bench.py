"""The import figure of `make bench`: 100,000 indicator rows (XLSX) through the product's own
import path (`manage.py import_data indicators`, preview + confirm, in a child process so that its
peak memory is its own) beside a raw floor in this process: openpyxl's read-only parse of the same
file and a `bulk_create` of the same sheets and indicators, with no checks."""

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlsxwriter
from django.db import connection, transaction
from django.urls import reverse

from budgets.models import Department, FiscalYear, Project
from evaluations.models import Indicator, IndicatorCategory, TargetSheet

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "IMP-"
PER_PROJECT = 33
HEADERS = [
    "年度",
    "项目编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "年度指标值",
    "计量单位",
    "分值",
    "指标值设定依据",
]
LINES = [  # (一级, 二级, comparator, target, unit)
    ("产出指标", "数量指标", "≥", "120", "件"),
    ("产出指标", "质量指标", "≥", "98", "%"),
    ("产出指标", "时效指标", "≤", "15", "天"),
    ("产出指标", "成本指标", "≤", "300", "万元"),
    ("效益指标", "社会效益指标", "定性", "服务水平明显提升", ""),
    ("效益指标", "可持续影响指标", "定性", "长效机制基本建立", ""),
    ("满意度指标", "服务对象满意度指标", "≥", "90", "%"),
]


def _cleanup(year: FiscalYear) -> None:
    projects = Project.objects.filter(year=year, code__startswith=PREFIX)
    with transaction.atomic():
        Indicator.objects.filter(sheet__project__in=projects).delete()
        TargetSheet.objects.filter(project__in=projects).delete()
        projects.delete()


def _workbook(year: FiscalYear, n_rows: int) -> tuple[bytes, list[Project]]:
    departments = list(Department.objects.filter(code__startswith="B").order_by("code"))
    n_projects = max(1, n_rows // PER_PROJECT)
    Project.objects.bulk_create(
        [
            Project(
                year=year,
                department=departments[p % len(departments)],
                code=f"{PREFIX}{p:05d}",
                name=f"导入测试项目{p:05d}",
                full_current=Decimal("100"),
                initial_current=Decimal("100"),
            )
            for p in range(n_projects)
        ],
        batch_size=2000,
    )
    projects = list(Project.objects.filter(year=year, code__startswith=PREFIX).order_by("code"))
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    ws = book.add_worksheet("数据")
    ws.write_row(0, 0, HEADERS)
    for n in range(n_rows):
        project = projects[n % len(projects)]
        level1, level2, comparator, target, unit = LINES[n % len(LINES)]
        ws.write_row(
            n + 1,
            0,
            [
                year.year,
                project.code,
                level1,
                level2,
                f"{level2}第{n // len(projects) + 1}项",
                comparator,
                target,
                unit,
                3,
                "计划标准",
            ],
        )
    book.close()
    return out.getvalue(), projects


def _floor(year: FiscalYear, path: Path, projects: list[Project]) -> float:
    """Parse the same file and bulk_create the same rows, no checks; rolled back."""
    categories = {
        (c.parent.name, c.name): c.id
        for c in IndicatorCategory.objects.filter(year=year, parent__isnull=False).select_related(
            "parent"
        )
    }
    by_code = {p.code: p for p in projects}
    start = time.perf_counter()
    with transaction.atomic():
        book = openpyxl.load_workbook(path, read_only=True)
        rows = list(book["数据"].iter_rows(min_row=2, values_only=True))
        book.close()
        TargetSheet.objects.bulk_create(
            [TargetSheet(year=year, department_id=p.department_id, project=p) for p in projects],
            batch_size=2000,
        )
        sheets = dict(
            TargetSheet.objects.filter(project__in=projects).values_list("project_id", "id")
        )
        # Lines are numbered within their sheet, as the engine numbers them (a city-wide running
        # number overflowed PostgreSQL's smallint at row 32,768).
        per_sheet: Counter[str] = Counter()
        orders = []
        for r in rows:
            orders.append(per_sheet[r[1]])
            per_sheet[r[1]] += 1
        Indicator.objects.bulk_create(
            [
                Indicator(
                    sheet_id=sheets[by_code[r[1]].id],
                    category_id=categories[(r[2], r[3])],
                    name=r[4],
                    comparator=r[5],
                    target_value=str(r[6]),
                    unit=r[7] or "",
                    weight=Decimal(r[8]),
                    basis=r[9],
                    order=order,
                )
                for r, order in zip(rows, orders, strict=True)
            ],
            batch_size=2000,
        )
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def import_figures(year_value: int, scale: float) -> list[tuple[str, str, str, str]]:
    year = FiscalYear.objects.get(year=year_value)
    n_rows = max(1000, round(100_000 * scale))
    _cleanup(year)
    data, projects = _workbook(year, n_rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "indicators.xlsx"
        path.write_bytes(data)
        floor = _floor(year, path, projects)
        engine, through_admin = _admin_beside_engine(year, path)
        product, peak_mb = _product(path)
    imported = Indicator.objects.filter(sheet__project__code__startswith=PREFIX).count()
    assert imported == n_rows, (imported, n_rows)
    _cleanup(year)
    ratio = product / floor
    if peak_mb is None:
        memory, verdict = "peak not measured (inside a test transaction)", ""
    else:
        memory = f"peak {peak_mb:,.0f} MB (child process, Django start-up included)"
        verdict = f"; peak {'<' if peak_mb < 1024 else '≥'} 1 GB"
    return [
        (
            f"import {n_rows:,} indicator rows (XLSX), preview + confirm",
            f"{product:.1f} s ({n_rows / product:,.0f} rows/s), {memory}",
            f"floor (openpyxl parse + bulk_create) {floor:.1f} s ({n_rows / floor:,.0f} rows/s)",
            f"{ratio:.2f}× the floor (target ≤ 1.2×){verdict}",
        ),
        (
            f"admin import (系统管理 → 三级指标 → 导入) of the same {n_rows:,} rows",
            f"{through_admin:.1f} s: upload, preview page, 确认导入, result page",
            f"the engine in the same process (services.import_now) {engine:.1f} s",
            f"{through_admin / engine:.2f}× the engine (target ≤ 1.2×)",
        ),
    ]


def _remove_lines(year: FiscalYear) -> None:
    projects = Project.objects.filter(year=year, code__startswith=PREFIX)
    with transaction.atomic():
        Indicator.objects.filter(sheet__project__in=projects).delete()
        TargetSheet.objects.filter(project__in=projects).delete()


def _admin_beside_engine(year: FiscalYear, path: Path) -> tuple[float, float]:
    """The same file imported twice in this process, Celery eager: by the engine's own call,
    then through the admin's django-import-export pages (the test client, every middleware)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, TestCase

    from config.celery import app
    from imports.models import ImportJob
    from imports.services import import_now

    data = path.read_bytes()
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(admin)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        start = time.perf_counter()
        job = import_now(kind="indicators", name=path.name, data=data, user=admin, via="网页")
        engine = time.perf_counter() - start
        if job.state != "done":
            raise RuntimeError(f"engine import failed: {job.message} {job.errors[:5]}")
        _remove_lines(year)

        def post(url: str, fields: dict):
            # the on-commit hooks (the Celery tasks) run when the request ends, as after its
            # commit, also inside the transaction of tests/test_bench.py
            with TestCase.captureOnCommitCallbacks(execute=True):
                return client.post(url, fields)

        start = time.perf_counter()
        upload = SimpleUploadedFile(path.name, data)
        page = post(reverse("admin:evaluations_indicator_import"), {"import_file": upload})
        client.get(page.url)
        job = ImportJob.objects.filter(created_by=admin).latest("pk")
        post(reverse("admin:evaluations_indicator_process_import"), {"job": job.pk})
        client.get(page.url)
        through_admin = time.perf_counter() - start
        job.refresh_from_db()
        if job.state != "done":
            raise RuntimeError(f"admin import failed: {job.message} {job.errors[:5]}")
        _remove_lines(year)
    finally:
        app.conf.task_always_eager = eager
    return engine, through_admin


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":  # the engine may be config.sqlite, our subclass
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _product(path: Path) -> tuple[float, float | None]:
    """The product's import of the file: `manage.py import_data` in a child process (its own
    peak memory), or in this process when the data lives in an uncommitted test transaction."""
    if connection.in_atomic_block:
        from imports.services import import_now

        start = time.perf_counter()
        job = import_now(kind="indicators", name=path.name, data=path.read_bytes())
        if job.state != "done":
            raise RuntimeError(f"import failed: {job.message} {job.errors[:5]}")
        return time.perf_counter() - start, None
    connection.close()  # the child writes to the same database
    env = dict(os.environ, DATABASE_URL=_database_url())
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_data", "indicators", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stdout[-500:]} {done.stderr[-2000:]}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
