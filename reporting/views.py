"""The pages of the reporting app: the dashboard, one evaluation's printable table and the
exports (request, follow, download). URL names are those the pages had under evaluations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse

from budgets.access import access_for
from budgets.access import visible_departments as access_scope_departments
from budgets.context_processors import frame_shown
from core import files
from core.errors import UserError
from core.freshness import cached_page, cached_part
from core.http import optional_id, optional_int
from evaluations import consistency, rectifications, selectors, workflow

from . import dashboard as boards
from . import exports as services
from . import monitoring
from . import selectors as reporting_selectors
from .models import ExportJob
from .tables import registry as tables
from .tables.html import render_html


@login_required
def dashboard(request):
    """绩效看板: a year across the departments a finance reviewer covers (administrators: all),
    every figure linking to the forms behind it. Not a unit's page: others get 404. Cached under
    the data generation (core/freshness.py): drawn again after any write; its data part is shared
    by the reviewers of the same access."""
    units, round_id = request.GET.get("units") or "", request.GET.get("round") or ""
    key = ["dashboard", (request.GET.get("year") or "")[:20], units[:20], round_id[:20]]

    def draw() -> dict:
        if not boards.may_view(request.user):
            raise Http404("未找到该页面。")

        def context() -> dict:  # the year is read only when the part is drawn
            all_years = selectors.years()
            fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
            return {
                "years": all_years,
                **_dashboard_context(request.user, fiscal_year, units, round_id),
            }

        shared = [*key, access_for(request.user).fingerprint()]
        return {"part": cached_part(shared, "reporting/_dashboard_board.html", context)}

    return cached_page(request, key, "reporting/dashboard.html", draw, shown=frame_shown(request))


def _dashboard_context(user, fiscal_year, units: str, round_id: str) -> dict:
    board = boards.dashboard_for(user, fiscal_year, department_page=units) if fiscal_year else None
    rounds = monitoring.rounds_of(fiscal_year)
    monitoring_round = monitoring.round_chosen(rounds, round_id)
    return {
        "year": fiscal_year,
        "board": board,
        "flag_labels": consistency.LABELS,
        "mismatch_low": boards.MISMATCH_LOW,
        "mismatch_high": boards.MISMATCH_HIGH,
        "adjustments_url": boards.adjustments_url(fiscal_year) if fiscal_year else "",
        "monitoring_rounds": rounds,
        "monitoring": monitoring.board_for(user, monitoring_round),
        # 整改通知 by where they are (one query): its own tile
        "notices": rectifications.counts(user, fiscal_year) if fiscal_year else None,
    }


@login_required
def evaluation_table(request, pk: int):
    """The standard table of one self-evaluation, as it prints (A4, from the same description
    as the XLSX and PDF)."""
    evaluation = selectors.evaluation_for(request.user, pk)
    table = tables.evaluation_table(evaluation)
    return render(
        request,
        "tables/page.html",
        {
            "table": render_html(table),
            "title": table.title,
            "back": reverse("evaluation", args=[pk]),
        },
    )


def _wants_json(request) -> bool:
    """The export buttons' script (exports.js) asks for JSON; a plain form post (no script)
    gets the page."""
    return "application/json" in request.headers.get("Accept", "")


def _request_export(request, all_years) -> ExportJob:
    year = optional_int(request.POST.get("year"), "年度")
    fiscal_year = selectors.year_or_current(all_years, year)
    department = optional_id(request.POST.get("department"))
    project = optional_id(request.POST.get("project"))
    if fiscal_year is None:
        raise workflow.WorkflowError("尚未设置年度。")
    if year is not None and fiscal_year.year != year:
        # a request for another year's export must not become one of the current year
        raise workflow.WorkflowError(f"未找到{year}年度。")
    return services.export_request(
        user=request.user,
        kind=request.POST.get("kind", ""),
        fmt=request.POST.get("format", ""),
        year=fiscal_year,
        department_ids=[department] if department else None,
        project_ids=[project] if project else None,
    )


def _job_json(job: ExportJob) -> dict:
    """What the export buttons' script shows of a job (the same on the form and on 我的导出)."""
    return {
        "state": job.state,
        "label": job.progress_label(),
        "progress": job.progress,
        "done": job.files_done,
        "total": job.files_total,
        "error": job.error,
        "filename": job.filename if job.state == ExportJob.State.DONE else "",
        "size": filesizeformat(job.file_size) if job.file_size is not None else "",
        "status": reverse("export_status", args=[job.pk]),
        "download": reverse("export_download", args=[job.pk])
        if job.state == ExportJob.State.DONE and job.file
        else "",
    }


@login_required
def exports(request):
    """Request exports and follow them: progress bars update by themselves (exports.js).

    A post from the buttons' script (on this page or on a form) answers JSON: the job, and its
    row of 我的导出; the page that posted stays where it is and follows the job. A plain post (no
    script) comes back to this page with a message. A refusal (WorkflowError) rises to
    UserErrorMiddleware: the message, this page again; a script gets it as JSON."""
    all_years = selectors.years()
    if request.method == "POST":
        if not _wants_json(request):
            job = _request_export(request, all_years)
            messages.success(request, f"已提交导出：{job.scope or job}。生成后可在下方下载。")
            return redirect("exports")
        try:
            job = _request_export(request, all_years)
        except UserError as error:
            return JsonResponse(
                {"error": str(error)}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        job.refresh_from_db()  # with eager Celery (development) the job ran on commit
        row = render_to_string("reporting/_export_row.html", {"job": job}, request)
        data = _job_json(job) | {"row": row}
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    return render(
        request,
        "reporting/exports.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "jobs": reporting_selectors.export_jobs_of(request.user),
            "kinds": ExportJob.Kind.choices,
            "formats": ExportJob.Format.choices,
            "departments": access_scope_departments(request.user),
        },
    )


@login_required
def export_status(request, pk: int):
    """One of the user's own jobs as JSON (1 query), polled by exports.js."""
    job = reporting_selectors.export_job_of(request.user, pk)
    if job is None:
        raise Http404("未找到该导出任务。")
    return JsonResponse(_job_json(job), json_dumps_params={"ensure_ascii": False})


@login_required
def export_download(request, pk: int):
    job = reporting_selectors.downloadable_job(request.user, pk)
    if job is None:
        raise Http404("未找到该文件，或您无权下载。")
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404("文件尚未生成或已过期，请重新导出。")
    return files.download(job.file, job.filename)


# 绩效运行监控 ------------------------------------------------------------------------------------


@login_required
def monitoring_table(request, pk: int):
    """The 绩效目标执行监控表 of one sheet, as it prints (same description as XLSX and PDF)."""
    sheet = monitoring.sheet_for(request.user, pk)
    table = tables.monitoring_table(sheet)
    return render(
        request,
        "tables/page.html",
        {
            "table": render_html(table),
            "title": table.title,
            "back": reverse("monitoring_sheet", args=[sheet.pk]),
            "export": {
                "kind": ExportJob.Kind.MONITORING,
                "year": sheet.year.year,
                "sheet": sheet,
                "formats": [("xlsx", " Excel（离线填报表）"), ("pdf", " PDF")],
            },
        },
    )


@login_required
def monitoring_summary(request):
    """监控情况汇总表 for finance: a round's counts per light, 执行率 against 时间进度 and the
    forms' states by department, with its export buttons. Not a unit's page: others get 404."""
    if not boards.may_view(request.user):
        raise Http404("未找到该页面。")
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    rounds = monitoring.rounds_of(fiscal_year)
    round_ = monitoring.round_chosen(rounds, request.GET.get("round"))
    departments = monitoring.reviewed_ids(request.user)
    table = (
        tables.monitoring_summary_table(
            round_, set(departments) if departments is not None else None
        )
        if round_
        else None
    )
    return render(
        request,
        "reporting/monitoring_summary.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "rounds": rounds,
            "round": round_,
            "table": render_html(table) if table else "",
            "formats": [("xlsx", "汇总表 Excel"), ("pdf", "汇总表 PDF")],
            "bundle_formats": [("xlsx", "各单位监控表 Excel")],
        },
    )
