from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from budgets.access import access_for
from budgets.models import AuditLog

from . import selectors, services, workflow
from .forms import IndicatorFormSet, TargetSheetForm, category_map


@login_required
def home(request):
    """One home page; its sections follow the roles the user holds."""
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    access = access_for(request.user)
    context = {
        "years": all_years,
        "year": fiscal_year,
        "access": access,
        "roles": access.roles(),
        "overview": [],
        "queue": None,
    }
    if fiscal_year is not None:
        context["overview"] = selectors.clerk_overview(request.user, fiscal_year)
        if access.is_admin or "reviewer" in context["roles"]:
            context["queue"] = selectors.review_queue(request.user, fiscal_year)
    return render(request, "evaluations/home.html", context)


def _history(form):
    return AuditLog.objects.filter(
        object_type=form._meta.label, object_id=str(form.pk)
    ).select_related("actor")[:50]


@login_required
@require_POST
def target_sheet_start(request):
    """Create the target sheet of a project or a department-year, then open it."""
    try:
        sheet = services.target_sheet_start(
            user=request.user,
            project_id=request.POST.get("project"),
            department_id=request.POST.get("department"),
            year_id=request.POST.get("year"),
        )
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
        return redirect("home")
    return redirect("target_sheet", pk=sheet.pk)


@login_required
def target_sheet(request, pk: int):
    sheet = selectors.target_sheet_for(request.user, pk)
    categories = category_map(sheet.year)
    editable = workflow.can_edit(request.user, sheet)
    problems = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("save", "submit") and editable:
            form, formset = _bind_target_forms(request.POST, sheet, categories)
            if form.is_valid() and formset.is_valid():
                try:
                    services.target_sheet_save(
                        sheet=sheet,
                        user=request.user,
                        overall_goal=form.cleaned_data["overall_goal"],
                        rows=_rows_from(formset),
                        version=form.cleaned_data["version"],
                    )
                    if action == "submit":
                        services.target_sheet_transition(
                            sheet=sheet, user=request.user, action="submit"
                        )
                        messages.success(request, "已提交，等待审核。")
                    else:
                        messages.success(request, "已保存草稿。")
                    return redirect("target_sheet", pk=sheet.pk)
                except services.FormProblems as error:
                    problems = error
                    messages.error(request, "已保存草稿，但尚不能提交，请按提示修改：")
                    sheet.refresh_from_db()
                    form, formset = _target_forms(sheet, categories, problems)
                except (services.FormConflict, workflow.WorkflowError) as error:
                    messages.error(request, str(error))
            else:
                messages.error(
                    request, "填写有误，未保存。请按页面上的提示修改（您的输入已保留）。"
                )
            return _render_targets(request, sheet, categories, form, formset, editable, problems)
        try:
            services.target_sheet_transition(
                sheet=sheet,
                user=request.user,
                action=action,
                reason=request.POST.get("reason", ""),
                line_comments=_line_comments(request.POST),
                version=_int(request.POST.get("version")),
            )
            messages.success(request, f"已{workflow.TRANSITIONS[action].label}。")
            return redirect("target_sheet", pk=sheet.pk)
        except (services.FormConflict, workflow.WorkflowError, KeyError) as error:
            messages.error(
                request, str(error) if not isinstance(error, KeyError) else "未知的操作。"
            )
        except services.FormProblems as error:
            problems = error
            messages.error(request, "尚不能提交，请按提示修改：")
    form, formset = _target_forms(sheet, categories, problems)
    return _render_targets(request, sheet, categories, form, formset, editable, problems)


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _line_comments(post) -> dict[int, str]:
    return {
        int(key.removeprefix("line-")): value
        for key, value in post.items()
        if key.startswith("line-") and key.removeprefix("line-").isdigit() and value.strip()
    }


def _bind_target_forms(data, sheet, categories):
    form = TargetSheetForm(data)
    formset = IndicatorFormSet(data, prefix="rows", form_kwargs={"categories": categories})
    return form, formset


def _target_forms(sheet, categories, problems=None):
    indicators = list(sheet.indicators.all())
    form = TargetSheetForm(initial={"overall_goal": sheet.overall_goal, "version": sheet.version})
    initial = [
        {
            "id": i.id,
            "level1": categories[i.category_id].parent_id if i.category_id in categories else None,
            "category": i.category_id,
            "name": i.name,
            "comparator": i.comparator,
            "target_value": i.target_value,
            "unit": i.unit,
            "weight": i.weight,
            "basis": i.basis,
            "explanation": i.explanation,
            "ORDER": n,
        }
        for n, i in enumerate(indicators, start=1)
    ]
    formset = IndicatorFormSet(
        initial=initial, prefix="rows", form_kwargs={"categories": categories}
    )
    for row_form, indicator in zip(formset.forms, indicators, strict=True):
        row_form.indicator = indicator
        row_form.problems = problems.lines.get(indicator.id, []) if problems else []
    return form, formset


def _rows_from(formset) -> list:
    rows = []
    for row_form in formset.ordered_forms:
        data = row_form.cleaned_data
        rows.append(
            services.IndicatorInput(
                id=data.get("id"),
                category=data["category_obj"],
                name=data["name"],
                comparator=data["comparator"],
                target_value=data.get("target_value", ""),
                unit=data.get("unit", ""),
                weight=data["weight"],
                basis=data["basis"],
                explanation=data.get("explanation", ""),
            )
        )
    return rows


def _render_targets(request, sheet, categories, form, formset, editable, problems):
    level1 = [c for c in categories.values() if c.parent_id is None]
    return render(
        request,
        "evaluations/target_sheet.html",
        {
            "sheet": sheet,
            "form": form,
            "formset": formset,
            "editable": editable,
            "problems": problems,
            "level1": level1,
            "level2": [c for c in categories.values() if c.parent_id is not None],
            "actions": [t for t in workflow.allowed(request.user, sheet) if t.name != "submit"],
            "can_return": workflow.may(request.user, "return", sheet),
            "history": _history(sheet),
            "indicators": list(sheet.indicators.select_related("category__parent")),
        },
    )
