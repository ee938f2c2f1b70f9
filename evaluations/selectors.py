"""Reads of the evaluations app, scoped by the user's access."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count

from budgets.access import Role, access_for, get_visible_or_404
from budgets.models import Department, FiscalYear, Project

from . import scoring, workflow
from .models import FormState, SelfEvaluation, TargetSheet

ONE = Decimal("1")
ZERO = Decimal("0")


def policy_for(fiscal_year: FiscalYear) -> scoring.Policy:
    """The scoring policy of a year, as the pure scoring module takes it."""
    y = fiscal_year
    bands = {
        scoring.ACHIEVED: scoring.Band(
            low=y.band_achieved_low, high=ONE, high_inclusive=True, suggested=ONE
        ),
        scoring.PARTIAL: scoring.Band(
            low=y.band_partial_low,
            high=y.band_achieved_low,
            high_inclusive=False,
            suggested=y.band_partial_low,
        ),
        scoring.NOT_ACHIEVED: scoring.Band(
            low=ZERO, high=y.band_partial_low, high_inclusive=False, suggested=ZERO
        ),
    }
    return scoring.Policy(
        execution_weight=y.execution_weight,
        indicator_weight=y.indicator_weight,
        bands=bands,
        grade_thresholds=(("优", y.grade_excellent), ("良", y.grade_good), ("中", y.grade_pass)),
        score_places=y.score_places,
        percent_places=y.percent_places,
        deviation_execution_threshold=y.deviation_execution_threshold,
    )


def years() -> list[FiscalYear]:
    return list(FiscalYear.objects.order_by("-year"))


def year_or_current(all_years: list[FiscalYear], requested: str | None) -> FiscalYear | None:
    """The requested year if it exists, else the current one, else the latest."""
    if requested and requested.isdigit():
        for fiscal_year in all_years:
            if fiscal_year.year == int(requested):
                return fiscal_year
    for fiscal_year in all_years:
        if fiscal_year.is_current:
            return fiscal_year
    return all_years[0] if all_years else None


@dataclass
class DepartmentRow:
    department: Department
    sheet: TargetSheet | None
    evaluation: SelfEvaluation | None
    projects: list[Project]


OVERVIEW_PAGE_SIZE = 10


def clerk_overview(
    user, fiscal_year: FiscalYear, page: str | int | None = 1
) -> tuple[list[DepartmentRow], Page | None]:
    """The departments a clerk or head works for (a page of them), each with its
    department-wide forms and its projects with their forms. Five queries whatever the size."""
    access = access_for(user)
    if access.is_admin:
        return [], None
    ids = access.by_role.get(Role.CLERK, frozenset()) | access.by_role.get(Role.HEAD, frozenset())
    if not ids:
        return [], None
    shown = Paginator(
        Department.objects.filter(id__in=ids, is_active=True).order_by("code"), OVERVIEW_PAGE_SIZE
    ).get_page(page)
    departments = list(shown.object_list)
    ids = [d.id for d in departments]
    sheets = {
        s.department_id: s
        for s in TargetSheet.objects.filter(year=fiscal_year, project=None, department_id__in=ids)
    }
    evaluations = {
        e.department_id: e
        for e in SelfEvaluation.objects.filter(
            year=fiscal_year, project=None, department_id__in=ids
        )
    }
    projects: dict[int, list[Project]] = {}
    for project in (
        Project.objects.filter(year=fiscal_year, department_id__in=ids)
        .select_related("target_sheet", "self_evaluation")
        .order_by("code")
    ):
        projects.setdefault(project.department_id, []).append(project)
    rows = [
        DepartmentRow(d, sheets.get(d.id), evaluations.get(d.id), projects.get(d.id, []))
        for d in departments
    ]
    return rows, shown


def _reviewable(model, user, fiscal_year: FiscalYear):
    access = access_for(user)
    queryset = model.objects.filter(year=fiscal_year).select_related("department", "project")
    if access.is_admin:
        return queryset
    return queryset.filter(department_id__in=access.by_role.get(Role.REVIEWER, frozenset()))


def review_queue(user, fiscal_year: FiscalYear) -> dict:
    """Forms waiting for this reviewer (submitted), and counts per state over their departments."""
    result: dict = {"waiting": [], "counts": {state: 0 for state in FormState.values}}
    for kind, model in (("targets", TargetSheet), ("evaluation", SelfEvaluation)):
        queryset = _reviewable(model, user, fiscal_year)
        for row in queryset.values("state").annotate(n=Count("id")):
            result["counts"][row["state"]] += row["n"]
        for form in queryset.filter(state=FormState.SUBMITTED).order_by("submitted_at", "id"):
            form.kind = kind
            result["waiting"].append(form)
    return result


def target_sheet_for(user, pk: int) -> TargetSheet:
    """One target sheet the user may see (404 otherwise)."""
    return get_visible_or_404(
        TargetSheet.objects.select_related("year", "department__parent", "project"), user, pk=pk
    )


def evaluation_for(user, pk: int) -> SelfEvaluation:
    """One self-evaluation the user may see (404 otherwise)."""
    return get_visible_or_404(
        SelfEvaluation.objects.select_related("year", "department__parent", "project"), user, pk=pk
    )


@dataclass
class QueueRow:
    kind: str  # "targets" | "evaluation"
    form: TargetSheet | SelfEvaluation
    overdue: bool

    @property
    def kind_label(self) -> str:
        return "绩效目标" if self.kind == "targets" else "绩效自评"


QUEUE_SORTS = {
    "submitted": lambda r: (r.form.submitted_at is None, r.form.submitted_at or 0),
    "department": lambda r: (r.form.department.code, r.form.title),
    "state": lambda r: (r.form.state, r.form.department.code),
    "score": lambda r: (
        getattr(r.form, "total_score", None) is None,
        getattr(r.form, "total_score", None) or 0,
    ),
}


def review_list(
    user,
    fiscal_year: FiscalYear,
    *,
    kind: str = "",
    state: str = "",
    department: str = "",
    grade: str = "",
    overdue: bool = False,
    sort: str = "submitted",
) -> dict:
    """The reviewer's queue with filters: two queries (one per kind of form) whatever the size.
    Counts per state are over the filters other than state, so they say what each state holds."""
    from django.utils import timezone

    today = timezone.localdate()
    rows: list[QueueRow] = []
    for form_kind, model in (("targets", TargetSheet), ("evaluation", SelfEvaluation)):
        if kind and kind != form_kind:
            continue
        queryset = _reviewable(model, user, fiscal_year).select_related("department__parent")
        if department.isdigit():
            queryset = queryset.filter(department_id=int(department))
        if grade and form_kind == "evaluation":
            queryset = queryset.filter(grade=grade)
        elif grade:
            continue
        for form in queryset:
            form.year = fiscal_year  # all of this year: no query per row for its deadline
            late = form_kind == "evaluation" and workflow.is_overdue(form, today)
            rows.append(QueueRow(form_kind, form, late))
    if overdue:
        rows = [r for r in rows if r.overdue]
    counts = {s: 0 for s in FormState.values}
    for row in rows:
        counts[row.form.state] += 1
    if state:
        rows = [r for r in rows if r.form.state == state]
    rows.sort(key=QUEUE_SORTS.get(sort, QUEUE_SORTS["submitted"]))
    return {"rows": rows, "counts": counts, "overdue": sum(r.overdue for r in rows)}


def evidence_for(user, pk: int):
    from .models import Evidence

    return get_visible_or_404(
        Evidence.objects.select_related("result__evaluation"),
        user,
        department_field="result__evaluation__department",
        pk=pk,
    )


def evidence_by_result(evaluation: SelfEvaluation) -> dict[int, list]:
    from .models import Evidence

    grouped: dict[int, list] = {}
    for item in Evidence.objects.filter(result__evaluation=evaluation).order_by("uploaded_at"):
        grouped.setdefault(item.result_id, []).append(item)
    return grouped
