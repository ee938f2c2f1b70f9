"""绩效运行监控: the rounds page (finance opens and closes rounds; everyone sees their sheets)
and the 监控表 page (the unit fills it, finance reviews it and orders 整改)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date

from budgets.access import get_visible_or_404, scope
from core.http import BadParameter, as_id, optional_id

from .. import lights, selectors, services, workflow
from ..models import (
    DeviationCategory,
    Likelihood,
    MonitoringLine,
    MonitoringRound,
    MonitoringSheet,
    RectificationState,
)
from ..services import monitoring as svc
from .common import _line_comments, _seen_version

PAGE_SIZE = 50
LINE_INPUTS = {
    "actual_to_date": "actual",
    "predicted_value": "predicted",
    "likelihood": "likelihood",
    "deviation_category": "category",
    "deviation_reason": "reason",
    "measures": "measures",
}


def _date(text):
    """A posted date, None when blank or not a real date (2021-02-30 is not one)."""
    try:
        return parse_date((text or "").strip()[:10])
    except ValueError:
        return None


def _round_url(round_: MonitoringRound) -> str:
    return f"{reverse('monitoring')}?year={round_.year.year}&round={round_.pk}"


@login_required
def monitoring(request):
    """The rounds of a year and the sheets of one round the user may see; finance's actions."""
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    manager = svc.may_manage_rounds(request.user)
    typed, round_errors = {}, {}
    rounds = list(MonitoringRound.objects.filter(year=fiscal_year)) if fiscal_year else []
    chosen = optional_id(request.GET.get("round"), "监控批次")
    current = next((r for r in rounds if r.pk == chosen), rounds[-1] if rounds else None)
    if request.method == "POST":
        if not manager:
            raise workflow.WorkflowError("只有财政审核人或系统管理员可以管理监控批次。")
        action = request.POST.get("action", "")
        if action == "open":
            typed = request.POST
            try:
                created = svc.monitoring_round_open(
                    user=request.user,
                    year=fiscal_year,
                    name=request.POST.get("name", ""),
                    as_of=_date(request.POST.get("as_of")),
                    deadline=_date(request.POST.get("deadline")),
                )
                count = created.sheets.count()
                messages.success(request, f"已开启“{created.name}”，生成{count}张监控表。")
                return redirect(_round_url(created))
            except svc.RoundRefused as error:
                round_errors = error.problems
                messages.error(request, "未开启：请按提示修改（您的输入已保留）。")
        elif action in ("fill", "close", "reopen", "deadline"):
            target = next((r for r in rounds if r.pk == as_id(request.POST.get("round"))), None)
            if target is None:
                raise BadParameter("未找到该监控批次。")
            if action == "fill":
                filled = svc.monitoring_round_fill(user=request.user, round=target)
                done = f"已补充生成{len(filled.sheets)}张监控表"
                if filled.lines:
                    done += f"，为已有监控表补充{filled.lines}条新增指标"
                nothing = "没有需要补充生成的监控表。"
                messages.success(request, done + "。" if filled.sheets or filled.lines else nothing)
            else:
                deadline = _date(request.POST.get("deadline"))
                if action == "deadline" and deadline is None:
                    raise workflow.WorkflowError("请填写有效的报送截止日期。")
                svc.monitoring_round_set_open(
                    user=request.user,
                    round=target,
                    is_open=target.is_open if action == "deadline" else action == "reopen",
                    deadline=deadline,
                )
                done = {"reopen": "已重新开启填报。", "close": "已关闭填报。"}
                messages.success(request, done.get(action, "已修改报送截止日期。"))
            return redirect(_round_url(target))
        else:
            raise BadParameter("未知的操作。")
    sheets = (
        scope(MonitoringSheet.objects.filter(round=current), request.user)
        .select_related("department", "project")
        .order_by("department__code", "project__code", "pk")
        if current
        else MonitoringSheet.objects.none()
    )
    page = Paginator(sheets, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "evaluations/monitoring.html",
        {
            "years": all_years,
            "year": fiscal_year,
            "rounds": rounds,
            "current": current,
            "elapsed": lights.elapsed_share(current.as_of) if current else None,
            "page": page,
            "sheets": page.object_list,
            "query": params.urlencode(),
            "manager": manager,
            "typed": typed,
            "round_errors": round_errors,
        },
    )


def _sheet_for(user, pk: int) -> MonitoringSheet:
    return get_visible_or_404(
        MonitoringSheet.objects.select_related("round", "year", "department__parent", "project"),
        user,
        pk=pk,
    )


def _posted_lines(post, lines: list[MonitoringLine]) -> dict[int, dict]:
    return {
        line.pk: {
            field: post.get(f"{key}-{line.pk}", "")
            for field, key in LINE_INPUTS.items()
            if f"{key}-{line.pk}" in post
        }
        for line in lines
    }


def _posted_funds(post) -> dict:
    return {
        name: post[name]
        for name in ("executed_to_date", "predicted_execution", "execution_reason")
        if name in post
    }


@login_required
def monitoring_sheet(request, pk: int):
    sheet = _sheet_for(request.user, pk)
    posted, problems, reviewed = None, None, None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action in ("save", "submit"):
                posted = request.POST
                lines = svc.lines_of(sheet)
                svc.monitoring_sheet_save(
                    user=request.user,
                    sheet=sheet,
                    version=_seen_version(request.POST),
                    funds=_posted_funds(request.POST),
                    lines=_posted_lines(request.POST, lines),
                )
                posted = None  # saved: what is shown next is what is stored
                if action == "submit":
                    svc.monitoring_sheet_transition(sheet=sheet, user=request.user, action="submit")
                    messages.success(request, "已提交，等待审核。")
                else:
                    messages.success(request, "已保存草稿。")
                return redirect("monitoring_sheet", pk=sheet.pk)
            elif action in workflow.TRANSITIONS:
                reviewed = request.POST
                svc.monitoring_sheet_transition(
                    sheet=sheet,
                    user=request.user,
                    action=action,
                    reason=request.POST.get("reason", ""),
                    line_comments=_line_comments(request.POST),
                    version=_seen_version(request.POST),
                )
                messages.success(request, f"已{workflow.TRANSITIONS[action].label}。")
                return redirect("monitoring_sheet", pk=sheet.pk)
            elif action.startswith("rect_") and action[5:] in workflow.RECTIFICATIONS:
                line_id = optional_id(request.POST.get("line"), "指标")
                line = sheet.lines.select_related("indicator").filter(pk=line_id).first()
                if line_id is not None and line is None:
                    raise BadParameter("未找到该指标。")
                svc.monitoring_rectification(
                    user=request.user,
                    sheet=sheet,
                    action=action[5:],
                    text=request.POST.get("text", ""),
                    line=line,
                    version=_seen_version(request.POST),
                )
                done = {"require": "已标记需整改。", "answer": "已答复整改结果。"}
                label = workflow.RECTIFICATIONS[action[5:]].label
                messages.success(request, done.get(action[5:], f"已{label}。"))
                return redirect(f"{reverse('monitoring_sheet', args=[sheet.pk])}#rectification")
            else:
                raise BadParameter("未知的操作。")
        except services.FormProblems as error:
            problems = error
            saved = action == "submit" and not isinstance(error, svc.InputRefused)
            messages.error(
                request,
                "已保存草稿，但尚不能提交，请按提示修改："
                if saved
                else "填写有误，未保存。请按提示修改（您的输入已保留）：",
            )
        except (services.FormConflict, workflow.WorkflowError) as error:
            messages.error(request, str(error))
        sheet = _sheet_for(request.user, pk)
    return render(
        request,
        "evaluations/monitoring_sheet.html",
        _sheet_context(request, sheet, posted, problems, reviewed),
    )


def _sheet_context(request, sheet, posted, problems, reviewed) -> dict:
    """`posted`: the clerk's POST of a refused save (shown as typed); `reviewed`: the POST of a
    refused review action (comments shown as typed)."""
    user = request.user
    refusal = svc.editing_refusal(user, sheet)
    editable = refusal is None
    line_problems = problems.lines if problems else {}
    fields = getattr(problems, "fields", {}) if problems else {}
    rows = []
    for line in svc.lines_of(sheet):
        values = {
            key: posted.get(f"{key}-{line.pk}", "") if posted else getattr(line, field)
            for field, key in LINE_INPUTS.items()
        }
        rows.append(
            {
                "l": line,
                "i": line.indicator,
                **values,
                "light": lights.line_light(values["likelihood"]) if posted else line.light,
                "comment": reviewed.get(f"line-{line.pk}", "") if reviewed else line.review_comment,
                "errors": line_problems.get(line.pk, []),
            }
        )
    funds = {
        name: posted.get(name, "") if posted else getattr(sheet, name)
        for name in ("executed_to_date", "predicted_execution", "execution_reason")
    }
    can_review = workflow.may(user, "approve", sheet)
    # finance may order 整改 while reviewing or once approved (workflow.RECTIFICATIONS)
    can_require = workflow.acts_as(user, workflow.FINANCE, sheet.department_id) and (
        sheet.state in workflow.RECTIFICATIONS["require"].form_states
    )
    rectify = {
        name: workflow.acts_as(user, step.roles, sheet.department_id)
        for name, step in workflow.RECTIFICATIONS.items()
    }
    return {
        "sheet": sheet,
        "round": sheet.round,
        "months": sheet.round.months,
        "elapsed": lights.elapsed_share(sheet.round.as_of),
        "execution_rate": lights.rate(sheet.executed_to_date, sheet.annual_budget),
        "predicted_rate": lights.rate(sheet.predicted_execution, sheet.annual_budget),
        "rows": rows,
        "funds": funds,
        "fund_errors": fields,
        "problems": problems,
        "editable": editable,
        "refusal": refusal if workflow.can_edit(user, sheet) else None,
        "deadline": workflow.deadline_of(sheet),
        "actions": [
            t for t in workflow.allowed(user, sheet) if t.name not in ("submit", "withdraw")
        ],
        "can_withdraw": workflow.may(user, "withdraw", sheet),
        "submit_confirmation": workflow.submit_confirmation(user, sheet),
        "typed_reason": reviewed.get("reason", "") if reviewed else "",
        "can_review": can_review,
        "likelihoods": Likelihood.choices,
        "categories": DeviationCategory.choices,
        "rectify": rectify,
        "rect_states": RectificationState,
        "can_require": can_require,
        "show_rectification": can_require
        or bool(sheet.rectification_state)
        or any(r["l"].rectification_state for r in rows),
        "crumbs": [("绩效运行监控", _round_url(sheet.round)), (sheet.title, "")],
        "history": selectors.history(sheet),
        "thresholds": (sheet.year.monitoring_yellow_gap, sheet.year.monitoring_red_gap),
    }
