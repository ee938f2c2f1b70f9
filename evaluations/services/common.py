"""Writes of the evaluations app. Every write owns its transaction and leaves one audit record."""

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from budgets.models import DepartmentBudget, FiscalYear
from core import formatting, numbers
from core.bulk import few_collections, rows_update

from .. import consistency, scoring
from ..consistency import Flag, FundPart
from ..funds import evaluation_funds
from ..models import Indicator, IndicatorResult, SelfEvaluation
from ..selectors import policy_for


class Funds(NamedTuple):
    full: Decimal | None
    executed: Decimal | None
    # the rows under the total (fund sources of a project, income natures of a department)
    parts: tuple[FundPart, ...] = ()
    # 部门整体: 全年执行数 by expense nature (基本支出 + 项目支出 决算), None when incomplete
    expense_executed: Decimal | None = None


def funds_of(evaluation: SelfEvaluation, budget: DepartmentBudget | None = None) -> Funds:
    """全年预算数 and 全年执行数 behind an evaluation's 执行率: the total row of its 资金 block
    (the project's funds, or the department's income by nature; None where 无数据)."""
    total, *rows = evaluation_funds(evaluation, budget)
    expense = None
    if evaluation.project_id is None and budget is not None:
        parts = (budget.basic_personnel_final, budget.basic_public_final, budget.project_final)
        if all(part is not None for part in parts):
            expense = sum(parts, Decimal("0"))
    return Funds(
        total.full,
        total.executed,
        tuple(FundPart(row.label, row.full, row.executed) for row in rows),
        expense,
    )


def _field(model, name: str):
    return model._meta.get_field(name)


def _computed(compute, field) -> tuple[Decimal | None, bool]:
    """(figure fitted to its column, whether it was out of range): the one place computed
    figures pass before they are stored. A figure that does not fit (or cannot be computed from
    an oversized old value) becomes None, shown as 超出范围 with its inputs, never a broken row."""
    try:
        value = compute()
    except ArithmeticError:
        return None, True
    fitted = numbers.fit(value, field)
    return fitted, value is not None and fitted is None


def evaluation_compute(
    evaluation: SelfEvaluation, results: list[IndicatorResult], funds: Funds, policy: scoring.Policy
) -> None:
    """Derive suggested scores, 执行率, totals and grades in memory (no queries, no saves).
    The entered score stays as the clerk gave it; the suggestion is what the rules compute."""
    out_of_range: list[Flag] = []
    suggested_field = _field(IndicatorResult, "suggested_score")
    for result in results:
        indicator = result.indicator
        result.suggested_score, over = _computed(
            lambda indicator=indicator, result=result: scoring.suggested_score(
                indicator.comparator,
                indicator.weight,
                indicator.target_number,
                scoring.actual_number(result.actual_value, indicator.unit),
                result.level or None,
                policy,
            ),
            suggested_field,
        )
        if over:
            out_of_range.append(
                Flag(
                    "out_of_range",
                    f"“{indicator.name}”的建议得分超出范围（实际完成值{result.actual_value[:40]}，"
                    f"年度指标值{indicator.effective_target}）",
                    result.id,
                )
            )
    evaluation.execution_rate, over = _computed(
        lambda: scoring.execution_rate(funds.full, funds.executed, policy),
        _field(SelfEvaluation, "execution_rate"),
    )
    if over:
        out_of_range.append(
            Flag(
                "out_of_range",
                f"执行率超出范围（全年执行数{formatting.money(funds.executed)} ÷ "
                f"全年预算数{formatting.money(funds.full)}），请核对资金数据",
            )
        )
    evaluation.execution_score, _ = _computed(
        lambda: scoring.execution_score(evaluation.execution_rate, policy),
        _field(SelfEvaluation, "execution_score"),
    )
    total_field = _field(SelfEvaluation, "total_score")
    if any(r.score is not None for r in results) or evaluation.execution_score is not None:
        evaluation.total_score, over = _computed(
            lambda: scoring.total_score(
                evaluation.execution_score, [r.score for r in results], policy
            ),
            total_field,
        )
        if over:
            out_of_range.append(Flag("out_of_range", "自评总分超出范围，请核对各项得分"))
        evaluation.grade = scoring.grade(evaluation.total_score, policy) or ""
    else:
        evaluation.total_score, evaluation.grade = None, ""
    if any(r.review_score is not None for r in results):
        evaluation.review_total_score, over = _computed(
            lambda: scoring.total_score(
                evaluation.execution_score,
                [r.score if r.review_score is None else r.review_score for r in results],
                policy,
            ),
            _field(SelfEvaluation, "review_total_score"),
        )
        if over:
            out_of_range.append(Flag("out_of_range", "审核总分超出范围，请核对审核得分"))
        evaluation.review_grade = scoring.grade(evaluation.review_total_score, policy) or ""
    else:
        evaluation.review_total_score, evaluation.review_grade = None, ""
    evaluation.flags = [
        flag.to_json()
        for flag in out_of_range
        + consistency.evaluation_flags(
            execution_rate=evaluation.execution_rate,
            results=results,
            funds=funds,
            policy=policy,
            stated_rate=evaluation.stated_execution_rate,
            stated_total=evaluation.stated_total_score,
            total=evaluation.total_score,
        )
    ]


COMPUTED_EVALUATION_FIELDS = [
    "execution_rate",
    "execution_score",
    "total_score",
    "grade",
    "review_total_score",
    "review_grade",
    "flags",
]


EVALUATION_BATCH = 500
RESULT_BATCH = 2000
# Text an evaluation's figures never depend on (an approved form's snapshot is the largest).
RECOMPUTE_UNREAD = ("snapshot", "actual_text", "problems", "measures", "review_comment")


LINE_FIELDS = ("id", "actual_value", "level", "suggested_score", "score", "review_score")
LINE_INDICATOR_FIELDS = ("name", "comparator", "target_value", "adjusted_target_value", "unit")
LINE_INDICATOR_FIELDS += ("weight",)


class _LineIndicator:
    """What the figures read of an indicator, through Indicator's own properties."""

    __slots__ = (*LINE_INDICATOR_FIELDS, "target_number")
    is_qualitative = Indicator.is_qualitative
    effective_target = Indicator.effective_target

    def __init__(self, name, comparator, target_value, adjusted_target_value, unit, weight):
        self.name, self.comparator, self.unit, self.weight = name, comparator, unit, weight
        self.target_value, self.adjusted_target_value = target_value, adjusted_target_value
        self.target_number = Indicator.target_number.fget(self)  # read once, not per use


class _Line:
    """What the figures read of a result line. A city's 45,000 lines as model instances (with
    their indicators) took 1.6 s of CPU to build; as these, 0.1 s. evaluation_compute and the
    consistency flags read lines by attribute and work on either."""

    __slots__ = (*LINE_FIELDS, "indicator")

    def __init__(self, id, actual_value, level, suggested_score, score, review_score, indicator):  # noqa: A002
        self.id, self.actual_value, self.level, self.indicator = id, actual_value, level, indicator
        self.suggested_score, self.score, self.review_score = suggested_score, score, review_score


def _lines_of(evaluations: QuerySet) -> dict[int, list[_Line]]:
    """The result lines of the evaluations, in one query (a subquery: no list of ids, however
    many), in the order of their pks."""
    lines: dict[int, list[_Line]] = defaultdict(list)
    rows = (
        IndicatorResult.objects.filter(evaluation__in=evaluations.values("pk"))
        .order_by("pk")
        .values_list(
            "evaluation_id",
            *LINE_FIELDS,
            *(f"indicator__{name}" for name in LINE_INDICATOR_FIELDS),
        )
    )
    width = len(LINE_FIELDS) + 1
    for row in rows:
        line = _Line(*row[1:width], _LineIndicator(*row[width:]))
        lines[row[0]].append(line)
    return lines


def year_recompute(*, fiscal_year: FiscalYear, request: int | None = None) -> int | None:
    """Recompute every self-evaluation of a year (after a policy change): suggestions, 执行率,
    totals and grades. Frozen (approved) snapshots, which the tables print, do not change.

    With `request` (the year's recompute_requested this run answers) the writes happen only if no
    newer policy change came meanwhile, checked under a lock on the year row, and mark the
    request done; otherwise nothing is written (None) and the newer request's run does it. So an
    older policy never overwrites the figures of a newer one, whatever the order tasks end in."""
    return evaluations_recompute(
        SelfEvaluation.objects.filter(year=fiscal_year),
        year_request=None if request is None else (fiscal_year, request),
    )


@few_collections()
def evaluations_recompute(
    evaluations, *, year_request: tuple[FiscalYear, int] | None = None
) -> int | None:
    """Recompute the derived figures of the self-evaluations of a queryset (any years): reads in
    a fixed number of queries and writes only what changed. A result's suggestion takes few
    distinct values: one UPDATE per value. An evaluation's seven figures are mostly its own: one
    UPDATE … FROM VALUES per EVALUATION_BATCH rows (core.bulk.rows_update; one UPDATE per
    distinct value cost 1,600 round trips, Django's bulk_update 2.5 s of building CASEs)."""
    lines_of = _lines_of(evaluations)
    evaluations = list(evaluations.select_related("project").defer(*RECOMPUTE_UNREAD))
    years = FiscalYear.objects.in_bulk({e.year_id for e in evaluations})
    for evaluation in evaluations:  # one instance a year, not one a form
        evaluation.year = years[evaluation.year_id]
    budgets = {
        (b.year_id, b.department_id): b for b in DepartmentBudget.objects.filter(year_id__in=years)
    }
    policies = {year_id: policy_for(year) for year_id, year in years.items()}
    changed_results: list[_Line] = []
    changed_evaluations: list[SelfEvaluation] = []
    for evaluation in evaluations:
        lines = lines_of.get(evaluation.pk, [])
        policy = policies[evaluation.year_id]
        before = [r.suggested_score for r in lines]
        computed_before = tuple(getattr(evaluation, f) for f in COMPUTED_EVALUATION_FIELDS)
        budget = budgets.get((evaluation.year_id, evaluation.department_id))
        evaluation_compute(evaluation, lines, funds_of(evaluation, budget), policy)
        for line, old in zip(lines, before, strict=True):
            if line.suggested_score != old:
                changed_results.append(line)
        computed = tuple(getattr(evaluation, f) for f in COMPUTED_EVALUATION_FIELDS)
        if computed != computed_before:
            changed_evaluations.append(evaluation)
    with transaction.atomic():
        if year_request is not None:
            fiscal_year, request = year_request
            year = FiscalYear.objects.select_for_update().get(pk=fiscal_year.pk)
            if year.recompute_requested != request:
                return None
        rows_update(IndicatorResult, changed_results, ["suggested_score"], batch_size=RESULT_BATCH)
        rows_update(
            SelfEvaluation,
            changed_evaluations,
            COMPUTED_EVALUATION_FIELDS,
            batch_size=EVALUATION_BATCH,
        )
        if year_request is not None:
            FiscalYear.objects.filter(pk=fiscal_year.pk).update(
                recompute_done=request, recomputed_at=timezone.now()
            )
    return len(evaluations)


def id_chunks(ids: list[int], size: int = 900):
    """`ids` in lists short enough for one IN (...) (SQLite's older limit of 999 variables)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
