"""Self-evaluation (绩效自评): opening, recording results, the rules of submission, review."""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets.access import scope
from budgets.models import FUND_SOURCES, DepartmentBudget, Project
from core import numbers
from core.audit import audit_record, audit_records
from core.http import as_id

from .. import consistency, rules, scoring, workflow
from ..models import FormState, Indicator, IndicatorResult, SelfEvaluation, TargetSheet
from ..selectors import policy_for
from ..snapshot import content_hash, evaluation_queryset, gather_evaluations
from .common import COMPUTED_EVALUATION_FIELDS, evaluation_compute, funds_of, id_chunks
from .transitions import FormProblems, bump_version, form_transition, person


@dataclass
class ResultInput:
    """One indicator line as the clerk typed it (type-checked by the form)."""

    id: int
    actual_value: str
    level: str
    score: Decimal | None
    deviation_reason: str


@dataclass
class EvaluationInput:
    actual_text: str
    problems: str
    measures: str
    execution_reason: str
    results: list[ResultInput]
    # 全年执行数 by source (项目 only): the clerk confirms the year's execution here
    executed: dict[str, Decimal] | None = None
    # 执行率 / 总分 as a source table states them (stated_execution_rate, stated_total_score)
    stated: dict[str, Decimal | None] | None = None


def editing_refusal(user, evaluation: SelfEvaluation) -> str | None:
    """Why this user may not edit this evaluation now (Chinese), or None (`rules`)."""
    return rules.editing_refusal(
        evaluation_open=evaluation.year.evaluation_open,
        may_edit=workflow.can_edit(user, evaluation),
        state_label=evaluation.get_state_display(),
        overdue_since=workflow.deadline_of(evaluation) if workflow.is_overdue(evaluation) else None,
    )


def evaluation_start(*, user, project_id=None, department_id=None, year_id=None) -> SelfEvaluation:
    """The self-evaluation of an approved target sheet, created with one result line per
    indicator on first use (`evaluations_start` for one sheet)."""
    if project_id:
        project = scope(Project.objects.all(), user).filter(pk=as_id(project_id)).first()
        sheet = TargetSheet.objects.filter(project=project).first() if project else None
    else:
        sheet = (
            scope(TargetSheet.objects.all(), user)
            .filter(project=None, department_id=as_id(department_id), year_id=as_id(year_id))
            .first()
        )
    if sheet is None:
        raise workflow.WorkflowError("未找到该项目的绩效目标，或您无权填报。")
    with transaction.atomic():
        started = evaluations_start(user=user, sheet_ids=[sheet.pk])
        evaluation = started.evaluations[sheet.pk]
        if sheet.pk in started.created:
            evaluation_refresh(evaluation)
    return evaluation


@dataclass
class Started:
    evaluations: dict[int, SelfEvaluation]  # by target sheet id: found or created
    created: set[int]  # the sheet ids whose evaluation this call created


def _evaluation_key(form) -> tuple:
    return form.year_id, form.department_id, form.project_id


def evaluations_start(*, user, sheet_ids, may_start=None) -> Started:
    """The self-evaluations of these target sheets (ids), started where missing (one result line per
    indicator, one audit record each) by the rule of `rules.start_refusal`, in a fixed number of
    queries whatever their number. Any sheet refused raises WorkflowError with its message and
    nothing is started. `may_start(department_id)` says who may start (default: the user acts
    for the unit; an import passes its own access). Derived figures are left to the caller."""
    if may_start is None:

        def may_start(department_id: int) -> bool:
            return workflow.acts_as(user, workflow.UNIT, department_id)

    ids = sorted(set(sheet_ids))  # one lock order for concurrent starts
    with transaction.atomic():
        # Under the sheets' locks (as 目标调整 takes them): a reopening of the targets, an
        # adjustment decided or a second click meanwhile is either seen here or waits.
        locked = [
            sheet
            for chunk in id_chunks(ids)
            for sheet in TargetSheet.objects.select_for_update(of=("self",))
            .filter(pk__in=chunk)
            .select_related("year", "project", "department")  # their names in the audit
            .order_by("pk")
        ]
        projects = [s.project_id for s in locked if s.project_id]
        wide = [s for s in locked if not s.project_id]
        existing = {}
        for chunk in id_chunks(projects):
            query = SelfEvaluation.objects.filter(project_id__in=chunk)
            existing.update({_evaluation_key(e): e for e in query.select_related("year")})
        for chunk in id_chunks(sorted({s.department_id for s in wide})):
            query = SelfEvaluation.objects.filter(
                project=None, department_id__in=chunk, year_id__in={s.year_id for s in wide}
            )
            existing.update({_evaluation_key(e): e for e in query.select_related("year")})
        found = {
            s.pk: existing[_evaluation_key(s)] for s in locked if _evaluation_key(s) in existing
        }
        missing = [s for s in locked if s.pk not in found]
        for sheet in missing:
            refusal = rules.start_refusal(
                evaluation_open=sheet.year.evaluation_open,
                may_start=may_start(sheet.department_id),
                targets_approved=sheet.state == FormState.APPROVED,
            )
            if refusal:
                raise workflow.WorkflowError(refusal)
        created = SelfEvaluation.objects.bulk_create(
            SelfEvaluation(year=s.year, department=s.department, project=s.project) for s in missing
        )
        by_sheet = dict(zip((s.pk for s in missing), created, strict=True))
        lines = [
            IndicatorResult(evaluation=by_sheet[sheet_id], indicator_id=indicator_id)
            for chunk in id_chunks(list(by_sheet))
            for sheet_id, indicator_id in Indicator.objects.filter(sheet_id__in=chunk)
            .order_by("order", "pk")
            .values_list("sheet_id", "pk")
        ]
        IndicatorResult.objects.bulk_create(lines, batch_size=BATCH)
        audit_records(actor=user, action="绩效自评·创建", objs=created)
    return Started({**found, **by_sheet}, set(by_sheet))


def results_of(evaluation: SelfEvaluation) -> list[IndicatorResult]:
    return list(
        evaluation.results.select_related("indicator__category__parent").order_by(
            "indicator__order", "indicator_id"
        )
    )


def budget_of(evaluation: SelfEvaluation) -> DepartmentBudget | None:
    if evaluation.project_id:
        return None
    return DepartmentBudget.objects.filter(
        year_id=evaluation.year_id, department_id=evaluation.department_id
    ).first()


def evaluation_refresh(
    evaluation: SelfEvaluation,
    results: list[IndicatorResult] | None = None,
    *,
    result_fields: tuple[str, ...] = ("suggested_score",),
    fill_blank_scores: bool = False,
) -> list[IndicatorResult]:
    """Recompute and store the derived figures (suggestions, 执行率, totals, grades). With
    `fill_blank_scores`, a line without a score takes its suggestion."""
    results = results_of(evaluation) if results is None else results
    funds = funds_of(evaluation, budget_of(evaluation))
    policy = policy_for(evaluation.year)
    evaluation_compute(evaluation, results, funds, policy)
    if fill_blank_scores:
        for result in results:
            if result.score is None and result.suggested_score is not None:
                result.score = result.suggested_score
        evaluation_compute(evaluation, results, funds, policy)
    IndicatorResult.objects.bulk_update(results, list(result_fields))
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        **{name: getattr(evaluation, name) for name in COMPUTED_EVALUATION_FIELDS}
    )
    return results


RESULT_FIELDS = ["actual_value", "level", "score", "deviation_reason"]
TEXT_FIELDS = ["actual_text", "problems", "measures", "execution_reason"]


def apply_input(
    evaluation: SelfEvaluation, results: list[IndicatorResult], data: EvaluationInput
) -> dict:
    """Put typed values on the in-memory objects; returns the audit diff. A blank score takes
    the suggestion (computed afterwards by evaluation_refresh)."""
    changes: dict = {}
    for name in TEXT_FIELDS:
        new = getattr(data, name).strip()
        if getattr(evaluation, name) != new:
            changes[name] = [getattr(evaluation, name), new]
            setattr(evaluation, name, new)
    if data.executed is not None and evaluation.project_id:
        project = evaluation.project
        for source, value in data.executed.items():
            name = f"executed_{source}"
            if getattr(project, name) != value:
                changes[name] = [str(getattr(project, name)), str(value)]
                setattr(project, name, value)
    for name, value in (data.stated or {}).items():
        if getattr(evaluation, name) != value:
            changes[name] = [_s(getattr(evaluation, name)), _s(value)]
            setattr(evaluation, name, value)
    by_id = {r.id: r for r in results}
    for line in data.results:
        result = by_id.get(line.id)
        if result is None:
            continue
        new = {
            "actual_value": line.actual_value.strip(),
            "level": line.level or "",
            "score": line.score,
            "deviation_reason": line.deviation_reason.strip(),
        }
        diff = {
            k: [_s(getattr(result, k)), _s(v)] for k, v in new.items() if getattr(result, k) != v
        }
        if diff:
            changes.setdefault("results", {})[result.indicator.name] = diff
            for key, value in new.items():
                setattr(result, key, value)
    return changes


def _s(value) -> str | None:
    return None if value is None else str(value)


_SOURCE_LABELS = dict(FUND_SOURCES)
BATCH = 2000


class InputRefused(FormProblems):
    """Values refused by the number rule: unlike a submission's problems, nothing was saved."""


def input_problems(
    evaluation: SelfEvaluation, results: list[IndicatorResult], data: EvaluationInput
) -> InputRefused | None:
    """The values of `data` that may not be stored at all, by the one number rule: a score
    outside 0…the line's weight (drafts included), a figure that does not fit its column, a
    全年执行数 that would make the 执行率 absurd. Whatever the path (form, import, offline
    table), such input is refused before anything is written."""
    general: list[str] = []
    lines: dict[int, list[str]] = {}
    by_id = {r.id: r for r in results}
    for line in data.results:
        result = by_id.get(line.id)
        if result is None:
            continue
        typed = rules.ResultLine(
            comparator=result.indicator.comparator,
            weight=result.indicator.weight,
            actual_value=line.actual_value,
            unit=result.indicator.unit,
            score=line.score,
        )
        for problem in (
            rules.actual_value_problem(typed),
            rules.score_refusal(typed.score, typed.weight),
        ):
            if problem:
                lines.setdefault(result.id, []).append(problem)
    if data.executed is not None and evaluation.project_id:
        project = evaluation.project
        executed = {s: getattr(project, f"executed_{s}") for s in _SOURCE_LABELS}
        for source, value in data.executed.items():
            try:
                numbers.check(
                    value,
                    Project._meta.get_field(f"executed_{source}"),
                    label=f"全年执行数·{_SOURCE_LABELS.get(source, source)}",
                )
                executed[source] = value
            except numbers.NumberRefused as refused:
                general.append(str(refused))
        if not general:
            refusal = numbers.execution_refusal(project.full_total, sum(executed.values()))
            if refusal:
                general.append(refusal)
    for name, value in (data.stated or {}).items():
        try:
            numbers.check(value, SelfEvaluation._meta.get_field(name))
        except numbers.NumberRefused as refused:
            general.append(str(refused))
    return InputRefused(general, lines) if general or lines else None


def evaluation_preview(evaluation: SelfEvaluation, data: EvaluationInput) -> dict:
    """What the form would show if saved now: suggestions, totals, grade, per-line problems.
    Nothing is written (the live scoring of the form calls this)."""
    results = results_of(evaluation)
    refused = input_problems(evaluation, results, data)
    if refused:  # preview what would be kept: the refused values are not applied
        data = _without(data, refused)
    apply_input(evaluation, results, data)
    funds = funds_of(evaluation, budget_of(evaluation))
    policy = policy_for(evaluation.year)
    evaluation_compute(evaluation, results, funds, policy)
    for result in results:  # as a save would: a blank score takes the suggestion
        if result.score is None:
            result.score = result.suggested_score
    evaluation_compute(evaluation, results, funds, policy)  # flags see the scores a save keeps
    total = numbers.fit(
        scoring.total_score(evaluation.execution_score, [r.score for r in results], policy),
        SelfEvaluation._meta.get_field("total_score"),
    )
    problems = refused.lines if refused else {}
    return {
        "general": refused.general if refused else [],
        "execution_rate": evaluation.execution_rate,
        "execution_score": evaluation.execution_score,
        "execution_reason_required": scoring.execution_deviation_required(
            evaluation.execution_rate, policy
        ),
        "total": total,
        "grade": scoring.grade(total, policy),
        "flags": [{**f, "label": consistency.LABELS[f["code"]]} for f in evaluation.flags],
        "lines": {
            r.id: {
                "suggested": r.suggested_score,
                "reason_required": scoring.deviation_required(r.score, r.indicator.weight),
                "problems": list(
                    dict.fromkeys(problems.get(r.id, []) + line_problems(r, policy, final=False))
                ),
            }
            for r in results
        },
    }


def _without(data: EvaluationInput, refused: InputRefused) -> EvaluationInput:
    """`data` less what `input_problems` refused (a refused score is left blank, refused
    funds and stated figures are left as stored)."""
    return replace(
        data,
        results=[
            replace(line, score=None) if line.id in refused.lines else line for line in data.results
        ],
        executed=None if refused.general else data.executed,
        stated=None if refused.general else data.stated,
    )


def result_line(result: IndicatorResult) -> rules.ResultLine:
    """The plain values `rules` judges a stored (or about to be stored) line by."""
    indicator = result.indicator
    return rules.ResultLine(
        comparator=indicator.comparator,
        weight=indicator.weight,
        actual_value=result.actual_value,
        unit=indicator.unit,
        level=result.level or "",
        score=result.score,
        suggested_score=result.suggested_score,
        deviation_reason=result.deviation_reason,
    )


def line_problems(result: IndicatorResult, policy: scoring.Policy, final: bool) -> list[str]:
    """The rules of one line (`rules.result_line_problems`). `final` adds what only submission
    requires."""
    return rules.messages(rules.result_line_problems(result_line(result), policy, final=final))


def evaluation_validate(evaluation: SelfEvaluation) -> None:
    """Every rule of DOMAIN.md before submission; FormProblems names the offending lines."""
    policy = policy_for(evaluation.year)
    results = results_of(evaluation)
    lines = {r.id: ms for r in results if (ms := line_problems(r, policy, final=True))}
    general = []
    if not evaluation.actual_text.strip():
        general.append("请填写年度总体目标的实际完成情况")
    if scoring.execution_deviation_required(evaluation.execution_rate, policy) and not (
        evaluation.execution_reason.strip()
    ):
        threshold = f"{policy.deviation_execution_threshold * 100:.0f}%"
        general.append(f"预算执行率低于{threshold}，须填写预算执行偏差原因")
    if not results:
        general.append("没有可自评的绩效指标")
    if lines or general:
        raise FormProblems(general, lines)


def evaluation_save(
    *, evaluation: SelfEvaluation, user, data: EvaluationInput, version: int
) -> SelfEvaluation:
    """Save a draft: values as typed (blank scores take the suggestion), derived figures
    recomputed; one audit record with the changed values."""
    refusal = editing_refusal(user, evaluation)
    if refusal:
        raise workflow.WorkflowError(refusal)
    with transaction.atomic():
        bump_version(evaluation, version, filled_by=person(user))
        results = results_of(evaluation)
        if refused := input_problems(evaluation, results, data):
            raise refused  # inside the transaction: the version bump is rolled back too
        changes = apply_input(evaluation, results, data)
        evaluation.save(update_fields=[*TEXT_FIELDS, *(data.stated or {})])
        if evaluation.project_id and data.executed is not None:
            evaluation.project.save(update_fields=[f"executed_{s}" for s in data.executed])
        evaluation_refresh(
            evaluation,
            results,
            fill_blank_scores=True,
            result_fields=(*RESULT_FIELDS, "suggested_score"),
        )
        changes = _as_stored(changes, results)
        if changes:  # a save that changed nothing leaves no empty 保存 row in the history
            audit_record(actor=user, action="绩效自评·保存", obj=evaluation, changes=changes)
    return evaluation


def _as_stored(changes: dict, results: list[IndicatorResult]) -> dict:
    """The audit diff with each line's score as stored: a blank score was filled with the
    suggestion by `evaluation_refresh` (the record said “得分 13.95 → 空” when 14.25 was
    stored); a line whose score ends where it was is no change."""
    by_name = {r.indicator.name: r for r in results}
    lines = {}
    for name, fields in changes.get("results", {}).items():
        fields = dict(fields)
        if "score" in fields and (result := by_name.get(name)) is not None:
            old = fields["score"][0]
            new = result.score
            if (None if old is None else Decimal(old)) == new:
                del fields["score"]
            else:
                fields["score"] = [old, _s(new)]
        if fields:
            lines[name] = fields
    rest = {k: v for k, v in changes.items() if k != "results"}
    return {**rest, "results": lines} if lines else rest


def evaluation_transition(
    *,
    evaluation: SelfEvaluation,
    user,
    action: str,
    reason: str = "",
    reviews: dict[int, tuple[Decimal | None, str]] | None = None,
    version: int | None = None,
) -> SelfEvaluation:
    """Submit, confirm, return, approve or reopen. A reviewer's per-line 审核得分 and comments
    (`reviews`: {result id: (score or None, comment)}) are stored with a return or approval."""
    if action == "submit" and (refusal := editing_refusal(user, evaluation)):
        raise workflow.WorkflowError(refusal)
    with transaction.atomic():
        review_changes = {}
        line_comments = {pk: c for pk, (_, c) in (reviews or {}).items() if c}
        if reviews and action in ("return", "approve"):
            workflow.check(user, action, evaluation, reason, line_comments=bool(line_comments))
            review_changes = _record_reviews(evaluation, reviews)
        form_transition(
            form=evaluation,
            user=user,
            action=action,
            reason=reason,
            line_comments=line_comments,
            validate=evaluation_validate,
            version=version,
            audit_changes={"results": review_changes} if review_changes else None,
        )
        evaluation_refresh(evaluation)
        if evaluation.state == FormState.APPROVED:
            evaluation_freeze(evaluation)
        elif action == "reopen":
            evaluation.snapshot, evaluation.snapshot_hash = None, ""
            SelfEvaluation.objects.filter(pk=evaluation.pk).update(snapshot=None, snapshot_hash="")
    return evaluation


def evaluation_review_preview(
    evaluation: SelfEvaluation,
    results: list[IndicatorResult],
    reviews: dict[int, tuple[Decimal | None, str]],
) -> dict:
    """The 审核总分 and its grade that the typed 审核得分 (`reviews`, as `parse_reviews` reads
    them; a line left blank counts its self score) would give, computed as a return or approval
    stores it (`evaluation_compute`). Nothing is written: the reviewer's live total."""
    for result in results:
        result.review_score = reviews.get(result.id, (None, ""))[0]
    funds = funds_of(evaluation, budget_of(evaluation))
    evaluation_compute(evaluation, results, funds, policy_for(evaluation.year))
    return {"review_total": evaluation.review_total_score, "review_grade": evaluation.review_grade}


def evaluation_freeze(evaluation: SelfEvaluation) -> None:
    """Freeze what the approved tables show (names, funds, targets, results) with its hash."""
    fresh = evaluation_queryset().get(pk=evaluation.pk)
    fresh.snapshot = None  # gather from the database, not from an older snapshot
    data = gather_evaluations([fresh])[fresh.pk]
    evaluation.snapshot, evaluation.snapshot_hash = data, content_hash(data)
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        snapshot=data, snapshot_hash=evaluation.snapshot_hash
    )


def _record_reviews(evaluation: SelfEvaluation, reviews) -> dict:
    """Store a reviewer's 审核得分; returns {indicator name: {"review_score": [old, new]}} for
    the transition's audit record (one record for the whole return or approval)."""
    policy = policy_for(evaluation.year)
    results = {r.id: r for r in results_of(evaluation)}
    problems: dict[int, list[str]] = {}
    changed = []
    for pk, (score, _comment) in reviews.items():
        result = results.get(pk)
        if result is None:
            continue
        if score is not None:
            # A reviewer may score any line, 定性 included, anywhere from 0 to its weight.
            error = scoring.check_score("≥", result.indicator.weight, score, None, policy)
            if error:
                problems[pk] = [f"审核得分：{error}"]
                continue
        if result.review_score != score:
            changed.append((result, result.review_score, score))
            result.review_score = score
    if problems:
        raise FormProblems([], problems)
    IndicatorResult.objects.bulk_update([r for r, _, _ in changed], ["review_score"])
    return {r.indicator.name: {"review_score": [_s(old), _s(new)]} for r, old, new in changed}


def evaluation_extend(
    *, evaluation: SelfEvaluation, user, until: datetime.date, reason: str = ""
) -> SelfEvaluation:
    """Finance extends the deadline of one department's evaluation."""
    if refusal := workflow.extend_refusal(user, evaluation):
        raise workflow.WorkflowError(refusal)
    if until < timezone.localdate():
        raise workflow.WorkflowError("延期日期不能早于今天。")
    with transaction.atomic():
        old = evaluation.deadline_extension
        evaluation.deadline_extension = until
        evaluation.save(update_fields=["deadline_extension"])
        audit_record(
            actor=user,
            action="绩效自评·延期",
            obj=evaluation,
            changes={"deadline_extension": [_s(old), _s(until)]},
            reason=reason,
        )
    return evaluation
