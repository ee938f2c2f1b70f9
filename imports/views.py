"""批量导入 pages: upload, preview, confirm, the failed rows, the templates; and the clerk's
upload of a filled 项目支出绩效自评表."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from budgets.access import get_visible_or_404
from core.errors import back_to
from core.http import optional_int
from evaluations import selectors
from evaluations.models import MonitoringSheet
from evaluations.services import editing_refusal
from evaluations.services.monitoring import editing_refusal as monitoring_editing_refusal

from . import accounts, services
from .files import FileRefused
from .kinds import Context
from .models import ImportJob
from .workbooks import failed_rows, template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_SHOWN = 200


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _upload(request) -> tuple[str, bytes] | None:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要上传的文件。")
        return None
    if upload.size > settings.IMPORT_MAX_BYTES:
        mb = settings.IMPORT_MAX_BYTES // 1024 // 1024
        messages.error(request, f"文件超过 {mb}MB 的上限，未导入。")
        return None
    return upload.name, upload.read()


def _job_page(request, pk: int) -> str:
    return reverse("import_job", args=[pk])


def _evaluation_page(request, pk: int) -> str:
    return reverse("evaluation", args=[pk])


@login_required
def imports(request):
    kinds = services.kinds_for(request.user)
    if not kinds:
        raise Http404("您没有可导入的数据类型。")
    all_years = selectors.years()
    if request.method == "POST":
        upload = _upload(request)
        if upload:
            wanted = optional_int(request.POST.get("year"), "年度")
            year = selectors.year_or_current(all_years, wanted) if wanted else None
            # a refusal (ImportRefused) rises to UserErrorMiddleware: the message, this page again
            job = services.job_create(
                user=request.user,
                kind=request.POST.get("kind", ""),
                name=upload[0],
                data=upload[1],
                year=year,
            )
            return redirect("import_job", pk=job.pk)
        return redirect("imports")
    jobs = services.visible_jobs(request.user)[:20]
    return render(
        request,
        "imports/index.html",
        {
            "kinds": kinds,
            "years": all_years,
            "jobs": jobs,
            "max_mb": settings.IMPORT_MAX_BYTES // 1024 // 1024,
        },
    )


@login_required
def import_template(request):
    kind = request.GET.get("kind", "")
    if kind not in dict(services.kinds_for(request.user)):
        raise Http404
    label = ImportJob.Kind(kind).label
    return _xlsx(template(kind, Context(user=request.user)), f"{label}导入模板.xlsx")


def _job(request, pk: int) -> ImportJob:
    return get_object_or_404(services.visible_jobs(request.user), pk=pk)


@login_required
def import_job(request, pk: int):
    job = _job(request, pk)
    shown = job.preview[:PREVIEW_SHOWN]
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "rows": shown,
            "more": max(0, len(job.preview) - len(shown)),
            "error_count": len(job.errors),
            # the error workbook holds these rows only; nothing of the file was imported
            "failed_rows": (job.counts or {}).get("error", 0),
            "passed_rows": sum(
                (job.counts or {}).get(k, 0) for k in ("new", "update", "unchanged")
            ),
            "back": reverse("evaluation", args=[job.evaluation_id])
            if job.evaluation_id
            else (
                reverse("monitoring_sheet", args=[job.monitoring_sheet_id])
                if job.monitoring_sheet_id
                else None
            ),
            "first_login": _first_login(request, job),
        },
    )


def _first_login(request, job: ImportJob) -> list:
    """After an import of users: the one-time links of the new accounts (made now, not stored)."""
    if job.kind != ImportJob.Kind.USERS or job.state != ImportJob.State.DONE:
        return []
    return accounts.first_login_links(request, accounts.users_of_job(job))


@login_required
def import_status(request, pk: int):
    job = _job(request, pk)
    return JsonResponse(
        {
            "state": job.state,
            "label": job.get_state_display(),
            "progress": job.progress,
            "finished": job.state not in ("queued", "previewing", "importing"),
        }
    )


@login_required
@require_POST
@back_to(_job_page)
def import_confirm(request, pk: int):
    job = _job(request, pk)
    services.job_confirm(job=job, user=request.user)
    return redirect("import_job", pk=job.pk)


@login_required
def import_failed(request, pk: int):
    job = _job(request, pk)
    if not job.errors or job.kind in services.TABLE_KINDS:
        raise Http404("没有错误行。")
    stem = job.original_name.rsplit(".", 1)[0]
    try:
        content = failed_rows(job)
    except FileRefused as exc:  # the file no longer passes (limits lowered since): say so
        raise Http404(str(exc)) from exc
    return _xlsx(content, f"{stem}-错误行.xlsx")


@login_required
@require_POST
@back_to(_evaluation_page)
def evaluation_import(request, pk: int):
    """A clerk uploads the filled 绩效自评表 of this evaluation; the preview shows the changes."""
    evaluation = selectors.evaluation_for(request.user, pk)
    refusal = editing_refusal(request.user, evaluation)
    if refusal:
        messages.error(request, refusal)
        return redirect("evaluation", pk=pk)
    upload = _upload(request)
    if upload is None:
        return redirect("evaluation", pk=pk)
    job = services.job_create(
        user=request.user,
        kind=ImportJob.Kind.EVALUATION_TABLE,
        name=upload[0],
        data=upload[1],
        year=evaluation.year,
        evaluation=evaluation,
    )
    return redirect("import_job", pk=job.pk)


def _monitoring_page(request, pk: int) -> str:
    return reverse("monitoring_sheet", args=[pk])


@login_required
@require_POST
@back_to(_monitoring_page)
def monitoring_import(request, pk: int):
    """A clerk uploads the filled offline 绩效目标执行监控表 of this sheet; the preview shows the
    changes, per cell, before anything is saved."""
    sheet = get_visible_or_404(
        MonitoringSheet.objects.select_related("round", "year", "department", "project"),
        request.user,
        pk=pk,
    )
    refusal = monitoring_editing_refusal(request.user, sheet)
    if refusal:
        messages.error(request, refusal)
        return redirect("monitoring_sheet", pk=pk)
    upload = _upload(request)
    if upload is None:
        return redirect("monitoring_sheet", pk=pk)
    job = services.job_create(
        user=request.user,
        kind=ImportJob.Kind.MONITORING_TABLE,
        name=upload[0],
        data=upload[1],
        year=sheet.year,
        monitoring_sheet=sheet,
    )
    return redirect("import_job", pk=job.pk)
