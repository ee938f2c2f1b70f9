"""What each kind of import reads and writes. One class per kind: its columns (the template),
how it finds what exists (a fixed number of queries whatever the number of rows), how a row
compares with it, and how the plan is written in bulk.

Rules shared by every kind (documented in the README):
- Rows are matched on natural keys: 单位编码; 年度 + 项目编码; 年度 + 单位编码; 年度 + 项目编码 (or
  单位编码 for 部门整体) + 一级/二级/三级指标.
- A blank cell changes nothing (on a new row: 0 for project funds, 无数据 for department
  figures). A column absent from the file changes nothing. Imports never delete.
- Rows for departments outside the importer's reach are errors; so are rows for forms that are
  submitted or approved (only return/reopen makes them editable).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.db.models import F, Max, Q

from budgets.access import Role, access_for
from budgets.models import (
    FUND_SOURCES,
    FUND_STAGES,
    Department,
    DepartmentBudget,
    FiscalYear,
    settle_income_absence,
)
from budgets.models import Project as ProjectModel
from core import numbers
from core.bulk import rows_create
from evaluations import rules, scoring, workflow
from evaluations.models import (
    MAX_WEIGHT,
    FormState,
    Indicator,
    IndicatorCategory,
    IndicatorResult,
    SelfEvaluation,
    TargetSheet,
)
from evaluations.selectors import policy_for
from evaluations.services import (
    evaluation_compute,
    evaluation_refresh,
    evaluations_recompute,
    evaluations_start,
    funds_of,
)
from evaluations.services.results import RESULT_FIELDS, result_line

from .engine import (
    NEW,
    UNCHANGED,
    UPDATE,
    Column,
    Plan,
    Row,
    compare,
    mark_duplicates,
)
from .files import FileRefused

BATCH = 2000
CHUNK = 900  # ids per IN (...) list


@dataclass
class Context:
    """Who imports, and for which year (a row's 年度 may be left out when the year is given)."""

    user: object | None  # None: the command line, acting as administrator
    year: FiscalYear | None = None

    @cached_property
    def is_admin(self) -> bool:
        return self.user is None or access_for(self.user).is_admin

    def may(self, roles, department_id: int) -> bool:
        if self.is_admin:
            return True
        access = access_for(self.user)
        return any(access.has_role(role, department_id) for role in roles)


def chunks(values, size: int = CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


YEAR = "年度"
DEPT_CODE = "单位编码"
PROJECT_CODE = "项目编码"
FINANCE = frozenset({Role.REVIEWER})


def year_column(ctx: Context) -> Column:
    return Column(
        YEAR,
        "year",
        "int",
        required=ctx.year is None,
        required_header=ctx.year is None,
        note="四位数年份，如 2024" + ("；可省略，省略时为所选年度" if ctx.year else ""),
    )


class Years:
    """年度 of each row: the cell, or the year chosen for the whole import."""

    def __init__(self, ctx: Context, rows: list[Row]):
        self.ctx = ctx
        wanted = {r.values["year"] for r in rows if "year" in r.values}
        self.by_value = {y.year: y for y in FiscalYear.objects.filter(year__in=wanted)}
        if ctx.year:
            self.by_value[ctx.year.year] = ctx.year

    def of(self, row: Row) -> FiscalYear | None:
        value = row.values.get("year")
        if value is None:
            if self.ctx.year is None:
                row.error(YEAR, "必填")
            return self.ctx.year
        if self.ctx.year and value != self.ctx.year.year:
            row.error(YEAR, f"{value} 与所选年度 {self.ctx.year.year} 不一致")
            return None
        fiscal_year = self.by_value.get(value)
        if fiscal_year is None:
            row.error(YEAR, f"系统中没有 {value} 年度，请先由管理员创建")
        return fiscal_year


def keyed_by_year(rows: list[Row], ctx: Context, key: str, header: str) -> None:
    """Put each row's 年度 in `row.target` (for the kind to replace) and mark rows whose
    (年度, key) the file repeats."""
    years = Years(ctx, rows)
    for row in rows:
        row.target = years.of(row)
    mark_duplicates(rows, lambda r: (r.target.id, r.values[key]) if r.target else None, header)


def departments_by_code(codes) -> dict[str, Department]:
    found = {}
    for chunk in chunks(set(codes)):
        found.update({d.code: d for d in Department.objects.filter(code__in=chunk)})
    return found


def department_of(row: Row, by_code: dict, ctx: Context, roles, header=DEPT_CODE):
    code = row.values.get("department")
    if not code:
        return None
    department = by_code.get(code)
    if department is None or not department.is_active:
        row.error(header, f"单位“{code}”不存在或已停用")
        return None
    if not ctx.may(roles, department.id):
        row.error(header, f"您无权导入单位“{code}”的数据")
        return None
    return department


# --------------------------------------------------------------------------------------------


class Departments:
    key = "departments"
    label = "单位"
    instructions = [
        "每行一个单位，按“单位编码”匹配：编码已存在则更新名称、类型和上级单位，不存在则新建。",
        "“上级单位编码”填写主管部门的编码，可以是本文件中的单位；主管部门本身留空。",
        "只有系统管理员可以导入单位。",
    ]

    def columns(self, ctx):
        return [
            Column(DEPT_CODE, "code", required=True, required_header=True, max_length=32),
            Column("单位名称", "name", required=True, required_header=True, max_length=100),
            Column("上级单位编码", "parent", max_length=32, note="主管部门留空"),
            Column("单位类型", "kind", "choice", choices=tuple(Department.Kind.choices)),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        if not ctx.is_admin:
            raise FileRefused("只有系统管理员可以导入单位。")
        existing = {d.code: d for d in Department.objects.select_related("parent")}
        rows = plan.rows
        mark_duplicates(rows, lambda r: r.values.get("code"), DEPT_CODE)
        in_file = {r.values["code"] for r in rows if "code" in r.values}
        parent_of = {code: d.parent.code if d.parent else "" for code, d in existing.items()}
        for row in rows:
            if row.errors:
                continue
            code = row.values["code"]
            row.label = f"{code} {row.values['name']}"
            if "parent" in row.values or code not in existing:
                parent_of[code] = row.values.get("parent", "")
        for row in rows:
            if row.errors:
                continue
            code, target = row.values["code"], existing.get(row.values["code"])
            parent = row.values.get("parent")
            if parent is not None:
                if parent == code:
                    row.error("上级单位编码", "不能是本单位")
                elif parent not in existing and parent not in in_file:
                    row.error("上级单位编码", f"单位“{parent}”不存在")
                elif self._cycle(code, parent_of):
                    row.error("上级单位编码", "上级单位关系形成循环")
            if row.errors:
                continue
            row.target = target
            if target is None:
                row.status = NEW
                continue
            for key, header, old in (
                ("name", "单位名称", target.name),
                ("kind", "单位类型", target.kind),
                ("parent", "上级单位编码", target.parent.code if target.parent else ""),
            ):
                if key in row.values and row.values[key] != old:
                    row.changes[header] = [old, row.values[key]]
            row.status = UPDATE if row.changes else UNCHANGED

    @staticmethod
    def _cycle(code: str, parent_of: dict[str, str]) -> bool:
        seen, node = {code}, parent_of.get(code)
        while node:
            if node in seen:
                return True
            seen.add(node)
            node = parent_of.get(node)
        return False

    def write(self, plan: Plan, ctx: Context) -> None:
        rows = [r for r in plan.rows if r.status in (NEW, UPDATE)]
        Department.objects.bulk_create(
            [
                Department(
                    code=r.values["code"],
                    name=r.values["name"],
                    kind=r.values.get("kind", Department.Kind.ADMINISTRATIVE),
                )
                for r in rows
                if r.status == NEW
            ],
            batch_size=BATCH,
        )
        by_code = {d.code: d for d in Department.objects.all()}
        changed = []
        for row in rows:
            department = by_code[row.values["code"]]
            department.name = row.values["name"]
            department.kind = row.values.get("kind", department.kind)
            if "parent" in row.values:
                parent = row.values["parent"]
                department.parent_id = by_code[parent].id if parent else None
            changed.append(department)
        Department.objects.bulk_update(changed, ["name", "kind", "parent"], batch_size=BATCH)


# --------------------------------------------------------------------------------------------

FUND_COLUMNS = [
    Column(
        f"{stage_label}·{source_label}",
        f"{stage}_{source}",
        "decimal",
        field=ProjectModel._meta.get_field(f"{stage}_{source}"),
        note="万元",
        aliases=(f"{stage_label}({source_label})", f"{stage_label}-{source_label}")
        + ((stage_label,) if source == "current" else ()),
    )
    for stage, stage_label in FUND_STAGES
    for source, source_label in FUND_SOURCES
]
LOCKED_EVALUATION = frozenset(FormState.values) - workflow.EDITABLE


ENDED = "已结束"
YES_NO = (("是", "是"), ("否", "否"))


class Projects:
    key = "projects"
    label = "项目及资金"
    instructions = [
        "每行一个项目，按“年度 + 项目编码”匹配：已存在则更新，不存在则新建。",
        "资金单位为万元，最多4位小数。只有一列“年初预算数”（不分来源）时，视为本年财政拨款。",
        "空单元格表示不修改（新建项目时为0）。",
        "项目的绩效自评已提交或审核通过后，不能再通过导入修改其资金。",
        "财政审核人只能导入其负责单位的项目；系统管理员可以导入所有单位的项目。",
        "“已结束”填“是”的项目，从本年度开设下一年度时不结转（空或“否”为继续实施）。",
    ]

    def columns(self, ctx):
        return [
            year_column(ctx),
            Column(
                DEPT_CODE,
                "department",
                required=True,
                required_header=True,
                max_length=32,
                note="实施单位的编码",
            ),
            Column(PROJECT_CODE, "code", required=True, required_header=True, max_length=64),
            Column("项目名称", "name", required=True, required_header=True, max_length=200),
            Column("项目类别", "category", max_length=50),
            Column(
                ENDED,
                "ended",
                "choice",
                choices=YES_NO,
                note="是：项目已结束，开设下一年度时不结转",
            ),
            *FUND_COLUMNS,
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        rows = plan.rows
        keyed_by_year(rows, ctx, "code", PROJECT_CODE)
        departments = departments_by_code(r.values.get("department") for r in rows)
        existing = {}
        codes = {r.values["code"] for r in rows if "code" in r.values}
        year_ids = {r.target.id for r in rows if r.target}
        for chunk in chunks(codes):
            for p in ProjectModel.objects.filter(
                year_id__in=year_ids, code__in=chunk
            ).select_related("department"):
                existing[(p.year_id, p.code)] = p
        locked = (
            dict(
                SelfEvaluation.objects.filter(
                    project__in=[p.id for p in existing.values()], state__in=LOCKED_EVALUATION
                ).values_list("project_id", "state")
            )
            if existing
            else {}
        )
        fund_keys = [c.key for c in FUND_COLUMNS]
        for row in rows:
            fiscal_year, row.target = row.target, None
            department = department_of(row, departments, ctx, FINANCE)
            if row.errors:
                continue
            row.label = f"{fiscal_year.year} {row.values['code']} {row.values['name']}"
            project = existing.get((fiscal_year.id, row.values["code"]))
            values = {k: row.values[k] for k in ("name", "category", *fund_keys) if k in row.values}
            if row.values.get("ended"):
                values["ended"] = row.values["ended"] == "是"
            values["department_id"] = department.id
            if refusal := numbers.execution_refusal(*_totals(project, values)):
                row.error("", refusal)
                continue
            if project is None:
                row.target = ProjectModel(year=fiscal_year, code=row.values["code"], **values)
                row.status = NEW
                continue
            if project.department_id != department.id and not ctx.may(
                FINANCE, project.department_id
            ):
                row.error(DEPT_CODE, "您无权修改原实施单位的项目")
                continue
            compare(row, project, self._headers(), values)
            if "实施单位" in row.changes:
                row.changes["实施单位"] = [project.department.code, department.code]
            if ENDED in row.changes:
                row.changes[ENDED] = ["是" if v else "否" for v in row.changes[ENDED]]
            state = locked.get(project.id)
            if state and any(h in row.changes for h in (c.header for c in FUND_COLUMNS)):
                row.error(
                    "",
                    f"该项目的绩效自评当前为“{FormState(state).label}”，"
                    "不能通过导入修改资金（须先退回或重新打开）",
                )
                continue
            row.target = project
            for key, value in values.items():
                setattr(project, key, value)

    @staticmethod
    def _headers() -> dict[str, str]:
        headers = {
            "name": "项目名称",
            "category": "项目类别",
            "department_id": "实施单位",
            "ended": ENDED,
        }
        headers.update({c.key: c.header for c in FUND_COLUMNS})
        return headers

    def write(self, plan: Plan, ctx: Context) -> None:
        new = [r.target for r in plan.rows if r.status == NEW]
        ProjectModel.objects.bulk_create(new, batch_size=BATCH)
        changed = [r.target for r in plan.rows if r.status == UPDATE]
        fields = ["name", "category", "department", "ended", *(c.key for c in FUND_COLUMNS)]
        ProjectModel.objects.bulk_update(changed, fields, batch_size=BATCH)
        refresh_evaluations(Q(project__in=[p.id for p in changed]))


def _totals(project, values: dict):
    """(全年预算数, 全年执行数) of a project once this row's values are applied."""

    def total(stage: str):
        return sum(
            (
                values.get(f"{stage}_{s}", getattr(project, f"{stage}_{s}", 0) if project else 0)
                for s, _ in FUND_SOURCES
            ),
            Decimal("0"),
        )

    return total("full"), total("executed")


def refresh_evaluations(condition: Q) -> None:
    """Recompute the 执行率 and totals of editable evaluations whose funds an import changed,
    all at once (a fixed number of queries)."""
    evaluations_recompute(SelfEvaluation.objects.filter(condition, state__in=workflow.EDITABLE))


# --------------------------------------------------------------------------------------------

BUDGET_FIELDS = [
    f for f in DepartmentBudget._meta.concrete_fields if f.name not in ("id", "year", "department")
]


ABSENT_CHOICES = ((True, "是"), (False, "否"))


def _budget_column(f) -> Column:
    kind = f.get_internal_type()
    label = str(f.verbose_name)
    aliases = (label.replace("·", ""),)
    if kind == "BooleanField":  # 无此项收入
        return Column(
            label,
            f.name,
            "choice",
            choices=ABSENT_CHOICES,
            note="填“是”：本单位没有这项收入（不是缺数据），该项金额留空；空白表示不修改",
            aliases=aliases,
        )
    if kind == "PositiveIntegerField":
        return Column(label, f.name, "int", note="人", aliases=aliases)
    return Column(label, f.name, "decimal", field=f, note="万元", aliases=aliases)


class DepartmentBudgets:
    key = "department-budgets"
    label = "部门整体预算数据"
    instructions = [
        "每行一个单位一个年度的部门整体数据，按“年度 + 单位编码”匹配。",
        "金额单位为万元。没有的数据请留空：空白表示“无数据”，不会按0计算；已有数据时，空白表示不修改。",
        "本单位没有某项收入（如没有政府性基金）时，在该项的“无此项收入”列填“是”，其金额留空："
        "合计和预算完成率按0计算，表中该项留空；与“无数据”（尚未提供）不同。",
        "部门整体绩效自评已提交或审核通过后，不能再通过导入修改。",
    ]

    def columns(self, ctx):
        return [
            year_column(ctx),
            Column(DEPT_CODE, "department", required=True, required_header=True, max_length=32),
            Column("单位名称", "department_name", reference=True, note="参考，导入时不读取"),
            *(_budget_column(f) for f in BUDGET_FIELDS),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        rows = plan.rows
        keyed_by_year(rows, ctx, "department", DEPT_CODE)
        departments = departments_by_code(r.values.get("department") for r in rows)
        ids = [d.id for d in departments.values()]
        existing = {
            (b.year_id, b.department_id): b
            for chunk in chunks(ids)
            for b in DepartmentBudget.objects.filter(department_id__in=chunk)
        }
        locked = {
            (e.year_id, e.department_id): e.state
            for chunk in chunks(ids)
            for e in SelfEvaluation.objects.filter(
                department_id__in=chunk, project=None, state__in=LOCKED_EVALUATION
            )
        }
        headers = {f.name: str(f.verbose_name) for f in BUDGET_FIELDS}
        for row in rows:
            fiscal_year, row.target = row.target, None
            department = department_of(row, departments, ctx, FINANCE)
            if row.errors:
                continue
            row.label = f"{fiscal_year.year} {department.code} {department.name}"
            values = {k: row.values[k] for k in headers if k in row.values}
            budget = existing.get((fiscal_year.id, department.id))
            for key, problem in settle_income_absence(values, budget).items():
                row.error(headers[key], problem)
            if row.errors:
                continue
            if budget is None:
                row.target = DepartmentBudget(year=fiscal_year, department=department, **values)
                row.status = NEW
                continue
            compare(row, budget, headers, values)
            state = locked.get((fiscal_year.id, department.id))
            if state and row.changes:
                row.error("", rules.budget_locked_refusal(FormState(state).label))
                continue
            for key, value in values.items():
                setattr(budget, key, value)
            row.target = budget

    def write(self, plan: Plan, ctx: Context) -> None:
        DepartmentBudget.objects.bulk_create(
            [r.target for r in plan.rows if r.status == NEW], batch_size=BATCH
        )
        changed = [r.target for r in plan.rows if r.status == UPDATE]
        DepartmentBudget.objects.bulk_update(
            changed, [f.name for f in BUDGET_FIELDS], batch_size=BATCH
        )
        touched = Q(pk__in=[])
        for budget in changed:
            touched |= Q(year_id=budget.year_id, department_id=budget.department_id, project=None)
        if changed:
            refresh_evaluations(touched)


# --------------------------------------------------------------------------------------------
# Indicators and results: rows name a target sheet (a project's, or a department's 部门整体)
# and a line in it by 一级 / 二级 / 三级指标.

LEVEL1, LEVEL2, NAME = "一级指标", "二级指标", "三级指标"
UNIT_ROLES = workflow.UNIT


def sheet_columns(ctx) -> list[Column]:
    return [
        year_column(ctx),
        Column(PROJECT_CODE, "project", max_length=64, note="部门整体指标留空，填写单位编码"),
        Column(DEPT_CODE, "department", max_length=32, note="部门整体指标必填；项目指标可省略"),
        Column(LEVEL1, "level1", required=True, required_header=True, max_length=50),
        Column(LEVEL2, "level2", required=True, required_header=True, max_length=50),
        Column(NAME, "name", required=True, required_header=True, max_length=200),
    ]


class SheetLookup:
    """The target sheet, category and indicator each row names, found in a fixed number of
    queries: years, projects, departments, sheets, categories, indicators."""

    def __init__(self, plan: Plan, ctx: Context):
        if not (plan.present("project") or plan.present("department")):
            raise FileRefused("表头须包含“项目编码”或“单位编码”（部门整体指标）。")
        rows = plan.rows
        years = Years(ctx, rows)
        self.year_of = {id(r): years.of(r) for r in rows}
        year_ids = {y.id for y in self.year_of.values() if y}
        self.projects = {}
        codes = {r.values["project"] for r in rows if "project" in r.values}
        for chunk in chunks(codes):
            for p in ProjectModel.objects.filter(year_id__in=year_ids, code__in=chunk):
                self.projects[(p.year_id, p.code)] = p
        self.departments = departments_by_code(r.values.get("department") for r in rows)
        department_ids = [d.id for d in self.departments.values()]
        self.sheets = {}
        for chunk in chunks([p.id for p in self.projects.values()]):
            for s in TargetSheet.objects.filter(project_id__in=chunk):
                self.sheets[("p", s.project_id)] = s
        for chunk in chunks(department_ids):
            for s in TargetSheet.objects.filter(
                project=None, department_id__in=chunk, year_id__in=year_ids
            ):
                self.sheets[("d", s.year_id, s.department_id)] = s
        self.categories = {
            (c.year_id, c.parent.name, c.name): c
            for c in IndicatorCategory.objects.filter(
                year_id__in=year_ids, parent__isnull=False, is_active=True
            ).select_related("parent")
        }
        self.level1 = {
            (c.year_id, c.name)
            for c in IndicatorCategory.objects.filter(
                year_id__in=year_ids, parent=None, is_active=True
            )
        }
        self.indicators: dict[tuple, Indicator] = {}
        self.by_sheet: dict[int, list[Indicator]] = defaultdict(list)
        for chunk in chunks([s.id for s in self.sheets.values()]):
            for i in Indicator.objects.filter(sheet_id__in=chunk).order_by("order", "id"):
                self.indicators.setdefault((i.sheet_id, i.category_id, i.name), i)
                self.by_sheet[i.sheet_id].append(i)

    def locate(self, row: Row, ctx: Context):
        """(sheet key, year, department id, project or None) for the row, or None with errors."""
        fiscal_year = self.year_of[id(row)]
        if fiscal_year is None:
            return None
        code, dept_code = row.values.get("project"), row.values.get("department")
        if code:
            project = self.projects.get((fiscal_year.id, code))
            if project is None:
                row.error(PROJECT_CODE, f"{fiscal_year.year}年度没有项目“{code}”")
                return None
            if dept_code:
                department = self.departments.get(dept_code)
                if department is None or department.id != project.department_id:
                    row.error(DEPT_CODE, f"与项目“{code}”的实施单位不一致")
                    return None
            if not ctx.may(UNIT_ROLES, project.department_id):
                row.error(PROJECT_CODE, f"您无权导入项目“{code}”的数据")
                return None
            return ("p", project.id), fiscal_year, project.department_id, project
        if not dept_code:
            row.error(PROJECT_CODE, "项目编码和单位编码至少填写一个（部门整体指标填写单位编码）")
            return None
        department = department_of(row, self.departments, ctx, UNIT_ROLES)
        if department is None:
            return None
        return ("d", fiscal_year.id, department.id), fiscal_year, department.id, None

    def category(self, row: Row, fiscal_year) -> IndicatorCategory | None:
        level1, level2 = row.values["level1"], row.values["level2"]
        category = self.categories.get((fiscal_year.id, level1, level2))
        if category is None:
            if (fiscal_year.id, level1) not in self.level1:
                row.error(LEVEL1, f"“{level1}”不是{fiscal_year.year}年度的一级指标")
            else:
                row.error(LEVEL2, f"“{level2}”不是“{level1}”下的二级指标")
        return category

    def label(self, row: Row, fiscal_year) -> str:
        owner = row.values.get("project") or row.values.get("department")
        v = row.values
        return f"{fiscal_year.year} {owner} {v['level1']}/{v['level2']}/{v['name']}"


INDICATOR_HEADERS = {
    "comparator": "指标性质",
    "target_value": "年度指标值",
    "unit": "计量单位",
    "weight": "分值",
    "basis": "指标值设定依据",
    "explanation": "指标解释",
    "scoring_rule": "评（扣）分标准",
}


TARGET_LINE_HEADERS = {"name": NAME, **INDICATOR_HEADERS}


class Indicators:
    key = "indicators"
    label = "绩效目标（三级指标）"
    instructions = [
        "每行一个三级指标，按“年度 + 项目编码（部门整体为单位编码）+ 一级/二级/三级指标”匹配："
        "已存在则更新，不存在则追加到该绩效目标的末尾。导入不会删除指标。",
        "指标性质：≥ > = ≤ < 为定量指标，年度指标值须为数字并填写计量单位；文字目标选“定性”。",
        "分值为数字，最多2位小数。各一级指标的分值合计规则在提交审核时检查。",
        "只能导入本单位的绩效目标，且绩效目标须为草稿或已退回状态；尚无绩效目标的项目会自动创建草稿。",
    ]

    def columns(self, ctx):
        return [
            *sheet_columns(ctx),
            Column(
                "指标性质",
                "comparator",
                "choice",
                required=True,
                required_header=True,
                choices=tuple((c, c) for c in scoring.COMPARATORS),
            ),
            Column(
                "年度指标值", "target_value", required=True, required_header=True, max_length=200
            ),
            Column("计量单位", "unit", max_length=20),
            Column(
                "分值",
                "weight",
                "score",
                required=True,
                required_header=True,
                field=Indicator._meta.get_field("weight"),
                maximum=MAX_WEIGHT,
            ),
            Column("指标值设定依据", "basis", "choice", choices=tuple(Indicator.Basis.choices)),
            Column("指标解释", "explanation"),
            Column("评（扣）分标准", "scoring_rule", aliases=("评分标准", "评(扣)分标准")),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        lookup = SheetLookup(plan, ctx)
        located = {}
        for row in plan.rows:
            if row.errors:
                continue
            place = lookup.locate(row, ctx)
            if place is None:
                continue
            key, fiscal_year, _, _ = place
            category = lookup.category(row, fiscal_year)
            if category is None:
                continue
            located[id(row)] = (place, category)
            row.label = lookup.label(row, fiscal_year)
        mark_duplicates(
            plan.rows,
            lambda r: (
                (located[id(r)][0][0], located[id(r)][1].id, r.values["name"])
                if id(r) in located
                else None
            ),
            NAME,
        )
        for row in plan.rows:
            if row.errors or id(row) not in located:
                continue
            (key, fiscal_year, department_id, project), category = located[id(row)]
            sheet = lookup.sheets.get(key)
            v = row.values
            stored = lookup.indicators.get((sheet.id, category.id, v["name"])) if sheet else None
            line = rules.TargetLine(
                name=v["name"],
                comparator=v["comparator"],
                target_value=v["target_value"],
                # a blank cell changes nothing: the stored unit still counts
                unit=v.get("unit") or (stored.unit if stored else ""),
            )
            for field, problems in rules.target_line_problems(line).items():
                for problem in problems:
                    row.error(TARGET_LINE_HEADERS[field], problem)
            if row.errors:
                continue
            values = {k: v[k] for k in INDICATOR_HEADERS if k in v}
            indicator = lookup.indicators.get((sheet.id, category.id, v["name"])) if sheet else None
            if indicator is None:
                if sheet is not None and sheet.state not in workflow.EDITABLE:
                    row.error("", locked_message("绩效目标", sheet))
                    continue
                row.status = NEW
                values["name"] = v["name"]
                row.target = (key, fiscal_year, department_id, project, category, values)
                continue
            compare(row, indicator, INDICATOR_HEADERS, values)
            if row.status == UPDATE and sheet.state not in workflow.EDITABLE:
                row.error("", locked_message("绩效目标", sheet))
                continue
            for name, value in values.items():
                setattr(indicator, name, value)
            row.target = indicator

    def write(self, plan: Plan, ctx: Context) -> None:
        new = [r.target for r in plan.rows if r.status == NEW]
        sheets = ensure_sheets({(k, y, d, p) for k, y, d, p, _, _ in new})
        next_order: dict[int, int] = {}
        for chunk in chunks([s.id for s in sheets.values()]):
            for sheet_id, order in (
                Indicator.objects.filter(sheet_id__in=chunk)
                .values_list("sheet_id")
                .annotate(last=Max("order"))
            ):
                next_order[sheet_id] = order or 0
        created = []
        for key, _, _, _, category, values in new:
            sheet = sheets[key]
            next_order[sheet.id] = next_order.get(sheet.id, 0) + 1
            created.append(
                {
                    "basis": Indicator.Basis.PLAN,
                    **values,
                    "sheet_id": sheet.id,
                    "category_id": category.id,
                    "order": next_order[sheet.id],
                }
            )
        rows_create(Indicator, created, batch_size=BATCH)
        changed = [r.target for r in plan.rows if r.status == UPDATE]
        Indicator.objects.bulk_update(changed, list(INDICATOR_HEADERS), batch_size=BATCH)
        touched = {s.id for s in sheets.values()} | {i.sheet_id for i in changed}
        for chunk in chunks(touched):
            TargetSheet.objects.filter(pk__in=chunk).update(version=F("version") + 1)


def locked_message(what: str, form) -> str:
    return f"该{what}当前为“{form.get_state_display()}”，不能通过导入修改（须先退回或重新打开）"


def ensure_sheets(places) -> dict[tuple, TargetSheet]:
    """The target sheets of these places (sheet key, year, department id, project or None),
    created as drafts where missing; a fixed number of queries whatever their number."""

    def existing() -> dict[tuple, TargetSheet]:
        found = {}
        project_ids = [p.id for _, _, _, p in places if p is not None]
        for chunk in chunks(project_ids):
            for s in TargetSheet.objects.filter(project_id__in=chunk):
                found[("p", s.project_id)] = s
        wide = {(y.id, d) for _, y, d, p in places if p is None}
        for chunk in chunks({d for _, d in wide}):
            for s in TargetSheet.objects.filter(project=None, department_id__in=chunk):
                if (s.year_id, s.department_id) in wide:
                    found[("d", s.year_id, s.department_id)] = s
        return found

    found = existing()
    missing = [
        TargetSheet(year=y, department_id=d, project=p)
        for key, y, d, p in places
        if key not in found
    ]
    if not missing:
        return found
    TargetSheet.objects.bulk_create(missing, batch_size=BATCH)
    return existing()


# --------------------------------------------------------------------------------------------

LEVEL_CHOICES = tuple(scoring.LEVEL_LABELS.items()) + (
    (scoring.ACHIEVED, "达成"),
    (scoring.PARTIAL, "部分达成"),
    (scoring.NOT_ACHIEVED, "未达成"),
)
RESULT_HEADERS = {
    "actual_value": "实际完成值",
    "level": "完成等级",
    "score": "得分",
    "deviation_reason": "偏差原因分析及改进措施",
}


class Results:
    key = "results"
    label = "自评结果"
    instructions = [
        "每行一个三级指标的自评结果，按“年度 + 项目编码（部门整体为单位编码）"
        "+ 一级/二级/三级指标”匹配已有指标。",
        "实际完成值：定量指标填数字；定性指标可填文字，并须选择完成等级。得分留空时取系统建议得分。",
        "与网页填报相同的规则：得分不能超过分值，定性指标得分须在所选完成等级的区间内。",
        "只能导入本单位、草稿或已退回状态、未过截止日期的绩效自评；绩效目标已批复而尚未开始自评的，会自动开始自评。",
        "“指标性质”“年度指标值”“计量单位”“分值”列仅供参考，导入时不读取。",
    ]

    def columns(self, ctx):
        return [
            *sheet_columns(ctx),
            Column("指标性质", "comparator", reference=True),
            Column("年度指标值", "target_value", reference=True),
            Column("计量单位", "unit", reference=True),
            Column("分值", "weight", reference=True),
            Column("实际完成值", "actual_value", max_length=200),
            Column("完成等级", "level", "choice", choices=LEVEL_CHOICES, note="仅定性指标"),
            Column("得分", "score", "score", field=IndicatorResult._meta.get_field("score")),
            Column("偏差原因分析及改进措施", "deviation_reason", aliases=("偏差原因",)),
        ]

    def resolve(self, plan: Plan, ctx: Context) -> None:
        lookup = SheetLookup(plan, ctx)
        located = {}
        for row in plan.rows:
            if row.errors:
                continue
            place = lookup.locate(row, ctx)
            if place is None:
                continue
            fiscal_year = place[1]
            category = lookup.category(row, fiscal_year)
            if category is None:
                continue
            sheet = lookup.sheets.get(place[0])
            if sheet is None:
                row.error("", "尚未设置绩效目标，请先导入或填报绩效目标")
                continue
            indicator = lookup.indicators.get((sheet.id, category.id, row.values["name"]))
            if indicator is None:
                row.error(NAME, "绩效目标中没有这个三级指标")
                continue
            located[id(row)] = (sheet, indicator, place)
            row.label = lookup.label(row, fiscal_year)
        mark_duplicates(
            plan.rows, lambda r: located[id(r)][1].id if id(r) in located else None, NAME
        )
        sheets = {s.id: s for s, _, _ in located.values()}
        evaluations = self._evaluations(sheets.values())
        results = {}
        for chunk in chunks([e.id for e in evaluations.values() if e.pk]):
            for r in IndicatorResult.objects.filter(evaluation_id__in=chunk):
                results[r.indicator_id] = r
        budgets = {
            (b.year_id, b.department_id): b
            for chunk in chunks({s.department_id for s in sheets.values() if s.project_id is None})
            for b in DepartmentBudget.objects.filter(department_id__in=chunk)
        }
        touched: dict[int, list[Row]] = defaultdict(list)
        refused: dict[int, str | None] = {}
        for row in plan.rows:
            if row.errors or id(row) not in located:
                continue
            sheet, indicator, place = located[id(row)]
            evaluation = evaluations.get(sheet.id)
            result = results.get(indicator.id)
            if result is None:
                result = IndicatorResult(evaluation=evaluation, indicator=indicator)
                results[indicator.id] = result
            result.indicator = indicator
            values = {k: row.values[k] for k in RESULT_HEADERS if k in row.values}
            compare(row, result if result.pk else _Blank(), RESULT_HEADERS, values)
            if row.status == UPDATE:
                if sheet.id not in refused:
                    refused[sheet.id] = self._refusal(sheet, evaluation, place[1])
                if refused[sheet.id]:
                    row.error("", refused[sheet.id])
                    continue
            for name, value in values.items():
                setattr(result, name, value)
            row.target = result
            touched[sheet.id].append(row)
        policies = {}
        for sheet_id, rows in touched.items():
            sheet, evaluation = sheets[sheet_id], evaluations[sheet_id]
            lines = [
                results.get(i.id) or IndicatorResult(evaluation=evaluation, indicator=i)
                for i in lookup.by_sheet[sheet_id]
            ]
            for line in lines:
                results.setdefault(line.indicator_id, line)
            policy = policies.get(sheet.year_id) or policies.setdefault(
                sheet.year_id, policy_for(evaluation.year)
            )
            evaluation.project = sheet.project if sheet.project_id else None
            funds = funds_of(evaluation, budgets.get((sheet.year_id, sheet.department_id)))
            evaluation_compute(evaluation, lines, funds, policy)
            for row in rows:
                line = result_line(row.target)
                for field, problems in rules.result_line_problems(
                    line, policy, final=False
                ).items():
                    for problem in problems:
                        row.error(RESULT_HEADERS[field], problem)
        plan.evaluations = evaluations  # by sheet id
        plan.lines = lookup.by_sheet  # indicators by sheet id

    @staticmethod
    def _evaluations(sheets) -> dict[int, SelfEvaluation]:
        """The self-evaluation of each sheet; unsaved where it is still to be started."""
        sheets = list(sheets)
        found = {}
        project_ids = [s.project_id for s in sheets if s.project_id]
        by_project = {}
        for chunk in chunks(project_ids):
            for e in SelfEvaluation.objects.filter(project_id__in=chunk).select_related("year"):
                by_project[e.project_id] = e
        departments = {}
        dept_ids = {s.department_id for s in sheets if not s.project_id}
        for chunk in chunks(dept_ids):
            for e in SelfEvaluation.objects.filter(
                project=None, department_id__in=chunk
            ).select_related("year"):
                departments[(e.year_id, e.department_id)] = e
        years = {y.id: y for y in FiscalYear.objects.filter(id__in={s.year_id for s in sheets})}
        for s in sheets:
            e = (
                by_project.get(s.project_id)
                if s.project_id
                else departments.get((s.year_id, s.department_id))
            )
            if e is None:
                e = SelfEvaluation(
                    year=years[s.year_id], department_id=s.department_id, project_id=s.project_id
                )
            found[s.id] = e
        return found

    @staticmethod
    def _refusal(sheet, evaluation, fiscal_year) -> str | None:
        """The form's rules (`rules`); who may import for the department was checked by
        `SheetLookup.locate`."""
        if evaluation.pk is None:
            return rules.start_refusal(
                evaluation_open=fiscal_year.evaluation_open,
                may_start=True,
                targets_approved=sheet.state == FormState.APPROVED,
            )
        return rules.editing_refusal(
            evaluation_open=fiscal_year.evaluation_open,
            may_edit=evaluation.state in workflow.EDITABLE,
            state_label=evaluation.get_state_display(),
            overdue_since=workflow.deadline_of(evaluation)
            if workflow.is_overdue(evaluation)
            else None,
        )

    def write(self, plan: Plan, ctx: Context) -> None:
        by_sheet: dict[int, list[Row]] = defaultdict(list)
        for row in plan.rows:
            if row.status == UPDATE:
                by_sheet[row.target.indicator.sheet_id].append(row)
        # The form's start, for all sheets at once (it re-checks them under their locks).
        started = evaluations_start(
            user=ctx.user,
            sheet_ids=list(by_sheet),
            may_start=lambda department_id: ctx.may(UNIT_ROLES, department_id),
        ).evaluations
        for sheet_id, rows in by_sheet.items():
            evaluation = started[sheet_id]
            lines = list(evaluation.results.select_related("indicator__category__parent"))
            by_indicator = {line.indicator_id: line for line in lines}
            for row in rows:
                line = by_indicator[row.target.indicator_id]
                for name in RESULT_HEADERS:
                    setattr(line, name, getattr(row.target, name))
            evaluation_refresh(
                evaluation,
                lines,
                fill_blank_scores=True,
                result_fields=(*RESULT_FIELDS, "suggested_score"),
            )
        for chunk in chunks([e.pk for e in started.values()]):
            SelfEvaluation.objects.filter(pk__in=chunk).update(version=F("version") + 1)


class _Blank:
    """Compared against a line that has no stored result yet: everything is blank."""

    actual_value = ""
    level = ""
    score = None
    deviation_reason = ""
    pk = 1


KINDS = {
    k.key: k for k in (Departments(), Projects(), DepartmentBudgets(), Indicators(), Results())
}
