"""Load the demo data of `budgets/demo_data.py` (taken from ../shared/seeds/) idempotently.

Everything is matched on natural keys (year, codes, indicator names), so loading twice changes
nothing. One audit record says that the demo was loaded.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from evaluations.models import (
    FormState,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    SelfEvaluation,
    TargetSheet,
)
from evaluations.services import evaluation_freeze, evaluation_refresh

from . import demo_data
from .models import Department, DepartmentBudget, FiscalYear, Membership, Project
from .services import audit_record, fiscal_year_create

DEMO_PASSWORD = "Jxzp@2026"
CURRENT_YEAR = 2021
Role = Membership.Role

# (username, display name, department code or None for the administrator, role)
USERS: list[tuple[str, str, str | None, str | None]] = [
    ("admin", "系统管理员", None, None),
    ("xn_clerk", "张敏（咸宁市政务服务和大数据管理局）", "XN", Role.CLERK),
    ("xn_head", "李建国（咸宁市政务服务和大数据管理局负责人）", "XN", Role.HEAD),
    ("dsj_clerk", "王芳（咸宁市政府大数据中心）", "XN-DSJ", Role.CLERK),
    ("sz_clerk", "陈静（随州市政务服务和大数据管理局）", "SZ", Role.CLERK),
    ("yy_clerk", "刘洋（益阳市行政审批服务局）", "YY", Role.CLERK),
    ("reviewer", "赵磊（财政局行政政法科）", "XN", Role.REVIEWER),
    ("reviewer", "赵磊（财政局行政政法科）", "SZ", Role.REVIEWER),
    ("reviewer2", "孙丽（财政局经济建设科）", "YY", Role.REVIEWER),
]


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str]] = field(default_factory=list)

    def count(self, kind: str, created: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1


# USERS name departments by a short alias; these are the demo data's codes.
ALIASES = {"XN": "101", "XN-DSJ": "101001", "SZ": "102", "YY": "103"}


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _categories(fiscal_year: FiscalYear) -> dict[tuple[str, str], IndicatorCategory]:
    return {
        (c.parent.name, c.name): c
        for c in IndicatorCategory.objects.filter(
            year=fiscal_year, parent__isnull=False
        ).select_related("parent")
    }


def _load_indicators(sheet: TargetSheet, rows: list[dict], categories, report: LoadReport) -> None:
    for order, row in enumerate(rows, start=1):
        _, created = Indicator.objects.update_or_create(
            sheet=sheet,
            name=row["name"],
            defaults={
                "category": categories[(row["level1"], row["level2"])],
                "comparator": row["comparator"],
                "target_value": row["target"],
                "unit": row.get("unit", ""),
                "weight": Decimal(row["weight"]),
                "basis": row.get("basis") or Indicator.Basis.PLAN,
                "explanation": row.get("explanation", ""),
                "order": order,
            },
        )
        report.count("三级指标", created)


def _load_results(
    evaluation: SelfEvaluation, sheet: TargetSheet, data: dict, report: LoadReport
) -> None:
    evaluation.actual_text = data.get("actual_text", "")
    evaluation.problems = data.get("problems", "")
    evaluation.measures = data.get("measures", "")
    evaluation.save()
    indicators = {i.name: i for i in sheet.indicators.all()}
    for row in data.get("indicators", []):
        _, created = IndicatorResult.objects.update_or_create(
            indicator=indicators[row["name"]],
            defaults={
                "evaluation": evaluation,
                "actual_value": row.get("actual") or "",
                "level": row.get("level") or "",
                "score": _decimal(row.get("score")),
                "deviation_reason": row.get("reason", ""),
            },
        )
        report.count("指标完成情况", created)
    evaluation_refresh(evaluation)
    if evaluation.state == FormState.APPROVED and not evaluation.snapshot:
        evaluation_freeze(evaluation)


def _form_state(year: int, kind: str) -> str:
    """Demo states that let every role try its part: 2021 targets approved and self-evaluation
    in draft, 2023 targets in draft, 2020 (益阳) approved throughout."""
    if year == 2023:
        return FormState.DRAFT
    if year == 2020:
        return FormState.APPROVED
    return FormState.APPROVED if kind == "targets" else FormState.DRAFT


def _sheet(fiscal_year, department, project, goal: str, report: LoadReport) -> TargetSheet:
    now = timezone.now()
    state = _form_state(fiscal_year.year, "targets")
    sheet, created = TargetSheet.objects.get_or_create(
        year=fiscal_year,
        department=department,
        project=project,
        defaults={
            "overall_goal": goal,
            "state": state,
            "approved_at": now if state == FormState.APPROVED else None,
            "submitted_at": now if state == FormState.APPROVED else None,
        },
    )
    report.count("绩效目标", created)
    return sheet


def _evaluation(fiscal_year, department, project, report: LoadReport) -> SelfEvaluation:
    now = timezone.now()
    state = _form_state(fiscal_year.year, "evaluation")
    evaluation, created = SelfEvaluation.objects.get_or_create(
        year=fiscal_year,
        department=department,
        project=project,
        defaults={
            "state": state,
            "approved_at": now if state == FormState.APPROVED else None,
            "submitted_at": now if state == FormState.APPROVED else None,
        },
    )
    report.count("绩效自评", created)
    return evaluation


def load_demo() -> LoadReport:
    report = LoadReport()
    with transaction.atomic():
        years: dict[int, FiscalYear] = {}
        for year in demo_data.YEARS:
            fiscal_year = FiscalYear.objects.filter(year=year).first()
            if fiscal_year is None:
                fiscal_year = fiscal_year_create(year=year)
                report.count("年度", True)
            years[year] = fiscal_year
        FiscalYear.objects.exclude(year=CURRENT_YEAR).filter(is_current=True).update(
            is_current=False
        )
        # The demo keeps its self-evaluation open with a deadline in the future, so that a
        # clerk can try every step whenever the demo is loaded.
        FiscalYear.objects.filter(year=CURRENT_YEAR).update(
            is_current=True,
            evaluation_open=True,
            evaluation_deadline=datetime.date(timezone.localdate().year + 1, 3, 31),
        )

        departments: dict[str, Department] = {}
        for row in demo_data.DEPARTMENTS:
            department, created = Department.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "kind": row["kind"],
                    "parent": departments.get(row["parent"]) if row["parent"] else None,
                },
            )
            departments[row["code"]] = department
            report.count("单位", created)

        for row in demo_data.DEPARTMENT_BUDGETS:
            values = {k: v for k, v in row.items() if k not in ("year", "department")}
            values = {
                k: (v if k.startswith("staff_") or v is None else Decimal(str(v)))
                for k, v in values.items()
            }
            _, created = DepartmentBudget.objects.update_or_create(
                year=years[row["year"]], department=departments[row["department"]], defaults=values
            )
            report.count("部门整体预算数据", created)

        categories = {year: _categories(fy) for year, fy in years.items()}
        for row in demo_data.PROJECTS:
            fiscal_year = years[row["year"]]
            department = departments[row["department"]]
            project, created = Project.objects.update_or_create(
                year=fiscal_year,
                code=row["code"],
                defaults={
                    "department": department,
                    "name": row["name"],
                    "category": row.get("category", ""),
                    **{k: Decimal(v) for k, v in row["funds"].items()},
                },
            )
            report.count("项目", created)
            sheet = _sheet(fiscal_year, department, project, row.get("overall_goal", ""), report)
            _load_indicators(sheet, row["indicators"], categories[row["year"]], report)
            if row.get("result"):
                evaluation = _evaluation(fiscal_year, department, project, report)
                _load_results(evaluation, sheet, row["result"], report)

        for row in demo_data.DEPARTMENT_TARGETS:
            fiscal_year = years[row["year"]]
            department = departments[row["department"]]
            sheet = _sheet(fiscal_year, department, None, row.get("overall_goal", ""), report)
            _load_indicators(sheet, row["indicators"], categories[row["year"]], report)
        for row in demo_data.DEPARTMENT_RESULTS:
            fiscal_year = years[row["year"]]
            department = departments[row["department"]]
            sheet = TargetSheet.objects.get(year=fiscal_year, department=department, project=None)
            evaluation = _evaluation(fiscal_year, department, None, report)
            _load_results(evaluation, sheet, row, report)

        report.users = _load_users(departments, report)
        if report.created:
            audit_record(
                actor=None,
                action="加载演示数据",
                obj=years[CURRENT_YEAR],
                changes={"新增": report.created},
            )
    return report


def _load_users(departments: dict[str, Department], report: LoadReport) -> list[tuple[str, str]]:
    user_model = get_user_model()
    listed: dict[str, str] = {}
    for username, display, alias, role in USERS:
        user, created = user_model.objects.get_or_create(username=username)
        user.first_name = display
        user.is_active = True
        user.is_superuser = user.is_staff = role is None
        user.set_password(DEMO_PASSWORD)
        user.save()
        report.count("用户", created)
        if role is not None:
            department = departments[ALIASES[alias]]
            _, created = Membership.objects.get_or_create(
                user=user, department=department, role=role
            )
            report.count("用户角色", created)
            listed[username] = f"{Role(role).label} · {department.name}" + (
                "；" + listed[username] if username in listed else ""
            )
        else:
            listed[username] = "系统管理员"
    return sorted(listed.items())
