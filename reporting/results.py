"""结果应用表 on screen, as XLSX and PDF (the same table description as the export), and
finance's change of one row's suggestion (with a reason). Finance reviewers see the departments
they review, administrators all; anyone else gets 404."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from core.errors import UserError
from core.http import optional_id
from evaluations import application, selectors
from evaluations import spot_check_selectors as spot
from evaluations.services import spot_checks as services

from . import filenames
from .tables import results_application as results_table
from .tables.pdf import render_pdf
from .tables.xlsx import render_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "结果应用表"


@login_required
def results_application(request):
    """GET: the table (`format=xlsx` or `pdf` downloads it); POST: change one row's suggestion
    (`evaluation`, `suggestion`, `reason`); a refusal shows the page again with what was typed."""
    if not spot.may_spot_check(request.user):
        raise Http404("未找到该页面。")
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    if fiscal_year is None:
        return render(request, "reporting/results_application.html", {"years": all_years})
    here = reverse("results_application") + "?" + urlencode({"year": fiscal_year.year})
    failed = None
    if request.method == "POST":
        pk = optional_id(request.POST.get("evaluation"), "自评表")
        if pk is None:
            raise Http404("未找到该自评表，或您无权查看。")
        evaluation = spot.evaluation_for_results(request.user, pk)
        suggestion = request.POST.get("suggestion", "")
        reason = request.POST.get("reason", "")[: services.REASON_MAX + 10]
        try:
            services.result_suggestion_set(
                evaluation=evaluation, user=request.user, suggestion=suggestion, reason=reason
            )
        except UserError as error:
            messages.error(request, str(error))
            failed = {"evaluation": pk, "suggestion": suggestion, "reason": reason}
        else:
            messages.success(request, f"已调整“{evaluation.title}”的建议为“{suggestion}”。")
            return redirect(f"{here}#row-{pk}")
    scope = spot.spot_check_scope(request.user)
    rows = results_table.gather_results_application(
        fiscal_year, None if scope is None else set(scope)
    )
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf") and failed is None:
        table = results_table.results_application_table(
            fiscal_year.year, rows, results_table.thresholds_text(fiscal_year)
        )
        name = filenames.export_name(fiscal_year.year, "", TITLE, fmt)
        content = render_xlsx([table]) if fmt == "xlsx" else render_pdf([table])
        return FileResponse(
            io.BytesIO(content),
            as_attachment=True,
            filename=name,
            content_type=XLSX if fmt == "xlsx" else "application/pdf",
        )
    return render(
        request,
        "reporting/results_application.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "rows": rows,
            "counts": results_table.suggestion_counts(rows),
            "suggestions": application.SUGGESTIONS,
            "thresholds": results_table.thresholds_text(fiscal_year),
            "failed": failed,
        },
    )
