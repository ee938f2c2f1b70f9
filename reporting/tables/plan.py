"""Which files an export produces, and which tables go in each: one place for the shape of
exports (used by the Celery task, the command line and the benchmark).

Several files go into a ZIP with one folder per department; a single project's or department's
table is one file. Every file is named by `reporting.filenames` (what it holds: year, unit, project,
table). A whole-year bundle has, per department, its 部门整体支出绩效自评表,
基础数据表, 绩效目标表, 项目支出绩效自评表 and 绩效目标执行监控表 (of the year's latest monitoring
round), and at the top the 监控情况汇总表, 自评结果汇总表 and 自评综述. The 监控表 and its summary
are of the year's latest round (`registry.latest_round`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from budgets.models import Department, FiscalYear
from evaluations.models import SelfEvaluation
from evaluations.snapshot import evaluation_queryset, gather_evaluations

from .. import filenames
from ..models import ExportJob
from . import registry
from .base import Table
from .self_evaluation import self_evaluation_table

Kind = ExportJob.Kind


@dataclass
class ExportFile:
    path: str  # without extension: 单位文件夹/文件名 inside a ZIP, or just the file name
    tables: list[Table]


Named = tuple[tuple[str, str], Table]  # ((project code, project name) or ("", ""), table)


def evaluation_tables(
    year: FiscalYear, department_ids: set[int], project_ids: set[int], *, projects: bool
) -> dict[int, list[Named]]:
    """{department id: [((project code, project name), table)]} of the self-evaluation tables
    in scope (("", "") for a department's own)."""
    queryset = evaluation_queryset().filter(
        year=year, department_id__in=department_ids, project__isnull=not projects
    )
    if project_ids:
        queryset = queryset.filter(project_id__in=project_ids)
    evaluations: list[SelfEvaluation] = list(queryset.order_by("department__code", "project__code"))
    data = gather_evaluations(evaluations)
    result: dict[int, list[Named]] = defaultdict(list)
    for evaluation in evaluations:
        item = data[evaluation.pk]
        table = self_evaluation_table(item, snapshot_hash=evaluation.snapshot_hash)
        project = (item["project_code"], item["project_name"]) if projects else ("", "")
        result[evaluation.department_id].append((project, table))
    return result


def table_label(kind: str) -> str:
    """The 表名 of a kind in a file name (the bundle's label without its explanation)."""
    return "全部表格" if kind == Kind.BUNDLE else Kind(kind).label


def download_name(kind: str, year: int, unit: str, files: list[ExportFile], ext: str) -> str:
    """The name of what an export downloads: one file by its own name, a ZIP by year, unit
    (the one department asked for, else 全部单位) and table."""
    if len(files) == 1:
        return f"{files[0].path}.{ext}"
    return filenames.export_name(year, unit, table_label(kind), ext)


def files_for(kind: str, year: FiscalYear, department_ids: set[int], project_ids: set[int]) -> list:
    """The files of an export, named by `filenames.export_name` (without extension: the format
    adds it); several files go into a ZIP with a folder per department."""
    departments = {d.id: d for d in Department.objects.filter(id__in=department_ids)}
    files: list[ExportFile] = []
    number = year.year

    def per_department(tables: dict[int, list[Named]], label: str, one_file: bool = False):
        for department_id in sorted(tables, key=lambda d: departments[d].code):
            department = departments[department_id]
            folder = filenames.folder_name(department.code, department.name)
            items = tables[department_id]
            if one_file and len(items) > 1:
                name = filenames.export_name(number, department.name, label, "")
                files.append(ExportFile(f"{folder}/{name}", [t for _, t in items]))
                continue
            for (code, project_name), table in items:
                name = filenames.export_name(
                    number,
                    department.name,
                    label,
                    "",
                    project_code=code,
                    project_name=project_name,
                    department_wide=not code,
                )
                files.append(ExportFile(f"{folder}/{name}", [table]))

    def whole(label: str, table: Table) -> ExportFile:
        unit = departments[next(iter(departments))].name if len(departments) == 1 else ""
        return ExportFile(filenames.export_name(number, unit, label, ""), [table])

    label = table_label(kind)
    if kind == Kind.PROJECT:
        per_department(evaluation_tables(year, department_ids, project_ids, projects=True), label)
    elif kind == Kind.DEPARTMENT:
        per_department(evaluation_tables(year, department_ids, project_ids, projects=False), label)
    elif kind == Kind.TARGETS:
        per_department(registry.targets_by_department(year, department_ids, project_ids), label)
    elif kind == Kind.BASIC:
        per_department(registry.basic_data_by_department(year, department_ids), label)
    elif kind == Kind.SUMMARY:
        files.append(whole(label, registry.summary_table(year, department_ids)))
    elif kind == Kind.NARRATIVE:
        files.append(whole(label, registry.narrative_table(year, department_ids)))
    elif kind == Kind.MONITORING:
        round_ = registry.latest_round(year)
        per_department(
            registry.monitoring_by_department(round_, department_ids, project_ids), label
        )
    elif kind == Kind.MONITORING_SUMMARY:
        round_ = registry.latest_round(year)
        if round_ is not None:
            files.append(whole(label, registry.monitoring_summary_table(round_, department_ids)))
    elif kind == Kind.RESULTS:
        files.append(whole(label, registry.results_application_table(year, department_ids)))
    elif kind == Kind.BUNDLE:
        per_department(
            registry.basic_data_by_department(year, department_ids), Kind.BASIC.label, True
        )
        per_department(
            evaluation_tables(year, department_ids, set(), projects=False),
            Kind.DEPARTMENT.label,
            True,
        )
        per_department(
            registry.targets_by_department(year, department_ids, set()), Kind.TARGETS.label, True
        )
        per_department(
            evaluation_tables(year, department_ids, set(), projects=True), Kind.PROJECT.label, True
        )
        round_ = registry.latest_round(year)
        per_department(
            registry.monitoring_by_department(round_, department_ids, set()),
            Kind.MONITORING.label,
            True,
        )
        files.sort(key=lambda f: f.path)
        if round_ is not None:
            files.append(
                whole(
                    Kind.MONITORING_SUMMARY.label,
                    registry.monitoring_summary_table(round_, department_ids),
                )
            )
        files.append(whole(Kind.SUMMARY.label, registry.summary_table(year, department_ids)))
        files.append(whole(Kind.NARRATIVE.label, registry.narrative_table(year, department_ids)))
        files.append(
            whole(Kind.RESULTS.label, registry.results_application_table(year, department_ids))
        )
    if len(files) == 1:
        files[0].path = files[0].path.split("/", 1)[-1]
    return files
