"""Opening a year from the last (`manage.py open_year YEAR --from PREVIOUS`, 系统管理 › 年度 ›
从上一年度开设新年度): the classification and scoring policy, the projects that continue (every
project not marked 已结束) under their codes, and their 绩效目标 and the 部门整体 ones as drafts,
each line linked to last year's (Indicator.previous) so the grid shows 上年指标值/上年实际完成值.

Budgets are not copied (finance loads the new year's). Idempotent: a project, a 部门整体 sheet or a
category already in the new year is skipped (and reported), so running it twice copies nothing
twice. One transaction, one audit record on the year, a fixed number of queries (bulk inserts).
"""

from dataclasses import dataclass, field

from django.db import transaction

from budgets.models import FiscalYear, Project
from core.audit import audit_record
from core.errors import UserError

from ..models import FormState, Indicator, IndicatorCategory, TargetSheet
from .years import MONITORING_FIELDS, POLICY_FIELDS, SPOT_CHECK_FIELDS, fiscal_year_create

BATCH = 2000
# what a carried line keeps; its target value is last year's effective one (an approved
# adjustment replaces the original), its review comments and adjustments stay behind
CARRIED_LINE_FIELDS = (
    "category_id",
    "name",
    "comparator",
    "unit",
    "weight",
    "basis",
    "explanation",
    "scoring_rule",
    "order",
    "library_id",  # the 指标库 entry: the same indicator across years
)


class YearOpeningRefused(UserError):
    pass


@dataclass
class YearOpening:
    """What an opening copied (or, in a dry run, would copy)."""

    year: int
    previous: int
    dry_run: bool
    year_created: bool = False
    categories: int = 0
    projects: list[Project] = field(default_factory=list)  # the previous year's rows carried
    skipped: list[Project] = field(default_factory=list)  # already in the new year
    ended: list[Project] = field(default_factory=list)  # marked 已结束, not carried
    sheets: int = 0
    department_sheets: int = 0
    skipped_department_sheets: int = 0
    indicators: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "指标分类": self.categories,
            "项目": len(self.projects),
            "已存在跳过的项目": len(self.skipped),
            "已结束未结转的项目": len(self.ended),
            "项目绩效目标": self.sheets,
            "部门整体绩效目标": self.department_sheets,
            "已存在跳过的部门整体绩效目标": self.skipped_department_sheets,
            "三级指标": self.indicators,
        }

    def summary(self) -> str:
        verb = "将" if self.dry_run else "已"
        head = f"{self.year}年度（从{self.previous}年度）"
        if self.year_created:
            head += f"{verb}创建，沿用上年评分规则"
        parts = "，".join(f"{k}{v}个" for k, v in self.counts().items())
        return f"{head}：{verb}复制{parts}。"


class _DryRun(Exception):
    pass


def year_open(*, year: int, previous: int, actor=None, dry_run: bool = False) -> YearOpening:
    """Open `year` from `previous` (see the module docstring). A dry run does the same work in a
    transaction that is rolled back, so its report is exactly what a real run would copy."""
    if year <= previous:
        raise YearOpeningRefused(f"新年度须晚于上一年度：{year}年度不晚于{previous}年度。")
    source = FiscalYear.objects.filter(year=previous).first()
    if source is None:
        raise YearOpeningRefused(f"上一年度{previous}年度不存在，无法从它开设{year}年度。")
    opening = YearOpening(year=year, previous=previous, dry_run=dry_run)
    try:
        with transaction.atomic():
            _open(opening, source, actor)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return opening


def _open(opening: YearOpening, source: FiscalYear, actor) -> None:
    # Openings from one year wait for each other: the second then finds the first's rows and
    # skips them (no duplicate year or project, no IntegrityError on a double submit).
    FiscalYear.objects.select_for_update().get(pk=source.pk)
    target = FiscalYear.objects.select_for_update().filter(year=opening.year).first()
    if target is None:
        # the scoring policy, the lights' thresholds and the 抽查复核 settings carry over, as a
        # year's rules do
        fields = (*POLICY_FIELDS, *MONITORING_FIELDS, *SPOT_CHECK_FIELDS)
        policy = {name: getattr(source, name) for name in fields}
        policy["require_head_confirmation"] = source.require_head_confirmation
        policy["require_supervisor_review"] = source.require_supervisor_review
        target = fiscal_year_create(year=opening.year, actor=actor, seed=False, **policy)
        opening.year_created = True
    categories = _copy_categories(opening, source, target)
    carried = _copy_projects(opening, source, target)
    _copy_sheets(opening, source, target, carried, categories)
    audit_record(
        actor=actor,
        action="从上一年度开设年度",
        obj=target,
        changes={
            "上一年度": [None, source.year],
            **{name: [None, count] for name, count in opening.counts().items()},
        },
    )


def _copy_categories(opening, source, target) -> dict[int, int]:
    """The previous year's 一级/二级 tree, missing categories added (by name) with their weight,
    order and 启用; returns {previous category id: new category id}."""
    old = list(IndicatorCategory.objects.filter(year=source).order_by("parent_id", "order", "id"))
    new = list(IndicatorCategory.objects.filter(year=target))
    old_by_id = {c.id: c for c in old}

    def key(category, by_id):
        parent = by_id[category.parent_id].name if category.parent_id else None
        return (parent, category.name)

    new_by_id = {c.id: c for c in new}
    existing = {key(c, new_by_id): c for c in new}
    level1 = [c for c in old if c.parent_id is None and key(c, old_by_id) not in existing]
    added = IndicatorCategory.objects.bulk_create(
        [
            IndicatorCategory(
                year=target, name=c.name, weight=c.weight, order=c.order, is_active=c.is_active
            )
            for c in level1
        ]
    )
    for category in added:
        existing[(None, category.name)] = category
    level2 = [c for c in old if c.parent_id is not None and key(c, old_by_id) not in existing]
    added2 = IndicatorCategory.objects.bulk_create(
        [
            IndicatorCategory(
                year=target,
                parent=existing[(None, old_by_id[c.parent_id].name)],
                name=c.name,
                order=c.order,
                is_active=c.is_active,
            )
            for c in level2
        ]
    )
    for category in added2:
        existing[(category.parent.name, category.name)] = category
    opening.categories = len(added) + len(added2)
    return {c.id: existing[key(c, old_by_id)].id for c in old}


def _copy_projects(opening, source, target) -> dict[int, Project]:
    """The continuing projects under their codes, funds left at 0 (finance loads the new
    budgets); returns {previous project id: new project}."""
    present = set(Project.objects.filter(year=target).values_list("code", flat=True))
    rows = []
    for project in Project.objects.filter(year=source).select_related("department"):
        if project.ended:
            opening.ended.append(project)
        elif project.code in present:
            opening.skipped.append(project)
        else:
            opening.projects.append(project)
            rows.append(
                Project(
                    year=target,
                    department_id=project.department_id,
                    code=project.code,
                    name=project.name,
                    category=project.category,
                    previous=project,
                )
            )
    Project.objects.bulk_create(rows, batch_size=BATCH)
    for items in (opening.projects, opening.skipped, opening.ended):
        items.sort(key=lambda p: (p.department.code, p.code))
    return {p.previous_id: p for p in rows}


def _copy_sheets(opening, source, target, carried, categories) -> None:
    """The carried projects' 绩效目标 and the 部门整体 ones (unless the department has one in the
    new year already) as drafts, with their lines."""
    have_department_sheet = set(
        TargetSheet.objects.filter(year=target, project__isnull=True).values_list(
            "department_id", flat=True
        )
    )
    pairs = []  # (previous sheet, new sheet)
    for sheet in TargetSheet.objects.filter(year=source).order_by("id"):
        if sheet.project_id is None:
            if sheet.department_id in have_department_sheet:
                opening.skipped_department_sheets += 1
                continue
            project_id = None
            opening.department_sheets += 1
        elif sheet.project_id in carried:
            project_id = carried[sheet.project_id].pk
            opening.sheets += 1
        else:
            continue
        pairs.append(
            (
                sheet,
                TargetSheet(
                    year=target,
                    department_id=sheet.department_id,
                    project_id=project_id,
                    overall_goal=sheet.overall_goal,
                    state=FormState.DRAFT,
                ),
            )
        )
    TargetSheet.objects.bulk_create([new for _, new in pairs], batch_size=BATCH)
    new_sheet_of = {old.id: new.pk for old, new in pairs}
    lines = []
    old_lines = Indicator.objects.filter(sheet__year=source).order_by("sheet_id", "order", "id")
    # plain values: 45,000 lines of a city are read without building 45,000 model objects
    for line in old_lines.values(
        "id", "sheet_id", "target_value", "adjusted_target_value", *CARRIED_LINE_FIELDS
    ):
        sheet_id = new_sheet_of.get(line["sheet_id"])
        if sheet_id is None:
            continue
        values = {name: line[name] for name in CARRIED_LINE_FIELDS}
        values["category_id"] = categories[line["category_id"]]
        lines.append(
            Indicator(
                sheet_id=sheet_id,
                # the effective target (Indicator.effective_target)
                target_value=line["adjusted_target_value"] or line["target_value"],
                previous_id=line["id"],
                **values,
            )
        )
    Indicator.objects.bulk_create(lines, batch_size=BATCH)
    opening.indicators = len(lines)
