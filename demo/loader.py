"""Load the demo data of `demo/data.py` (taken from ../shared/seeds/) idempotently.

Everything is matched on natural keys (year, codes, indicator names), so loading twice changes
nothing. One audit record says that the demo was loaded.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from budgets.models import Department, DepartmentBudget, FiscalYear, Membership, Project
from core.audit import audit_record
from evaluations.models import (
    FormState,
    Indicator,
    MonitoringRound,
    SelfEvaluation,
    TargetSheet,
)
from evaluations.services import (
    evaluation_freeze,
    evaluation_refresh,
    fiscal_year_create,
    monitoring,
)
from imports.kinds import Context
from imports.models import ImportJob
from imports.services import import_now
from imports.workbooks import template

from . import data as demo_data

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


def _import(kind: str, rows: list[dict], report: LoadReport) -> None:
    """Import rows (dicts by template header) through the kind's XLSX template, as an
    administrator would upload them."""
    data = template(kind, Context(user=None), rows)
    job = import_now(kind=kind, name=f"演示数据-{kind}.xlsx", data=data, via="演示数据")
    if job.state != ImportJob.State.DONE:
        problems = job.message or "；".join(f"第{n}行 {h}：{m}" for n, h, m in job.errors[:5])
        raise RuntimeError(f"演示数据导入失败（{kind}）：{problems}")
    label = ImportJob.Kind(kind).label
    if job.counts.get("new"):
        report.created[label] = report.created.get(label, 0) + job.counts["new"]


def _department_rows() -> list[dict]:
    return [
        {
            "单位编码": r["code"],
            "单位名称": r["name"],
            "上级单位编码": r["parent"] or "",
            "单位类型": r["kind"],
        }
        for r in demo_data.DEPARTMENTS
    ]


def _budget_rows() -> list[dict]:
    labels = {f.name: str(f.verbose_name) for f in DepartmentBudget._meta.concrete_fields}
    return [
        {"年度": r["year"], "单位编码": r["department"]}
        | {labels[k]: v for k, v in r.items() if k not in ("year", "department")}
        for r in demo_data.DEPARTMENT_BUDGETS
    ]


def _project_rows() -> list[dict]:
    labels = {f.name: str(f.verbose_name) for f in Project._meta.concrete_fields}
    return [
        {
            "年度": r["year"],
            "单位编码": r["department"],
            "项目编码": r["code"],
            "项目名称": r["name"],
            "项目类别": r.get("category", ""),
        }
        | {labels[k]: Decimal(v) for k, v in r["funds"].items()}
        for r in demo_data.PROJECTS
    ]


def _owner(row: dict, project: bool) -> dict:
    return {"项目编码": row["code"]} if project else {"单位编码": row["department"]}


def _indicator_rows() -> list[dict]:
    forms = [(r, True) for r in demo_data.PROJECTS] + [
        (r, False) for r in demo_data.DEPARTMENT_TARGETS
    ]
    return [
        {
            "年度": form["year"],
            **_owner(form, project),
            "一级指标": i["level1"],
            "二级指标": i["level2"],
            "三级指标": i["name"],
            "指标性质": i["comparator"],
            "年度指标值": i["target"],
            "计量单位": i.get("unit", ""),
            "分值": Decimal(i["weight"]),
            "指标值设定依据": i.get("basis") or Indicator.Basis.PLAN,
            "指标解释": i.get("explanation", ""),
        }
        for form, project in forms
        for i in form["indicators"]
    ]


LIBRARY_HEADERS = (
    "指标编码",
    "一级指标",
    "二级指标",
    "行业/领域",
    "三级指标",
    "指标性质",
    "典型指标值",
    "计量单位",
    "指标解释",
    "评（扣）分标准",
)


def _library_rows() -> list[dict]:
    return [dict(zip(LIBRARY_HEADERS, entry, strict=True)) for entry in demo_data.LIBRARY]


def _result_rows() -> list[dict]:
    targets = {(r["year"], r["department"]): r for r in demo_data.DEPARTMENT_TARGETS}
    forms = [(r, r["result"], r["indicators"], True) for r in demo_data.PROJECTS if r.get("result")]
    forms += [
        (r, r, targets[(r["year"], r["department"])]["indicators"], False)
        for r in demo_data.DEPARTMENT_RESULTS
    ]
    rows = []
    for form, result, indicators, project in forms:
        where = {i["name"]: i for i in indicators}
        for line in result["indicators"]:
            i = where[line["name"]]
            rows.append(
                {
                    "年度": form["year"],
                    **_owner(form, project),
                    "一级指标": i["level1"],
                    "二级指标": i["level2"],
                    "三级指标": i["name"],
                    "实际完成值": line.get("actual") or "",
                    "完成等级": line.get("level") or "",
                    "得分": Decimal(line["score"]) if line.get("score") is not None else None,
                    "偏差原因分析及改进措施": line.get("reason", ""),
                }
            )
    return rows


def _form_state(year: int, kind: str) -> str:
    """Demo states that let every role try its part: 2021 targets approved and self-evaluation
    in draft, 2023 targets in draft, 2020 (益阳) approved throughout."""
    if year == 2023:
        return FormState.DRAFT
    if year == 2020:
        return FormState.APPROVED
    return FormState.APPROVED if kind == "targets" else FormState.DRAFT


def _settle(form, state: str, **texts) -> None:
    """Give a form loaded in this run its demo texts and state (a form already moved on by a
    user is left alone)."""
    if form.submitted_at is not None or form.state != FormState.DRAFT:
        return
    for name, value in texts.items():
        setattr(form, name, value)
    if state == FormState.APPROVED:
        form.state, form.submitted_at = state, timezone.now()
        form.approved_at = form.submitted_at
    form.save()


def load_demo() -> LoadReport:
    """Years and users directly; departments, budgets, projects, targets and results through
    the import templates; then the demo texts and workflow states."""
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
        # Results are imported as a clerk would enter them: with the evaluation open.
        FiscalYear.objects.filter(year__in=demo_data.YEARS).update(evaluation_open=True)

        _import("departments", _department_rows(), report)
        _import("department-budgets", _budget_rows(), report)
        _import("projects", _project_rows(), report)
        _import("indicator-library", _library_rows(), report)
        _import("indicators", _indicator_rows(), report)
        goals = {(r["year"], r["code"]): r.get("overall_goal", "") for r in demo_data.PROJECTS}
        goals |= {
            (r["year"], r["department"]): r.get("overall_goal", "")
            for r in demo_data.DEPARTMENT_TARGETS
        }
        sheets = TargetSheet.objects.filter(year__year__in=demo_data.YEARS).select_related(
            "year", "project", "department"
        )
        for sheet in sheets:
            owner = sheet.project.code if sheet.project_id else sheet.department.code
            _settle(
                sheet,
                _form_state(sheet.year.year, "targets"),
                overall_goal=goals.get((sheet.year.year, owner), ""),
            )
        _import("results", _result_rows(), report)
        texts = {(r["year"], r["code"]): r["result"] for r in demo_data.PROJECTS if r.get("result")}
        texts |= {(r["year"], r["department"]): r for r in demo_data.DEPARTMENT_RESULTS}
        evaluations = SelfEvaluation.objects.filter(year__year__in=demo_data.YEARS).select_related(
            "year", "project", "department"
        )
        for evaluation in evaluations:
            owner = evaluation.project.code if evaluation.project_id else evaluation.department.code
            data = texts.get((evaluation.year.year, owner), {})
            stated = {
                k: Decimal(data[k])
                for k in ("stated_execution_rate", "stated_total_score")
                if data.get(k)
            }
            _settle(
                evaluation,
                _form_state(evaluation.year.year, "evaluation"),
                **stated,
                actual_text=data.get("actual_text", ""),
                problems=data.get("problems", ""),
                measures=data.get("measures", ""),
            )
            evaluation_refresh(evaluation)
            if evaluation.state == FormState.APPROVED and not evaluation.snapshot:
                evaluation_freeze(evaluation)
        # The demo keeps its self-evaluation open with a deadline in the future, so that a
        # clerk can try every step whenever the demo is loaded.
        FiscalYear.objects.exclude(year=CURRENT_YEAR).filter(year__in=demo_data.YEARS).update(
            evaluation_open=False
        )
        FiscalYear.objects.filter(year=CURRENT_YEAR).update(
            is_current=True,
            evaluation_open=True,
            evaluation_deadline=datetime.date(timezone.localdate().year + 1, 3, 31),
        )
        departments = {d.code: d for d in Department.objects.filter(code__in=ALIASES.values())}
        report.users = _load_users(departments, report)
        _load_monitoring(years[CURRENT_YEAR], report)
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


# 绩效运行监控 of the current year: one round (its 报送截止日期 in the future, like the
# self-evaluation's, so that a clerk can try it whenever the demo is loaded); two 监控表 filled by
# their unit's clerk: one submitted with a red line (and its reason), one left in draft.
MONITORING_FILLED = {
    "2021-101-001": ("xn_clerk", True),
    "2021-101-002": ("xn_clerk", False),
}


def _load_monitoring(fiscal_year: FiscalYear, report: LoadReport) -> None:
    if MonitoringRound.objects.filter(year=fiscal_year).exists():
        return
    users = {u.username: u for u in get_user_model().objects.all()}
    year = fiscal_year.year
    round_ = monitoring.monitoring_round_open(
        user=users["admin"],
        year=fiscal_year,
        name=f"{year}年1–7月绩效运行监控",
        as_of=datetime.date(year, 7, 31),
        deadline=datetime.date(timezone.localdate().year + 1, 3, 31),
    )
    report.count("监控批次", True)
    sheets = round_.sheets.filter(project__code__in=MONITORING_FILLED).select_related(
        "round", "year", "project"
    )
    for sheet in sheets:
        username, submit = MONITORING_FILLED[sheet.project.code]
        lines = monitoring.lines_of(sheet)
        values = {line.pk: _monitoring_line(line, red=False) for line in lines}
        quantitative = [line for line in lines if not line.indicator.is_qualitative]
        if submit and quantitative:
            values[quantitative[-1].pk] = _monitoring_line(quantitative[-1], red=True)
        budget = sheet.annual_budget or Decimal("0")
        monitoring.monitoring_sheet_save(
            user=users[username],
            sheet=sheet,
            version=sheet.version,
            funds={
                "executed_to_date": (budget * Decimal("0.55")).quantize(Decimal("0.01")),
                "predicted_execution": budget,
                "execution_reason": "",
            },
            lines=values,
        )
        if submit:
            monitoring.monitoring_sheet_transition(
                sheet=sheet, user=users[username], action="submit"
            )
        report.count("监控表（已填）", True)


def _monitoring_line(line, *, red: bool) -> dict:
    indicator = line.indicator
    target = indicator.target_number
    if target is None:
        actual = predicted = "按计划推进"
    else:
        actual = str((target * Decimal("0.6")).quantize(Decimal("1")))
        predicted = str(target * Decimal("0.7") if red else target)
    if red:
        return {
            "actual_to_date": actual,
            "predicted_value": str(Decimal(predicted).quantize(Decimal("1"))),
            "likelihood": "impossible",
            "deviation_category": "funding",
            "deviation_reason": "上级补助资金下半年才能到位，部分采购推迟。",
            "measures": "加快资金拨付和采购进度，年底前完成主要任务。",
        }
    return {"actual_to_date": actual, "predicted_value": predicted, "likelihood": "certain"}
