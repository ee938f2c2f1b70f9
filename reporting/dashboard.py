"""The finance dashboard (绩效看板) and the projects beside a department's own self-evaluation.

Reads only, scoped by `budgets.access`. The figures are counted, summed and grouped in the
database (states and grades, per-department totals and their spread, the missing forms); only
the scatter chart reads a row per scored project (four numbers), and the lists read at most
LIST_LIMIT forms. So the page costs the same number of queries, and little more time, for 3
departments or 300. Scores are the stored totals (`SelfEvaluation.total_score`, the 自评总分),
flags the stored consistency flags. Grades count only forms handed in (已提交, 已审核): a
draft's grade is work in progress, counted apart (`apart`).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from budgets.access import Role, access_for
from budgets.models import Department, FiscalYear, Project
from core import formatting
from evaluations import consistency, workflow
from evaluations.models import FormState, Grade, SelfEvaluation, TargetAdjustment, TargetSheet

from . import charts

# 执行率 vs 指标得分率 mismatch: one below LOW while the other is at or above HIGH
MISMATCH_LOW = Decimal("0.6")
MISMATCH_HIGH = Decimal("0.9")
WEAKEST = 10
LIST_LIMIT = 100  # rows of the drill-down lists on the page (the queue has them all)
DEPARTMENT_PAGE = 30  # rows of 各单位得分 a page (a row with its chart is ~0.8 KB)
# points of the scatter chart drawn one by one, with link and title, beyond which only the
# mismatches are (charts.scatter's detail_limit; 400 such dots were ~90 KB of a city's page);
# also the rows of the mismatch list under the chart
DOTS = 50
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
    form: Form | None  # loaded for the points drawn one by one (`_points`), else None
    execution_rate: Decimal
    achievement: Decimal  # indicator points ÷ the year's indicator weight (the 90 of 100)
    mismatch: bool
    pk: int | None = None  # the self-evaluation's

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
    evaluations.selectors.DepartmentRow: another shape for another page). The score figures
    come aggregated from the database (`_tallies`)."""

    department: Unit
    href: str = ""  # the review queue filtered to this department's self-evaluations
    own: Form | None = None  # the 部门整体 self-evaluation
    evaluations: int = 0  # project self-evaluations started
    not_started: int = 0  # projects without one
    own_missing: bool = False  # its 部门整体 target sheet has no self-evaluation yet
    scored: int = 0  # project self-evaluations with a total
    mean: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    spread: Decimal | None = None

    def take_scores(
        self, scored: int, total: Decimal, squares: Decimal, low: Decimal, high: Decimal
    ) -> None:
        """The figures from the count, sum, sum of squares, minimum and maximum of the totals,
        in exact decimals: the mean as `score_mean` over the list, the population standard
        deviation (a department's projects are all of them, not a sample) to the cent."""
        self.scored = scored
        if not scored:
            return
        # SQLite answers aggregates of decimals as floats: back to the stored places (totals
        # have two, their squares four), so both databases give the same exact figures
        total, low, high = (v.quantize(CENT) for v in (total, low, high))
        squares = squares.quantize(CENT * CENT)
        exact_mean = total / scored
        self.mean = exact_mean.quantize(CENT, rounding=ROUND_HALF_UP)
        variance = max(squares / scored - exact_mean * exact_mean, Decimal("0"))
        self.spread = variance.sqrt().quantize(CENT, rounding=ROUND_HALF_UP)
        self.minimum, self.maximum = low, high

    @cached_property
    def chart(self) -> str:
        """The row's score range as inline SVG ("" without scores)."""
        if not self.scored:
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
    not_started: list[Missing]  # the first LIST_LIMIT of them
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
    not_started_count: int = 0  # all of them
    department_page: Page | None = None  # the rows of 各单位得分 shown (DEPARTMENT_PAGE a page)

    @property
    def started(self) -> int:
        return sum(self.counts.values())

    @property
    def expected(self) -> int:
        return self.started + self.not_started_count

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

    @property
    def mismatch_list(self) -> list[Point]:
        """The mismatches listed under the chart: the first DOTS (their forms are loaded)."""
        return self.mismatches[:DOTS]


class _Units(dict):
    """Unit by department id, made once from the values of a row."""

    def of(self, pk: int, code: str, name: str) -> Unit:
        unit = self.get(pk)
        if unit is None:
            unit = self[pk] = Unit(pk, code, name)
        return unit


UNIT_FIELDS = ("department_id", "department__code", "department__name")


def _form_rows(queryset, fiscal_year: FiscalYear, units: _Units) -> list[Form]:
    rows = queryset.values_list(*UNIT_FIELDS, *Form.FIELDS)
    return [Form(row[3], fiscal_year, units.of(*row[:3]), *row[4:]) for row in rows]


def _evaluations(user, fiscal_year: FiscalYear):
    return _reviewed(SelfEvaluation.objects.filter(year=fiscal_year), user)


SQUARES = DecimalField(max_digits=30, decimal_places=4)


def _tallies(user, fiscal_year: FiscalYear, today: datetime.date) -> list[dict]:
    """Self-evaluations per department, state, grade and kind (部门整体 or project): how many,
    how many overdue, and of their totals the count, sum, sum of squares, minimum and maximum
    (1 query, grouped in the database: a few rows a department, never one a form)."""
    square = ExpressionWrapper(F("total_score") * F("total_score"), output_field=SQUARES)
    tallies = {
        "n": Count("id"),
        "scored": Count("total_score"),
        "total": Sum("total_score"),
        "squares": Sum(square, output_field=SQUARES),
        "low": Min("total_score"),
        "high": Max("total_score"),
    }
    late = workflow.overdue_q(fiscal_year, today)
    if late is not None:
        tallies["late"] = Count("id", filter=late)
    own = ExpressionWrapper(Q(project__isnull=True), output_field=BooleanField())
    return list(
        _evaluations(user, fiscal_year)
        .values(*UNIT_FIELDS, "state", "grade", own=own)
        .order_by()
        .annotate(**tallies)
    )


def _points(user, fiscal_year: FiscalYear, units: _Units) -> list[Point]:
    """Each scored project with an execution rate, as a point of the scatter chart (1 query of
    four numbers a project), and the forms of the points shown one by one: all of them up to
    DOTS, else the first DOTS mismatches (1 query, at most DOTS rows; the mismatch list shows
    as many)."""
    indicator_weight = fiscal_year.indicator_weight
    if indicator_weight <= 0:
        return []
    rows = (
        _evaluations(user, fiscal_year)
        .filter(project__isnull=False, total_score__isnull=False, execution_rate__isnull=False)
        .order_by("department__code", "project__code")
        .values_list("id", "execution_rate", "execution_score", "total_score")
    )
    points = []
    for pk, rate, execution_score, total in rows:
        if rate is None or total is None:
            # a stored figure the database cannot read back as a number (an overflowing row on
            # SQLite reads as None): no point rather than a 500 (tests/…/test_robust_reading.py)
            continue
        achievement = (total - (execution_score or Decimal("0"))) / indicator_weight
        points.append(Point(None, rate, achievement, is_mismatch(rate, achievement), pk))
    detailed = points
    if len(points) > DOTS:
        detailed = [p for p in points if p.mismatch][:DOTS]
    if detailed:
        forms = _form_rows(
            SelfEvaluation.objects.filter(pk__in=[p.pk for p in detailed]), fiscal_year, units
        )
        by_pk = {form.pk: form for form in forms}
        for point in detailed:
            point.form = by_pk[point.pk]
    return points


def _not_started(
    user, fiscal_year: FiscalYear, units: _Units
) -> tuple[list[Missing], list[tuple[Unit, int]], list[Unit]]:
    """The first LIST_LIMIT missing forms (by department and project code), the projects
    without a self-evaluation per department, and the departments whose 部门整体 sheet has none
    (3 queries; 2 when every project is started)."""
    projects = _reviewed(
        Project.objects.filter(year=fiscal_year, self_evaluation__isnull=True), user
    )
    per_department = [
        (units.of(*row[:3]), row[3])
        for row in projects.values_list(*UNIT_FIELDS).order_by().annotate(n=Count("id"))
    ]
    listed = (
        projects.order_by("department__code", "code").values_list(
            *UNIT_FIELDS, "name", "code", "target_sheet__id"
        )[:LIST_LIMIT]
        if per_department
        else []  # every project started (a deadline day): nothing to ask
    )
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
    missing = [Missing(units.of(*row[:3]), *row[3:]) for row in listed]
    own = [Missing(units.of(*row[:3]), "部门整体支出", "", row[3]) for row in sheets]
    missing += own
    missing.sort(key=lambda m: (m.department.code, m.code))
    return missing[:LIST_LIMIT], per_department, [m.department for m in own]


def _flagged(user, fiscal_year: FiscalYear, units: _Units) -> tuple[list[Form], Counter, int]:
    """The first LIST_LIMIT self-evaluations with consistency flags, the forms per flag code,
    and how many are flagged (2 queries, 1 without any flag; the first reads only the
    flags)."""
    flagged = _evaluations(user, fiscal_year).exclude(flags=[])
    counts: Counter = Counter()
    total = 0
    for flags in flagged.values_list("flags", flat=True):
        counts.update({flag["code"] for flag in flags or ()})
        total += 1
    if not total:
        return [], counts, 0
    listed = flagged.order_by("department__code", F("project__code").asc(nulls_first=True))
    return _form_rows(listed[:LIST_LIMIT], fiscal_year, units), counts, total


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


def dashboard_for(
    user, fiscal_year: FiscalYear, today=None, department_page: int | str | None = None
) -> Dashboard:
    """Every figure of the dashboard for one year across the departments the user reviews.
    Counted, summed and grouped in the database: at most 12 queries (after the access check),
    none of which returns a row per form of the city but the scatter chart's four numbers a
    project.
    `department_page`: the page of 各单位得分 to draw (DEPARTMENT_PAGE rows a page)."""
    today = today or timezone.localdate()
    units = _Units()

    counts = {state: 0 for state in FormState.values}
    grades = {grade: 0 for grade in GRADES}
    grades_by_state = {grade: {state: 0 for state in GRADED_STATES} for grade in GRADES}
    apart = {state: 0 for state in APART_STATES}
    ungraded = overdue = 0
    departments: dict[int, DepartmentFigures] = {}

    def row_of(unit: Unit) -> DepartmentFigures:
        if unit.pk not in departments:
            departments[unit.pk] = DepartmentFigures(unit)
        return departments[unit.pk]

    # per department with project forms: started, scored, sum, sum of squares, min, max
    scores: dict[Unit, list] = {}
    for tally in _tallies(user, fiscal_year, today):
        state, grade, n = tally["state"], tally["grade"], tally["n"]
        counts[state] += n
        overdue += tally.get("late", 0)
        if state not in GRADED_STATES:
            apart[state] += n
        elif grade in grades:
            grades[grade] += n
            grades_by_state[grade][state] += n
        else:
            ungraded += n
        if tally["own"]:
            continue
        unit = units.of(*(tally[name] for name in UNIT_FIELDS))
        figures = scores.setdefault(unit, [0, 0, Decimal("0"), Decimal("0"), None, None])
        figures[0] += n
        if tally["scored"]:
            figures[1] += tally["scored"]
            figures[2] += tally["total"]
            figures[3] += tally["squares"]
            low, high = tally["low"], tally["high"]
            figures[4] = low if figures[4] is None else min(figures[4], low)
            figures[5] = high if figures[5] is None else max(figures[5], high)
    for unit, (started, *figures) in scores.items():
        row = row_of(unit)
        row.evaluations = started
        row.take_scores(*figures)
    own = _form_rows(
        _evaluations(user, fiscal_year).filter(project__isnull=True), fiscal_year, units
    )
    for form in own:
        row_of(form.department).own = form
    missing, missing_projects, missing_own = _not_started(user, fiscal_year, units)
    for unit, n in missing_projects:
        row_of(unit).not_started = n
    for unit in missing_own:
        row_of(unit).own_missing = True
    assigned = _departments(user, units)
    idle = [unit for unit in assigned if unit.pk not in departments]
    for unit in idle:
        row_of(unit)

    weakest = _form_rows(
        _evaluations(user, fiscal_year)
        .filter(project__isnull=False, total_score__isnull=False)
        .order_by("total_score", "department__code", "project__code")[:WEAKEST],
        fiscal_year,
        units,
    )
    flagged, flag_counts, flagged_count = _flagged(user, fiscal_year, units)

    board = Dashboard(
        year=fiscal_year,
        counts=counts,
        not_started=missing,
        not_started_count=sum(n for _, n in missing_projects) + len(missing_own),
        overdue=overdue,
        grades=grades,
        ungraded=ungraded,
        grades_by_state=grades_by_state,
        apart=apart,
        departments=sorted(departments.values(), key=lambda r: r.department.code),
        points=_points(user, fiscal_year, units),
        weakest=weakest,
        flagged=flagged,
        flag_counts={code: flag_counts[code] for code in consistency.LABELS if flag_counts[code]},
        flagged_count=flagged_count,
        pending_adjustments=_pending_adjustments(user, fiscal_year),
        idle=sorted(idle, key=lambda unit: unit.code),
    )
    board.department_page = Paginator(board.departments, DEPARTMENT_PAGE).get_page(department_page)
    _draw(board)
    return board


def _draw(board: Dashboard) -> None:
    year = board.year
    labels = dict(FormState.choices)
    board.state_chart = charts.bars(
        [("未开始", board.not_started_count, "#not-started", "state-none")]
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
    board.scatter = charts.scatter(
        board.points, low=MISMATCH_LOW, high=MISMATCH_HIGH, detail_limit=DOTS
    )
    base = queue_url(year)
    shown = list(board.department_page.object_list)
    for row in shown:
        row.href = f"{base}&department={row.department.pk}"
    # only the page's rows are drawn (a city's 300 were ~110 KB of the page)
    board.department_rows = department_rows_html(shown)


# ---------------------------------------------------------------------------------------------
# A department's self-evaluation page: its projects' scores beside its own
# ---------------------------------------------------------------------------------------------
