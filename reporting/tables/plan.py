"""Which files an export produces, and which tables go in each: one place for the shape of
exports (used by the Celery task, the command line and the benchmark).

Several files go into a ZIP with one folder per department; a single project's or department's
table is one file. A whole-year bundle has, per department, its 部门整体支出绩效自评表,
基础数据表, 绩效目标表 and 项目支出绩效自评表, and at the top the 自评结果汇总表 and 自评综述.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from budgets.models import Department, FiscalYear
from evaluations.models import SelfEvaluation
from evaluations.snapshot import evaluation_queryset, gather_evaluations

from ..models import ExportJob
from . import registry
from .base import Table
from .self_evaluation import self_evaluation_table

Kind = ExportJob.Kind


@dataclass
class ExportFile:
    path: str  # inside the ZIP: 单位名称/文件名 (or just the file name)
    tables: list[Table]


def _folder(department: Department) -> str:
    return f"{department.code} {department.name}"


def evaluation_tables(
    year: FiscalYear, department_ids: set[int], project_ids: set[int], *, projects: bool
) -> dict[int, list[tuple[str, Table]]]:
    """{department id: [(file name, table)]} of the self-evaluation tables in scope."""
    queryset = evaluation_queryset().filter(
        year=year, department_id__in=department_ids, project__isnull=not projects
    )
    if project_ids:
        queryset = queryset.filter(project_id__in=project_ids)
    evaluations: list[SelfEvaluation] = list(queryset.order_by("department__code", "project__code"))
    data = gather_evaluations(evaluations)
    result: dict[int, list[tuple[str, Table]]] = defaultdict(list)
    for evaluation in evaluations:
        item = data[evaluation.pk]
        table = self_evaluation_table(item, snapshot_hash=evaluation.snapshot_hash)
        name = (
            f"{item['project_code']} {item['project_name']}"
            if projects
            else "部门整体支出绩效自评表"
        )
        result[evaluation.department_id].append((name, table))
    return result


def files_for(kind: str, year: FiscalYear, department_ids: set[int], project_ids: set[int]) -> list:
    departments = {d.id: d for d in Department.objects.filter(id__in=department_ids)}
    files: list[ExportFile] = []
    single = len(department_ids) == 1

    def per_department(tables: dict[int, list[tuple[str, Table]]], one_file: str | None = None):
        for department_id in sorted(tables, key=lambda d: departments[d].code):
            folder = _folder(departments[department_id])
            items = tables[department_id]
            if one_file:
                files.append(ExportFile(f"{folder}/{one_file}", [t for _, t in items]))
            else:
                files.extend(ExportFile(f"{folder}/{name}", [t]) for name, t in items)

    if kind == Kind.PROJECT:
        per_department(evaluation_tables(year, department_ids, project_ids, projects=True))
    elif kind == Kind.DEPARTMENT:
        per_department(evaluation_tables(year, department_ids, project_ids, projects=False))
    elif kind == Kind.TARGETS:
        per_department(registry.targets_by_department(year, department_ids, project_ids))
    elif kind == Kind.BASIC:
        per_department(registry.basic_data_by_department(year, department_ids))
    elif kind == Kind.SUMMARY:
        files.append(ExportFile("自评结果汇总表", [registry.summary_table(year, department_ids)]))
    elif kind == Kind.NARRATIVE:
        files.append(ExportFile("自评综述", [registry.narrative_table(year, department_ids)]))
    elif kind == Kind.BUNDLE:
        per_department(registry.basic_data_by_department(year, department_ids), "基础数据表")
        per_department(
            evaluation_tables(year, department_ids, set(), projects=False), "部门整体支出绩效自评表"
        )
        per_department(registry.targets_by_department(year, department_ids, set()), "绩效目标表")
        per_department(
            evaluation_tables(year, department_ids, set(), projects=True), "项目支出绩效自评表"
        )
        files.sort(key=lambda f: f.path)
        files.append(ExportFile("自评结果汇总表", [registry.summary_table(year, department_ids)]))
        files.append(ExportFile("自评综述", [registry.narrative_table(year, department_ids)]))
    if single and len(files) == 1 and kind in (Kind.PROJECT, Kind.DEPARTMENT, Kind.TARGETS):
        files[0].path = files[0].path.split("/", 1)[-1]
    return files
