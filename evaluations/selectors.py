"""Reads of the evaluations app, scoped by the user's access."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from budgets.access import Role, access_for, department_subtree, get_visible_or_404, scope
from budgets.models import FUND_SOURCES, Department, FiscalYear, Project
from core.http import as_int
from core.models import AuditLog

from . import scoring, workflow
from .models import (
    Evidence,
    FormState,
    Grade,
    Indicator,
    IndicatorResult,
    LineComment,
    MonitoringSheet,
    SelfEvaluation,
    TargetAdjustment,
    TargetSheet,
    form_title,
)

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
        grade_thresholds=(
            (Grade.EXCELLENT.value, y.grade_excellent),
            (Grade.GOOD.value, y.grade_good),
            (Grade.PASS.value, y.grade_pass),
        ),
        score_places=y.score_places,
        percent_places=y.percent_places,
        deviation_execution_threshold=y.deviation_execution_threshold,
    )


def years() -> list[FiscalYear]:
    return list(FiscalYear.objects.order_by("-year"))


def year_or_current(all_years: list[FiscalYear], requested: str | int | None) -> FiscalYear | None:
    """The requested year if it exists, else the current one, else the latest (a year that is not
    a number is one that does not exist: the page shows the current year)."""
    wanted = as_int(requested)
    if wanted is not None:
        for fiscal_year in all_years:
            if fiscal_year.year == wanted:
                return fiscal_year
    for fiscal_year in all_years:
        if fiscal_year.is_current:
            return fiscal_year
    return all_years[0] if all_years else None


@dataclass
class OverviewLine:
    """One line of a department's table on the clerk's home: its 部门整体 forms or a project's."""

    project: Project | None  # None: the department's own (部门整体支出)
    sheet: TargetSheet | None
    evaluation: SelfEvaluation | None


@dataclass
class DepartmentRow:
    department: Department
    sheet: TargetSheet | None
    evaluation: SelfEvaluation | None
    projects: list[Project]

    @property
    def lines(self) -> list[OverviewLine]:
        """The department's own line, then its projects' (the table's rows)."""
        return [OverviewLine(None, self.sheet, self.evaluation)] + [
            OverviewLine(p, _own(p, "target_sheet"), _own(p, "self_evaluation"))
            for p in self.projects
        ]


def _own(project: Project, name: str):
    """A project's target sheet or self-evaluation (selected with it), or None."""
    try:
        return getattr(project, name)
    except (TargetSheet.DoesNotExist, SelfEvaluation.DoesNotExist):
        return None


OVERVIEW_PAGE_SIZE = 10
# what the home page's table reads of a project and its forms (the other columns stay unread)
_OVERVIEW_PROJECT_COLUMNS = (
    "code",
    "name",
    "department_id",
    *(f"{stage}_{source}" for stage in ("full", "executed") for source, _ in FUND_SOURCES),
    "target_sheet__state",
    "self_evaluation__state",
    "self_evaluation__total_score",
)


def clerk_overview(
    user, fiscal_year: FiscalYear, page: str | int | None = 1
) -> tuple[list[DepartmentRow], Page | None]:
    """The departments a clerk or head works for (a page of them), each with its
    department-wide forms and its projects with their forms. Three queries whatever the size:
    the departments (paged here: the count comes with them), the page's 部门整体 forms of both
    kinds, its projects with their forms."""
    access = access_for(user)
    if access.is_admin:
        return [], None
    ids = access.by_role.get(Role.CLERK, frozenset()) | access.by_role.get(Role.HEAD, frozenset())
    if not ids:
        return [], None
    shown = Paginator(
        list(
            Department.objects.filter(id__in=ids, is_active=True)
            .order_by("code")
            .values_list("id", "code", "name", "kind")
        ),
        OVERVIEW_PAGE_SIZE,
    ).get_page(page)
    departments = [
        _from_db(Department, {"id": pk, "code": code, "name": name, "kind": kind})
        for pk, code, name, kind in shown.object_list
    ]
    ids = [d.id for d in departments]
    forms = combined(
        [
            model.objects.filter(year=fiscal_year, project=None, department_id__in=ids)
            .annotate(o_kind=Value(code), o_score=score)
            .order_by()
            .values_list("o_kind", "id", "department_id", "state", "o_score")
            for code, model, score in (
                (0, TargetSheet, Cast(Value(None), _DECIMAL)),
                (1, SelfEvaluation, F("total_score")),
            )
        ]
    )
    sheets, evaluations = {}, {}
    for kind, pk, department_id, state, score in forms:
        loaded = {"id": pk, "department_id": department_id, "state": state}
        if kind == 0:
            sheets[department_id] = _from_db(TargetSheet, loaded)
        else:
            evaluations[department_id] = _from_db(SelfEvaluation, loaded | {"total_score": score})
    projects: dict[int, list[Project]] = {}
    for project in (
        Project.objects.filter(year=fiscal_year, department_id__in=ids)
        .select_related("target_sheet", "self_evaluation")
        .only(*_OVERVIEW_PROJECT_COLUMNS)
        .order_by("code")
    ):
        projects.setdefault(project.department_id, []).append(project)
    rows = [
        DepartmentRow(d, sheets.get(d.id), evaluations.get(d.id), projects.get(d.id, []))
        for d in departments
    ]
    return rows, shown


def _reviewable(model, user, fiscal_year: FiscalYear):
    """The year's forms of the departments this user reviews: as finance's reviewer, or as a
    主管部门审核人 (its 所属单位, whose forms pass through it)."""
    access = access_for(user)
    queryset = model.objects.filter(year=fiscal_year).select_related("department", "project")
    if access.is_admin:
        return queryset
    reviewed = access.by_role.get(Role.REVIEWER, frozenset()) | access.by_role.get(
        Role.SUPERVISOR, frozenset()
    )
    return queryset.filter(department_id__in=reviewed)


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


def evaluation_title_for(user, pk: int) -> str:
    """The title of a self-evaluation the user may see (404 otherwise): what its page's frame
    shows around a cached part, read without loading the form."""
    rows = SelfEvaluation.objects.values_list("project__name", "department__name")
    return form_title(*get_visible_or_404(rows, user, pk=pk))


QUEUE_KINDS = {
    "targets": "绩效目标",
    "evaluation": "绩效自评",
    "adjustment": "目标调整",
    "monitoring": "绩效监控表",
}
# q_kind of each part of the queue's UNION (also the tie-break order)
_KIND_CODES = {"targets": 0, "evaluation": 1, "adjustment": 2, "monitoring": 3}
_FORM_KINDS = {TargetSheet: "targets", SelfEvaluation: "evaluation", MonitoringSheet: "monitoring"}

# A 目标调整 in the queue's state filter and counts: waiting for finance reads as 已提交, its
# decisions as 已审核 (同意) and 已退回 (驳回); its own words are shown on the row.
ADJUSTMENT_AS_FORM_STATE = {
    TargetAdjustment.State.PENDING: FormState.SUBMITTED,
    TargetAdjustment.State.APPROVED: FormState.APPROVED,
    TargetAdjustment.State.REJECTED: FormState.RETURNED,
}


@dataclass
class QueueRow:
    kind: str  # "targets" | "evaluation" | "adjustment" | "monitoring"
    form: TargetSheet | SelfEvaluation | MonitoringSheet  # an adjustment's: its target sheet
    overdue: bool
    adjustment: TargetAdjustment | None = None  # with .indicator (its name) loaded

    @property
    def kind_label(self) -> str:
        return QUEUE_KINDS[self.kind]

    @property
    def waiting_since(self):
        """When the row started to wait for finance (submitted, or the request made)."""
        return self.adjustment.requested_at if self.adjustment else self.form.submitted_at


# sort → the columns of the queue query to order by; ties: target sheets first, then by id.
# By submission: overdue first (a self-evaluation past its deadline still with the unit), then
# the longest waiting.
QUEUE_SORTS = {
    "submitted": ("-q_late", "q_unsubmitted", "q_submitted_at"),
    "department": ("q_department_code", "q_title"),
    "state": ("q_state", "q_department_code"),
    "score": ("q_unscored", "q_total_score"),
}
_DECIMAL = DecimalField(max_digits=6, decimal_places=2)


def _queue_columns(model, late) -> dict:
    """The columns of one kind of form in the queue query, the same names and types for every
    kind (a target sheet has no score, grade or extension: typed NULLs)."""
    if model is TargetAdjustment:
        return _adjustment_columns()
    evaluation = model is SelfEvaluation

    def own(name: str, field):
        return F(name) if evaluation else Cast(Value(None), field)

    return {
        "q_kind": Value(_KIND_CODES[_FORM_KINDS[model]], output_field=IntegerField()),
        "q_id": F("id"),
        "q_version": F("version"),
        "q_state": F("state"),
        "q_submitted_at": F("submitted_at"),
        "q_unsubmitted": Case(
            When(submitted_at__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        "q_department_id": F("department_id"),
        "q_department_code": F("department__code"),
        "q_department_name": F("department__name"),
        "q_project_id": F("project_id"),
        "q_project_name": F("project__name"),
        "q_title": _title(model),
        "q_total_score": own("total_score", _DECIMAL),
        "q_unscored": Case(
            When(total_score__isnull=True, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        if evaluation
        else Value(1, output_field=IntegerField()),
        "q_review_total_score": own("review_total_score", _DECIMAL),
        "q_grade": F("grade") if evaluation else Value("", output_field=CharField()),
        "q_deadline_extension": own("deadline_extension", DateField()),
        "q_late": late,
        "q_sheet_id": F("id") if model is TargetSheet else Cast(Value(None), IntegerField()),
        "q_indicator_id": Cast(Value(None), IntegerField()),
        "q_indicator_name": Cast(Value(None), CharField()),
        "q_adjustment_state": Value("", output_field=CharField()),
    }


def _title(model):
    title = Coalesce(
        F("project__name"),
        Concat(F("department__name"), Value("（部门整体）"), output_field=CharField()),
        output_field=CharField(),
    )
    if model is MonitoringSheet:  # a project has a 监控表 in every round: name the round
        return Concat(F("round__name"), Value(" · "), title, output_field=CharField())
    return title


def _adjustment_state_q():
    return Case(
        *(When(state=a, then=Value(f.value)) for a, f in ADJUSTMENT_AS_FORM_STATE.items()),
        output_field=CharField(),
    )


def _adjustment_columns() -> dict:
    """A 目标调整 as a row of the queue: its sheet's department and project, the time it was
    requested as its submission, its state as the form state it reads as."""
    sheet = "indicator__sheet__"
    return {
        "q_kind": Value(_KIND_CODES["adjustment"], output_field=IntegerField()),
        "q_id": F("id"),
        "q_version": Value(0, output_field=IntegerField()),
        "q_state": _adjustment_state_q(),
        "q_submitted_at": F("requested_at"),
        "q_unsubmitted": Value(0, output_field=IntegerField()),
        "q_department_id": F(sheet + "department_id"),
        "q_department_code": F(sheet + "department__code"),
        "q_department_name": F(sheet + "department__name"),
        "q_project_id": F(sheet + "project_id"),
        "q_project_name": F(sheet + "project__name"),
        "q_title": Coalesce(
            F(sheet + "project__name"),
            Concat(F(sheet + "department__name"), Value("（部门整体）"), output_field=CharField()),
            output_field=CharField(),
        ),
        "q_total_score": Cast(Value(None), _DECIMAL),
        "q_unscored": Value(1, output_field=IntegerField()),
        "q_review_total_score": Cast(Value(None), _DECIMAL),
        "q_grade": Value("", output_field=CharField()),
        "q_deadline_extension": Cast(Value(None), DateField()),
        "q_late": Value(0, output_field=IntegerField()),
        "q_sheet_id": F(sheet + "id"),
        "q_indicator_id": F("indicator_id"),
        "q_indicator_name": F("indicator__name"),
        "q_adjustment_state": F("state"),
    }


@dataclass
class QueueRows:
    """The filtered, sorted rows of the queue, read from the database one slice (page) at a time:
    a Paginator takes it as it takes a queryset, and its count is already known."""

    queryset: QuerySet | None
    total: int
    fiscal_year: FiscalYear

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        if self.queryset is None or self.total == 0:
            return []
        return [self._row(values) for values in self.queryset[index]]

    def _row(self, v: dict) -> QueueRow:
        """A form as if loaded with .only() the columns read, its department and project
        attached: the page shows it without further queries."""
        kind = {code: name for name, code in _KIND_CODES.items()}[v["q_kind"]]
        if kind == "adjustment":
            return self._adjustment_row(v)
        model = {name: m for m, name in _FORM_KINDS.items()}[kind]
        loaded = {
            "id": v["q_id"],
            "year_id": self.fiscal_year.id,
            "department_id": v["q_department_id"],
            "project_id": v["q_project_id"],
            "state": v["q_state"],
            "submitted_at": v["q_submitted_at"],
            "version": v["q_version"],
        }
        if model is SelfEvaluation:
            loaded |= {
                "total_score": v["q_total_score"],
                "review_total_score": v["q_review_total_score"],
                "grade": v["q_grade"],
                "deadline_extension": v["q_deadline_extension"],
            }
        return QueueRow(kind, self._attached(_from_db(model, loaded), v), bool(v["q_late"]))

    def _adjustment_row(self, v: dict) -> QueueRow:
        """A 目标调整: its target sheet (approved: a request is made only on an approved sheet)
        carries the department, project and link; the request its state, time and indicator."""
        sheet = _from_db(
            TargetSheet,
            {
                "id": v["q_sheet_id"],
                "year_id": self.fiscal_year.id,
                "department_id": v["q_department_id"],
                "project_id": v["q_project_id"],
                "state": FormState.APPROVED,
                "submitted_at": None,
            },
        )
        adjustment = _from_db(
            TargetAdjustment,
            {
                "id": v["q_id"],
                "indicator_id": v["q_indicator_id"],
                "state": v["q_adjustment_state"],
                "requested_at": v["q_submitted_at"],
            },
        )
        adjustment.indicator = _from_db(
            Indicator, {"id": v["q_indicator_id"], "name": v["q_indicator_name"]}
        )
        return QueueRow("adjustment", self._attached(sheet, v), False, adjustment)

    def _attached(self, form, v: dict):
        form.year = self.fiscal_year
        form.department = _from_db(
            Department,
            {
                "id": v["q_department_id"],
                "code": v["q_department_code"],
                "name": v["q_department_name"],
            },
        )
        form.project = (
            _from_db(Project, {"id": v["q_project_id"], "name": v["q_project_name"]})
            if v["q_project_id"]
            else None
        )
        return form


def _from_db(model, loaded: dict):
    """An instance with these attributes loaded and the others deferred (from_db takes the
    values in the model's field order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in loaded]
    return model.from_db("default", names, [loaded[name] for name in names])


def review_list(
    user,
    fiscal_year: FiscalYear,
    *,
    kind: str = "",
    state: str = "",
    department: int | None = None,
    grade: str = "",
    overdue: bool = False,
    sort: str = "submitted",
) -> dict:
    """The reviewer's queue with filters, filtered, counted, sorted and paged in the database:
    one aggregate query for the counts and one query per page (a UNION ALL of the kinds: target
    sheets, self-evaluations and 目标调整 requests), whatever the size. Counts per state are over
    the filters other than state, so they say what each state holds, the forms' and the
    adjustments' apart (`counts`, `adjustments`); "overdue" counts the rows shown (after the state
    filter), "overdue_all" every state's."""
    parts = _queue_parts(user, fiscal_year, timezone.localdate(), kind, department, grade, overdue)
    counts = {s: 0 for s in FormState.values}
    adjustments = {s: 0 for s in TargetAdjustment.State.values}
    late_by_state = {s: 0 for s in FormState.values}
    empty = {"counts": counts, "adjustments": adjustments, "overdue": 0, "overdue_all": 0}
    if not parts:
        return {"rows": QueueRows(None, 0, fiscal_year), **empty}
    per_state = [
        q.annotate(
            c_kind=Value(_KIND_CODES["adjustment"] if q.model is TargetAdjustment else 0),
            c_state=F("state"),
        )
        .values("c_kind", "c_state")
        .annotate(n=Count("id"), late=Sum(late))
        for q, late in parts
    ]
    shown = [state] if state else FormState.values
    total = 0
    for row in combined(per_state):
        if row["c_kind"] == _KIND_CODES["adjustment"]:
            adjustments[row["c_state"]] += row["n"]
            as_form = ADJUSTMENT_AS_FORM_STATE[row["c_state"]]
        else:
            counts[row["c_state"]] += row["n"]
            late_by_state[row["c_state"]] += row["late"] or 0
            as_form = row["c_state"]
        total += row["n"] if as_form in shown else 0
    columns = []
    for q, late in parts:
        q = q.annotate(**_queue_columns(q.model, late))
        columns.append(q.filter(q_state=state) if state else q)
    names = list(_queue_columns(SelfEvaluation, None))
    rows = combined([q.values(*names) for q in columns]).order_by(
        *QUEUE_SORTS.get(sort, QUEUE_SORTS["submitted"]), "q_kind", "q_id"
    )
    return {
        "rows": QueueRows(rows, total, fiscal_year),
        "counts": counts,
        "adjustments": adjustments,
        "overdue": sum(late_by_state[s] for s in shown),
        "overdue_all": sum(late_by_state.values()),
    }


def _queue_parts(user, fiscal_year, today, kind, department, grade, overdue, *, forms_only=False):
    """The queue's querysets, one per kind the filters keep (self-evaluations first: they type
    the UNION), each with its 逾期 expression (workflow.overdue_q of its kind); `forms_only` leaves
    the 目标调整 out."""
    parts = []
    for model in (SelfEvaluation, TargetSheet, TargetAdjustment, MonitoringSheet):
        if forms_only and model is TargetAdjustment:
            continue
        name = _FORM_KINDS.get(model, "adjustment")
        if kind and kind != name:
            continue
        if grade and model is not SelfEvaluation:
            continue  # only self-evaluations have a grade
        if overdue and model is TargetAdjustment:
            continue  # forms have a deadline, requests do not
        late_q = (
            None if model is TargetAdjustment else workflow.overdue_q(fiscal_year, today, model)
        )
        if overdue and late_q is None:
            continue
        if model is TargetAdjustment:
            queryset = _reviewable_adjustments(user, fiscal_year)
            if department is not None:
                queryset = queryset.filter(indicator__sheet__department_id=department)
            parts.append((queryset, Value(0, output_field=IntegerField())))
            continue
        queryset = _reviewable(model, user, fiscal_year).select_related(None).order_by()
        if department is not None:
            queryset = queryset.filter(department_id=department)
        if grade:
            queryset = queryset.filter(grade=grade)
        if overdue:
            queryset = queryset.filter(late_q)
        late = (
            Case(When(late_q, then=Value(1)), default=Value(0), output_field=IntegerField())
            if late_q is not None
            else Value(0, output_field=IntegerField())
        )
        parts.append((queryset, late))
    return parts


def review_selection(
    user,
    fiscal_year: FiscalYear,
    *,
    kind: str = "",
    state: str = "",
    department: int | None = None,
    grade: str = "",
    overdue: bool = False,
    sort: str = "submitted",
) -> list[tuple[str, int, int]]:
    """Every form (not 目标调整) the queue shows with these filters, as (kind, id, version):
    what 批量审核's "全部筛选结果" acts on, read in one query whatever the number."""
    del sort  # the order of a bulk action is the ids'
    names = _FORM_KINDS
    selected = []
    querysets = []
    for queryset, _late in _queue_parts(
        user, fiscal_year, timezone.localdate(), kind, department, grade, overdue, forms_only=True
    ):
        if state:
            queryset = queryset.filter(state=state)
        querysets.append(
            queryset.annotate(b_kind=Value(_KIND_CODES[names[queryset.model]])).values(
                "b_kind", "id", "version"
            )
        )
    if not querysets:
        return []
    kinds = {code: name for name, code in _KIND_CODES.items()}
    for row in combined(querysets).order_by("b_kind", "id"):
        selected.append((kinds[row["b_kind"]], row["id"], row["version"]))
    return selected


def _reviewable_adjustments(user, fiscal_year: FiscalYear) -> QuerySet:
    """The 目标调整 requests of the year's target sheets in the departments this user reviews."""
    queryset = TargetAdjustment.objects.filter(indicator__sheet__year=fiscal_year).order_by()
    access = access_for(user)
    if access.is_admin:
        return queryset
    return queryset.filter(
        indicator__sheet__department_id__in=access.by_role.get(Role.REVIEWER, frozenset())
    )


def combined(querysets: list[QuerySet]) -> QuerySet:
    """The querysets' rows as one query (UNION ALL)."""
    if len(querysets) == 1:
        return querysets[0]
    return querysets[0].union(*querysets[1:], all=True)


def evidence_for(user, pk: int):
    return get_visible_or_404(
        Evidence.objects.select_related("result__evaluation"),
        user,
        department_field="result__evaluation__department",
        pk=pk,
    )


def evidence_by_result(evaluation: SelfEvaluation) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for item in Evidence.objects.filter(result__evaluation=evaluation).order_by("uploaded_at"):
        grouped.setdefault(item.result_id, []).append(item)
    return grouped


def score_mean(values: list[Decimal]) -> Decimal:
    """The mean of scores, to the cent (the dashboard and a 部门整体 form's project list)."""
    return (sum(values, Decimal("0")) / len(values)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass
class DepartmentProjects:
    projects: list[Project]  # with .self_evaluation (or none) and .department loaded
    scores: list[Decimal]

    @property
    def mean(self) -> Decimal | None:
        return score_mean(self.scores) if self.scores else None


def department_projects(user, evaluation: SelfEvaluation) -> DepartmentProjects | None:
    """The projects of a 部门整体 self-evaluation's department and of its 所属单位, with their
    self-evaluations (two queries); None for a project's self-evaluation."""
    if evaluation.project_id is not None:
        return None
    ids = department_subtree(evaluation.department_id)
    projects = list(
        scope(Project.objects.filter(year_id=evaluation.year_id, department_id__in=ids), user)
        .select_related("department", "self_evaluation")
        .order_by("department__code", "code")
    )
    scores = []
    for project in projects:
        own = _own_evaluation(project)
        if own is not None and own.total_score is not None:
            scores.append(own.total_score)
    return DepartmentProjects(projects, scores)


def evaluation_of_sheet(sheet: TargetSheet) -> SelfEvaluation | None:
    """The self-evaluation of a target sheet's project (or department-year), if started."""
    return SelfEvaluation.objects.filter(
        year_id=sheet.year_id, department_id=sheet.department_id, project_id=sheet.project_id
    ).first()


def sheet_of_evaluation(evaluation: SelfEvaluation) -> TargetSheet | None:
    """The target sheet a self-evaluation scores against."""
    return TargetSheet.objects.filter(
        year_id=evaluation.year_id,
        department_id=evaluation.department_id,
        project_id=evaluation.project_id,
    ).first()


def adjustments_of(sheet: TargetSheet) -> list[TargetAdjustment]:
    return list(
        TargetAdjustment.objects.filter(indicator__sheet=sheet).select_related(
            "indicator", "requested_by", "decided_by"
        )
    )


def adjustment_on(sheet: TargetSheet, pk: int | None) -> TargetAdjustment | None:
    """A 目标调整 of this sheet (the sheet was fetched through access), or None."""
    return TargetAdjustment.objects.filter(pk=pk, indicator__sheet=sheet).first()


def indicator_on(sheet: TargetSheet, pk: int | None) -> Indicator | None:
    return sheet.indicators.filter(pk=pk).first()


def result_on(evaluation: SelfEvaluation, pk: int | None) -> IndicatorResult | None:
    return evaluation.results.select_related("indicator").filter(pk=pk).first()


HISTORY_SHOWN = 50


def history(form: TargetSheet | SelfEvaluation) -> list[AuditLog]:
    """The last 50 audit records of a form (the form was fetched through access)."""
    return list(_records_of(form).select_related("actor")[:HISTORY_SHOWN])


def _records_of(form) -> QuerySet:
    """A form's audit records, newest first (AuditLog's order)."""
    return AuditLog.objects.filter(object_type=form._meta.label, object_id=str(form.pk))


@dataclass
class ReviewRound:
    """One review decision on a form (or a 退回填报人 / 重新打开), with its level: what the
    历次审核意见 card lists, newest first."""

    number: int  # the review round (decisions counted from the first), 0 for a non-decision
    level: str
    label: str  # the transition's label (主管部门退回, 审核通过, …)
    actor: object
    reason: str
    at: object

    @property
    def level_label(self) -> str:
        return workflow.LEVEL_LABELS[self.level]

    @property
    def actor_name(self) -> str:
        if self.actor is None:
            return "系统"
        return self.actor.get_full_name() or self.actor.get_username()


# what the 历次审核意见 card lists: every level's decisions, a head's 退回 and finance's 重新打开
_ROUND_TRANSITIONS = (*sorted(workflow.DECISIONS), "head_return", "reopen")


def review_rounds(form) -> list[ReviewRound]:
    """Every level's review decisions on a form with their overall reasons, newest first (one
    query): the unit, the 主管部门 and finance see what each earlier round said and who said it.
    Read from the form's audit records (each transition leaves one, named "<kind>·<label>")."""
    return _rounds(_records_of(form).filter(_round_actions()).select_related("actor"))


def history_and_rounds(form) -> tuple[list[AuditLog], list[ReviewRound]]:
    """`history` and `review_rounds` of a form page from one query: the last 50 records and
    every round's, newest first. Any record past the last 50 is older than all of them, so the
    first 50 read are the last 50."""
    records = _records_of(form)
    records = list(
        records.filter(
            _round_actions() | Q(pk__in=records.values("pk")[:HISTORY_SHOWN])
        ).select_related("actor")
    )
    return records[:HISTORY_SHOWN], _rounds(r for r in records if _round_of(r) is not None)


def _round_labels() -> dict[str, str]:
    return {workflow.TRANSITIONS[name].label: name for name in _ROUND_TRANSITIONS}


def _round_actions() -> Q:
    wanted = Q()
    for label in _round_labels():
        wanted |= Q(action__endswith=f"·{label}")
    return wanted


def _round_of(record: AuditLog) -> str | None:
    """The transition a round's record was left by ("<kind>·<label>"), else None."""
    return _round_labels().get(record.action.rpartition("·")[2])


def _rounds(records) -> list[ReviewRound]:
    """Review rounds from a form's round records, given newest first; numbered from the first
    decision, returned newest first."""
    rounds, number = [], 0
    for record in sorted(records, key=lambda r: (r.at, r.id)):
        name = _round_of(record)
        if name is None:
            continue
        transition = workflow.TRANSITIONS[name]
        if transition.decision:
            number += 1
        rounds.append(
            ReviewRound(
                number if transition.decision else 0,
                transition.level,
                transition.label,
                record.actor,
                record.reason,
                record.at,
            )
        )
    rounds.reverse()
    return rounds


def earlier_line_comments(form: TargetSheet | SelfEvaluation) -> dict[int, list[LineComment]]:
    """The 本行审核意见 of the review rounds before the form's latest submission (or, once a
    主管部门 passed it on to finance, before that), by indicator id, newest first (one query; none
    before a first submission). The current round's comments are the lines' own
    `review_comment`."""
    if form.submitted_at is None:
        return {}
    cutoff = max(form.submitted_at, form.supervisor_approved_at or form.submitted_at)
    if isinstance(form, TargetSheet):
        kind, lines = LineComment.Kind.TARGETS, Q(indicator__sheet_id=form.pk)
    else:
        kind, lines = LineComment.Kind.EVALUATION, Q(indicator__result__evaluation_id=form.pk)
    found: dict[int, list[LineComment]] = {}
    for comment in LineComment.objects.filter(
        lines, kind=kind, created_at__lt=cutoff
    ).select_related("author"):
        found.setdefault(comment.indicator_id, []).append(comment)
    return found


def indicators_of(sheet: TargetSheet) -> list[Indicator]:
    """The sheet's lines with, for a line carried from last year (open_year), last year's line,
    its result and that result's self-evaluation, and the 指标库 entry: joined, no query more."""
    return list(
        sheet.indicators.select_related(
            "category__parent", "previous__result__evaluation", "library"
        )
    )


def library_history(sheet: TargetSheet) -> dict[int, str]:
    """What the same 指标库 indicators of this sheet were in the owner's earlier years (the same
    project code, or the same department's 部门整体), as a line of text by library id: "2020年
    ≥95%，实际 96%；…" (one query)."""
    owner = (
        Q(sheet__project__code=sheet.project.code)
        if sheet.project_id
        else Q(sheet__project=None, sheet__department_id=sheet.department_id)
    )
    earlier = (
        Indicator.objects.filter(
            owner,
            sheet__year__year__lt=sheet.year.year,
            library_id__in=sheet.indicators.filter(library__isnull=False).values("library_id"),
        )
        .order_by("sheet__year__year", "id")
        .values_list(
            "library_id",
            "sheet__year__year",
            "comparator",
            "target_value",
            "adjusted_target_value",
            "unit",
            "result__actual_value",
        )
    )
    found: dict[int, list[str]] = {}
    for library_id, year, comparator, target, adjusted, unit, actual in earlier:
        shown = f"{year}年 {'' if comparator == '定性' else comparator}{adjusted or target}{unit}"
        if actual:
            shown += f"，实际 {actual}{unit if comparator != '定性' else ''}"
        found.setdefault(library_id, []).append(shown)
    return {k: "；".join(v) for k, v in found.items()}


def _own_evaluation(project: Project) -> SelfEvaluation | None:
    try:
        return project.self_evaluation
    except SelfEvaluation.DoesNotExist:
        return None


def attach_flags(forms) -> None:
    """Put each self-evaluation's stored flags on it as `flag_list` (one query for a page of
    the review queue, whose rows carry only the columns the queue sorts on)."""
    evaluations = [f for f in forms if isinstance(f, SelfEvaluation)]
    stored = (
        dict(
            SelfEvaluation.objects.filter(pk__in=[e.pk for e in evaluations]).values_list(
                "pk", "flags"
            )
        )
        if evaluations
        else {}
    )
    for evaluation in evaluations:
        evaluation.flag_list = stored.get(evaluation.pk) or []
