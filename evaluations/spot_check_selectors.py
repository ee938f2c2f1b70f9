"""Reads of 抽查复核 and 结果应用, scoped by the user's access: finance reviewers see the samples,
items and suggestions of the departments they review, administrators all; nobody else any."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from budgets.access import Role, access_for, can_act
from budgets.models import FiscalYear

from . import application
from .models import (
    FormState,
    IndicatorResult,
    SelfEvaluation,
    SpotCheck,
    SpotCheckItem,
)
from .selectors import policy_for

NOT_FOUND = "未找到该抽查，或您无权查看。"


def spot_check_scope(user) -> frozenset[int] | None:
    """The departments whose forms the user may sample and re-check: None = all (administrator),
    else the reviewer's departments (empty for anyone else)."""
    access = access_for(user)
    if access.is_admin:
        return None
    return access.by_role.get(Role.REVIEWER, frozenset())


def may_spot_check(user) -> bool:
    scope = spot_check_scope(user)
    return scope is None or bool(scope)


def _in_scope(queryset: QuerySet, user, field: str) -> QuerySet:
    scope = spot_check_scope(user)
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def spot_check_population(user, fiscal_year: FiscalYear) -> QuerySet:
    """已审核 self-evaluations of the year in the user's departments not yet sampled."""
    return _in_scope(
        SelfEvaluation.objects.filter(
            year=fiscal_year, state=FormState.APPROVED, spot_check_item__isnull=True
        ),
        user,
        "department_id",
    ).order_by("id")


def spot_checks_of(user, fiscal_year: FiscalYear) -> list[SpotCheck]:
    """The year's samples with items in the user's departments, newest first, each with `n` (its
    items the user sees) and `n_done` (of those, re-checked): 1 query."""
    scope = spot_check_scope(user)
    items = Q() if scope is None else Q(items__evaluation__department_id__in=scope)
    return list(
        SpotCheck.objects.filter(year=fiscal_year)
        .filter(items)
        .annotate(
            n=Count("items", filter=items, distinct=True),
            n_done=Count(
                "items", filter=items & Q(items__rechecked_at__isnull=False), distinct=True
            ),
        )
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


def spot_check_for(user, pk: int) -> SpotCheck:
    """One sample with items the user may see (404 otherwise)."""
    queryset = SpotCheck.objects.select_related("year", "created_by").filter(pk=pk)
    scope = spot_check_scope(user)
    if scope is not None:
        queryset = queryset.filter(items__evaluation__department_id__in=scope).distinct()
    spot_check = queryset.first()
    if spot_check is None:
        raise Http404(NOT_FOUND)
    return spot_check


def items_of(user, spot_check: SpotCheck) -> list[SpotCheckItem]:
    """The sample's items in the user's departments, by department and project code (1 query)."""
    return list(
        _in_scope(
            spot_check.items.select_related(
                "evaluation__department", "evaluation__project", "rechecked_by"
            ),
            user,
            "evaluation__department_id",
        ).order_by("evaluation__department__code", "evaluation__project__code", "id")
    )


def spot_check_item_for(user, pk: int) -> SpotCheckItem:
    """One sampled form the user may re-check (404 otherwise)."""
    item = (
        _in_scope(
            SpotCheckItem.objects.select_related(
                "spot_check",
                "evaluation__year",
                "evaluation__department",
                "evaluation__project",
            ),
            user,
            "evaluation__department_id",
        )
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404(NOT_FOUND)
    return item


def may_recheck(user, item: SpotCheckItem) -> bool:
    return can_act(user, Role.REVIEWER, item.evaluation.department_id)


def may_apply_results(user, department_id: int) -> bool:
    return can_act(user, Role.REVIEWER, department_id)


def recheck_lines(evaluation: SelfEvaluation) -> list[IndicatorResult]:
    """The evaluation's lines in table order, with their indicator and category (1 query)."""
    return list(
        IndicatorResult.objects.filter(evaluation=evaluation)
        .select_related("indicator__category__parent")
        .order_by(
            "indicator__category__parent__order",
            "indicator__category__order",
            "indicator__order",
            "indicator__id",
        )
    )


def pending_rechecks(user, fiscal_year: FiscalYear) -> QuerySet:
    """Sampled forms of the year not yet re-checked, in the user's departments (待办)."""
    return _in_scope(
        SpotCheckItem.objects.filter(
            spot_check__year=fiscal_year, rechecked_at__isnull=True
        ).select_related("evaluation__department", "evaluation__project"),
        user,
        "evaluation__department_id",
    ).order_by("evaluation__department__code", "evaluation__project__code", "id")


def rechecked_item(evaluation: SelfEvaluation) -> SpotCheckItem | None:
    try:
        item = evaluation.spot_check_item
    except SpotCheckItem.DoesNotExist:
        return None
    return item if item.done else None


def rule_suggestion(evaluation: SelfEvaluation) -> str:
    """The rule's 结果应用 suggestion of an approved evaluation ("" for any other)."""
    if evaluation.state != FormState.APPROVED:
        return ""
    item = rechecked_item(evaluation)
    _, suggestion, _ = application.grade_and_suggestion(
        evaluation.total_score,
        evaluation.review_total_score,
        item.total_score if item else None,
        policy_for(evaluation.year),
    )
    return suggestion


def evaluation_for_results(user, pk: int) -> SelfEvaluation:
    """An evaluation whose suggestion the user may change (404 otherwise)."""
    evaluation = (
        _in_scope(
            SelfEvaluation.objects.select_related("year", "department", "project"),
            user,
            "department_id",
        )
        .filter(pk=pk)
        .first()
    )
    if evaluation is None:
        raise Http404("未找到该自评表，或您无权查看。")
    return evaluation
