"""The entry points of the standard tables: one function per table, each from prefetched data."""

from evaluations.models import SelfEvaluation
from evaluations.snapshot import content_hash, evaluation_queryset, gather_evaluations

from .base import Table
from .self_evaluation import self_evaluation_table


def evaluation_table(evaluation: SelfEvaluation) -> Table:
    evaluation = evaluation_queryset().get(pk=evaluation.pk)
    data = gather_evaluations([evaluation])[evaluation.pk]
    return self_evaluation_table(data, snapshot_hash=evaluation.snapshot_hash)


__all__ = ["content_hash", "evaluation_table"]


# ---------------------------------------------------------------------------------------------
# 绩效目标表, 基础数据表, 自评结果汇总表, 自评综述: each gathers its data with a fixed number of
# queries whatever the number of rows, then calls its pure builder.
# ---------------------------------------------------------------------------------------------

from collections import defaultdict  # noqa: E402

from django.db.models import F, Prefetch, Q  # noqa: E402

from budgets.models import Department, DepartmentBudget, FiscalYear, contact_of  # noqa: E402
from evaluations.models import Indicator, TargetSheet  # noqa: E402

from . import basic_data, narrative, results_application, summary, targets  # noqa: E402

YearArg = FiscalYear | int


def _year_number(year: YearArg) -> int:
    return year.year if isinstance(year, FiscalYear) else int(year)


def target_sheet_queryset():
    return TargetSheet.objects.select_related(
        "year", "department__parent__parent", "project", "filled_by__profile"
    ).prefetch_related(
        Prefetch(
            "indicators",
            queryset=Indicator.objects.select_related("category__parent").order_by("order", "id"),
        )
    )


def _targets_tables(sheets: list[TargetSheet]) -> list[Table]:
    """Tables of prefetched sheets (`target_sheet_queryset`): one more query for the budgets of
    the department-wide sheets."""
    budgets = {}
    wide = [s for s in sheets if s.project_id is None]
    if wide:
        for budget in DepartmentBudget.objects.filter(
            year_id__in={s.year_id for s in wide}, department_id__in={s.department_id for s in wide}
        ):
            budgets[(budget.year_id, budget.department_id)] = budget
    return [
        targets.targets_table(
            targets.gather_sheet(sheet, budgets.get((sheet.year_id, sheet.department_id)))
        )
        for sheet in sheets
    ]


def targets_table(sheet: TargetSheet) -> Table:
    """绩效目标表 of one project or department-year (3 queries)."""
    return targets_tables([sheet])[0]


def targets_tables(sheets) -> list[Table]:
    """绩效目标表 of many sheets (TargetSheet objects or ids), in the order given (3 queries)."""
    ids = [s.pk if isinstance(s, TargetSheet) else int(s) for s in sheets]
    loaded = target_sheet_queryset().in_bulk(ids)
    return _targets_tables([loaded[pk] for pk in ids if pk in loaded])


def targets_by_department(
    year: YearArg, department_ids: set[int] | None, project_ids: set[int] | None = None
) -> dict[int, list[tuple[tuple[str, str], Table]]]:
    """{department id: [((project code, project name), table)]}: the department-wide target
    table first (("", "")), then one per project by code. With project_ids, only those projects'
    tables (3 queries)."""
    queryset = target_sheet_queryset().filter(year__year=_year_number(year))
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=department_ids)
    if project_ids:
        queryset = queryset.filter(project_id__in=project_ids)
    sheets = list(queryset.order_by("department__code", F("project__code").asc(nulls_first=True)))
    result: dict[int, list[tuple[tuple[str, str], Table]]] = defaultdict(list)
    for sheet, table in zip(sheets, _targets_tables(sheets), strict=True):
        project = (sheet.project.code, sheet.project.name) if sheet.project_id else ("", "")
        result[sheet.department_id].append((project, table))
    return result


def basic_data_table(department: Department, year: YearArg) -> Table:
    """部门整体支出绩效评价基础数据表 of one department-year; every figure 无数据 when the
    department has no budget row for the year (1 query, 2 when `year` is a number)."""
    if not isinstance(year, FiscalYear):
        year = FiscalYear.objects.get(year=int(year))
    budget = DepartmentBudget.objects.filter(year=year, department=department).first()
    contact = _contacts(year.year, {department.pk}).get(department.pk, ("", ""))
    return basic_data.basic_data_table(
        basic_data.basic_data(year.year, department, budget, year.percent_places, contact)
    )


def _contacts(year: int, department_ids: set[int] | None) -> dict[int, tuple[str, str]]:
    """{department id: (填表人, 联系电话)} of the departments' 部门整体 self-evaluations, whose
    基础数据表 goes with them (1 query)."""
    queryset = SelfEvaluation.objects.filter(
        year__year=year, project__isnull=True, filled_by__isnull=False
    ).select_related("filled_by__profile")
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=department_ids)
    return {e.department_id: contact_of(e.filled_by) for e in queryset}


def _budgets(year: YearArg, department_ids: set[int] | None) -> list[DepartmentBudget]:
    queryset = DepartmentBudget.objects.select_related("year", "department").filter(
        year__year=_year_number(year)
    )
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=department_ids)
    return list(queryset.order_by("department__code"))


def _basic_data_of(budget: DepartmentBudget, contacts: dict[int, tuple[str, str]]) -> Table:
    return basic_data.basic_data_table(
        basic_data.basic_data(
            budget.year.year,
            budget.department,
            budget,
            budget.year.percent_places,
            contacts.get(budget.department_id, ("", "")),
        )
    )


def basic_data_tables(year: YearArg, department_ids: set[int] | None = None) -> list[Table]:
    """基础数据表 of every department (of `department_ids`, None = all) that has a budget row for
    the year, by department code (2 queries: the budgets, the 填表人)."""
    contacts = _contacts(_year_number(year), department_ids)
    return [_basic_data_of(budget, contacts) for budget in _budgets(year, department_ids)]


def basic_data_by_department(
    year: YearArg, department_ids: set[int] | None
) -> dict[int, list[tuple[tuple[str, str], Table]]]:
    """{department id: [(("", ""), table)]}: one 基础数据表, of the department as a whole
    (2 queries)."""
    contacts = _contacts(_year_number(year), department_ids)
    return {
        budget.department_id: [(("", ""), _basic_data_of(budget, contacts))]
        for budget in _budgets(year, department_ids)
    }


def summary_table(year: YearArg, department_ids: set[int] | None = None) -> Table:
    """自评结果汇总表 of a year across departments (None = all), with the 抽查复核 scores and
    the departments whose re-checks differ too much; at most 9 queries."""
    if not isinstance(year, FiscalYear):
        year = FiscalYear.objects.get(year=int(year))
    threshold = year.spot_check_difference_threshold
    rows = summary.gather_summary(year.year, department_ids, threshold)
    flagged = summary.flagged_departments(rows, threshold)
    return summary.summary_table(year.year, rows, flagged, threshold)


def narrative_table(year: YearArg, department_ids: set[int] | None = None) -> Table:
    """自评综述 of the projects of a year across departments (None = all); at most 4 queries."""
    number = _year_number(year)
    return narrative.narrative_table(number, narrative.gather_narrative(number, department_ids))


# ---------------------------------------------------------------------------------------------
# 绩效目标执行监控表 and the monitoring summary
# ---------------------------------------------------------------------------------------------

from evaluations.models import MonitoringLine, MonitoringRound, MonitoringSheet  # noqa: E402

from . import monitoring, monitoring_summary  # noqa: E402


def latest_round(year: YearArg) -> MonitoringRound | None:
    """The round an export of a year's 监控表 is of: the latest by 截至日期 (1 query)."""
    return (
        MonitoringRound.objects.select_related("year")
        .filter(year__year=_year_number(year))
        .order_by("-as_of", "-id")
        .first()
    )


def monitoring_sheet_queryset():
    return MonitoringSheet.objects.select_related(
        "round", "year", "department__parent__parent", "project", "filled_by__profile"
    )


def _monitoring_lines(sheets: list[MonitoringSheet]) -> dict[int, list[dict]]:
    """{sheet id: its lines as the table reads them} (1 query, none without sheets)."""
    lines: dict[int, list[dict]] = defaultdict(list)
    if sheets:
        rows = MonitoringLine.objects.filter(sheet_id__in=[s.pk for s in sheets])
        for row in rows.order_by(*monitoring.LINE_ORDER).values(*monitoring.LINE_FIELDS):
            lines[row["sheet_id"]].append(row)
    return lines


def _goals(sheets: list[MonitoringSheet]) -> dict[tuple, str]:
    """{("p", project id) or ("d", year id, department id): 年度总体目标} of the approved target
    sheets the monitoring sheets report on (1 query, none without sheets)."""
    if not sheets:
        return {}
    project_ids = {s.project_id for s in sheets if s.project_id}
    wide = {s.department_id for s in sheets if not s.project_id}
    goals = {}
    rows = TargetSheet.objects.filter(
        Q(project_id__in=project_ids)
        | Q(project__isnull=True, department_id__in=wide, year_id__in={s.year_id for s in sheets})
    ).values_list("project_id", "year_id", "department_id", "overall_goal")
    for project_id, year_id, department_id, goal in rows:
        key = ("p", project_id) if project_id else ("d", year_id, department_id)
        goals[key] = goal
    return goals


def _monitoring_tables(sheets: list[MonitoringSheet]) -> list[Table]:
    goals, lines = _goals(sheets), _monitoring_lines(sheets)
    return [
        monitoring.monitoring_table(
            monitoring.gather_sheet(
                sheet,
                goals.get(
                    ("p", sheet.project_id)
                    if sheet.project_id
                    else ("d", sheet.year_id, sheet.department_id),
                    "",
                ),
                lines.get(sheet.pk, []),
            )
        )
        for sheet in sheets
    ]


def monitoring_table(sheet: MonitoringSheet) -> Table:
    """绩效目标执行监控表 of one sheet (4 queries)."""
    return monitoring_tables([sheet])[0]


def monitoring_tables(sheets) -> list[Table]:
    """监控表 of many sheets (objects or ids), in the order given (4 queries)."""
    ids = [s.pk if isinstance(s, MonitoringSheet) else int(s) for s in sheets]
    loaded = monitoring_sheet_queryset().in_bulk(ids)
    return _monitoring_tables([loaded[pk] for pk in ids if pk in loaded])


def monitoring_by_department(
    round_: MonitoringRound | None,
    department_ids: set[int] | None,
    project_ids: set[int] | None = None,
) -> dict[int, list[tuple[tuple[str, str], Table]]]:
    """{department id: [((project code, project name), table)]} of a round's 监控表: the
    department-wide one first, then by project code (4 queries)."""
    if round_ is None:
        return {}
    queryset = monitoring_sheet_queryset().filter(round=round_)
    if department_ids is not None:
        queryset = queryset.filter(department_id__in=department_ids)
    if project_ids:
        queryset = queryset.filter(project_id__in=project_ids)
    sheets = list(queryset.order_by("department__code", F("project__code").asc(nulls_first=True)))
    result: dict[int, list[tuple[tuple[str, str], Table]]] = defaultdict(list)
    for sheet, table in zip(sheets, _monitoring_tables(sheets), strict=True):
        project = (sheet.project.code, sheet.project.name) if sheet.project_id else ("", "")
        result[sheet.department_id].append((project, table))
    return result


def monitoring_summary_table(
    round_: MonitoringRound, department_ids: set[int] | None = None
) -> Table:
    """监控情况汇总表 of a round by department (3 queries, aggregated in SQL)."""
    return monitoring_summary.summary_table(
        round_, monitoring_summary.gather(round_, department_ids)
    )


def results_application_table(year: YearArg, department_ids: set[int] | None = None) -> Table:
    """结果应用表 of a year across departments (None = all); at most 6 queries."""
    if not isinstance(year, FiscalYear):
        year = FiscalYear.objects.get(year=int(year))
    rows = results_application.gather_results_application(year, department_ids)
    return results_application.results_application_table(
        year.year, rows, results_application.thresholds_text(year)
    )
