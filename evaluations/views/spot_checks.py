"""抽查复核: draw a sample (with a preview of its count), the sample's list, the re-check of one
sampled form. Finance reviewers (their departments) and administrators only: others get 404."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from core import numbers
from core.http import as_int

from .. import consistency, sampling, selectors
from .. import spot_check_selectors as spot
from ..forms import REVIEW_SCORE_FIELD
from ..models import SelfEvaluation, SpotCheckItem
from ..services import spot_checks as services
from ..services.spot_checks import SampleParameters, SpotCheckRefused

EXECUTION_SCORE_FIELD = SelfEvaluation._meta.get_field("execution_score")
MAX_SEED_DIGITS = 16


def _require_finance(user) -> None:
    if not spot.may_spot_check(user):
        raise Http404("未找到该页面。")


def _defaults(fiscal_year) -> dict[str, str]:
    return {
        "percent": numbers.plain(fiscal_year.sample_percent),
        "minimum": str(fiscal_year.sample_min_per_department),
        "low": numbers.plain(fiscal_year.sample_low_execution * 100),
        "seed": "",
    }


def _read_parameters(data, errors: dict[str, str]) -> SampleParameters | None:
    """The typed parameters (执行率 in %), or None with `errors` by input name. A blank seed is
    a new random one (put back into the form, so that the preview and the draw agree)."""

    def number(name: str, label: str) -> Decimal | None:
        try:
            value = numbers.parse(data.get(name, ""), label=label)
        except numbers.NumberRefused as refused:
            errors[name] = str(refused)
            return None
        if value is None:
            errors[name] = f"请填写{label}。"
        return value

    percent = number("percent", "抽查比例")
    low = number("low", "执行率阈值")
    minimum_text = data.get("minimum", "").strip()
    minimum = as_int(minimum_text, maximum=services.MAX_MINIMUM)
    if minimum is None:
        errors["minimum"] = f"每个单位至少抽查份数须为0至{services.MAX_MINIMUM}的整数。"
    seed_text = data.get("seed", "").strip()
    if seed_text:
        seed = as_int(seed_text) if len(seed_text) <= MAX_SEED_DIGITS else None
        if seed is None:
            errors["seed"] = "随机种子须为不超过16位的非负整数，留空则随机生成。"
    else:
        seed = services.new_seed()
    if errors:
        return None
    parameters = SampleParameters(
        percent=percent, minimum=minimum, low_execution=low / 100, seed=seed
    )
    for key, message in services.parameters_problems(parameters).items():
        # the service names the threshold by its field; the form's input is "low"
        errors["low" if key == "low_execution" else key] = message
    return None if errors else parameters


@login_required
def spot_checks(request):
    """The year's samples, and the form to draw one: 预览 (GET, counts what a draw would
    choose) and 抽取 (POST, records it and opens it)."""
    _require_finance(request.user)
    all_years = selectors.years()
    fiscal_year = selectors.year_or_current(all_years, request.GET.get("year"))
    context = {"years": all_years, "year": fiscal_year}
    if fiscal_year is None:
        return render(request, "evaluations/spot_checks.html", context)
    errors: dict[str, str] = {}
    preview = None
    values = _defaults(fiscal_year)
    if request.method == "POST" or "preview" in request.GET:
        data = request.POST if request.method == "POST" else request.GET
        values = {k: data.get(k, "").strip()[:40] for k in values}
        parameters = _read_parameters(data, errors)
        if parameters is not None:
            values["seed"] = str(parameters.seed)
            if request.method == "POST":
                try:
                    spot_check = services.spot_check_draw(
                        user=request.user, fiscal_year=fiscal_year, parameters=parameters
                    )
                except SpotCheckRefused as refused:
                    for key, message in refused.problems.items():
                        errors["low" if key == "low_execution" else key] = message
                else:
                    messages.success(
                        request,
                        f"已抽取 {spot_check.items.count()} 份自评表"
                        f"（随机种子 {spot_check.seed}）。",
                    )
                    return redirect("spot_check", spot_check.pk)
            else:
                preview = services.spot_check_preview(
                    user=request.user, fiscal_year=fiscal_year, parameters=parameters
                )
    context.update(
        {
            "values": values,
            "errors": errors,
            "general_error": errors.get(""),
            "preview": preview,
            "samples": spot.spot_checks_of(request.user, fiscal_year),
            "population": spot.spot_check_population(request.user, fiscal_year).count(),
        }
    )
    return render(request, "evaluations/spot_checks.html", context)


@login_required
def spot_check(request, pk: int):
    """One sample: its parameters and seed, whether drawing again gives the same forms, the
    departments whose re-checks differ too much, and each sampled form."""
    _require_finance(request.user)
    sample = spot.spot_check_for(request.user, pk)
    items = spot.items_of(request.user, sample)
    recorded = {item.evaluation_id for item in sample.items.all()}
    again = services.spot_check_redraw(sample)
    threshold = sample.year.spot_check_difference_threshold
    differences = sampling_differences(items, threshold)
    names = {item.evaluation.department_id: item.evaluation.department.name for item in items}
    return render(
        request,
        "evaluations/spot_check.html",
        {
            "sample": sample,
            "items": items,
            "reproduced": set(again) == recorded,
            "population": len(sample.population),
            "low_percent": numbers.plain(sample.low_execution * 100),
            "threshold": threshold,
            "differences": [
                {
                    "name": names[d.department],
                    "mean": d.mean,
                    "count": d.count,
                    "flagged": d.flagged,
                }
                for d in differences.values()
            ],
            "flagged": {d.department for d in differences.values() if d.flagged},
            "done": sum(1 for item in items if item.done),
        },
    )


def sampling_differences(items: list[SpotCheckItem], threshold: Decimal) -> dict:
    return sampling.department_differences(
        (
            (item.evaluation.department_id, item.evaluation.total_score, item.total_score)
            for item in items
        ),
        threshold,
    )


def _line_values(item: SpotCheckItem, results) -> dict[str, str]:
    """What the inputs show first: the saved 复核得分, else the 审核得分, else the self score."""
    values = {}
    for result in results:
        saved = item.line_scores.get(str(result.id))
        start = saved if saved is not None else (result.review_score or result.score)
        values[f"line-{result.id}"] = "" if start is None else numbers.plain(Decimal(start))
    execution = item.execution_score
    if execution is None:
        execution = item.evaluation.execution_score
    values["execution"] = "" if execution is None else numbers.plain(execution)
    values["conclusion"] = item.conclusion
    return values


@login_required
def spot_check_item(request, pk: int):
    """The re-check of one sampled form: each line with its self score (and 审核得分) and an
    input for its 复核得分, the 预算执行率 likewise, and the 复核结论. A refusal shows every
    typed value again with the message under its input."""
    _require_finance(request.user)
    item = spot.spot_check_item_for(request.user, pk)
    evaluation = item.evaluation
    results = spot.recheck_lines(evaluation)
    policy = selectors.policy_for(evaluation.year)
    errors: dict[str, str] = {}
    values = _line_values(item, results)
    if request.method == "POST":
        values = {key: request.POST.get(key, "")[: services.CONCLUSION_MAX + 10] for key in values}
        line_scores: dict[int, Decimal | None] = {}
        for result in results:
            key = f"line-{result.id}"
            try:
                line_scores[result.id] = numbers.read(
                    values[key],
                    REVIEW_SCORE_FIELD,
                    label=f"“{result.indicator.name}”复核得分",
                    maximum=result.indicator.weight,
                )
            except numbers.NumberRefused as refused:
                errors[key] = str(refused)
        try:
            execution = numbers.read(
                values["execution"],
                EXECUTION_SCORE_FIELD,
                label="预算执行率复核得分",
                maximum=policy.execution_weight,
            )
        except numbers.NumberRefused as refused:
            errors["execution"] = str(refused)
            execution = None
        if not errors:
            try:
                services.spot_check_item_save(
                    item=item,
                    user=request.user,
                    execution_score=execution,
                    line_scores=line_scores,
                    conclusion=values["conclusion"],
                )
            except SpotCheckRefused as refused:
                errors.update(refused.problems)
            else:
                messages.success(
                    request, f"已保存复核：复核总分 {item.total_score} 分，等级“{item.grade}”。"
                )
                return redirect("spot_check_item", item.pk)
    rows = [
        {
            "result": r,
            "key": f"line-{r.id}",
            "value": values[f"line-{r.id}"],
            "error": errors.get(f"line-{r.id}", ""),
        }
        for r in results
    ]
    return render(
        request,
        "evaluations/spot_check_item.html",
        {
            "item": item,
            "evaluation": evaluation,
            "rows": rows,
            "values": values,
            "errors": errors,
            "general_error": errors.get(""),
            "refusal": services.recheck_refusal(item),
            "execution_weight": policy.execution_weight,
            "flag_labels": consistency.LABELS,
            "back": reverse("spot_check", args=[item.spot_check_id])
            + "?"
            + urlencode({"year": evaluation.year.year}),
        },
    )
