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

from django.db.models import F, Prefetch  # noqa: E402

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


def results_application_table(year: YearArg, department_ids: set[int] | None = None) -> Table:
    """结果应用表 of a year across departments (None = all); at most 6 queries."""
    if not isinstance(year, FiscalYear):
        year = FiscalYear.objects.get(year=int(year))
    rows = results_application.gather_results_application(year, department_ids)
    return results_application.results_application_table(
        year.year, rows, results_application.thresholds_text(year)
    )
