"""抽查复核 and 结果应用: finance draws a seeded sample of the year's approved self-evaluations,
re-scores the sampled forms (the approved evaluation itself stays frozen: the re-check is its own
record), and may replace the rule's 结果应用 suggestion with its own, with a reason. Each write
owns its transaction and leaves one audit record."""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets.models import FiscalYear
from core.audit import audit_record
from core.errors import UserError

from .. import application, sampling, scoring
from .. import spot_check_selectors as selectors
from ..models import (
    FormState,
    IndicatorResult,
    ResultSuggestion,
    SelfEvaluation,
    SpotCheck,
    SpotCheckItem,
)
from ..selectors import policy_for

MAX_SEED = 2**53  # fits a JavaScript number and a PositiveBigIntegerField alike
MAX_MINIMUM = 1000
CONCLUSION_MAX = 4000
REASON_MAX = 2000


class SpotCheckRefused(UserError):
    """Bad parameters or scores; `problems` by input name ("execution", "line-<id>",
    "conclusion", or "" for the form as a whole)."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("；".join(problems.values()))


@dataclass(frozen=True)
class SampleParameters:
    percent: Decimal
    minimum: int
    low_execution: Decimal  # a ratio: 0.80 = 80%
    seed: int


def parameters_problems(p: SampleParameters) -> dict[str, str]:
    problems = {}
    if not Decimal(0) <= p.percent <= Decimal(100):
        problems["percent"] = "抽查比例须在0至100之间。"
    if not 0 <= p.minimum <= MAX_MINIMUM:
        problems["minimum"] = f"每个单位至少抽查份数须在0至{MAX_MINIMUM}之间。"
    if not Decimal(0) <= p.low_execution <= Decimal(1):
        problems["low_execution"] = "执行率阈值须在0至100%之间。"
    if not 0 <= p.seed < MAX_SEED:
        problems["seed"] = "随机种子须为不超过16位的非负整数。"
    return problems


def stored(p: SampleParameters) -> SampleParameters:
    """The parameters as the record keeps them (2 places of %, 3 of the ratio): the draw uses
    these, so drawing again from the record gives the same sample."""
    return SampleParameters(
        percent=p.percent.quantize(Decimal("0.01")),
        minimum=p.minimum,
        low_execution=p.low_execution.quantize(Decimal("0.001")),
        seed=p.seed,
    )


def new_seed() -> int:
    return secrets.randbelow(10**6)


def candidates_of(user, fiscal_year: FiscalYear) -> list[sampling.Candidate]:
    """The population of a new draw: the user's departments' 已审核 self-evaluations of the year
    that no earlier draw chose (1 query)."""
    return [
        sampling.Candidate(
            id=row["id"],
            department=row["department_id"],
            flagged=bool(row["flags"]),
            grade=row["review_grade"] or row["grade"],
            rate=row["execution_rate"],
        )
        for row in selectors.spot_check_population(user, fiscal_year).values(
            "id", "department_id", "flags", "grade", "review_grade", "execution_rate"
        )
    ]


def spot_check_preview(
    *, user, fiscal_year: FiscalYear, parameters: SampleParameters
) -> dict[str, int]:
    """What a draw with these parameters would choose, counted (nothing written)."""
    parameters = stored(parameters)
    candidates = candidates_of(user, fiscal_year)
    chosen = sampling.draw(
        candidates,
        percent=parameters.percent,
        minimum=parameters.minimum,
        low_execution=parameters.low_execution,
        seed=parameters.seed,
    )
    mandatory = sum(1 for reasons in chosen.values() if sampling.RANDOM not in reasons)
    return {
        "population": len(candidates),
        "chosen": len(chosen),
        "mandatory": mandatory,
        "departments": len({c.department for c in candidates}),
    }


def _population_json(candidates: list[sampling.Candidate]) -> list[dict]:
    return [
        {
            "id": c.id,
            "department": c.department,
            "flagged": c.flagged,
            "grade": c.grade,
            "rate": None if c.rate is None else str(c.rate),
        }
        for c in candidates
    ]


def population_of(spot_check: SpotCheck) -> list[sampling.Candidate]:
    return [
        sampling.Candidate(
            id=c["id"],
            department=c["department"],
            flagged=c["flagged"],
            grade=c["grade"],
            rate=None if c["rate"] is None else Decimal(c["rate"]),
        )
        for c in spot_check.population
    ]


def spot_check_redraw(spot_check: SpotCheck) -> dict[int, list[str]]:
    """The draw again, from the recorded population, seed and parameters (the 核验 on the
    sample's page: it must equal the recorded items)."""
    return sampling.draw(
        population_of(spot_check),
        percent=spot_check.percent,
        minimum=spot_check.minimum,
        low_execution=spot_check.low_execution,
        seed=spot_check.seed,
    )


def spot_check_draw(*, user, fiscal_year: FiscalYear, parameters: SampleParameters) -> SpotCheck:
    """Draw and record a sample over the user's departments. Draws of one year are serialized
    (the year's row is locked), so two at once cannot choose the same form."""
    if not selectors.may_spot_check(user):
        raise UserError("只有财政审核人或系统管理员可以抽查复核。")
    if problems := parameters_problems(parameters):
        raise SpotCheckRefused(problems)
    parameters = stored(parameters)
    with transaction.atomic():
        FiscalYear.objects.select_for_update().filter(pk=fiscal_year.pk).first()
        candidates = candidates_of(user, fiscal_year)
        if not candidates:
            raise SpotCheckRefused(
                {"": "没有可抽查的自评表：抽查范围为财政已审核、且尚未被抽中的绩效自评。"}
            )
        chosen = sampling.draw(
            candidates,
            percent=parameters.percent,
            minimum=parameters.minimum,
            low_execution=parameters.low_execution,
            seed=parameters.seed,
        )
        if not chosen:
            raise SpotCheckRefused({"percent": "按此比例和每单位份数抽不到任何自评表。"})
        scope = selectors.spot_check_scope(user)
        spot_check = SpotCheck.objects.create(
            year=fiscal_year,
            created_by=user,
            seed=parameters.seed,
            percent=parameters.percent,
            minimum=parameters.minimum,
            low_execution=parameters.low_execution,
            department_ids=sorted({c.department for c in candidates} if scope is None else scope),
            population=_population_json(candidates),
        )
        SpotCheckItem.objects.bulk_create(
            SpotCheckItem(spot_check=spot_check, evaluation_id=pk, reasons=reasons)
            for pk, reasons in chosen.items()
        )
        audit_record(
            actor=user,
            action="抽查复核·抽取",
            obj=spot_check,
            changes={
                "seed": [None, str(parameters.seed)],
                "percent": [None, str(parameters.percent)],
                "minimum": [None, str(parameters.minimum)],
                "low_execution": [None, str(parameters.low_execution)],
                "population": [None, len(candidates)],
                "items": [None, sorted(chosen)],
            },
        )
    return spot_check


def _s(value) -> str | None:
    return None if value is None else str(value)


def recheck_refusal(item: SpotCheckItem) -> str | None:
    if item.evaluation.state != FormState.APPROVED:
        return "该自评已被重新打开，待财政再次审核通过后才能复核。"
    return None


def recheck_total(
    item: SpotCheckItem,
    results: list[IndicatorResult],
    execution: Decimal | None,
    line_scores: dict[int, Decimal | None],
) -> tuple[Decimal, str]:
    """复核总分 and its grade by the year's policy (scoring.total_score, scoring.grade)."""
    policy = policy_for(item.evaluation.year)
    total = scoring.total_score(execution, [line_scores.get(r.id) for r in results], policy)
    return total, scoring.grade(total, policy) or ""


def spot_check_item_save(
    *,
    item: SpotCheckItem,
    user,
    execution_score: Decimal | None,
    line_scores: dict[int, Decimal | None],
    conclusion: str,
) -> SpotCheckItem:
    """Record the re-check of one sampled form: a 复核得分 for 预算执行率 and for every indicator
    line (each 0..its 分值), and a 复核结论. Everything is required; a refusal saves nothing."""
    if not selectors.may_recheck(user, item):
        raise UserError("您无权复核该自评表。")
    if refusal := recheck_refusal(item):
        raise SpotCheckRefused({"": refusal})
    evaluation = item.evaluation
    policy = policy_for(evaluation.year)
    results = selectors.recheck_lines(evaluation)
    problems: dict[str, str] = {}
    if execution_score is None:
        problems["execution"] = "请填写预算执行率的复核得分。"
    elif error := scoring.check_score("≥", policy.execution_weight, execution_score, None, policy):
        problems["execution"] = f"预算执行率复核得分：{error}"
    for result in results:
        score = line_scores.get(result.id)
        key = f"line-{result.id}"
        if score is None:
            problems[key] = f"请填写“{result.indicator.name}”的复核得分。"
        elif error := scoring.check_score("≥", result.indicator.weight, score, None, policy):
            problems[key] = f"“{result.indicator.name}”复核得分：{error}"
    conclusion = conclusion.strip()
    if not conclusion:
        problems["conclusion"] = "请填写复核结论。"
    elif len(conclusion) > CONCLUSION_MAX:
        problems["conclusion"] = f"复核结论不能超过{CONCLUSION_MAX}字。"
    if problems:
        raise SpotCheckRefused(problems)
    total, grade = recheck_total(item, results, execution_score, line_scores)
    scores = {str(r.id): str(line_scores[r.id]) for r in results}
    with transaction.atomic():
        locked = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
        old = {
            "execution_score": _s(locked.execution_score),
            "line_scores": locked.line_scores,
            "conclusion": locked.conclusion,
            "total_score": _s(locked.total_score),
            "grade": locked.grade,
        }
        item.execution_score = execution_score
        item.line_scores = scores
        item.conclusion = conclusion
        item.total_score, item.grade = total, grade
        item.rechecked_by, item.rechecked_at = user, timezone.now()
        item.save()
        new = {
            "execution_score": _s(execution_score),
            "line_scores": scores,
            "conclusion": conclusion,
            "total_score": _s(total),
            "grade": grade,
        }
        audit_record(
            actor=user,
            action="抽查复核·复核",
            obj=evaluation,
            changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
        )
    return item


def result_suggestion_set(
    *, evaluation: SelfEvaluation, user, suggestion: str, reason: str
) -> ResultSuggestion | None:
    """Finance replaces the rule's 结果应用 suggestion of an evaluated form with its own, with a
    reason; choosing the rule's own suggestion again removes the change (also with a reason).
    Returns the change, or None when the rule's suggestion stands again."""
    if not selectors.may_apply_results(user, evaluation.department_id):
        raise UserError("您无权调整该单位的结果应用建议。")
    if suggestion not in application.SUGGESTIONS:
        raise SpotCheckRefused({"suggestion": "请选择有效的建议。"})
    reason = reason.strip()
    if not reason:
        raise SpotCheckRefused({"reason": "调整建议须填写理由。"})
    if len(reason) > REASON_MAX:
        raise SpotCheckRefused({"reason": f"理由不能超过{REASON_MAX}字。"})
    rule = selectors.rule_suggestion(evaluation)
    if not rule:
        raise SpotCheckRefused({"": "该表单尚未评价（财政审核通过后才有建议），不能调整建议。"})
    with transaction.atomic():
        current = ResultSuggestion.objects.select_for_update().filter(evaluation=evaluation).first()
        old = current.suggestion if current else rule
        if suggestion == rule:
            if current:
                current.delete()
            change = None
        else:
            change, _ = ResultSuggestion.objects.update_or_create(
                evaluation=evaluation,
                defaults={
                    "suggestion": suggestion,
                    "rule_suggestion": rule,
                    "reason": reason,
                    "changed_by": user,
                },
            )
        audit_record(
            actor=user,
            action="结果应用·调整建议",
            obj=evaluation,
            changes={"suggestion": [old, suggestion]},
            reason=reason,
        )
    return change
