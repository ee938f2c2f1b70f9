"""目标申报进度: the year's 绩效目标 by department for finance (the reviewer's departments;
administrators: all), on screen and as XLSX, with 催办 to one department or every late one.

Per department: 应填报 = its projects of the year + its 部门整体 sheet (as the 待办 counts what a
unit must start); 未开始 = 应填报 − the sheets that exist; 逾期 = the sheets past the year's
绩效目标申报截止日期 still with the unit (workflow.overdue_q) + those not started once it passed.
Four queries whatever the number of departments and forms.
"""

import datetime
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, IntegerField, Sum, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from budgets.access import Role, access_for
from budgets.models import Department, FiscalYear, Project
from core.errors import UserError
from core.http import optional_id
from evaluations import selectors, workflow
from evaluations.models import FormState, TargetSheet
from evaluations.services import notices

from . import filenames
from .tables.progress import progress_table
from .tables.xlsx import render_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Row:
    department: Department | None = None
    expected: int = 0
    not_started: int = 0
    draft: int = 0
    returned: int = 0
    submitted: int = 0
    approved: int = 0
    overdue: int = 0

    @property
    def done(self) -> bool:
        return self.expected > 0 and self.approved == self.expected


def may_view(user) -> bool:
    access = access_for(user)
    return access.is_admin or Role.REVIEWER in access.roles()


def progress_rows(user, fiscal_year: FiscalYear, today: datetime.date | None = None):
    """(rows by department code, the total row)."""
    today = today or timezone.localdate()
    access = access_for(user)
    departments = Department.objects.filter(is_active=True).order_by("code")
    if not access.is_admin:
        departments = departments.filter(pk__in=access.by_role.get(Role.REVIEWER, frozenset()))
    rows = {d.pk: Row(d) for d in departments}
    projects = dict(
        Project.objects.filter(year=fiscal_year, department_id__in=rows)
        .values("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    late_q = workflow.overdue_q(fiscal_year, today, TargetSheet)
    late = (
        Case(When(late_q, then=Value(1)), default=Value(0), output_field=IntegerField())
        if late_q is not None
        else Value(0, output_field=IntegerField())
    )
    sheets = (
        TargetSheet.objects.filter(year=fiscal_year, department_id__in=rows)
        .values("department_id", "state")
        .annotate(n=Count("id"), late=Sum(late))
        .order_by()
    )
    deadline = workflow.year_deadline(fiscal_year, "targets")
    past = deadline is not None and today > deadline
    for pk, row in rows.items():
        row.expected = projects.get(pk, 0) + 1
        row.not_started = row.expected
    for s in sheets:
        row = rows[s["department_id"]]
        row.not_started -= s["n"]
        row.overdue += s["late"] or 0
        if s["state"] == FormState.DRAFT:
            row.draft += s["n"]
        elif s["state"] == FormState.RETURNED:
            row.returned += s["n"]
        elif s["state"] == FormState.APPROVED:
            row.approved += s["n"]
        else:  # 待负责人确认, 待主管部门审核, 已提交
            row.submitted += s["n"]
    total = Row()
    for row in rows.values():
        row.not_started = max(row.not_started, 0)
        if past:
            row.overdue += row.not_started
        for name in ("expected", "not_started", "draft", "returned", "submitted", "approved"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.overdue += row.overdue
    return list(rows.values()), total


def deadline_text(fiscal_year: FiscalYear, today: datetime.date) -> str:
    deadline = workflow.year_deadline(fiscal_year, "targets")
    if deadline is None:
        return "未设置申报截止日期"
    days = (deadline - today).days
    state = f"已截止 {-days} 天" if days < 0 else "今天截止" if days == 0 else f"还剩 {days} 天"
    return f"申报截止日期 {deadline:%Y-%m-%d}，{state}"


@login_required
def target_progress(request):
    """The page (GET; `format=xlsx` downloads the table) and 催办 (POST: `department`, or
    `all` for every late department)."""
    if not may_view(request.user):
        raise Http404("未找到该页面。")
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    if fiscal_year is None:
        return render(request, "reporting/target_progress.html", {"years": all_years})
    here = reverse("target_progress") + "?" + urlencode({"year": fiscal_year.year})
    if request.method == "POST":
        try:
            everyone = bool(request.POST.get("all"))
            department = None if everyone else optional_id(request.POST.get("department"), "单位")
            if department is None and not everyone:
                raise UserError("请选择要催办的单位。")
            result = notices.urge(
                user=request.user, fiscal_year=fiscal_year, department_id=department
            )
        except UserError as error:
            messages.error(request, str(error))
            return redirect(here)
        if result["sent"]:
            messages.success(
                request,
                f"已向 {len(result['sent'])} 个单位发出催办：" + "、".join(result["sent"]) + "。",
            )
        if result["skipped"]:
            messages.warning(
                request,
                "今天已催办过，未重复发送："
                + "、".join(result["skipped"])
                + "（每个单位每天催办一次）。",
            )
        if result["nobody"]:
            messages.warning(
                request,
                "没有填报人或负责人账号，无法催办：" + "、".join(result["nobody"]) + "。",
            )
        return redirect(here)
    today = timezone.localdate()
    rows, total = progress_rows(request.user, fiscal_year, today)
    if request.GET.get("format") == "xlsx":
        table = progress_table(fiscal_year.year, rows, total, deadline_text(fiscal_year, today))
        name = filenames.export_name(fiscal_year.year, "", "绩效目标申报进度表", "xlsx")
        return FileResponse(
            io.BytesIO(render_xlsx([table])), as_attachment=True, filename=name, content_type=XLSX
        )
    return render(
        request,
        "reporting/target_progress.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "rows": rows,
            "total": total,
            "deadline": deadline_text(fiscal_year, today),
            "late_departments": sum(1 for r in rows if r.overdue),
        },
    )
