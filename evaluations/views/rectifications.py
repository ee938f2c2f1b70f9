"""整改通知: the year's list (finance: with the candidates and the issue form; the unit: its own
notices), one notice (both sides), its evidence files."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from budgets.access import access_for, visible_departments
from core import files
from core.errors import UserError
from core.http import BadParameter, optional_id, optional_int

from .. import rectifications as reads
from .. import selectors, workflow
from ..models import NoticeState
from ..services import rectifications as notice_services


def _date(value: str):
    try:
        return parse_date((value or "").strip())
    except ValueError:  # well formed but no such day (2026-02-30)
        return None


def _subject(key: str) -> tuple[int | None, int | None]:
    kind, _, pk = (key or "").partition(":")
    if kind not in ("evaluation", "line"):
        raise BadParameter("未知的整改对象。")
    pk = optional_id(pk, "整改对象")
    return (pk, None) if kind == "evaluation" else (None, pk)


@login_required
def rectifications(request):
    """整改通知 of a year: finance sees those of the departments it reviews, the candidates
    (中/差 self-evaluations, red monitoring lines) and issues; the unit sees its own."""
    access = access_for(request.user)
    if not access.is_admin and not access.roles():
        raise Http404("未找到该页面。")
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    finance = reads.is_finance(request.user)
    state = request.GET.get("state", "")
    if state not in NoticeState.values:
        state = ""
    department_id = optional_id(request.GET.get("department"), "单位")
    typed = {}
    if request.method == "POST":
        if fiscal_year is None or not finance:
            raise Http404("未找到该页面。")
        typed = {k: request.POST.get(k, "") for k in ("requirement", "due_date")}
        try:
            common = {
                "user": request.user,
                "fiscal_year": fiscal_year,
                "requirement": typed["requirement"],
                "due_date": _date(typed["due_date"]),
            }
            if request.POST.get("action") == "bulk":
                issued = notice_services.notices_issue_all(**common, department_id=department_id)
                messages.success(request, f"已下达 {len(issued)} 份整改通知。")
            else:
                evaluation_id, line_id = _subject(request.POST.get("subject", ""))
                notice = notice_services.notice_issue(
                    **common, evaluation_id=evaluation_id, line_id=line_id
                )
                messages.success(request, f"已下达整改通知：{notice.title}")
            return redirect(request.get_full_path())
        except UserError as error:
            messages.error(request, f"{error}（未下达，您填写的内容已保留）")
    today = timezone.localdate()
    rows = list(
        reads.notices(request.user, fiscal_year, state=state, department_id=department_id)
        if fiscal_year
        else []
    )
    for notice in rows:
        notice.overdue_days = workflow.notice_overdue_days(notice, today)
    return render(
        request,
        "evaluations/rectifications.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "finance": finance,
            "notices": rows,
            "state": state,
            "states": NoticeState.choices,
            "department": department_id,
            "departments": visible_departments(request.user) if finance else [],
            "candidates": reads.candidates(request.user, fiscal_year, department_id)
            if finance and fiscal_year
            else [],
            "typed": typed,
            "today": today,
        },
    )


@login_required
def rectification(request, pk: int):
    """One 整改通知: the requirement, the unit's answer with its evidence, the history; the unit
    answers, finance closes or sends back."""
    notice = reads.notice_for(request.user, pk)
    typed = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        version = optional_int(request.POST.get("version"), "版本")
        typed = {"answer": request.POST.get("answer", ""), "text": request.POST.get("text", "")}
        try:
            if action == "answer":
                notice_services.notice_answer(
                    notice=notice,
                    user=request.user,
                    answer=typed["answer"],
                    uploads=request.FILES.getlist("files"),
                    version=version,
                )
                messages.success(request, "已提交整改情况，等待财政部门确认。")
            elif action in ("close", "send_back"):
                notice_services.notice_decide(
                    notice=notice,
                    user=request.user,
                    action=action,
                    text=typed["text"],
                    version=version,
                )
                transition = workflow.NOTICE_TRANSITIONS[action]
                messages.success(request, f"已{transition.label}。")
            else:
                raise BadParameter("未知的操作。")
            return redirect("rectification", pk=notice.pk)
        except UserError as error:
            messages.error(request, f"{error}（未保存，您填写的内容已保留）")
        notice = reads.notice_for(request.user, pk)
    return render(
        request,
        "evaluations/rectification.html",
        {
            "notice": notice,
            "files": list(notice.files.all()),
            "actions": {t.name: t for t in workflow.notice_allowed(request.user, notice)},
            "overdue_days": workflow.notice_overdue_days(notice),
            "history": selectors.history(notice),
            "history_places": notice.year.score_places,
            "typed": typed,
            "max_mb": settings.EVIDENCE_MAX_BYTES // 1048576,
            "back": f"{reverse('rectifications')}?year={notice.year.year}",
        },
    )


@login_required
def rectification_file(request, pk: int):
    item = reads.notice_file_for(request.user, pk)
    return files.download(item.file, item.original_name)


@login_required
@require_POST
def rectification_file_delete(request, pk: int):
    item = reads.notice_file_for(request.user, pk)
    notice_pk = item.notice_id
    notice_services.notice_file_remove(item=item, user=request.user)
    messages.success(request, f"已删除：{item.original_name}")
    return redirect("rectification", pk=notice_pk)
