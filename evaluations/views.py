from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from budgets.access import access_for
from budgets.access import visible_departments as access_scope_departments
from core import formatting
from core.errors import back_to
from core.http import BadParameter, as_id, keyed_ids, optional_id, optional_int

from . import consistency, selectors, services, workflow
from .common_indicators import common_indicators
from .forms import (
    EVALUATION_TEXTS,
    IndicatorFormSet,
    ReviewFilters,
    TargetSheetForm,
    category_map,
    parse_evaluation_post,
    parse_reviews,
    qualitative_choices,
)
from .funds import evaluation_funds
from .models import FormState, Grade


def _home(request, *args, **kwargs) -> str:
    return reverse("home")


def _evidence_of(request, pk: int) -> str:
    return f"{reverse('evaluation', args=[pk])}#evidence"


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
        context["overview"], context["page"] = selectors.clerk_overview(
            request.user, fiscal_year, request.GET.get("page")
        )
        params = request.GET.copy()
        params.pop("page", None)
        context["query"] = params.urlencode()
        if access.is_admin or "reviewer" in context["roles"]:
            context["queue"] = selectors.review_queue(request.user, fiscal_year)
    return render(request, "evaluations/home.html", context)


@login_required
@require_POST
@back_to(_home)
def target_sheet_start(request):
    """Create the target sheet of a project or a department-year, then open it."""
    return _start(request, services.target_sheet_start, "target_sheet")


def _start(request, service, page: str):
    """Open (creating on first use) the form of the project or department-year posted."""
    form = service(
        user=request.user,
        project_id=optional_id(request.POST.get("project"), "项目"),
        department_id=optional_id(request.POST.get("department"), "单位"),
        year_id=optional_id(request.POST.get("year"), "年度"),
    )
    return redirect(page, pk=form.pk)


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
                except services.FormConflict as error:
                    messages.error(request, str(error))
                    # What this user typed stays on screen, now on top of the version saved
                    # meanwhile: saving it again, after checking, is a deliberate overwrite.
                    sheet.refresh_from_db()
                    editable = workflow.can_edit(request.user, sheet)
                    data = request.POST.copy()
                    data["version"] = sheet.version
                    form, formset = _bind_target_forms(data, sheet, categories)
                except workflow.WorkflowError as error:
                    messages.error(request, str(error))
            else:
                messages.error(
                    request, "填写有误，未保存。请按页面上的提示修改（您的输入已保留）。"
                )
            return _render_targets(request, sheet, categories, form, formset, editable, problems)
        if action.startswith("adjust_"):
            _adjust(request, sheet, action)
            return redirect("target_sheet", pk=sheet.pk)
        if action == "save":  # a page offers 保存草稿 only while the user may edit
            raise workflow.WorkflowError(
                f"表单当前状态为“{sheet.get_state_display()}”，您不能修改，本次未保存。"
            )
        if action not in workflow.TRANSITIONS:
            raise BadParameter("未知的操作。")
        # a refused or stale transition (WorkflowError, FormConflict) rises to UserErrorMiddleware:
        # the message and this page again; only a refused submission shows its problems here
        try:
            services.target_sheet_transition(
                sheet=sheet,
                user=request.user,
                action=action,
                reason=request.POST.get("reason", ""),
                line_comments=_line_comments(request.POST),
                version=_seen_version(request.POST),
            )
            messages.success(request, f"已{workflow.TRANSITIONS[action].label}。")
            return redirect("target_sheet", pk=sheet.pk)
        except services.FormProblems as error:
            problems = error
            messages.error(request, "尚不能提交，请按提示修改：")
    form, formset = _target_forms(sheet, categories, problems)
    return _render_targets(request, sheet, categories, form, formset, editable, problems)


def _adjust(request, sheet, action: str) -> None:
    """目标调整 requests (clerk) and decisions (reviewer) on an approved target sheet; a
    refusal (WorkflowError) rises to UserErrorMiddleware, which shows it on this page again."""
    if action == "adjust_request":
        indicator = selectors.indicator_on(sheet, optional_id(request.POST.get("indicator")))
        if indicator is None:
            raise workflow.WorkflowError("请选择要调整的指标。")
        services.adjustment_request(
            indicator=indicator,
            user=request.user,
            new_value=request.POST.get("new_value", ""),
            reason=request.POST.get("adjust_reason", ""),
        )
        messages.success(request, "已提交目标调整申请，等待财政部门审批。")
    elif action in ("adjust_approve", "adjust_reject"):
        adjustment = selectors.adjustment_on(sheet, optional_id(request.POST.get("adjustment")))
        if adjustment is None:
            raise workflow.WorkflowError("未找到该调整申请。")
        approve = action == "adjust_approve"
        services.adjustment_decide(
            adjustment=adjustment,
            user=request.user,
            approve=approve,
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, "已同意调整。" if approve else "已驳回调整申请。")
    else:
        raise BadParameter("未知的操作。")


def _seen_version(post) -> int:
    """The version of the form the user saw, which a workflow action (审核通过, 退回, 确认, …)
    must carry: without it the service would act on whatever is stored now, which the user may
    never have seen. Missing is refused like stale, with the same message."""
    version = optional_int(post.get("version"), "版本")
    if version is None:
        raise services.FormConflict()
    return version


def _line_comments(post) -> dict[int, str]:
    return {pk: value for pk, value in keyed_ids(post, "line-").items() if value.strip()}


def _bind_target_forms(data, sheet, categories):
    form = TargetSheetForm(data)
    formset = IndicatorFormSet(data, prefix="rows", form_kwargs={"categories": categories})
    return form, formset


def _target_forms(sheet, categories, problems=None):
    indicators = selectors.indicators_of(sheet)
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
    rights = services.adjustment_rights(request.user, sheet)
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
            "history": selectors.history(sheet),
            "indicators": selectors.indicators_of(sheet),
            "adjustments": selectors.adjustments_of(sheet),
            "can_request_adjustment": rights.may_request,
            "can_decide_adjustment": rights.may_decide,
            # why an approved sheet shows no adjustment buttons: its self-evaluation was submitted
            "adjustment_refusal": rights.refusal if sheet.state == FormState.APPROVED else None,
        },
    )


@login_required
@require_POST
@back_to(_home)
def evaluation_start(request):
    """Create the self-evaluation of an approved target sheet, then open it."""
    return _start(request, services.evaluation_start, "evaluation")


@login_required
def evaluation(request, pk: int):
    evaluation = selectors.evaluation_for(request.user, pk)
    results = services.results_of(evaluation)
    refusal = services.editing_refusal(request.user, evaluation)
    posted, errors, problems = None, {}, None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        version = optional_int(request.POST.get("version"), "版本")
        try:
            if action in ("save", "submit"):
                posted, errors = parse_evaluation_post(
                    request.POST, results, with_funds=bool(evaluation.project_id)
                )
                if errors:
                    messages.error(
                        request, "填写有误，未保存。请按页面上的提示修改（您的输入已保留）。"
                    )
                else:
                    services.evaluation_save(
                        evaluation=evaluation, user=request.user, data=posted, version=version or 0
                    )
                    if action == "submit":
                        services.evaluation_transition(
                            evaluation=evaluation, user=request.user, action="submit"
                        )
                        messages.success(request, "已提交，等待审核。")
                    else:
                        messages.success(request, "已保存草稿。")
                    return redirect("evaluation", pk=evaluation.pk)
            elif action == "extend":
                until = parse_date(request.POST.get("until", "") or "")
                if until is None:
                    raise workflow.WorkflowError("请填写有效的延期日期。")
                services.evaluation_extend(
                    evaluation=evaluation,
                    user=request.user,
                    until=until,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, f"已延期至{until:%Y年%m月%d日}。")
                return redirect("evaluation", pk=evaluation.pk)
            elif action in workflow.TRANSITIONS:
                reviews, errors = parse_reviews(request.POST, results)
                if not errors:
                    services.evaluation_transition(
                        evaluation=evaluation,
                        user=request.user,
                        action=action,
                        reason=request.POST.get("reason", ""),
                        reviews=reviews,
                        version=_seen_version(request.POST),
                    )
                    messages.success(request, f"已{workflow.TRANSITIONS[action].label}。")
                    return redirect("evaluation", pk=evaluation.pk)
                messages.error(request, "审核得分填写有误，未保存。")
            else:
                raise BadParameter("未知的操作。")
        except services.FormProblems as error:
            problems = error
            # a save refused by the number rule wrote nothing (the service's transaction)
            saved = action == "submit" and not isinstance(error, services.InputRefused)
            messages.error(
                request,
                "已保存草稿，但尚不能提交，请按提示修改："
                if saved
                else "填写有误，未保存。请按提示修改（您的输入已保留）：",
            )
            if saved:
                posted = None
        except (services.FormConflict, workflow.WorkflowError) as error:
            messages.error(request, str(error))
        evaluation = selectors.evaluation_for(request.user, pk)
        results = services.results_of(evaluation)
        refusal = services.editing_refusal(request.user, evaluation)
    return render(
        request,
        "evaluations/evaluation.html",
        _evaluation_context(request, evaluation, results, refusal, posted, errors, problems),
    )


def _evaluation_context(request, evaluation, results, refusal, posted, errors, problems):
    typed = {line.id: line for line in posted.results} if posted else {}
    evidence = selectors.evidence_by_result(evaluation)
    lines = []
    for result in results:
        line = typed.get(result.id)
        lines.append(
            {
                "r": result,
                "files": evidence.get(result.id, []),
                "i": result.indicator,
                "actual": line.actual_value if line else result.actual_value,
                "level": line.level if line else result.level,
                "score": request.POST.get(f"score-{result.id}", "") if line else result.score,
                "reason": line.deviation_reason if line else result.deviation_reason,
                "auto": result.score is None or result.score == result.suggested_score,
                "errors": [
                    errors[k]
                    for k in (
                        f"actual-{result.id}",
                        f"level-{result.id}",
                        f"score-{result.id}",
                        f"reason-{result.id}",
                        f"review-{result.id}",
                        f"line-{result.id}",
                    )
                    if k in errors
                ]
                + (problems.lines.get(result.id, []) if problems else []),
            }
        )
    texts = {
        name: getattr(posted, name) if posted else getattr(evaluation, name)
        for name in EVALUATION_TEXTS
    }
    sheet = selectors.sheet_of_evaluation(evaluation)
    budget = services.results.budget_of(evaluation)
    line_flags = consistency.by_line(evaluation.flags)
    for line in lines:
        line["flags"] = line_flags.get(line["r"].id, [])
    return {
        "evaluation": evaluation,
        "flags": consistency.groups(evaluation.flags),
        "common": None
        if evaluation.project_id
        else common_indicators(budget, places=evaluation.year.percent_places + 2),
        "department_projects": selectors.department_projects(request.user, evaluation),
        "sheet": sheet,
        "lines": lines,
        "texts": texts,
        "funds": evaluation_funds(evaluation, budget, request.POST if posted else None),
        "errors": errors,
        # an overlong 实际完成情况 etc., shown at the top with the field's name
        "text_errors": [errors[name] for name in EVALUATION_TEXTS if name in errors],
        "problems": problems,
        "editable": refusal is None,
        "refusal": refusal if workflow.can_edit(request.user, evaluation) else None,
        "deadline": workflow.deadline_of(evaluation),
        "actions": [t for t in workflow.allowed(request.user, evaluation) if t.name != "submit"],
        "can_review": workflow.may(request.user, "approve", evaluation),
        "can_extend": workflow.extend_refusal(request.user, evaluation) is None,
        "levels": qualitative_choices(),
        "export_formats": [("xlsx", " Excel"), ("pdf", " PDF")],
        "history": selectors.history(evaluation),
    }


@login_required
@require_POST
def evaluation_preview(request, pk: int):
    """Live scoring for the form: what the rules say about the values typed so far. Writes
    nothing; the rules stay in the scoring module, not in JavaScript."""
    evaluation = selectors.evaluation_for(request.user, pk)
    results = services.results_of(evaluation)
    data, errors = parse_evaluation_post(
        request.POST, results, with_funds=bool(evaluation.project_id)
    )
    preview = services.evaluation_preview(evaluation, data)
    preview["errors"] = errors  # every refused field, funds included, by input name
    # shown as the page shows it, in the year's places (core.formatting), not re-rounded in JS
    preview["execution_rate_shown"] = formatting.percent(
        preview["execution_rate"], evaluation.year.percent_places
    )
    # what is refused outside the lines (全年执行数, 元 typed as 万元) shows in the flags box live
    refused = preview["general"] + [
        m for k, m in errors.items() if k.startswith("executed-") or k in EVALUATION_TEXTS
    ]
    preview["flags"][:0] = [
        {"code": "refused", "label": "填写有误（保存时将被拒绝）", "message": m, "line": None}
        for m in refused
    ]
    for key, message in errors.items():
        # the keys are ours: "score-<result id>" of a line, or "executed-current" of the funds
        line = preview["lines"].get(as_id(key.partition("-")[2]))
        if line is not None:
            line["problems"].insert(0, message)
    return JsonResponse(_jsonable(preview), json_dumps_params={"ensure_ascii": False})


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


QUEUE_PAGE_SIZE = 100


@login_required
def review_queue(request):
    """财政审核: every form of the departments this reviewer covers, filtered and sorted."""
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    access = access_for(request.user)
    if not (access.is_admin or "reviewer" in access.roles()):
        raise Http404("未找到该页面。")
    filters = ReviewFilters(request.GET).values()
    result = (
        selectors.review_list(request.user, fiscal_year, **filters)
        if fiscal_year
        else {"rows": [], "counts": {}, "overdue": 0}
    )
    page = Paginator(result.pop("rows"), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.attach_flags([row.form for row in page.object_list])
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "evaluations/review_queue.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "filters": filters,
            **result,
            "page": page,
            "rows": page.object_list,
            "query": params.urlencode(),
            "departments": access_scope_departments(request.user),
            "states": FormState.choices,
            "grades": Grade.values,
        },
    )


@login_required
@require_POST
@back_to(_evidence_of)
def evidence_upload(request, pk: int):
    evaluation = selectors.evaluation_for(request.user, pk)
    result = selectors.result_on(evaluation, optional_id(request.POST.get("result")))
    upload = request.FILES.get("file")
    if result is None or upload is None:
        raise workflow.WorkflowError("请选择指标和要上传的文件。")
    services.evidence_add(result=result, user=request.user, upload=upload)
    messages.success(request, f"已上传：{upload.name}")
    return redirect(f"{reverse('evaluation', args=[evaluation.pk])}#evidence")


@login_required
@require_POST
def evidence_delete(request, pk: int):
    evidence = selectors.evidence_for(request.user, pk)
    evaluation_pk = evidence.result.evaluation_id
    # a refusal goes back to the same evaluation (UserErrorMiddleware, the page's Referer)
    services.evidence_remove(evidence=evidence, user=request.user)
    messages.success(request, f"已删除：{evidence.original_name}")
    return redirect(f"{reverse('evaluation', args=[evaluation_pk])}#evidence")


@login_required
def evidence_download(request, pk: int):
    evidence = selectors.evidence_for(request.user, pk)
    return FileResponse(
        evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name
    )
