"""A synthetic city, generated deterministically (fixed seed) for the benchmarks.

Full scale: 300 departments (60 主管部门 with 4 所属单位 each), 3,000 projects, 45,000 indicators
(15 per project, over the standard tree, mixed comparators including 定性) with their results, all
self-evaluations submitted. `scale` shrinks every count (CI runs 1/50).
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from budgets.models import Department, FiscalYear, Membership, Project
from evaluations.models import (
    FormState,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    SelfEvaluation,
    TargetSheet,
)
from evaluations.services import fiscal_year_create

YEAR = 2031
SEED = 20261123
BUREAUS = [
    "教育局",
    "卫生健康委员会",
    "交通运输局",
    "住房和城乡建设局",
    "农业农村局",
    "民政局",
    "文化和旅游局",
    "生态环境局",
    "水利和湖泊局",
    "应急管理局",
    "市场监督管理局",
    "财政局",
]
UNITS = ["信息中心", "服务中心", "监测站", "培训中心", "档案馆", "执法支队", "事务中心"]
PROJECTS = [
    "信息化平台建设",
    "运行维护经费",
    "专项业务经费",
    "设备购置",
    "宣传培训",
    "监督检查",
    "应急保障",
    "课题研究",
    "基础设施维修",
    "便民服务",
]
# (二级, 三级 name, comparator, target, unit, weight) — 15 lines, 产出 50 / 效益 30 / 满意度 10
LINES = [
    ("数量指标", "完成服务事项数", "≥", "500", "件", "8"),
    ("数量指标", "覆盖单位数", "≥", "30", "家", "6"),
    ("数量指标", "培训人次", "≥", "1200", "人次", "6"),
    ("质量指标", "验收合格率", "≥", "95", "%", "6"),
    ("质量指标", "系统正常运行率", "≥", "98", "%", "6"),
    ("时效指标", "按时完成率", "=", "100", "%", "6"),
    ("时效指标", "故障响应时间", "≤", "2", "小时", "6"),
    ("成本指标", "项目成本控制", "≤", "100", "万元", "6"),
    ("社会效益指标", "服务能力", "定性", "明显提升", "", "8"),
    ("社会效益指标", "办事时间缩短", "≥", "20", "%", "6"),
    ("经济效益指标", "节约运行成本", "≥", "10", "万元", "6"),
    ("可持续影响指标", "长效机制", "定性", "建立健全", "", "5"),
    ("生态效益指标", "无纸化比例", "≥", "60", "%", "5"),
    ("服务对象满意度指标", "群众满意率", "≥", "95", "%", "6"),
    ("服务对象满意度指标", "单位满意率", "≥", "90", "%", "4"),
]


@dataclass
class City:
    year: FiscalYear
    departments: int
    projects: int
    indicators: int


def build_city(scale: float = 1.0, *, seed: int = SEED) -> City:
    """Create the city in bulk. Idempotent per year: an existing city year is deleted first."""
    rng = random.Random(seed)
    n_bureaus = max(2, round(60 * scale))
    per_department = 10
    with transaction.atomic():
        _delete_city()
        year = fiscal_year_create(year=YEAR, is_current=False)
        year.evaluation_open = True
        year.save()
        categories = {
            c.name: c
            for c in IndicatorCategory.objects.filter(
                year=year, parent__isnull=False, is_active=True
            )
        }
        departments = []
        for b in range(n_bureaus):
            name = BUREAUS[b % len(BUREAUS)]
            suffix = "" if b < len(BUREAUS) else f"（{b // len(BUREAUS) + 1}）"
            departments.append(Department(code=f"B{b:03d}", name=f"市{name}{suffix}", kind="行政"))
        Department.objects.bulk_create(departments)
        bureaus = list(Department.objects.filter(code__startswith="B").order_by("code"))
        units = [
            Department(
                code=f"{bureau.code}{u:02d}",
                name=f"{bureau.name}{UNITS[u]}",
                kind="事业",
                parent=bureau,
            )
            for bureau in bureaus
            for u in range(4)
        ]
        Department.objects.bulk_create(units)
        all_departments = list(Department.objects.filter(code__startswith="B").order_by("code"))
        projects = []
        for department in all_departments:
            for p in range(per_department):
                full = Decimal(rng.randrange(200, 50000)) / 100
                executed = (full * Decimal(rng.randrange(55, 101)) / 100).quantize(Decimal("0.01"))
                projects.append(
                    Project(
                        year=year,
                        department=department,
                        code=f"{YEAR}-{department.code}-{p:03d}",
                        name=f"{department.name.removeprefix('市')}{PROJECTS[p]}",
                        category="专项业务类",
                        initial_current=full,
                        full_current=full,
                        executed_current=executed,
                    )
                )
        Project.objects.bulk_create(projects, batch_size=1000)
        projects = list(Project.objects.filter(year=year).order_by("id"))
        now = timezone.now()
        TargetSheet.objects.bulk_create(
            [
                TargetSheet(
                    year=year,
                    department_id=p.department_id,
                    project=p,
                    overall_goal=f"完成{p.name}年度任务，提升服务质量和效率。",
                    state=FormState.APPROVED,
                    approved_at=now,
                )
                for p in projects
            ],
            batch_size=1000,
        )
        sheets = list(TargetSheet.objects.filter(year=year).order_by("id"))
        indicators = [
            Indicator(
                sheet=sheet,
                category=categories[level2],
                name=name,
                comparator=comp,
                target_value=target,
                unit=unit,
                weight=Decimal(weight),
                order=n,
                basis="历史标准",
            )
            for sheet in sheets
            for n, (level2, name, comp, target, unit, weight) in enumerate(LINES)
        ]
        Indicator.objects.bulk_create(indicators, batch_size=2000)
        SelfEvaluation.objects.bulk_create(
            [
                SelfEvaluation(
                    year=year,
                    department_id=p.department_id,
                    project=p,
                    state=FormState.SUBMITTED,
                    submitted_at=now,
                    actual_text="全年任务基本完成。",
                )
                for p in projects
            ],
            batch_size=1000,
        )
        evaluations = {e.project_id: e.id for e in SelfEvaluation.objects.filter(year=year)}
        sheet_project = {s.id: s.project_id for s in sheets}
        results = []
        for indicator in Indicator.objects.filter(sheet__year=year).only(
            "id", "sheet_id", "comparator", "target_value", "weight"
        ):
            actual, level, score = _result(rng, indicator)
            results.append(
                IndicatorResult(
                    evaluation_id=evaluations[sheet_project[indicator.sheet_id]],
                    indicator_id=indicator.id,
                    actual_value=actual,
                    level=level,
                    score=score,
                    deviation_reason=""
                    if score == indicator.weight
                    else "部分任务延期，下一步加强督办。",
                )
            )
        IndicatorResult.objects.bulk_create(results, batch_size=2000)
        _users(bureaus)
    return City(year, len(all_departments), len(projects), len(indicators))


def _result(rng: random.Random, indicator: Indicator) -> tuple[str, str, Decimal]:
    if indicator.comparator == "定性":
        return "基本达成", "achieved", indicator.weight
    target = Decimal(indicator.target_value)
    ratio = Decimal(rng.randrange(70, 121)) / 100
    actual = (target * ratio).quantize(Decimal("0.01"))
    met = actual >= target if indicator.comparator in ("≥", "=", ">") else actual <= target
    score = (
        indicator.weight if met else (indicator.weight * Decimal("0.8")).quantize(Decimal("0.01"))
    )
    return str(actual), "", score


def _users(bureaus: list[Department]) -> None:
    model = get_user_model()
    clerk, _ = model.objects.get_or_create(username="bench_clerk")
    reviewer, _ = model.objects.get_or_create(username="bench_reviewer")
    Membership.objects.bulk_create(
        [Membership(user=clerk, department=bureaus[0], role="clerk")]
        + [Membership(user=reviewer, department=b, role="reviewer") for b in bureaus],
        ignore_conflicts=True,
    )


def delete_year(number: int) -> None:
    """Remove a year the bench opened (its projects and targets hang on the city's units)."""
    year = FiscalYear.objects.filter(year=number).first()
    if year is not None:
        _delete_monitoring(year)
        Indicator.objects.filter(sheet__year=year).delete()
        TargetSheet.objects.filter(year=year).delete()
        Project.objects.filter(year=year).delete()
        year.delete()


def _delete_monitoring(year) -> None:
    """The monitoring rounds and sheets the bench opened (they protect projects and the year)."""
    from evaluations.models import MonitoringRound, MonitoringSheet

    MonitoringSheet.objects.filter(year=year).delete()
    MonitoringRound.objects.filter(year=year).delete()


def _delete_city() -> None:
    delete_year(YEAR + 1)
    year = FiscalYear.objects.filter(year=YEAR).first()
    if year is not None:
        _delete_monitoring(year)
        IndicatorResult.objects.filter(evaluation__year=year).delete()
        SelfEvaluation.objects.filter(year=year).delete()
        Indicator.objects.filter(sheet__year=year).delete()
        TargetSheet.objects.filter(year=year).delete()
        Project.objects.filter(year=year).delete()
        from reporting.models import ExportJob

        ExportJob.objects.filter(year=year).delete()
        year.delete()
    Membership.objects.filter(department__code__startswith="B").delete()
    Department.objects.filter(code__startswith="B", parent__isnull=False).delete()
    Department.objects.filter(code__startswith="B").delete()
