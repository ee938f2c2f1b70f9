"""The 绩效目标 page: the indicator grid, its workflow actions and 目标调整."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core.http import BadParameter, optional_id

from .. import selectors, services, workflow
from ..forms import (
    IndicatorFormSet,
    TargetSheetForm,
    category_map,
)
from ..models import FormState
from ..services import budgets as budget_services
from .common import _crumbs, _line_comments, _seen_version


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
                        messages.success(request, workflow.submitted_message(sheet))
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
        # a refused or stale transition shows this page again with the message and what the
        # reviewer typed (本行审核意见, reason): nothing typed is lost
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
        except (services.FormConflict, workflow.WorkflowError) as error:
            messages.error(request, f"{error}（您填写的审核意见已保留。）")
            sheet = selectors.target_sheet_for(request.user, pk)
            editable = workflow.can_edit(request.user, sheet)
            form, formset = _target_forms(sheet, categories)
            return _render_targets(
                request, sheet, categories, form, formset, editable, None, reviewed=request.POST
            )
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
            "scoring_rule": i.scoring_rule,
            "library": i.library_id,
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
                scoring_rule=data.get("scoring_rule", ""),
                library_id=data.get("library"),
            )
        )
    return rows


def _library_marks(indicator, history: dict[int, str]) -> None:
    """The 指标库 badge of a line: its entry's code and texts, and its earlier years' values."""
    entry = indicator.library
    indicator.library_history = history.get(indicator.library_id, "")
    indicator.library_code = entry.code if entry else ""
    indicator.library_title = (
        f"指标库 {entry.code}（{entry.domain or '通用'}）\n指标解释：{entry.explanation or '—'}"
        f"\n评（扣）分标准：{entry.scoring_rule or '—'}"
        if entry
        else ""
    )


def _render_targets(request, sheet, categories, form, formset, editable, problems, reviewed=None):
    """`reviewed`: the POST of a refused workflow action, whose comments are shown as typed."""
    level1 = [c for c in categories.values() if c.parent_id is None]
    rights = services.adjustment_rights(request.user, sheet)
    indicators = selectors.indicators_of(sheet)
    earlier = selectors.earlier_line_comments(sheet)
    for indicator in indicators:
        indicator.typed_comment = reviewed.get(f"line-{indicator.id}", "") if reviewed else ""
        indicator.earlier_comments = earlier.get(indicator.id, [])
    history = selectors.library_history(sheet)
    records, rounds = selectors.history_and_rounds(sheet)
    for indicator in indicators:
        _library_marks(indicator, history)
    for row_form in formset.forms:  # the grid's rows as loaded (a re-shown POST has none)
        if indicator := getattr(row_form, "indicator", None):
            indicator.earlier_comments = earlier.get(indicator.id, [])
            _library_marks(indicator, history)
    return render(
        request,
        "evaluations/target_sheet.html",
        {
            "sheet": sheet,
            "form": form,
            # the 指标库 the grid searches, delivered with the page (one query)
            "library": services.library_entries() if editable else None,
            "formset": formset,
            "editable": editable,
            "problems": problems,
            "level1": level1,
            "level2": [c for c in categories.values() if c.parent_id is not None],
            "actions": [
                t
                for t in workflow.allowed(request.user, sheet)
                if t.name not in ("submit", "withdraw")
            ],
            "can_withdraw": workflow.may(request.user, "withdraw", sheet),
            "submit_confirmation": workflow.submit_confirmation(request.user, sheet),
            "typed_reason": reviewed.get("reason", "") if reviewed else "",
            "crumbs": _crumbs(request.user, sheet),
            # finance or the 主管部门 (at its step) may write 本行审核意见
            "can_return": workflow.may(request.user, "return", sheet)
            or workflow.may(request.user, "supervisor_return", sheet),
            "rounds": rounds,
            "last_round": rounds[0] if rounds else None,
            "history": records,
            "indicators": indicators,
            "adjustments": selectors.adjustments_of(sheet),
            "can_request_adjustment": rights.may_request,
            "can_decide_adjustment": rights.may_decide,
            # why an approved sheet shows no adjustment buttons: its self-evaluation was submitted
            "adjustment_refusal": rights.refusal if sheet.state == FormState.APPROVED else None,
            "budget_notice": None
            if sheet.project_id
            else budget_services.budget_notice(
                request.user,
                sheet.department_id,
                sheet.year.year,
                budget_services.budget_of(sheet.department, sheet.year),
                ("initial", "full"),
            ),
        },
    )
