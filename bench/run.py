"""`make bench`: the product beside what the machine can do, on a synthetic city.

Usage: python bench/run.py [--scale 1.0] [--database auto|postgres|sqlite] [--workers|--no-workers]
                          [--output bench/RESULTS.md]

Runs on a database of its own, so that no other data is touched (the city replaces every
department whose code starts with "B"): BENCH_DATABASE_URL when set; else, when DATABASE_URL names
a PostgreSQL server, the database `bench` on that server; else the SQLite file var/bench.sqlite3.
A PostgreSQL database is created if missing. `--database sqlite` takes the SQLite file whatever
the environment says, `--database postgres` refuses to run without a PostgreSQL URL. `--workers`
(the default with a Redis CELERY_BROKER_URL) adds the PDF export split across 1 and 2 real worker
processes. Prints one table and writes it, with date, commit, machine and load, into its section
of bench/RESULTS.md (one section per database; other sections of the file are kept).
Figures are ratios and query counts measured in the same run (absolute times drift on shared
machines). No figure is asserted here; CI runs this at 1/50 scale only to keep it working.
"""

import argparse
import io
import os
import platform
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


POSTGRES = ("postgres://", "postgresql://", "pgsql://")


def bench_database_url(database: str = "auto") -> str:
    """The benchmark's own database (see the module docstring); a PostgreSQL one is created."""
    from urllib.parse import urlsplit, urlunsplit

    sqlite = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if database == "sqlite" or (database == "auto" and not url.startswith(POSTGRES)):
        if database == "auto" and url:
            return url
        if database == "auto" and os.environ.get("DATABASE_URL", "").startswith(POSTGRES):
            url = ""  # fall through to the server's database `bench`
        else:
            (ROOT / "var").mkdir(exist_ok=True)
            return sqlite
    if not url.startswith(POSTGRES):
        server = os.environ.get("DATABASE_URL", "")
        if not server.startswith(POSTGRES):
            raise SystemExit(
                "--database postgres: set BENCH_DATABASE_URL or DATABASE_URL to a "
                "PostgreSQL server (postgres://user@host:5432/name)"
            )
        url = urlunsplit(urlsplit(server)._replace(path="/bench"))
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')
    return url


def _database_choice() -> str:
    for n, arg in enumerate(sys.argv):
        if arg.startswith("--database="):
            return arg.split("=", 1)[1]
        if arg == "--database" and n + 1 < len(sys.argv):
            return sys.argv[n + 1]
    return "auto"


if __name__ == "__main__":  # imported by the test run, the bench uses the test database
    os.environ["DATABASE_URL"] = bench_database_url(_database_choice())
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.city import YEAR, build_city  # noqa: E402
from bench.imports_bench import import_figures  # noqa: E402
from bench.pdf_workers import pdf_worker_figures  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def floor_xlsx(files) -> bytes:
    """The same cells (values and merges) written by XlsxWriter with no ORM and one format."""
    from reporting.tables.html import display

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for item in files:
            out = io.BytesIO()
            book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
            fmt = book.add_format({"border": 1, "text_wrap": True})
            for table in item.tables:
                sheet = book.add_worksheet()
                for cell in table.cells:
                    value = cell.value if cell.value is not None else ""
                    value = float(value) if not isinstance(value, str) else display(cell)
                    if cell.rowspan > 1 or cell.colspan > 1:
                        sheet.merge_range(
                            cell.row,
                            cell.col,
                            cell.row + cell.rowspan - 1,
                            cell.col + cell.colspan - 1,
                            value,
                            fmt,
                        )
                    else:
                        sheet.write(cell.row, cell.col, value, fmt)
            book.close()
            archive.writestr(item.path + ".xlsx", out.getvalue())
    return buffer.getvalue()


def export_figures(city) -> list[tuple[str, str, str, str]]:
    from django.contrib.auth import get_user_model

    from reporting import exports
    from reporting.models import ExportJob
    from reporting.tables import plan
    from reporting.tables.pdf import render_pdf

    admin, _ = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True}
    )
    ids = list(city.year.projects.values_list("department_id", flat=True).distinct())
    job = ExportJob.objects.create(
        created_by=admin,
        year=city.year,
        kind="project-self-evaluation",
        format="xlsx",
        department_ids=sorted(ids),
    )
    product, job = timed(lambda: exports.export_run(job_id=job.pk))
    assert job.state == "done", job.error
    files = plan.files_for("project-self-evaluation", city.year, set(ids), set())
    floor, _ = timed(lambda: floor_xlsx(files))
    rows = [
        (
            "export every 项目支出绩效自评表 as XLSX (ZIP), export task",
            f"{product:.1f} s ({len(files)} files)",
            f"floor (XlsxWriter, no ORM) {floor:.1f} s",
            f"{product / floor:.2f}× the floor (target ≤ 2×)",
        )
    ]
    department_files = [f for f in files if f.path.startswith(files[0].path.split("/")[0])]
    tables = [t for f in department_files for t in f.tables]
    render_pdf(tables[:1])  # the first render in a process loads WeasyPrint and fontconfig
    pdf_time, _ = timed(lambda: render_pdf(tables))
    per_table = pdf_time / len(tables)
    rows.append(
        (
            "one department's 项目支出绩效自评表 as PDF",
            f"{pdf_time:.2f} s",
            f"{len(tables)} tables",
            f"{per_table:.2f} s per table (target < 1 s)",
        )
    )
    rows.append(
        (
            "the city's 项目支出绩效自评表 as PDF (estimated)",
            f"≈ {per_table * len(files):.0f} s",
            f"{len(files)} tables",
            "estimated from the per-table time",
        )
    )
    return rows


def recompute_figures(city) -> list[tuple[str, str, str, str]]:
    from evaluations.models import IndicatorResult
    from evaluations.services import year_recompute

    results = IndicatorResult.objects.filter(evaluation__year=city.year).count()
    queries = []  # counted, not logged: the debug cursor would format each 2,000-row statement

    def counted(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        seconds, count = timed(lambda: year_recompute(fiscal_year=city.year))
    return [
        (
            "recompute every score of the year",
            f"{seconds:.2f} s",
            f"{results:,} results, {count:,} evaluations, {len(queries)} queries",
            "target < 2.5 s on PostgreSQL",
        )
    ]


def opening_figures(city) -> list[tuple[str, str, str, str]]:
    """Opening the next year from the city's (open_year --from): time and queries; the opened
    year is removed afterwards."""
    from bench.city import delete_year
    from evaluations.services import year_open

    delete_year(YEAR + 1)
    with CaptureQueriesContext(connection) as queries:
        seconds, opening = timed(lambda: year_open(year=YEAR + 1, previous=YEAR, actor=None))
    delete_year(YEAR + 1)
    return [
        (
            f"open {YEAR + 1} from {YEAR} (open_year --from)",
            f"{seconds:.1f} s",
            f"{len(opening.projects):,} projects, {opening.sheets:,} target sheets, "
            f"{opening.indicators:,} indicators copied; queries: {len(queries)}",
            "one transaction, bulk inserts",
        )
    ]


def bulk_review_figures(city) -> list[tuple[str, str, str, str]]:
    """批量审核 of every target sheet of the city (3,000 at scale 1) by one reviewer: the job's
    body, as the worker runs it (each form through the single action's service)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from evaluations.models import BulkReviewJob, FormState, TargetSheet
    from evaluations.services import bulk_review_run

    sheets = TargetSheet.objects.filter(year=city.year)
    sheets.update(state=FormState.SUBMITTED, submitted_at=timezone.now(), approved_at=None)
    items = [("targets", pk, version) for pk, version in sheets.values_list("pk", "version")]
    reviewer = get_user_model().objects.get(username="bench_reviewer")
    # the job as bulk_review_start records it (not queued: the worker's part is timed here)
    job = BulkReviewJob.objects.create(
        created_by=reviewer, year=city.year, action="approve", items=items, total=len(items)
    )
    queries = []  # counted, not logged: Django's query log keeps only the last 9,000

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        seconds, job = timed(lambda: bulk_review_run(job_id=job.pk))
    approved = len(job.passed)
    per_form = len(queries) / max(len(items), 1)
    return [
        (
            f"bulk approval of {len(items):,} target sheets (批量审核, the job's body)",
            f"{seconds:.1f} s",
            f"{approved:,} approved, {len(queries):,} queries ({per_form:.1f} a form)",
            "no timeout: a Celery job above 200 forms; fixed queries a form",
        )
    ]


def page_figures(city) -> list[tuple[str, str, str, str]]:
    from django.contrib.auth import get_user_model

    from budgets.models import Department, Membership
    from evaluations.models import IndicatorResult, SelfEvaluation
    from tests.factories import IndicatorFactory

    users = get_user_model().objects
    small_clerk, _ = users.get_or_create(username="bench_small_clerk")
    small_reviewer, _ = users.get_or_create(username="bench_small_reviewer")
    big_clerk, _ = users.get_or_create(username="bench_big_clerk")
    unit = Department.objects.filter(code__startswith="B", parent__isnull=False).first()
    bureaus = Department.objects.filter(code__startswith="B", parent__isnull=True)
    Membership.objects.get_or_create(user=small_clerk, department=unit, role="clerk")
    Membership.objects.get_or_create(user=small_reviewer, department=unit, role="reviewer")
    for bureau in bureaus:
        Membership.objects.get_or_create(user=big_clerk, department=bureau, role="clerk")
    big_reviewer = users.get(username="bench_reviewer")
    small_form = SelfEvaluation.objects.filter(year=city.year, department=unit).first()
    big_form = SelfEvaluation.objects.filter(year=city.year).exclude(department=unit).first()
    sheet = big_form.project.target_sheet
    if big_form.results.count() < 30:
        for n in range(30 - big_form.results.count()):
            indicator = IndicatorFactory(sheet=sheet, name=f"补充指标{n}", weight=0)
            IndicatorResult.objects.create(
                evaluation=big_form, indicator=indicator, actual_value="100"
            )
    year = f"?year={city.year.year}"
    pages = [
        ("clerk home", small_clerk, big_clerk, reverse("home") + year, reverse("home") + year),
        (
            "self-evaluation form (15 → 30 indicators)",
            small_reviewer,
            big_reviewer,
            reverse("evaluation", args=[small_form.pk]),
            reverse("evaluation", args=[big_form.pk]),
        ),
        (
            "review queue (1 unit → all departments)",
            small_reviewer,
            big_reviewer,
            reverse("review_queue") + year,
            reverse("review_queue") + year,
        ),
        (
            "finance dashboard (1 unit → all departments)",
            small_reviewer,
            big_reviewer,
            reverse("dashboard") + year,
            reverse("dashboard") + year,
        ),
    ]
    rows = []
    # core/freshness.py
    cached_parts = {"clerk home", "self-evaluation form", "review queue", "finance dashboard"}
    for label, small_user, big_user, small_url, big_url in pages:
        with override_settings(PAGE_CACHE_SECONDS=0):  # every request draws the page
            small_queries, _ = measure(small_user, small_url, 3)
            big_queries, times = measure(big_user, big_url, 50)
        measured = f"{statistics.median(times):.0f} ms median (50 requests)"
        queries = f"queries: {small_queries} small, {big_queries} at city scale"
        if label.split(" (")[0] in cached_parts:
            hit_queries, hits = measure(big_user, big_url, 50)
            measured = (
                f"{statistics.median(times):.0f} ms median drawn, "
                f"{statistics.median(hits):.0f} ms from the cache (50 requests each)"
            )
            queries += f"; {hit_queries} from the cache"
        rows.append((label, measured, queries, "equal queries; median < 100 ms"))
    return rows


def measure(user, url, repeat: int) -> tuple[int, list[float]]:
    client = Client()
    client.force_login(user)
    client.get(url)  # warm up (session, caches)
    reset_queries()  # Django empties the log at each request start: capture from an empty log
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries)  # now: the context slices the live log, which later requests reset
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        reset_queries()
        seconds, _ = timed(lambda: client.get(url))
        times.append(seconds * 1000)
    return count, times


def monitoring_figures(city) -> list[tuple[str, str, str, str]]:
    """The city's 绩效目标执行监控表 exported as the self-evaluation tables are: a round opened
    by the service (a sheet per approved target), filled in bulk, exported by the export task."""
    import datetime
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from evaluations.models import MonitoringLine, MonitoringSheet
    from evaluations.services.monitoring import compute_lights, monitoring_round_open
    from reporting import exports
    from reporting.models import ExportJob
    from reporting.tables import plan

    admin, _ = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_superuser": True}
    )
    opened, round_ = timed(
        lambda: monitoring_round_open(
            user=admin,
            year=city.year,
            name="7月监控",
            as_of=datetime.date(city.year.year, 7, 31),
            deadline=datetime.date(city.year.year, 8, 15),
        )
    )
    sheets = list(MonitoringSheet.objects.filter(round=round_).select_related("round", "year"))
    lines = list(MonitoringLine.objects.filter(sheet__round=round_).order_by("id"))
    by_sheet: dict[int, list] = {}
    for n, line in enumerate(lines):
        line.actual_to_date, line.predicted_value = "50", "100"
        line.likelihood = ("certain", "possible", "impossible")[n % 3]
        if line.likelihood != "certain":
            line.deviation_category, line.deviation_reason = "other", "进度滞后"
        line.measures = "加快进度"
        by_sheet.setdefault(line.sheet_id, []).append(line)
    for sheet in sheets:
        budget = sheet.annual_budget or Decimal("100")
        sheet.executed_to_date = (budget * Decimal("0.5")).quantize(Decimal("0.01"))
        sheet.predicted_execution = budget
        compute_lights(sheet, by_sheet.get(sheet.id, []))
    fields = ["executed_to_date", "predicted_execution", "light", "funds_light"]
    MonitoringSheet.objects.bulk_update(sheets, fields, batch_size=2000)
    line_fields = [
        "actual_to_date",
        "predicted_value",
        "likelihood",
        "deviation_category",
        "deviation_reason",
        "measures",
        "light",
    ]
    MonitoringLine.objects.bulk_update(lines, line_fields, batch_size=2000)
    ids = sorted({s.department_id for s in sheets})
    job = ExportJob.objects.create(
        created_by=admin, year=city.year, kind="monitoring", format="xlsx", department_ids=ids
    )
    product, job = timed(lambda: exports.export_run(job_id=job.pk))
    assert job.state == "done", job.error
    files = plan.files_for("monitoring", city.year, set(ids), set())
    floor, _ = timed(lambda: floor_xlsx(files))
    return [
        (
            "open a monitoring round (a 监控表 per approved target)",
            f"{opened:.1f} s",
            f"{len(sheets):,} sheets, {len(lines):,} lines",
            "monitoring_round_open",
        ),
        (
            "export every 绩效目标执行监控表 as XLSX (ZIP), export task",
            f"{product:.1f} s ({len(files)} files)",
            f"floor (XlsxWriter, no ORM) {floor:.1f} s",
            f"{product / floor:.2f}× the floor (target ≤ 2×, as the 自评表)",
        ),
    ]


SECTION = "<!-- make bench: {vendor} -->"
END = "<!-- /make bench: {vendor} -->"


def main(
    scale: float = 1.0,
    output: Path | None = ROOT / "bench" / "RESULTS.md",
    workers: bool = False,
) -> str:
    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    seconds, city = timed(lambda: build_city(scale))
    rows = [
        (
            "synthetic city",
            f"{seconds:.1f} s to build",
            f"{city.departments} departments, {city.projects:,} projects, "
            f"{city.indicators:,} indicators with results",
            f"scale {scale:g}",
        )
    ]
    rows += import_figures(YEAR, scale)
    rows += export_figures(city)
    rows += monitoring_figures(city)
    if workers:
        rows += pdf_worker_figures(city)
    rows += recompute_figures(city)
    rows += opening_figures(city)
    rows += page_figures(city)
    rows += bulk_review_figures(city)
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    after = os.getloadavg()
    header = (
        f"## make bench · {connection.vendor}\n\n{time.strftime('%Y-%m-%d %H:%M')} · commit "
        f"{commit} · {platform.machine()} {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · {connection.vendor} · load average {load[0]:.1f} at the "
        f"start, {after[0]:.1f} at the end (a shared machine: ratios within the run count)\n\n"
    )
    table = "| figure | measured | beside | against the target |\n|---|---|---|---|\n"
    table += "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows)
    text = header + table
    print(text)
    if output is not None:
        write_section(output, connection.vendor, text)
    return text


def write_section(output: Path, vendor: str, text: str) -> None:
    """Replace this database's section of the results file, keeping every other section (the
    other database's, `make load`'s)."""
    start, end = SECTION.format(vendor=vendor), END.format(vendor=vendor)
    block = f"{start}\n{text}{end}\n"
    old = output.read_text(encoding="utf-8") if output.exists() else "# Benchmarks\n"
    if start in old and end in old:
        before, rest = old.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        new = before + block + ("\n" + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    output.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database", choices=["auto", "postgres", "sqlite"], default="auto")
    parser.add_argument(
        "--workers",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    main(args.scale, Path(args.output), workers=args.workers)
