"""The finance dashboard (绩效看板) and the projects beside a department's own self-evaluation.

Reads only, scoped by `budgets.access`. Every figure is aggregated in Python from five queries
(the year's self-evaluations, the projects and the 部门整体 target sheets without one, the
departments reviewed, the pending 目标调整 requests), so the page costs the same number of
queries for 3 departments or 300. Scores are the stored totals (`SelfEvaluation.total_score`, the
自评总分), flags the stored consistency flags. Grades count only forms handed in (已提交, 已审核):
a draft's grade is work in progress, counted apart (`apart`).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from budgets.access import Role, access_for
from budgets.models import Department, FiscalYear, Project
from core import formatting
from core.bulk import few_collections
from evaluations import consistency, workflow
from evaluations.models import FormState, Grade, SelfEvaluation, TargetAdjustment, TargetSheet
from evaluations.selectors import score_mean as _mean

from . import charts

# 执行率 vs 指标得分率 mismatch: one below LOW while the other is at or above HIGH
MISMATCH_LOW = Decimal("0.6")
MISMATCH_HIGH = Decimal("0.9")
WEAKEST = 10
LIST_LIMIT = 100  # rows of the drill-down lists on the page (the queue has them all)
GRADES = tuple(Grade.values)
# the forms whose grade is a result: handed in to finance (the others are counted apart)
GRADED_STATES = (FormState.SUBMITTED, FormState.APPROVED)
APART_STATES = tuple(s for s in FormState.values if s not in GRADED_STATES)
CENT = Decimal("0.01")


def may_view(user) -> bool:
    """Finance reviewers and administrators: the city-wide picture is finance's page."""
    access = access_for(user)
    return access.is_admin or Role.REVIEWER in access.roles()


def _reviewed(queryset, user):
    """The rows of the departments the user reviews (administrators: all)."""
    access = access_for(user)
    if access.is_admin:
        return queryset
    return queryset.filter(department_id__in=access.by_role.get(Role.REVIEWER, frozenset()))


def queue_url(fiscal_year: FiscalYear, **filters) -> str:
    """The review queue filtered to the self-evaluations behind a figure."""
    query = {"year": fiscal_year.year, "kind": "evaluation"}
    query.update({k: v for k, v in filters.items() if v not in (None, "")})
    return f"{reverse('review_queue')}?{urlencode(query)}"


def _spread(values: list[Decimal]) -> Decimal:
    """Population standard deviation (a department's projects are all of them, not a sample),
    exact in Decimal; 0 for a single score."""
    mean = sum(values, Decimal("0")) / len(values)
    variance = sum(((v - mean) ** 2 for v in values), Decimal("0")) / len(values)
    return variance.sqrt().quantize(CENT, rounding=ROUND_HALF_UP)


def is_mismatch(execution_rate: Decimal, achievement: Decimal) -> bool:
    return (execution_rate < MISMATCH_LOW and achievement >= MISMATCH_HIGH) or (
        execution_rate >= MISMATCH_HIGH and achievement < MISMATCH_LOW
    )


@dataclass(frozen=True)
class Unit:
    """A department as the dashboard shows it (one per department, shared by its rows)."""

    pk: int
    code: str
    name: str


@dataclass
class Form:
    """One self-evaluation as the dashboard reads it: plain values, no model instance (a city
    has thousands). Quacks like a SelfEvaluation where templates and `workflow` look."""

    pk: int
    year: FiscalYear
    department: Unit
    project_code: str | None  # None: 部门整体
    project_name: str | None
    state: str
    deadline_extension: datetime.date | None
    execution_rate: Decimal | None
    execution_score: Decimal | None
    total_score: Decimal | None
    grade: str
    review_total_score: Decimal | None
    flags: list

    FIELDS = (
        "id",
        "project__code",
        "project__name",
        "state",
        "deadline_extension",
        "execution_rate",
        "execution_score",
        "total_score",
        "grade",
        "review_total_score",
        "flags",
    )

    @property
    def title(self) -> str:
        return self.project_name or "部门整体支出"

    def get_state_display(self) -> str:
        return FormState(self.state).label

    @property
    def href(self) -> str:
        return reverse("evaluation", args=[self.pk])


@dataclass
class Point:
    form: Form
    execution_rate: Decimal
    achievement: Decimal  # indicator points ÷ the year's indicator weight (the 90 of 100)
    mismatch: bool

    @property
    def label(self) -> str:
        f = self.form
        places = f.year.percent_places
        rate, achievement = (
            formatting.percent(r, places) for r in (self.execution_rate, self.achievement)
        )
        return (
            f"{f.project_name}（{f.department.name}）执行率 {rate}，"
            f"指标得分率 {achievement}，总分 {formatting.score(f.total_score, f.year.score_places)}"
        )

    @property
    def href(self) -> str:
        return self.form.href


@dataclass
class DepartmentFigures:
    """One department's line on the dashboard (not the clerk's overview row,
    evaluations.selectors.DepartmentRow: another shape for another page)."""

    department: Unit
    href: str = ""  # the review queue filtered to this department's self-evaluations
    own: Form | None = None  # the 部门整体 self-evaluation
    evaluations: int = 0  # project self-evaluations started
    not_started: int = 0  # projects without one
    own_missing: bool = False  # its 部门整体 target sheet has no self-evaluation yet
    scores: list[Decimal] = field(default_factory=list)  # project totals

    @cached_property
    def scored(self) -> int:
        return len(self.scores)

    @cached_property
    def mean(self) -> Decimal | None:
        return _mean(self.scores) if self.scores else None

    @cached_property
    def minimum(self) -> Decimal | None:
        return min(self.scores) if self.scores else None

    @cached_property
    def maximum(self) -> Decimal | None:
        return max(self.scores) if self.scores else None

    @cached_property
    def spread(self) -> Decimal | None:
        return _spread(self.scores) if self.scores else None

    @cached_property
    def chart(self) -> str:
        """The row's score range as inline SVG ("" without scores)."""
        if not self.scores:
            return ""
        title = f"最低 {self.minimum}，最高 {self.maximum}，平均 {self.mean}，标准差 {self.spread}"
        shape = charts.score_range(self.minimum, self.maximum, self.mean, self.spread)
        return mark_safe(shape.svg(title))  # numbers only: nothing to escape


def department_rows_html(rows: list[DepartmentFigures]) -> str:
    """The 各单位得分 table body. Built here rather than in a template loop: 300 departments of a
    city cost the template engine ~30 ms, format_html a few."""
    dash = "—"
    idle = format_html('<div class="muted small">{}</div>', "尚无项目和绩效目标")

    def value(v) -> str:
        return dash if v is None else str(v)

    def own(row: DepartmentFigures):
        if row.own is None:
            if row.evaluations or row.not_started or row.own_missing:
                return format_html('<span class="state state-none">未开始</span>')
            return format_html('<span class="state state-none">未开始</span>{}', idle)
        score = "未评分" if row.own.total_score is None else row.own.total_score
        return format_html('<a href="{}">{}</a>', row.own.href, score)

    return format_html_join(
        "\n",
        '<tr><td><a href="{}">{}</a></td><td class="num">{}</td><td class="num">{} / {}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>',
        (
            (
                r.href,
                r.department.name,
                own(r),
                r.evaluations,
                r.not_started,
                r.scored,
                value(r.mean),
                value(r.minimum),
                value(r.maximum),
                value(r.spread),
                r.chart,
            )
            for r in rows
        ),
    )


@dataclass
class Missing:
    """A form that should exist and does not: a project or a 部门整体 target sheet without a
    self-evaluation."""

    department: Unit
    title: str
    code: str  # the project's; "" for 部门整体
    sheet_id: int | None  # its target sheet, where the unit starts from

    @property
    def link(self) -> str:
        return reverse("target_sheet", args=[self.sheet_id]) if self.sheet_id else ""


@dataclass
class Dashboard:
    year: FiscalYear
    counts: dict[str, int]  # self-evaluations per state
    not_started: list[Missing]
    overdue: int
    grades: dict[str, int]  # of the forms handed in (GRADED_STATES)
    ungraded: int  # handed in without a grade (no total yet)
    grades_by_state: dict[str, dict[str, int]]  # grade → {submitted: n, approved: n}
    apart: dict[str, int]  # forms not handed in, by state: not in the grades
    departments: list[DepartmentFigures]
    points: list[Point]
    weakest: list[Form]
    flagged: list[Form]
    flag_counts: dict[str, int]  # code → self-evaluations with such a flag
    flagged_count: int = 0  # all of them (`flagged` lists the first LIST_LIMIT)
    state_chart: charts.Bars | None = None
    grade_chart: charts.Bars | None = None
    scatter: charts.Scatter | None = None
    department_rows: str = ""  # the 各单位得分 rows, as HTML
    pending_adjustments: int = 0  # 目标调整 requests waiting for finance
    idle: list[Unit] = field(default_factory=list)  # departments with nothing to evaluate yet

    @property
    def started(self) -> int:
        return sum(self.counts.values())

    @property
    def expected(self) -> int:
        return self.started + len(self.not_started)

    @property
    def grade_table(self) -> list[tuple[str, list[tuple[int, str]], int]]:
        """(grade, [(count, queue link) per handed-in state], total) for the 评价等级 table."""
        return [
            (
                grade,
                [
                    (n, queue_url(self.year, grade=grade, state=state))
                    for state, n in self.grades_by_state[grade].items()
                ],
                self.grades[grade],
            )
            for grade in GRADES
        ]

    @property
    def apart_total(self) -> int:
        return sum(self.apart.values())

    @property
    def apart_text(self) -> str:
        """草稿 2 份、已退回 1 份 (the states with any)."""
        labels = dict(FormState.choices)
        return "、".join(f"{labels[s]} {n} 份" for s, n in self.apart.items() if n)

    @cached_property
    def mismatches(self) -> list[Point]:
        return [p for p in self.points if p.mismatch]


class _Units(dict):
    """Unit by department id, made once from the values of a row."""

    def of(self, pk: int, code: str, name: str) -> Unit:
        unit = self.get(pk)
        if unit is None:
            unit = self[pk] = Unit(pk, code, name)
        return unit


UNIT_FIELDS = ("department_id", "department__code", "department__name")


def _forms(user, fiscal_year: FiscalYear, units: _Units) -> list[Form]:
    rows = _reviewed(SelfEvaluation.objects.filter(year=fiscal_year), user).values_list(
        *UNIT_FIELDS, *Form.FIELDS
    )
    return [Form(row[3], fiscal_year, units.of(*row[:3]), *row[4:]) for row in rows]


def _not_started(user, fiscal_year: FiscalYear, units: _Units) -> list[Missing]:
    projects = _reviewed(
        Project.objects.filter(year=fiscal_year, self_evaluation__isnull=True), user
    ).values_list(*UNIT_FIELDS, "name", "code", "target_sheet__id")
    sheets = _reviewed(
        TargetSheet.objects.filter(year=fiscal_year, project=None).exclude(
            Exists(
                SelfEvaluation.objects.filter(
                    year=OuterRef("year"), department=OuterRef("department"), project=None
                )
            )
        ),
        user,
    ).values_list(*UNIT_FIELDS, "id")
    missing = [Missing(units.of(*row[:3]), *row[3:]) for row in projects]
    missing += [Missing(units.of(*row[:3]), "部门整体支出", "", row[3]) for row in sheets]
    missing.sort(key=lambda m: (m.department.code, m.code))
    return missing


def _departments(user, units: _Units) -> list[Unit]:
    """Every active department the user reviews (administrators: all), also those that have
    nothing yet: the dashboard lists them all."""
    queryset = Department.objects.filter(is_active=True)
    access = access_for(user)
    if not access.is_admin:
        queryset = queryset.filter(pk__in=access.by_role.get(Role.REVIEWER, frozenset()))
    return [units.of(*row) for row in queryset.values_list("pk", "code", "name")]


def _pending_adjustments(user, fiscal_year: FiscalYear) -> int:
    """目标调整 requests of the year waiting for a decision (1 query)."""
    queryset = TargetAdjustment.objects.filter(
        state=TargetAdjustment.State.PENDING, indicator__sheet__year=fiscal_year
    )
    access = access_for(user)
    if not access.is_admin:
        reviewed = access.by_role.get(Role.REVIEWER, frozenset())
        queryset = queryset.filter(indicator__sheet__department_id__in=reviewed)
    return queryset.count()


def adjustments_url(fiscal_year: FiscalYear) -> str:
    """The pending 目标调整 requests in 审核工作台 (its `kind=adjustment` filter; a pending request
    reads as 已提交 there)."""
    query = urlencode({"year": fiscal_year.year, "kind": "adjustment", "state": "submitted"})
    return f"{reverse('review_queue')}?{query}"


@few_collections()
def dashboard_for(user, fiscal_year: FiscalYear, today=None) -> Dashboard:
    """Every figure of the dashboard for one year across the departments the user reviews.
    Five queries (after the access check), whatever the number of departments."""
    today = today or timezone.localdate()
    units = _Units()
    forms = _forms(user, fiscal_year, units)
    missing = _not_started(user, fiscal_year, units)
    assigned = _departments(user, units)

    counts = {state: 0 for state in FormState.values}
    grades = {grade: 0 for grade in GRADES}
    grades_by_state = {grade: {state: 0 for state in GRADED_STATES} for grade in GRADES}
    apart = {state: 0 for state in APART_STATES}
    ungraded = overdue = 0
    flag_counts: Counter = Counter()
    departments: dict[int, DepartmentFigures] = {}
    points: list[Point] = []
    indicator_weight = fiscal_year.indicator_weight

    def row_of(unit: Unit) -> DepartmentFigures:
        if unit.pk not in departments:
            departments[unit.pk] = DepartmentFigures(unit)
        return departments[unit.pk]

    for form in forms:
        counts[form.state] += 1
        if form.state not in GRADED_STATES:
            apart[form.state] += 1
        elif form.grade in grades:
            grades[form.grade] += 1
            grades_by_state[form.grade][form.state] += 1
        else:
            ungraded += 1
        overdue += workflow.is_overdue(form, today)
        flag_counts.update({flag["code"] for flag in form.flags or ()})
        row = row_of(form.department)
        if form.project_code is None:
            row.own = form
            continue
        row.evaluations += 1
        if form.total_score is None:
            continue
        row.scores.append(form.total_score)
        if form.execution_rate is not None and indicator_weight > 0:
            points_of = form.total_score - (form.execution_score or Decimal("0"))
            achievement = points_of / indicator_weight
            mismatch = is_mismatch(form.execution_rate, achievement)
            points.append(Point(form, form.execution_rate, achievement, mismatch))
    for item in missing:
        row = row_of(item.department)
        if item.code:
            row.not_started += 1
        else:
            row.own_missing = True
    idle = [unit for unit in assigned if unit.pk not in departments]
    for unit in idle:
        row_of(unit)

    scored = [f for f in forms if f.project_code is not None and f.total_score is not None]
    scored.sort(key=lambda f: (f.total_score, f.department.code, f.project_code))
    flagged = [f for f in forms if f.flags]
    flagged.sort(key=lambda f: (f.department.code, f.project_code or ""))

    board = Dashboard(
        year=fiscal_year,
        counts=counts,
        not_started=missing,
        overdue=overdue,
        grades=grades,
        ungraded=ungraded,
        grades_by_state=grades_by_state,
        apart=apart,
        departments=sorted(departments.values(), key=lambda r: r.department.code),
        points=points,
        weakest=scored[:WEAKEST],
        flagged=flagged[:LIST_LIMIT],
        flag_counts={code: flag_counts[code] for code in consistency.LABELS if flag_counts[code]},
        flagged_count=len(flagged),
        pending_adjustments=_pending_adjustments(user, fiscal_year),
        idle=sorted(idle, key=lambda unit: unit.code),
    )
    _draw(board)
    return board


def _draw(board: Dashboard) -> None:
    year = board.year
    labels = dict(FormState.choices)
    board.state_chart = charts.bars(
        [("未开始", len(board.not_started), "#not-started", "state-none")]
        + [
            (labels[state], board.counts[state], queue_url(year, state=state), f"state-{state}")
            for state in FormState.values
        ]
        + [("逾期", board.overdue, queue_url(year, overdue=1), "late")]
    )
    # a grade's forms are in two states: the bar opens the table of both (each number there
    # opens the queue filtered to exactly its forms)
    board.grade_chart = charts.bars(
        [(g, board.grades[g], "#grade-counts", f"grade-{n}") for n, g in enumerate(GRADES)]
        + [("未评分", board.ungraded, "", "grade-none")]
        + [("未提交·不计入", board.apart_total, "#grade-counts", "grade-apart")]
    )
    board.scatter = charts.scatter(board.points, low=MISMATCH_LOW, high=MISMATCH_HIGH)
    base = queue_url(year)
    for row in board.departments:
        row.href = f"{base}&department={row.department.pk}"
    board.department_rows = department_rows_html(board.departments)


# ---------------------------------------------------------------------------------------------
# A department's self-evaluation page: its projects' scores beside its own
# ---------------------------------------------------------------------------------------------
