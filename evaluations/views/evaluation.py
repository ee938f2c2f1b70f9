"""The 绩效自评 page: the form, its live preview, evidence files."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from budgets.access import access_for
from budgets.context_processors import frame_shown
from core import files, formatting
from core.errors import UserError, back_to
from core.freshness import cached_page, cached_part
from core.http import BadParameter, as_id, optional_id, optional_int

from .. import consistency, selectors, services, workflow
from ..common_indicators import common_indicators
from ..forms import (
    EVALUATION_TEXTS,
    parse_evaluation_post,
    parse_reviews,
    qualitative_choices,
)
from ..funds import evaluation_funds
from ..predictions import monitoring_predictions
from ..services import budgets as budget_services
from .common import _crumbs, _evidence_of, _jsonable, _seen_version


@login_required
def evaluation(request, pk: int):
    """The form. Cached for the user under the data generation (core/freshness.py) when shown
    as stored (a GET); a refused POST is drawn with what was typed."""
    posted, errors, problems, reviewed = None, {}, None, None
    evaluation = None  # a GET reads the form only when its part is drawn
    if request.method == "POST":
        evaluation = selectors.evaluation_for(request.user, pk)
        results = services.results_of(evaluation)
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
                        messages.success(request, workflow.submitted_message(evaluation))
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
                # whatever happens, a refusal shows the reviewer's typed scores and comments again
                reviewed = request.POST
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

    def draw() -> dict:
        # the frame's title; on a GET, the access check (the form is read only for its part)
        title = evaluation.title if evaluation else selectors.evaluation_title_for(request.user, pk)

        def context() -> dict:
            shown = evaluation or selectors.evaluation_for(request.user, pk)
            results = services.results_of(shown)
            refusal = services.editing_refusal(request.user, shown)
            return _evaluation_context(
                request, shown, results, refusal, posted, errors, problems, reviewed
            )

        key = ["evaluation", pk, request.user.pk, access_for(request.user).fingerprint()]
        part = cached_part(
            key, "evaluations/_evaluation_part.html", context, cache=evaluation is None
        )
        return {"title": title, "part": part}

    return cached_page(
        request,
        ["evaluation", pk],
        "evaluations/evaluation.html",
        draw,
        shown=frame_shown(request),
        cache=evaluation is None,
    )


def _evaluation_context(request, evaluation, results, refusal, posted, errors, problems, reviewed):
    """`posted`: the clerk's values of a refused save; `reviewed`: the POST of a refused
    workflow action (审核得分, 本行审核意见 and the reason are shown as typed, not as stored)."""
    typed = {line.id: line for line in posted.results} if posted else {}
    evidence = selectors.evidence_by_result(evaluation)
    earlier = selectors.earlier_line_comments(evaluation)
    predicted = monitoring_predictions(r.indicator_id for r in results)
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
                "review": reviewed.get(f"review-{result.id}", "")
                if reviewed
                else result.review_score,
                "comment": reviewed.get(f"line-{result.id}", "")
                if reviewed
                else result.review_comment,
                "earlier": earlier.get(result.indicator_id, []),
                "predicted": predicted.get(result.indicator_id),
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
    history, rounds = selectors.history_and_rounds(evaluation)
    for line in lines:
        line["flags"] = line_flags.get(line["r"].id, [])
    return {
        "evaluation": evaluation,
        "flags": consistency.groups(evaluation.flags),
        "budget_notice": None
        if evaluation.project_id
        else budget_services.budget_notice(
            request.user,
            evaluation.department_id,
            evaluation.year.year,
            budget,
            ("full", "executed"),
        ),
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
        "actions": [
            t
            for t in workflow.allowed(request.user, evaluation)
            if t.name not in ("submit", "withdraw")
        ],
        "can_withdraw": workflow.may(request.user, "withdraw", evaluation),
        "submit_confirmation": workflow.submit_confirmation(request.user, evaluation),
        "typed_reason": reviewed.get("reason", "") if reviewed else "",
        "crumbs": _crumbs(request.user, evaluation),
        "can_review": workflow.may(request.user, "approve", evaluation),
        # a 主管部门审核人: 本行审核意见 without 审核得分 (the score is finance's)
        "can_comment": workflow.may(request.user, "supervisor_return", evaluation),
        "rounds": rounds,
        "last_round": rounds[0] if rounds else None,
        "can_extend": workflow.extend_refusal(request.user, evaluation) is None,
        "levels": qualitative_choices(),
        "export_formats": [("xlsx", " Excel"), ("pdf", " PDF")],
        "history": history,
    }


@login_required
@require_POST
def evaluation_preview(request, pk: int):
    """Live scoring for the form: what the rules say about the values typed so far. Writes
    nothing; the rules stay in the scoring module, not in JavaScript."""
    evaluation = selectors.evaluation_for(request.user, pk)
    results = services.results_of(evaluation)
    if request.POST.get("mode") == "review":  # the reviewer's live 审核总分 (review.js)
        reviews, errors = parse_reviews(request.POST, results)
        preview = services.evaluation_review_preview(evaluation, results, reviews)
        preview["errors"] = errors
        return JsonResponse(_jsonable(preview), json_dumps_params={"ensure_ascii": False})
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


def _wants_json(request) -> bool:
    """The page's script (static/js/evidence.js) asks for JSON; a plain form post (no script)
    gets the redirect and message as before."""
    return "application/json" in request.headers.get("Accept", "")


def _evidence_answer(request, call) -> JsonResponse | None:
    """Run `call()` (a service) for the script: its refusal is an answer the page shows beside
    the line (200, ok false; the page is not reloaded), not a failure. None for a form post."""
    if not _wants_json(request):
        return None
    try:
        payload = call()
    except UserError as error:
        return JsonResponse({"ok": False, "error": str(error)}, json_dumps_params=_CHINESE)
    return JsonResponse({"ok": True, **payload}, json_dumps_params=_CHINESE)


_CHINESE = {"ensure_ascii": False}


@login_required
@require_POST
@back_to(_evidence_of)
def evidence_upload(request, pk: int):
    evaluation = selectors.evaluation_for(request.user, pk)
    result = selectors.result_on(evaluation, optional_id(request.POST.get("result")))
    upload = request.FILES.get("file")

    def add() -> dict:
        if result is None or upload is None:
            raise workflow.WorkflowError("请选择指标和要上传的文件。")
        evidence = services.evidence_add(result=result, user=request.user, upload=upload)
        html = render_to_string(
            "evaluations/_evidence_file.html", {"f": evidence, "editable": True}, request
        )
        return {"result": result.pk, "name": evidence.original_name, "html": html}

    if (answer := _evidence_answer(request, add)) is not None:
        return answer
    add()
    messages.success(request, f"已上传：{upload.name}")
    return redirect(f"{reverse('evaluation', args=[evaluation.pk])}#evidence")


@login_required
@require_POST
def evidence_delete(request, pk: int):
    evidence = selectors.evidence_for(request.user, pk)
    evaluation_pk = evidence.result.evaluation_id

    def remove() -> dict:
        services.evidence_remove(evidence=evidence, user=request.user)
        return {"result": evidence.result_id, "name": evidence.original_name}

    if (answer := _evidence_answer(request, remove)) is not None:
        return answer
    # a refusal goes back to the same evaluation (UserErrorMiddleware, the page's Referer)
    remove()
    messages.success(request, f"已删除：{evidence.original_name}")
    return redirect(f"{reverse('evaluation', args=[evaluation_pk])}#evidence")


@login_required
def evidence_download(request, pk: int):
    evidence = selectors.evidence_for(request.user, pk)
    return files.download(evidence.file, evidence.original_name)
